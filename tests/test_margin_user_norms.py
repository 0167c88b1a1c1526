"""A researcher's Schatten-p and weighted group norms (``margin --norm schatten:P|group:W1,..``)."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from numeric.margin.data import random_margin_problem
from numeric.margin.norms import MarginNorm, dual_norm, groups, lmo, norm
from verify.cli import main
from verify.margin.exact import SCHATTEN_REASON, dual_norm_upper, norm_bounds, to_fractions
from verify.margin.reference import objective, solve_reference

MULTI = random_margin_problem("multiclass", 16, 6, 4, 0)
HYBRID = random_margin_problem("hybrid", 16, 3, 4, 0)
BINARY = random_margin_problem("binary", 24, 8, 1, 0)
SCHATTEN = [MarginNorm("schatten", p=p) for p in (Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3), None)]


def _norms(prob):
    w = tuple(Fraction(i + 1, 2) for i in range(len(groups(prob))))
    return SCHATTEN + [MarginNorm("group", weights=w)]


@pytest.mark.parametrize("prob", [MULTI, HYBRID], ids=["multiclass", "hybrid"])
def test_hoelder_and_the_lmo_attain_the_dual(prob):
    rng = np.random.default_rng(7)
    for N in _norms(prob):
        for _ in range(20):
            g, u = rng.standard_normal((2, prob.n_params))
            assert g @ u <= dual_norm(prob, N, g) * norm(prob, N, u) * (1 + 1e-12), N.label
            v = lmo(prob, N, g)
            assert norm(prob, N, v) == pytest.approx(1, rel=1e-9), N.label
            assert g @ v == pytest.approx(dual_norm(prob, N, g), rel=1e-9), N.label


def test_schatten_special_cases_are_the_built_in_norms():
    rng = np.random.default_rng(1)
    th = rng.standard_normal(HYBRID.n_params)
    assert norm(HYBRID, MarginNorm("schatten", p=Fraction(2)), th) == pytest.approx(np.linalg.norm(th))
    assert norm(HYBRID, MarginNorm("schatten", p=None), th) == pytest.approx(
        norm(HYBRID, MarginNorm("hybrid", Fraction(1)), th))
    g = rng.standard_normal(MULTI.n_params)
    assert dual_norm(MULTI, MarginNorm("schatten", p=None), g) == pytest.approx(
        dual_norm(MULTI, MarginNorm("spectral"), g))
    W, b = HYBRID.split(th)
    assert norm(HYBRID, MarginNorm("schatten", p=Fraction(1)), th) == pytest.approx(
        np.sum(np.linalg.svd(W, compute_uv=False)) + np.sum(np.abs(b)))


@pytest.mark.parametrize("prob", [MULTI, HYBRID], ids=["multiclass", "hybrid"])
def test_exact_bounds_bracket_the_float_values(prob):
    rng = np.random.default_rng(3)
    for N in _norms(prob):
        if N.name == "schatten" and N.p not in (None, 1, 2):
            continue
        th = rng.standard_normal(prob.n_params)
        lo, hi = norm_bounds(prob, N, th)
        assert lo <= hi and float(lo) == pytest.approx(norm(prob, N, th), rel=1e-9), N.label
        assert float(hi) == pytest.approx(norm(prob, N, th), rel=1e-9)
        up = dual_norm_upper(prob, N, to_fractions(th))
        assert float(up) == pytest.approx(dual_norm(prob, N, th), rel=1e-9)


@pytest.mark.parametrize("prob,N", [
    (MULTI, MarginNorm("schatten", p=Fraction(1))), (HYBRID, MarginNorm("schatten", p=Fraction(1))),
    (HYBRID, MarginNorm("schatten", p=None)), (MULTI, MarginNorm("schatten", p=Fraction(2))),
    (HYBRID, MarginNorm("group", weights=(Fraction(1), Fraction(2), Fraction(1, 2), Fraction(3)))),
    (BINARY, MarginNorm("group", weights=(Fraction(2),))),
], ids=["S1-multi", "S1-hybrid", "Sinf-hybrid", "S2-multi", "group-hybrid", "group-binary"])
def test_certified_bracket_contains_the_solvers_value(prob, N):
    import cvxpy as cp
    ref = solve_reference(prob, N)
    assert ref.certified and (ref.hi - ref.lo) / ref.lo < Fraction(1, 10**4)
    w = cp.Variable(prob.n_params)
    p = cp.Problem(cp.Minimize(objective(cp, prob, N, w)), [prob.J @ w >= 1])
    p.solve(solver="CLARABEL")
    assert ref.lo * (1 - Fraction(1, 10**7)) <= Fraction(1 / p.value) <= ref.hi * (1 + Fraction(1, 10**7))


def test_other_schatten_exponents_have_no_certified_bracket():
    ref = solve_reference(MULTI, MarginNorm("schatten", p=Fraction(3)))
    assert not ref.certified and ref.reason == SCHATTEN_REASON


def _run(argv, capsys):
    status = main(["margin", *argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_schatten_inf_agrees_with_the_spectral_claim(capsys):
    _, rec = _run(["--optimizer", "spectral", "--steps", "3000", "--norm", "schatten:inf",
                   "--claim", "margin:spectral"], capsys)
    c = {x["id"]: x for x in rec["claims"]}
    a, b = c["margin:spectral"], c["margin:schatten:inf"]
    assert a["verdict"] == b["verdict"]
    assert a["evidence"]["gamma_star_certified"] == b["evidence"]["gamma_star_certified"]
    assert a["evidence"]["relative_gap"] == b["evidence"]["relative_gap"]


def test_schatten_3_is_inconclusive_never_verified(capsys):
    _, rec = _run(["--optimizer", "ngd", "--steps", "200", "--norm", "schatten:3", "--claim", "margin:l2"], capsys)
    c = {x["id"]: x for x in rec["claims"]}
    for cid in ("margin:schatten:3", "kkt:schatten:3"):
        assert c[cid]["verdict"] == "inconclusive" and SCHATTEN_REASON in c[cid]["reason"]


def test_schatten_on_binary_is_not_applicable(capsys):
    _, rec = _run(["--optimizer", "ngd", "--model", "binary", "--steps", "200", "--norm", "schatten:1"], capsys)
    c = {x["id"]: x for x in rec["claims"]}
    assert c["margin:schatten:1"]["verdict"] == "not_applicable"


@pytest.mark.parametrize("argv,needle", [
    (["--norm", "group:1,2"], "4 groups"),
    (["--norm", "group:1,1,1,-2"], "weight"),
    (["--norm", "group:1,,1,1"], "weight"),
    (["--norm", "group:"], "weight"),
    (["--norm", "group:1,1,1,0"], "weight"),
    (["--model", "hybrid", "--norm", "group:1,1,1"], "4 groups"),
    (["--claim", "kkt:group:1,x"], "weight"),
    (["--norm", "schatten:0.5"], "--norm"),
    (["--norm", "schatten:abc"], "--norm"),
    (["--norm", "frob:2"], "schatten:P"),
])
def test_bad_user_norm_exits_2(argv, needle, capsys):
    status = main(["margin", "--optimizer", "ngd", *argv, "--steps", "50"])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1 and needle in err, err
