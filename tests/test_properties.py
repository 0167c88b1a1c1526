"""Property-based tests (hypothesis, CI profile: no deadline, derandomized): random
overparameterized problems give ``convergence`` verified, and left-invariant K give W_GD,
cross-checked against an independent float64 computation of W_GD."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference as ref
from numeric.problem import random_problem
from verify.check import Settings, check_by_name
from verify.runs import LearningRate

FAST = Settings(dps=30, lrs=(LearningRate("frac", Fraction(9, 10)),), max_iter=20_000)


@st.composite
def small_problems(draw):
    n = draw(st.integers(1, 3))
    d = draw(st.integers(n + 1, n + 4))
    k = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 10_000))
    w0 = draw(st.sampled_from(["zero", "random"]))
    return random_problem(n, d, k, seed=seed, w0=w0)


def verdicts(rec, cid):
    return [c["verdict"] for c in rec["claims"] if c["id"] == cid]


@given(problem=small_problems(), name=st.sampled_from(["gd", "ngd", "adam", "sign", "clipv", "clip"]))
def test_random_problems_converge(problem, name):
    rec = check_by_name(problem, name, {}, FAST).record
    assert verdicts(rec, "convergence") == ["verified"]
    conv = next(c for c in rec["claims"] if c["id"] == "convergence")
    assert conv["evidence"]["certified"] is True
    assert float(conv["error_bound"]) < 1e-20


@given(problem=small_problems(), name=st.sampled_from(["gd", "ngd", "clip", "muon"]))
def test_left_invariant_k_give_w_gd(problem, name):
    rec = check_by_name(problem, name, {}, FAST).record
    assert verdicts(rec, "row_space_bias") == ["verified"]
    # independent float64: the product's limit is W_GD, so c_emp = ||W_GD - W0|| / ||W_GD - W0|| = 1
    gb = next(c for c in rec["claims"] if c["id"] == "general_bound")
    assert float(gb["evidence"]["c_empirical"]) == pytest.approx(1.0, abs=1e-20)
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    wgd = ref.w_gd(X, Y, W0)
    assert float(rec["problem"]["minnorm_distance"]) == pytest.approx(np.linalg.norm(wgd - W0), rel=1e-10)


@given(problem=small_problems())
def test_entrywise_limits_have_c_at_least_one(problem):
    rec = check_by_name(problem, "adam", {}, FAST).record
    gb = next(c for c in rec["claims"] if c["id"] == "general_bound")
    assert gb["verdict"] in ("verified", "inconclusive")
    assert float(gb["evidence"]["c_empirical"]) >= 1 - 1e-20
