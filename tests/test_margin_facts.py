"""One-step facts of paper 2's machinery (docs/theory.md §6.4): LMOs, Hoelder, the exact bracket,
KKT alignment, log-scale gradients, the optimizers' directions."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.errors import InputError
from numeric.margin.data import (binary_problem, hybrid_problem, load_margin_problem, multiclass_problem,
                                 random_margin_problem)
from numeric.margin.norms import MarginNorm, dual_norm, lmo, norm, normalized_margin, polar
from numeric.margin.optimizers import ema, make_optimizer, newton_schulz5, scaled_gradient
from numeric.margin.run import Schedule, run_margin
from verify.margin.exact import (dual_norm_upper, is_positive_definite, margin_bounds, norm_bounds,
                                 nuclear_upper, sqrt_bounds, spectral_lower, spectral_upper, to_fractions)
from verify.margin.kkt import kkt_profile
from verify.margin.reference import solve_reference

MULTI = random_margin_problem("multiclass", 16, 6, 4, 0)
HYB = random_margin_problem("hybrid", 16, 3, 4, 0)
BIN = random_margin_problem("binary", 12, 5, seed=1)
NORMS_MULTI = [MarginNorm("l2"), MarginNorm("linf"), MarginNorm("spectral")]
NORMS_HYB = [MarginNorm("l2"), MarginNorm("linf"), MarginNorm("hybrid", Fraction(1, 4)),
             MarginNorm("hybrid", Fraction(1)), MarginNorm("hybrid", Fraction(4))]
CASES = [(MULTI, N) for N in NORMS_MULTI] + [(HYB, N) for N in NORMS_HYB]
vectors = st.integers(0, 2**31 - 1).map(lambda s: np.random.default_rng(s))


@pytest.mark.parametrize("prob,N", CASES, ids=lambda x: getattr(x, "label", getattr(x, "kind", "")))
@settings(max_examples=25)
@given(rng=vectors)
def test_lmo_attains_the_dual_norm(prob, N, rng):
    """``N(LMO(g)) = 1`` and ``<g, LMO(g)> = N_*(g)``."""
    g = rng.standard_normal(prob.n_params)
    u = lmo(prob, N, g)
    assert norm(prob, N, u) == pytest.approx(1, rel=1e-12)
    assert float(g @ u) == pytest.approx(dual_norm(prob, N, g), rel=1e-12)


@pytest.mark.parametrize("prob,N", CASES, ids=lambda x: getattr(x, "label", getattr(x, "kind", "")))
@settings(max_examples=25)
@given(rng=vectors)
def test_hoelder(prob, N, rng):
    """``<g, u> <= N_*(g) N(u)`` for arbitrary ``g, u``."""
    g, u = rng.standard_normal(prob.n_params), rng.standard_normal(prob.n_params)
    assert float(g @ u) <= dual_norm(prob, N, g) * norm(prob, N, u) * (1 + 1e-12)


def test_rank_deficient_spectral_lmo_is_the_partial_isometry():
    """Multiclass gradients have rank <= k - 1; the LMO keeps the range (U_r V_r^T)."""
    g, _ = scaled_gradient(MULTI.J, np.zeros(MULTI.n_params))
    G = g.reshape(MULTI.W_shape)
    assert np.linalg.matrix_rank(G) <= MULTI.W_shape[0] - 1
    P = polar(G)
    s = np.linalg.svd(P, compute_uv=False)
    assert np.allclose(s[: np.linalg.matrix_rank(G)], 1) and np.allclose(s[np.linalg.matrix_rank(G):], 0)


@pytest.mark.parametrize("prob,N", CASES, ids=lambda x: getattr(x, "label", getattr(x, "kind", "")))
def test_bracket_contains_the_solver_value(prob, N):
    """``1/N(w) <= gamma* <= N_*(J^T lambda)`` exactly, around the solver's ``1/value``."""
    ref = solve_reference(prob, N)
    assert ref.certified and ref.status == "optimal"
    solver_gamma = normalized_margin(prob, N, ref.point)
    assert float(ref.lo) <= solver_gamma * (1 + 1e-12)
    assert solver_gamma <= float(ref.hi) * (1 + 1e-12)
    assert ref.relative_width < 1e-6


