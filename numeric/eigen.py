"""Rigorous bounds on the extreme eigenvalues of a symmetric matrix (python-flint when installed).

:func:`extreme_eigenvalues` returns ``(lo, hi)`` with ``lo <= lambda_min`` and
``hi >= lambda_max``: with python-flint, ``acb_mat.eig`` encloses every eigenvalue in a ball
at ``ctx.prec + 30`` bits, and ``lo``/``hi`` are the balls' outer endpoints rounded outward to
``ctx`` (so they are certified bounds, off from the true values by about ``2^-prec`` relative).
Without python-flint, or when the enclosures are not tight (clustered eigenvalues that ``eig``
cannot isolate), mpmath's ``eigsy`` (Jacobi rotations, floating point at ``ctx.prec``) gives the
values, as before this module existed.  Used by the quadratic K's ``L`` and ``mu`` (48 x 48 H on
the headline) and by the exact problem's ``sigma_min``, ``sigma_max``.
"""
from __future__ import annotations

from mpmath.libmp import mpf_pos

from .flint_context import flint_available, flint_precision

GUARD_BITS = 30


def extreme_eigenvalues(ctx, rows) -> tuple:
    """``(lo, hi)`` bounding the spectrum of the symmetric matrix ``rows`` (rows of mpf of ``ctx``
    or of python-flint ``arb`` balls, or an ``arb_mat``); see the module docstring."""
    if flint_available():
        out = _flint_bounds(ctx, rows)
        if out is not None:
            return out
    if hasattr(rows, "nrows"):  # an arb_mat
        rows = [[rows[i, j] for j in range(rows.ncols())] for i in range(rows.nrows())]
    m = ctx.matrix([[_to_mpf(ctx, v) for v in r] for r in rows])
    lam = ctx.eigsy(m, eigvals_only=True)
    vals = [lam[i] for i in range(len(rows))]
    return min(vals), max(vals)


def _to_mpf(ctx, v):
    return v if isinstance(v, ctx.mpf) else ctx.make_mpf(v.mid()._mpf_)


def _flint_bounds(ctx, rows):
    from flint import acb_mat, arb, arb_mat
    with flint_precision(ctx.prec + GUARD_BITS):
        M = rows if isinstance(rows, arb_mat) else arb_mat([[v if isinstance(v, arb) else arb(v) for v in r] for r in rows])
        try:
            eig = acb_mat(M).eig()
        except (ValueError, ZeroDivisionError):
            return None
        lam = [e.real for e in eig]
        if not lam or not all(x.is_finite() for x in lam):
            return None
        top = max(abs(x.mid()) for x in lam)
        if any(x.rad() > top * 2 ** -(ctx.prec + 4) for x in lam):
            return None
        lo = min(x.lower() for x in lam)
        hi = max(x.upper() for x in lam)
    return ctx.make_mpf(mpf_pos(lo._mpf_, ctx.prec, "f")), ctx.make_mpf(mpf_pos(hi._mpf_, ctx.prec, "c"))
