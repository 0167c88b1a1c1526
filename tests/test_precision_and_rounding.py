"""Precision is private to each run, and too little precision yields `inconclusive`."""
from __future__ import annotations

from fractions import Fraction

import mpmath

from numeric.precision import working_precision
from numeric.problem import random_problem
from verify.check import Settings, check_by_name
from verify.runs import LearningRate


def test_global_mpmath_precision_untouched():
    before = (mpmath.mp.prec, mpmath.mp.dps)
    with working_precision(80) as ctx:
        assert ctx.dps == 80
        assert mpmath.mp.dps == before[1]
    problem = random_problem(2, 4, 1, seed=3)
    check_by_name(problem, "adam", {}, Settings(dps=40, lrs=(LearningRate("frac", Fraction(9, 10)),)))
    assert (mpmath.mp.prec, mpmath.mp.dps) == before


def test_low_precision_gives_inconclusive_not_verified():
    """At dps 15 the error bound (about 1e-9) cannot resolve the 1e-20 tolerance of W_inf = W_GD."""
    problem = random_problem(3, 6, 1, seed=1)
    rec = check_by_name(problem, "ngd", {}, Settings(dps=15, lrs=(LearningRate("frac", Fraction(9, 10)),))).record
    bias = [c for c in rec["claims"] if c["id"] == "isotropic_bias"]
    assert [c["verdict"] for c in bias] == ["inconclusive"]
    assert float(bias[0]["error_bound"]) > 1e-20
    rec = check_by_name(problem, "ngd", {}, Settings(dps=40, lrs=(LearningRate("frac", Fraction(9, 10)),))).record
    assert [c["verdict"] for c in rec["claims"] if c["id"] == "isotropic_bias"] == ["verified"]


def test_rerun_precision_is_reported():
    problem = random_problem(2, 4, 1, seed=0)
    rec = check_by_name(problem, "gd", {}, Settings(dps=30, lrs=(LearningRate("frac", Fraction(1, 2)),))).record
    conv = next(c for c in rec["claims"] if c["id"] == "convergence")
    assert conv["evidence"]["dps"] == 30 and conv["evidence"]["rerun_dps"] == 50
    assert float(conv["evidence"]["rounding_difference"]) < 1e-25
