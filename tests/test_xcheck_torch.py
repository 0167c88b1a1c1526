"""Cross-checks against PyTorch (the ``xcheck`` extra): torch's optimizers equal the catalogue's grad K.

Tolerances, and why:

* ``torch.optim.Adam(betas=(0, 0), eps)``: with ``lr = 1`` from ``W = 0`` one step is
  ``-(g/(sqrt(g*g) + eps))``: ``m = lerp(0, g, 1) = g``, ``v = g*g``, both bias corrections
  ``1 - 0^1 = 1``, and ``sqrt(fl(g*g)) = |g|`` in binary IEEE arithmetic.  That is **bit for
  bit** the float64 ``adam`` kernel ``G/(|G| + eps)``.  With ``lr = eta`` torch forms
  ``(eta g)/(|g| + eps)`` where we form ``eta (g/(|g| + eps))``: at most **4 ulps** apart.
* ``clip_grad_norm_``: the coefficient ``min(1, c/(||G|| + 1e-6))``; torch's norm reduction
  order differs from numpy's, so the entries agree to **4 ulps**; below the threshold the
  coefficient is exactly 1 and the gradient is unchanged **bit for bit**.
* ``clip_grad_value_``: a clamp, **bit for bit** the ``clipv`` kernel.
* The float64 kernel against the 50-digit catalogue map: **2 ulps** (two roundings).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[xcheck]'")

from numeric.preconditioners.catalog import adam, clip, clipv, muon  # noqa: E402
from numeric.backends.float64_loop import float64_grad  # noqa: E402
from numeric.preconditioners.optimizer_maps import clip_norm_shifted, newton_schulz5, polar_factor  # noqa: E402
from numeric.precision import working_precision  # noqa: E402
from numeric.preconditioners.from_torch import torch_adam_step  # noqa: E402


def _grads(seed: int, shape=(24, 2)):
    """Gaussian G at several scales, with exact zeros, tiny and large entries."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 4, size=shape)
    G[0, 0] = 0.0
    G[1, -1] = -0.0
    return G


