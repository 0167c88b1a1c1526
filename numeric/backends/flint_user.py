"""``grad K`` of a researcher's own K (``--K``, ``--update``) in python-flint arithmetic.

The symbolic K was compiled once by :mod:`symbolic.compile` (no ``eval``); here its pieces
(:class:`numeric.preconditioners.from_symbolic.CompiledGrad`) are bound to the ``FLINT`` target at
the loop's precision and assembled by structure, with the same formulas as the mpmath
preconditioner of :func:`numeric.preconditioners.from_symbolic.from_profile`:

* entrywise ``K = sum k(g_ij)``: ``U_ij = k'(g_ij)``, evaluated as ``f'(g)`` for ``g >= 0`` and
  ``-f_neg'(-g)`` otherwise; natural norm ``max |g_ij|``;
* isotropic ``K = h(||G||_F)``: ``U = q(r) G`` with ``r = ||G||_F`` and ``q(r) = h'(r)/r``
  (``q(0)`` its removable limit); natural norm ``r``;
* spectral ``K = sum phi(sigma_i)``: ``U = G V diag(q(sigma)) V^T`` by
  :func:`numeric.backends.flint_spectral.spectral_factor` (closed form for k <= 2);
* general: every ``dK/dG_ij`` evaluated at the d k entries.

A K with a node the FLINT target does not implement has no kernel (:func:`compiles`): the loop
falls back to mpmath and the record's ``settings.backend`` says ``mpmath``.
"""
from __future__ import annotations

from typing import Callable

from symbolic.compile import FLINT

from .flint_points import max_abs as _max_abs
from .flint_spectral import spectral_factor

try:
    from flint import arb as _arb
    from flint import arb_mat as _arb_mat
    from flint import fmpq as _fmpq
except ImportError:  # pragma: no cover - exercised only without the extra
    _arb = None


def compiles(pre, d: int, k: int) -> bool:
    """Whether ``pre`` is a user K whose every compiled piece has a FLINT implementation."""
    cg = pre.extra.get("compiled")
    if _arb is None or cg is None or cg.structure != pre.structure:
        return False
    if cg.structure == "general" and cg.shape != (d, k):
        return False
    if cg.structure in ("isotropic", "spectral") and cg.q is None:
        return False
    return all(c.compiles_to(FLINT) for c in cg.parts())


def user_kernel(xp, pre) -> tuple[Callable, bool]:
    """``(f, needs_fro)`` as :func:`numeric.backends.flint_loop._kernel`; call inside
    ``flint_precision`` (the constants are rounded at the precision in force).

    Where ball arithmetic gives a non-finite ``U`` at a finite ``G`` (``1/0`` is an infinite ball in
    flint, an exception in mpmath), that step is evaluated by the mpmath preconditioner instead, so
    the outcome (a number, or mpmath's error) is the mpmath loop's, never a made-up divergence."""
    f, needs_fro = _user_kernel(xp, pre)
    ctx = xp.ctx
    d, k = xp.problem.d, xp.problem.k
    ones_d, ones_k = _arb_mat(1, d, [1] * d), _arb_mat(k, 1, [1] * k)

    def finite(M) -> bool:
        """Every entry of the d x k ball matrix ``M`` finite: their sum is (arb has no overflow, and a
        non-finite ball makes every sum it enters non-finite); two small products, not ``M^T M``."""
        return (ones_d * M * ones_k)[0, 0].is_finite()

    def checked(G, gf, nat):
        U, gn, un = f(G, gf, nat)
        if not finite(U) and finite(G):
            mk = ctx.make_mpf
            e = G.entries()
            cols = pre.grad(ctx, [[mk(e[i * k + j]._mpf_) for i in range(d)] for j in range(k)])
            U = _arb_mat(d, k, [_arb(cols[j][i]) for i in range(d) for j in range(k)])
            un = None
        return U, gn, un
    return checked, needs_fro


def _user_kernel(xp, pre) -> tuple[Callable, bool]:
    cg = pre.extra["compiled"]
    d, k = xp.problem.d, xp.problem.k
    A = _arb_mat
    if cg.structure == "entrywise":
        fp = cg.d_pos.node(FLINT)
        fn = cg.d_neg.node(FLINT) if cg.d_neg is not cg.d_pos else None

        if fn is None:  # k even: k'(-g) = -k'(g)
            def entrywise(G, gf, nat):
                g = G.entries()
                U = A(d, k, [fp((x,)) if x >= 0 else -fp((-x,)) for x in g]).mid()
                return U, (_max_abs(g) if nat else None), None
        else:
            def entrywise(G, gf, nat):
                g = G.entries()
                U = A(d, k, [fp((x,)) if x >= 0 else -fn((-x,)) for x in g]).mid()
                return U, (_max_abs(g) if nat else None), None
        return entrywise, False
    if cg.structure in ("isotropic", "spectral"):
        q = cg.q.node(FLINT)
        q0 = _arb(_fmpq(cg.q0.numerator, cg.q0.denominator)) if cg.q0 is not None else _arb(0)

        def weight(s):
            return q((s,)).mid() if s != 0 else q0
        if cg.structure == "isotropic":
            def isotropic(G, gf, nat):
                s = weight(gf)
                return (G * s).mid(), gf, (abs(s) * gf).mid()
            return isotropic, True
        ctx = xp.ctx

        def weights(sig):
            return [weight(s) for s in sig]

        def spectral(G, gf, nat):
            C, smax = spectral_factor(ctx, G, k, weights, gf)
            return (G * C).mid(), (smax if nat else None), None
        return spectral, k == 1
    nodes = [g.node(FLINT) for row in cg.grads for g in row]  # row-major, the order of entries()

    def general(G, gf, nat):
        a = tuple(G.entries())
        return A(d, k, [f(a) for f in nodes]).mid(), None, None
    return general, False
