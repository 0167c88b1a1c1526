"""The decision rules of verify.verdict at and around their boundaries."""
from __future__ import annotations

import pytest

from verify.verdict import Verdict, decide_difference, decide_equality, decide_upper, exit_status


@pytest.mark.parametrize("d,e,tol,expected", [
    (1e-40, 1e-35, 1e-20, "verified"),
    (1e-36, 1e-35, 1e-20, "verified"),
    (1e-40, 1e-15, 1e-20, "inconclusive"),  # precision too low to resolve the tolerance
    (3e-35, 1e-35, 1e-20, "refuted"),
    (1.5e-35, 1e-35, 1e-20, "inconclusive"),
    (0.3, None, 1e-20, "inconclusive"),
])
def test_equality(d, e, tol, expected):
    assert decide_equality(d, e, tol)[0] == expected


@pytest.mark.parametrize("d,e,tol,expected", [
    (1e-3, 1e-40, 1e-20, "verified"),
    (1e-45, 1e-40, 1e-20, "refuted"),
    (1e-25, 1e-22, 1e-20, "refuted"),  # d + e <= tol
    (5e-21, 6e-21, 1e-20, "inconclusive"),
    (1e-19, 1e-16, 1e-20, "inconclusive"),
])
def test_difference(d, e, tol, expected):
    assert decide_difference(d, e, tol)[0] == expected


@pytest.mark.parametrize("a,b,e,expected", [
    (1.05, 8.0, 1e-40, "verified"),
    (9.0, 8.0, 1e-40, "refuted"),
    (8.0, 8.0, 1e-40, "inconclusive"),
    (7.9, 8.0, 0.5, "inconclusive"),
])
def test_upper(a, b, e, expected):
    assert decide_upper(a, b, e)[0] == expected


def test_exit_status_and_unknown_verdicts():
    v = lambda s: Verdict("x", s, "r")  # noqa: E731
    assert exit_status([v("verified"), v("not_applicable")]) == 0
    assert exit_status([v("verified"), v("inconclusive")]) == 3
    assert exit_status([v("inconclusive"), v("refuted")]) == 1
    with pytest.raises(ValueError):
        v("maybe")