def _ulps(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / spacing(max(|a|, |b|))`` entrywise."""
    sp = np.spacing(np.maximum(np.abs(a), np.abs(b)))
    return float(np.max(np.abs(a - b) / np.where(sp > 0, sp, np.finfo(float).tiny)))


@pytest.mark.parametrize("eps", [Fraction(1, 10), Fraction(1, 1000), Fraction(1, 10**8)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torch_adam_step_is_the_adam_grad_k_bit_for_bit(eps, seed):
    G = _grads(seed)
    step = torch_adam_step(torch, float(eps))(1.0)
    U_torch = -step(np.zeros_like(G), G)
    U_ours = float64_grad(adam(eps), G)
    assert np.array_equal(U_torch, U_ours), _ulps(U_torch, U_ours)


@pytest.mark.parametrize("seed", [0, 3])
def test_torch_adam_step_with_learning_rate_within_4_ulps(seed):
    rng = np.random.default_rng(seed)
    G, W = _grads(seed), rng.standard_normal((24, 2))
    eta, eps = 0.0123, Fraction(1, 10)
    W_torch = torch_adam_step(torch, float(eps))(eta)(W, G)
    W_ours = W - eta * float64_grad(adam(eps), G)
    assert _ulps(W_torch, W_ours) <= 4
    assert not np.array_equal(W_torch, W)  # a real step was taken


def test_adam_float64_kernel_is_the_50_digit_map_to_2_ulps():
    G = _grads(4)
    eps = Fraction(1, 10)
    with working_precision(50) as ctx:
        cols = [[ctx.mpf(float(x)) for x in G[:, j]] for j in range(G.shape[1])]
        exact = np.array([[float(x) for x in c] for c in adam(eps).grad(ctx, cols)]).T
    assert _ulps(float64_grad(adam(eps), G), exact) <= 2


def _torch_grad(G):
    p = torch.zeros(G.shape, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor(G, dtype=torch.float64)
    return p


@pytest.mark.parametrize("c", [0.5, 1.0, 3.0])
def test_clip_grad_norm_is_the_clip_map_with_its_1e6_shift(c):
    G = np.random.default_rng(5).standard_normal((24, 2))
    G *= 2 * c / np.linalg.norm(G)  # ||G|| = 2c: clipped
    p = _torch_grad(G)
    total = torch.nn.utils.clip_grad_norm_([p], max_norm=c)
    out = p.grad.numpy()
    assert float(total) == pytest.approx(np.linalg.norm(G), rel=1e-15)
    assert _ulps(out, clip_norm_shifted(G, c)) <= 4
    # the catalogue's clip has no shift: 1e-6/(||G|| + 1e-6) relative apart, far above rounding
    ours = float64_grad(clip(Fraction(c)), G)
    rel = np.linalg.norm(out - ours) / np.linalg.norm(ours)
    assert rel == pytest.approx(1e-6 / (2 * c + 1e-6), rel=1e-6)


def test_clip_grad_norm_inside_the_ball_is_the_identity_bit_for_bit():
    G = np.random.default_rng(6).standard_normal((24, 2))
    G *= 0.5 / np.linalg.norm(G)
    p = _torch_grad(G)
    torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert np.array_equal(p.grad.numpy(), G)
    assert np.array_equal(p.grad.numpy(), float64_grad(clip(Fraction(1)), G))


@pytest.mark.parametrize("c", [Fraction(1, 2), Fraction(1, 1000), Fraction(2)])
def test_clip_grad_value_is_clipv_bit_for_bit(c):
    G = _grads(7)
    p = _torch_grad(G)
    torch.nn.utils.clip_grad_value_([p], clip_value=float(c))
    assert np.array_equal(p.grad.numpy(), float64_grad(clipv(c), G))


def _ns5_torch(G):
    """Muon's reference ``zeropower_via_newtonschulz5``, in float64 instead of bfloat16."""
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = torch.tensor(G, dtype=torch.float64)
    X = X / (X.norm() + 1e-7)
    if G.shape[0] > G.shape[1]:
        X = X.T
    for _ in range(5):
        A = X @ X.T
        B = b * A + c * A @ A
        X = a * X + B @ X
    if G.shape[0] > G.shape[1]:
        X = X.T
    return X.numpy()


@pytest.mark.parametrize("shape", [(24, 2), (8, 3), (10, 10)])
def test_muon_newton_schulz_is_not_the_smoothed_polar_factor(shape):
    G = np.random.default_rng(8).standard_normal(shape)
    ns = newton_schulz5(G)
    assert np.allclose(ns, _ns5_torch(G), rtol=0, atol=1e-13)  # our transcription is the reference
    P = polar_factor(G)
    Gn = G / np.linalg.norm(G)
    M = float64_grad(muon(Fraction(1, 10)), Gn)  # the muon K's smoothed polar factor
    d_polar = np.linalg.norm(ns - P) / np.linalg.norm(P)
    d_muon = np.linalg.norm(ns - M) / np.linalg.norm(M)
    # measured: 24x2 0.23 / 0.20; 8x3 0.077 / 0.25; 10x10 0.22 / 0.50 -- never a rounding-size gap
    assert d_polar > 0.05 and d_muon > 0.15
    s = np.linalg.svd(ns, compute_uv=False)
    assert s.max() > 1.05 or s.min() < 0.95  # singular values are not pushed to 1


def test_cli_torch_adam_runs_with_torch_float64():
    from verify.check import Settings, check
    from numeric.problem import random_problem
    from numeric.preconditioners.from_torch import torch_adam
    from verify.runs import LearningRate
    problem = random_problem(3, 8, 2, seed=1)
    rec = check(problem, torch_adam(Fraction(1, 10)), Settings(backend="float64",
                lrs=(LearningRate("frac", Fraction(45, 100)), LearningRate("frac", Fraction(9, 10))))).record
    assert rec["settings"]["backend"] == "float64" and rec["settings"]["tolerance"] == "1e-8"
    assert "torch.optim.Adam" in rec["preconditioner"]["update_computed_by"]
    got = {(c["id"], c.get("lr")): c["verdict"] for c in rec["claims"]}
    assert all(v in ("verified", "not_applicable") for v in got.values()), got
    conv = [c for c in rec["claims"] if c["id"] == "convergence"]
    assert all(c["evidence"]["arithmetic"] == "float64" for c in conv)


def test_cli_torch_adam_refuses_a_high_precision_backend(capsys):
    from verify.cli.app import main
    assert main(["check", "--preconditioner", "torch-adam", "--backend", "mpmath"]) == 2
    err = capsys.readouterr().err
    assert "float64" in err and len(err.strip().splitlines()) == 1
