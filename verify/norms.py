"""Matrix norms of the characterizations, their duals, and Frobenius equivalence constants.

=============  ===========================  ==================  ======================
name           N(A)                         dual N_*(A)         sup N(A)/||A||_F
=============  ===========================  ==================  ======================
``fro``        ``||A||_F``                  ``||A||_F``         1
``l1``         ``sum |a_ij|``               ``max |a_ij|``      ``sqrt(dk)``
``linf``       ``max |a_ij|``               ``sum |a_ij|``      1
``spectral``   ``sigma_max(A)``             ``sum sigma_i(A)``  1
``nuclear``    ``sum sigma_i(A)``           ``sigma_max(A)``    ``sqrt(min(d, k))``
=============  ===========================  ==================  ======================

(The H^{-1}-weighted norm of the ``quadratic`` preconditioner has a closed-form minimizer
and is handled in :mod:`verify.characterization`.)  All values at the working precision.
"""
from __future__ import annotations

import math

from numeric.matrices import Cols, entry_l1, fro_norm, max_abs, singular_values

NORMS = ("fro", "l1", "linf", "spectral", "nuclear", "hinv")
DUAL = {"fro": "fro", "l1": "linf", "linf": "l1", "spectral": "nuclear", "nuclear": "spectral"}


def norm(ctx, name: str, a: Cols):
    """``N(A)`` at the precision of ``ctx``."""
    if name == "fro":
        return fro_norm(ctx, a)
    if name == "l1":
        return entry_l1(ctx, a)
    if name == "linf":
        return max_abs(ctx, a)
    sv = singular_values(ctx, a)
    if name == "spectral":
        return sv[0] if sv else ctx.zero
    if name == "nuclear":
        return ctx.fsum(sv)
    raise ValueError(f"no high-precision evaluator for norm {name!r}")


def dual_norm(ctx, name: str, a: Cols):
    """``N_*(A) = sup {<A, B> : N(B) <= 1}``."""
    return norm(ctx, DUAL[name], a)


def fro_equivalence(name: str, d: int, k: int) -> float:
    """``sup_A N(A)/||A||_F``: turns a Frobenius error bound into an error bound on ``N``."""
    return {"fro": 1.0, "l1": math.sqrt(d * k), "linf": 1.0, "spectral": 1.0,
            "nuclear": math.sqrt(min(d, k))}[name]
