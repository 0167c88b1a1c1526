"""The behaviour issue 2 requires on the default random problem (n=6, d=24, k=2, seed 0),
with every verdict cross-checked against numbers computed independently (float64 numpy
DSPGD, numpy pseudo-inverse, scipy linprog) so no test trusts the product's own path."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

import reference as ref
from numeric.problem import random_problem
from verify.check import Settings, UserClaim, check_by_name

CLAIMS = {
    "adam": ("limit=gd",), "clip": ("limit=gd",), "sign": ("limit=minnorm:linf",),
    "quadratic": ("limit=minnorm:hinv", "limit=gd"),
}
PARAMS = {"gd": {}, "ngd": {"eps": 0.1}, "clip": {"c": 1.0}, "adam": {"eps": 0.1}, "sign": {"eps": 0.1},
          "clipv": {"c": 0.5}, "muon": {"eps": 0.1}}
L = {"gd": 1.0, "ngd": 10.0, "clip": 1.0, "adam": 10.0, "sign": 10.0, "clipv": 1.0, "muon": 10.0}


def _claim(text: str) -> UserClaim:
    from verify.claims.parse import parse_claim
    return parse_claim(text)


@pytest.fixture(scope="module")
def problem():
    return random_problem(6, 24, 2, seed=0)


@pytest.fixture(scope="module")
def records(problem):
    out = {}
    for name in ("gd", "ngd", "clip", "muon", "adam", "sign", "clipv", "quadratic"):
        settings = Settings(claims=tuple(_claim(c) for c in CLAIMS.get(name, ())))
        out[name] = check_by_name(problem, name, {}, settings).record
    return out


def claims(rec, cid):
    return [c for c in rec["claims"] if c["id"] == cid]


def float_limit(problem, name, frac):
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    eta = ref.eta_from_fraction(X, L[name], frac)
    return ref.dspgd(X, Y, W0, name, eta, **PARAMS[name])


@pytest.mark.parametrize("name", ["gd", "ngd", "clip"])
def test_isotropic_entries_verify_bias_and_have_no_lr_dependence(records, problem, name):
    rec = records[name]
    for cid in ("convergence", "isotropic_bias", "row_space_bias"):
        got = claims(rec, cid)
        assert len(got) == 2 and all(c["verdict"] == "verified" for c in got), (cid, got)
    assert claims(rec, "lr_dependence")[0]["verdict"] == "not_applicable"
    # independent: float64 DSPGD ends at W_GD (to float accuracy)
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    wgd = ref.w_gd(X, Y, W0)
    W = float_limit(problem, name, 0.9)
    assert np.linalg.norm(W - wgd) / np.linalg.norm(wgd - W0) < 1e-9


def test_muon_is_row_space_but_not_isotropic(records):
    rec = records["muon"]
    assert all(c["verdict"] == "verified" for c in claims(rec, "row_space_bias"))
    assert all(c["verdict"] == "not_applicable" for c in claims(rec, "isotropic_bias"))
    assert claims(rec, "lr_dependence")[0]["verdict"] == "not_applicable"


@pytest.mark.parametrize("name", ["adam", "sign", "clipv"])
def test_entrywise_entries_depend_on_lr_and_meet_the_bound(records, problem, name):
    rec = records[name]
    lr = claims(rec, "lr_dependence")[0]
    assert lr["verdict"] == "verified"
    assert rec["settings"]["lr_fractions"] == ["0.45", "0.9"]
    # independent float64 runs at the same two fractions: the limits differ by the same amount
    W1, W2 = float_limit(problem, name, 0.45), float_limit(problem, name, 0.9)
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    scale = np.linalg.norm(ref.w_gd(X, Y, W0) - W0)
    d_float = np.linalg.norm(W1 - W2) / scale
    assert d_float > 1e-4
    assert float(lr["evidence"]["max_pairwise_distance"]) == pytest.approx(d_float, rel=1e-6)
    for c in claims(rec, "general_bound"):
        assert c["verdict"] == "verified"
        c_emp = float(c["evidence"]["c_empirical"])
        assert c_emp >= 1
        assert c_emp <= float(c["evidence"]["c_bound"])
    c_float = np.linalg.norm(W2 - W0) / scale
    assert float(claims(rec, "general_bound")[1]["evidence"]["c_empirical"]) == pytest.approx(c_float, rel=1e-8)


def test_limit_gd_refuted_for_adam_verified_for_clip(records, problem):
    assert all(c["verdict"] == "refuted" for c in claims(records["adam"], "claim:limit=gd"))
    assert all(c["verdict"] == "verified" for c in claims(records["clip"], "claim:limit=gd"))
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    wgd = ref.w_gd(X, Y, W0)
    W = float_limit(problem, "adam", 0.9)
    d = np.linalg.norm(W - wgd) / np.linalg.norm(wgd - W0)
    got = float(claims(records["adam"], "claim:limit=gd")[1]["evidence"]["distance_to_minnorm_fro"])
    assert got == pytest.approx(d, rel=1e-8)


def test_sign_limit_is_not_the_min_linf_interpolator(records, problem):
    got = claims(records["sign"], "claim:limit=minnorm:linf")
    assert got and all(c["verdict"] == "refuted" for c in got)
    # independent: the min-linf interpolator by LP (scipy HiGHS), per column: min t s.t. X d = b, |d_i| <= t
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    n, d = X.shape
    k = Y.shape[1]
    nv = d * k + 1
    c = np.zeros(nv)
    c[-1] = 1
    A_eq = np.zeros((n * k, nv))
    for j in range(k):
        A_eq[j * n:(j + 1) * n, j * d:(j + 1) * d] = X
    b_eq = (Y - X @ W0).T.reshape(-1)
    A_ub = np.zeros((2 * d * k, nv))
    A_ub[: d * k, : d * k] = np.eye(d * k)
    A_ub[d * k:, : d * k] = -np.eye(d * k)
    A_ub[:, -1] = -1
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(2 * d * k), A_eq=A_eq, b_eq=b_eq, bounds=[(None, None)] * nv)
    assert res.status == 0
    W = float_limit(problem, "sign", 0.9)
    assert np.max(np.abs(W - W0)) > res.fun * 1.01
    assert float(got[1]["evidence"]["certified_upper"]) == pytest.approx(res.fun, rel=1e-6)


def test_quadratic_verifies_hinv_and_refutes_gd(records, problem):
    rec = records["quadratic"]
    assert all(c["verdict"] == "verified" for c in claims(rec, "claim:limit=minnorm:hinv"))
    assert all(c["verdict"] == "refuted" for c in claims(rec, "claim:limit=gd"))
    # independent closed form: vec W = w0 + H A^T (A H A^T)^{-1} (y - A w0), A = X (x) I_k (row-major vec)
    from numeric.preconditioners.catalog import random_spd
    X, Y, W0 = (np.asarray(a) for a in (problem.X, problem.Y, problem.W0))
    d, k = W0.shape
    H = random_spd(d * k, Fraction(4), 0)
    A = np.kron(X, np.eye(k))
    w = W0.reshape(-1) + H @ A.T @ np.linalg.solve(A @ H @ A.T, Y.reshape(-1) - A @ W0.reshape(-1))
    Wq = ref.dspgd(X, Y, W0, "quadratic", ref.eta_from_fraction(X, np.linalg.eigvalsh(H).max(), 0.9), H=H)
    assert np.linalg.norm(Wq - w.reshape(d, k)) < 1e-9
    wgd = ref.w_gd(X, Y, W0)
    got = float(claims(rec, "claim:limit=gd")[1]["evidence"]["distance_to_minnorm_fro"])
    assert got == pytest.approx(np.linalg.norm(Wq - wgd) / np.linalg.norm(wgd - W0), rel=1e-8)


def test_error_bounds_have_at_least_30_certified_digits(records):
    for name, rec in records.items():
        for c in claims(rec, "convergence"):
            assert c["verdict"] == "verified"
            assert c["evidence"]["certified"] is True, name
            assert float(c["error_bound"]) < 1e-30, (name, c["error_bound"])
            assert float(c["evidence"]["rounding_difference"]) < 1e-30


def test_assumptions_proved_for_the_catalogue(records):
    for name, rec in records.items():
        a = claims(rec, "assumptions")[0]
        assert a["verdict"] == "verified", (name, a)
        assert all(v["status"] == "proved" for v in a["evidence"].values())