def test_bracket_is_a_real_bound_not_the_solver_value():
    """A deliberately bad point and bad multipliers still give a valid (wide) bracket."""
    ref = solve_reference(MULTI, MarginNorm("l2"))
    from verify.margin.exact import margin_bounds as mb
    bad = ref.point + 0.05 * np.random.default_rng(0).standard_normal(MULTI.n_params)
    lo = mb(MULTI, MarginNorm("l2"), bad)[0]
    assert lo < ref.lo  # a worse point gives a smaller lower bound, never above gamma*


@pytest.mark.parametrize("prob,N", CASES, ids=lambda x: getattr(x, "label", getattr(x, "kind", "")))
def test_kkt_alignment_is_one_at_exact_optima_and_below_095_for_the_wrong_norm(prob, N):
    ref = solve_reference(prob, N)
    assert kkt_profile(prob, N, ref.point)["max_alignment"] > 0.9999
    others = NORMS_MULTI if prob is MULTI else NORMS_HYB
    for M in others:
        if M != N:
            prof = kkt_profile(prob, M, ref.point)
            assert prof["tau99"] is None and prof["a"]["0.01"] < 0.95, (N.label, M.label, prof)


# ----------------------------------------------------------------------------- exact bounds
@settings(max_examples=50)
@given(st.fractions(min_value=0, max_value=10**6))
def test_sqrt_bounds(x):
    lo, hi = sqrt_bounds(x)
    assert lo * lo <= x <= hi * hi and hi - lo <= Fraction(1, 10**30) * (1 + hi)


def test_positive_definiteness_is_exact():
    assert is_positive_definite([[Fraction(2), Fraction(1)], [Fraction(1), Fraction(2)]])
    assert not is_positive_definite([[Fraction(1), Fraction(1)], [Fraction(1), Fraction(1)]])
    eps = Fraction(1, 2**80)
    assert is_positive_definite([[1 + eps, Fraction(1)], [Fraction(1), Fraction(1)]])


@settings(max_examples=20)
@given(rng=vectors)
def test_spectral_and_nuclear_bounds_bracket_the_svd(rng):
    A = np.round(rng.standard_normal((3, 5)) * 64) / 64
    Af = [to_fractions(row) for row in A]
    s = np.linalg.svd(A, compute_uv=False)
    up = spectral_upper(Af, float(s[0]))
    lo = spectral_lower(Af, A)
    assert float(lo) <= s[0] * (1 + 1e-14) and s[0] <= float(up) * (1 + 1e-14)
    assert float(up - lo) <= 1e-9 * s[0]
    nuc = nuclear_upper(Af, A)
    assert s.sum() <= float(nuc) * (1 + 1e-14) and float(nuc) <= s.sum() * (1 + 1e-9)


def test_norm_bounds_and_dual_bounds_agree_with_float64():
    rng = np.random.default_rng(3)
    th = rng.standard_normal(HYB.n_params)
    for N in NORMS_HYB:
        lo, hi = norm_bounds(HYB, N, th)
        assert float(lo) <= norm(HYB, N, th) * (1 + 1e-14) and norm(HYB, N, th) <= float(hi) * (1 + 1e-14)
        assert float(dual_norm_upper(HYB, N, to_fractions(th))) >= dual_norm(HYB, N, th) * (1 - 1e-14)
    lo, hi = margin_bounds(HYB, MarginNorm("l2"), th)
    m = normalized_margin(HYB, MarginNorm("l2"), th)
    assert float(lo) - 1e-12 * abs(m) <= m <= float(hi) + 1e-12 * abs(m)


# ----------------------------------------------------------------------------- optimizers
def test_scaled_gradient_survives_where_the_plain_gradient_underflows():
    """At margins near 2000 ``exp(-q)`` is 0 in float64; the log-scaled gradient is exact."""
    th = 2000 * solve_reference(MULTI, MarginNorm("l2")).point
    g, s = scaled_gradient(MULTI.J, th)
    assert s < -745 and np.all(np.isfinite(g)) and np.linalg.norm(g) >= 1
    q = MULTI.J @ th
    assert np.all(np.exp(-q) == 0)  # the naive gradient would be exactly zero


def test_ema_in_log_scale_matches_the_plain_ema():
    rng = np.random.default_rng(0)
    plain, state = np.zeros(4), None
    for t in range(30):
        g, s = rng.standard_normal(4), rng.uniform(-5, 5)
        plain = 0.9 * plain + 0.1 * math.exp(s) * g
        state = ema(state, 0.9, s, g)
        assert np.allclose(math.exp(state[0]) * state[1], plain, rtol=1e-12, atol=0)


