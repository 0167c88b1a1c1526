"""Cross-checks against optax (the ``xcheck`` extra), in float64 (``jax.enable_x64`` as a context,
so the process-wide JAX setting is restored).

Tolerances, and why:

* ``optax.clip_by_global_norm(c)``: ``(G/||G||) c`` where the ``clip`` kernel forms
  ``G (c/||G||)``, and optax's norm sums in another order: **4 ulps**.  Below the threshold it
  returns G itself: **bit for bit**.
* ``optax.normalize_by_update_norm(1, eps)``: ``G/(||G|| + eps)`` where the ``ngd`` kernel forms
  ``G (1/(||G|| + eps))``: **4 ulps**.
* ``optax.scale_by_sign()``: ``sign(G)`` is the eps -> 0 limit of ``adam`` (``G/(|G| + eps)``)
  and ``sign`` (``tanh(G/eps)``): **bit for bit** once ``eps`` is below half an ulp of the
  smallest ``|g|`` (adam: ``|g| + eps`` rounds to ``|g|``) or below ``min |g| / 20`` (sign:
  ``tanh(x)`` rounds to 1 for ``x > 19.1``); for larger eps the gap is at most ``eps/min|g|``.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

optax = pytest.importorskip("optax", reason="optax is not installed: pip install -e '.[xcheck]'")
jax = pytest.importorskip("jax", reason="jax is not installed: pip install -e '.[xcheck]'")
import jax.numpy as jnp  # noqa: E402

from numeric.preconditioners.catalog import adam, clip, ngd, sign  # noqa: E402
from numeric.backends.float64_loop import float64_grad  # noqa: E402


def _ulps(a, b) -> float:
    sp = np.spacing(np.maximum(np.abs(a), np.abs(b)))
    return float(np.max(np.abs(a - b) / np.where(sp > 0, sp, np.finfo(float).tiny)))


def _apply(transform, G: np.ndarray) -> np.ndarray:
    with jax.enable_x64(True):
        g = jnp.asarray(G, dtype=jnp.float64)
        out, _ = transform.update(g, transform.init(g))
        assert out.dtype == jnp.float64
        return np.asarray(out)


def _grads(seed: int, shape=(24, 2)):
    return np.random.default_rng(seed).standard_normal(shape)


def test_x64_context_is_restored():
    before = jax.config.jax_enable_x64
    _apply(optax.scale_by_sign(), _grads(0))
    assert jax.config.jax_enable_x64 == before


@pytest.mark.parametrize("c", [Fraction(1, 2), Fraction(1), Fraction(3)])
def test_clip_by_global_norm_is_clip(c):
    G = _grads(1)
    G *= 2 * float(c) / np.linalg.norm(G)
    assert _ulps(_apply(optax.clip_by_global_norm(float(c)), G), float64_grad(clip(c), G)) <= 4
    small = G * 0.25  # ||G|| = c/2: untouched
    assert np.array_equal(_apply(optax.clip_by_global_norm(float(c)), small), float64_grad(clip(c), small))


@pytest.mark.parametrize("eps", [Fraction(1, 10), Fraction(1, 10**6)])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_normalize_by_update_norm_is_ngd(eps, scale):
    G = _grads(2) * scale
    out = _apply(optax.normalize_by_update_norm(scale_factor=1.0, eps=float(eps)), G)
    assert _ulps(out, float64_grad(ngd(eps), G)) <= 4


def test_scale_by_sign_is_the_eps_to_zero_limit_of_adam_and_sign():
    G = _grads(3)
    G[0, 0] = 0.0
    s = _apply(optax.scale_by_sign(), G)
    assert np.array_equal(s, np.sign(G))
    m = float(np.min(np.abs(G[G != 0])))
    tiny = Fraction(m * 2.0**-60)  # below half an ulp of every |g|
    assert np.array_equal(float64_grad(adam(tiny), G), s)
    assert np.array_equal(float64_grad(sign(Fraction(m / 20)), G), s)
    for e in (1e-1, 1e-3, 1e-5):  # the approach to the limit: |g/(|g| + eps) - sign g| <= eps/|g|
        gap = np.max(np.abs(float64_grad(adam(Fraction(e)), G) - s))
        assert gap <= e / m * (1 + 1e-12)
