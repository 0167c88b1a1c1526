"""The spectral factor of ``grad K`` for a spectral K, in python-flint arithmetic.

For ``K(G) = sum_i phi(sigma_i(G))`` (docs/theory.md §2),

    grad K(G) = G V diag(w) V^T = G C,   w_i = q(sigma_i) = phi'(sigma_i)/sigma_i,

where ``G^T G = V diag(sigma^2) V^T`` is the k x k eigendecomposition.  :func:`spectral_factor`
returns ``C`` (an exact ``arb_mat`` of midpoints) and ``sigma_max``:

* ``k = 1``: ``sigma = ||G||_F`` and ``C = (w)``;
* ``k = 2``: closed form.  With ``G^T G = [[a, b], [b, c]]``, ``m = (a + c)/2``,
  ``h = sqrt(((a - c)/2)^2 + b^2)``, the eigenvalues are ``l1 = m + h`` and ``l2 = (ac - b^2)/l1``
  (the product of the eigenvalues, so no cancellation for a nearly rank-one G), and the unit
  eigenvector of ``l1`` is ``(cos t, sin t)`` with ``cos 2t = (a - c)/(2h)``, ``sin 2t = b/h``.
  Then ``C = [[w1 cc + w2 ss, (w1 - w2) cs], [(w1 - w2) cs, w1 ss + w2 cc]]`` with
  ``cc = cos^2 t``, ``ss = sin^2 t``, ``cs = cos t sin t = sin 2t / 2``; the larger of ``cc``, ``ss``
  is ``(1 + |cos 2t|)/2`` and the smaller ``sin^2 2t / (4 larger)`` (no cancellation either).
  ``h = 0`` means ``G^T G = a I`` and ``C = w1 I``;
* ``k >= 3``: the eigenproblem in mpmath (``eigsy``, Jacobi rotations) from the exact midpoints.

This is floating-point arithmetic at ``flint.ctx.prec`` bits (every quantity is a midpoint), as
the mpmath loop's ``eigsy``; the P + 20 rerun checks its rounding like every other step.
"""
from __future__ import annotations

from typing import Callable

from .flint_points import sqrt0 as _sqrt0

try:
    from flint import arb as _arb
    from flint import arb_mat as _arb_mat
except ImportError:  # pragma: no cover - exercised only without the extra
    _arb = _arb_mat = None


def spectral_factor(ctx, G, k: int, weights: Callable, gf=None):
    """``(C, sigma_max)`` for ``grad K(G) = G C``; ``weights(sigmas) -> [w_i]`` maps a list of
    point ``arb`` singular values to their weights ``q(sigma_i)``; ``gf = ||G||_F`` when known."""
    if k == 1:
        s = gf if gf is not None else _sqrt0((G.transpose() * G).mid()[0, 0])
        w, = weights([s])
        return _arb_mat([[w]]), s
    M = (G.transpose() * G).mid()
    if k == 2:
        return _two_by_two(M, weights)
    mk = ctx.make_mpf
    e = M.entries()
    lam, q = ctx.eigsy(ctx.matrix([[mk(e[a * k + b]._mpf_) for b in range(k)] for a in range(k)]))
    sig = [_arb(ctx.sqrt(max(ctx.zero, lam[i]))) for i in range(k)]
    w = [ctx.make_mpf(x.mid()._mpf_) for x in weights(sig)]
    C = _arb_mat([[_arb(ctx.fsum(q[a, i] * w[i] * q[b, i] for i in range(k))) for b in range(k)]
                  for a in range(k)])
    return C, max(sig)


def _two_by_two(M, weights):
    a, b, c = M[0, 0], M[0, 1], M[1, 1]
    half_diff = ((a - c) / 2).mid()
    h = (half_diff * half_diff + b * b).mid()
    h = _sqrt0(h)
    l1 = (((a + c) / 2).mid() + h).mid()
    if h == 0:  # G^T G = a I: one double singular value
        s = _sqrt0(l1)
        w1, _ = weights([s, s])
        return _arb_mat([[w1, 0], [0, w1]]), s
    l2 = ((a * c - b * b).mid() / l1).mid() if l1 > 0 else _arb(0)
    s1, s2 = _sqrt0(l1), _sqrt0(l2)
    w1, w2 = weights([s1, s2])
    cos2 = (half_diff / h).mid()
    sin2 = (b / h).mid()
    big = ((1 + abs(cos2)) / 2).mid()
    small = ((sin2 * sin2) / (4 * big)).mid()
    cc, ss = (big, small) if cos2 >= 0 else (small, big)
    cs = (sin2 / 2).mid()
    off = ((w1 - w2) * cs).mid()
    return _arb_mat([[(w1 * cc + w2 * ss).mid(), off], [off, (w1 * ss + w2 * cc).mid()]]), s1