def test_adam_direction_matches_the_textbook_formula_at_moderate_scale():
    """Adam with eps = 0 and bias correction, in log scale, equals m_hat/sqrt(v_hat) computed plainly."""
    opt = make_optimizer("adam", MULTI, beta1=0.9, beta2=0.95)
    rng = np.random.default_rng(1)
    state, m, v = opt.init(MULTI.n_params), np.zeros(MULTI.n_params), np.zeros(MULTI.n_params)
    for t in range(1, 8):
        g, s = rng.standard_normal(MULTI.n_params), rng.uniform(-3, 3)
        G = math.exp(s) * g
        m, v = 0.9 * m + 0.1 * G, 0.95 * v + 0.05 * G * G
        want = (m / (1 - 0.9**t)) / np.sqrt(v / (1 - 0.95**t))
        u, state = opt.update(state, g, s, t)
        assert np.allclose(u, want, rtol=1e-10)


def test_long_runs_keep_moving_past_the_float64_underflow():
    """Sign descent with a large step reaches margins in the thousands and still moves."""
    traj = run_margin(MULTI, make_optimizer("sign", MULTI), Schedule(0.1), 20000)
    assert np.all(np.isfinite(traj.theta))
    assert float(np.min(MULTI.J @ traj.theta)) > 800  # exp(-800) == 0.0 in float64
    assert np.count_nonzero(traj.last_step) > 0


def test_muon_sign_direction_is_the_hybrid_lmo():
    """Steepest descent for hybrid(r) = Muon step eta/r beside a sign step eta (docs/theory.md §6.3)."""
    for r in (Fraction(1, 4), Fraction(1), Fraction(4)):
        opt = make_optimizer("muon-sign", HYB, r, beta1=0.0)
        g, s = scaled_gradient(HYB.J, np.zeros(HYB.n_params))
        u, _ = opt.update(opt.init(HYB.n_params), g, s, 1)
        assert np.allclose(u, lmo(HYB, MarginNorm("hybrid", r), g))


def test_newton_schulz5_is_not_the_polar_factor():
    """The shipped Muon map leaves singular values far from 1 (about 0.7 to 1.2)."""
    G = np.random.default_rng(5).standard_normal((4, 6))
    s_ns = np.linalg.svd(newton_schulz5(G), compute_uv=False)
    s_polar = np.linalg.svd(polar(G), compute_uv=False)
    assert np.allclose(s_polar, 1)
    assert np.max(np.abs(s_ns - 1)) > 0.1
    assert np.linalg.norm(newton_schulz5(G) - polar(G)) / np.linalg.norm(polar(G)) > 0.05


# ----------------------------------------------------------------------------- data
def test_generated_data_are_separable_and_exact():
    for prob in (MULTI, HYB, BIN):
        assert np.all(prob.J * 256 == np.round(prob.J * 256))
        ref = solve_reference(prob, MarginNorm("l2"))
        assert ref.certified


def test_non_separable_data_are_refused():
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(InputError, match="not linearly separable"):
        binary_problem(X, np.array([1.0, -1.0]))
    with pytest.raises(InputError, match="not linearly separable"):
        multiclass_problem(np.array([[1.0], [1.0]]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("arrays,kind,match", [
    ({"X": np.ones((3, 2))}, "binary", "missing array"),
    ({"X": np.array([[np.nan, 1.0]]), "y": np.array([1.0])}, "binary", "NaN"),
    ({"X": np.ones((2, 2)), "y": np.array([1.0, 0.5])}, "binary", "-1 or \\+1"),
    ({"X": np.ones((2, 2)), "y": np.array([0.0, 1.5])}, "multiclass", "integers"),
    ({"Z": np.ones((2, 2)), "z": np.ones((2, 1)), "y": np.ones(2)}, "hybrid", "Z \\(n, p, q\\)"),
])
def test_bad_npz_files(tmp_path, arrays, kind, match):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(InputError, match=match):
        load_margin_problem(str(path), kind)


def test_hybrid_and_binary_constructors_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    Z, z = np.round(rng.standard_normal((8, 2, 2)) * 8) / 8, np.round(rng.standard_normal((8, 2)) * 8) / 8
    y = np.sign(np.einsum("ipq,pq->i", Z, np.eye(2)) + z @ np.ones(2) + 1e-3)
    path = tmp_path / "h.npz"
    np.savez(path, Z=Z, z=z, y=y)
    assert load_margin_problem(str(path), "hybrid").J.shape == (8, 6)
    assert hybrid_problem(Z, z, y).W_shape == (2, 2)
