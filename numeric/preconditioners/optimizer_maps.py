"""Update maps of widely used optimizer libraries, written out in float64 next to the catalogue's
grad K, so the cross-checks (``tests/test_xcheck_torch.py``, ``tests/test_xcheck_optax.py``) can
say exactly which library call equals which K.

=================================================  =============================================  ======================
library call                                       map                                            catalogue K
=================================================  =============================================  ======================
``torch.optim.Adam(betas=(0, 0), eps)``, one step   ``W - eta G/(|G| + eps)``                        ``adam`` (eps)
``torch.nn.utils.clip_grad_norm_(c)``               ``min(1, c/(||G|| + 1e-6)) G``                   ``clip`` with the shift
``torch.nn.utils.clip_grad_value_(c)``              ``clamp(G, -c, c)``                              ``clipv`` (c)
``optax.clip_by_global_norm(c)``                    ``G if ||G|| < c else (G/||G||) c``              ``clip`` (c)
``optax.normalize_by_update_norm(1, eps)``          ``G/(||G|| + eps)``                              ``ngd`` (eps)
``optax.scale_by_sign()``                           ``sign(G)``                                      eps -> 0 of ``adam``, ``sign``
Muon's Newton-Schulz-5                              :func:`newton_schulz5`                           **not** ``muon``
=================================================  =============================================  ======================

**The 1e-6 shift of torch's clipping** (:func:`clip_norm_shifted`) is still grad K of a convex
isotropic K = h(||G||): ``h'(r) = r`` for ``r <= c - delta`` and ``h'(r) = c r/(r + delta)``
beyond, continuous at ``r = c - delta`` and increasing (``d/dr [c r/(r + delta)] =
c delta/(r + delta)^2 > 0``), with ``h'' <= 1`` and ``h'(r)/r <= 1``, so ``L = 1``.  It differs from
the catalogue's ``clip`` by ``c delta/(r (r + delta))`` relative, about 1e-6.

**Muon's Newton-Schulz-5** (Keller Jordan's reference, coefficients ``(a, b, c) = (3.4445,
-4.7750, 2.0315)``, 5 steps on ``X_0 = G/(||G||_F + 1e-7)``, ``X <- a X + (b A + c A^2) X`` with
``A = X X^T``) acts on each singular value by the odd polynomial ``p(s) = a s + b s^3 + c s^5``
iterated 5 times.  It is tuned for speed, not accuracy: it maps singular values into roughly
``[0.7, 1.2]`` instead of onto 1, so it is not the polar factor ``U V^T`` and not the smoothed
polar factor ``U diag(s/(s + eps)) V^T`` of the ``muon`` K; on random matrices the two differ by
about 20% in Frobenius norm (tested).  The ``muon`` K is the convex model of an *exact*
orthogonalization.
"""
from __future__ import annotations

import numpy as np

TORCH_CLIP_SHIFT = 1e-6
NS5_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def clip_norm_shifted(G: np.ndarray, c: float, shift: float = TORCH_CLIP_SHIFT) -> np.ndarray:
    """``min(1, c/(||G||_F + shift)) G``: ``torch.nn.utils.clip_grad_norm_`` (one tensor, float64)."""
    coef = min(1.0, c / (float(np.linalg.norm(G)) + shift))
    return G * coef


def newton_schulz5(G: np.ndarray, steps: int = 5, coefficients=NS5_COEFFICIENTS, eps: float = 1e-7) -> np.ndarray:
    """Muon's reference orthogonalization in float64 (the reference uses bfloat16)."""
    a, b, c = coefficients
    X = G / (np.linalg.norm(G) + eps)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def polar_factor(G: np.ndarray) -> np.ndarray:
    """``U V^T`` of the thin SVD ``G = U diag(s) V^T`` (the eps -> 0 limit of the ``muon`` grad K)."""
    u, _, vt = np.linalg.svd(G, full_matrices=False)
    return u @ vt
