"""The immutable :class:`Preconditioner` record used by the DSPGD loop.

A preconditioner is ``grad K`` for a convex ``K`` on ``R^{d x k}``.  Besides the map the
record carries what the theorems need (docs/theory.md §2 and §3.1):

* ``L``: the global smoothness constant (sup of the Hessian's largest eigenvalue);
* ``mu(ctx, rho)``: a lower bound on the Hessian's smallest eigenvalue on the ball of
  radius ``rho`` in the structure's natural norm (max-entry for entrywise K, Frobenius
  for isotropic K, spectral for spectral K); natural norms are all ``<= ||.||_F``, so the
  same value bounds the Hessian on the Frobenius ball of radius ``rho`` too;
* ``L_ball(ctx, rho)`` (optional): the sup of the Hessian on the natural ball of radius rho,
  for K whose gradient is only locally Lipschitz (``L = inf``; docs/theory.md §3.1);
* ``isotropic`` (``K = h(||G||_F)``) and ``left_invariant`` (``K(QG) = K(G)`` for
  orthogonal Q, the row-space class of docs/theory.md §3.2), decided by structure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping

NATURAL_NORMS = ("max", "fro", "spectral")


@dataclass(frozen=True)
class Preconditioner:
    """``grad K`` with its structure and constants; build with a catalogue factory."""

    name: str
    params: Mapping[str, Fraction]
    structure: str
    grad: Callable  # (ctx, cols) -> cols
    value: Callable  # (ctx, cols) -> mpf, K(G) with K(0) = 0
    L: Callable  # (ctx) -> mpf
    mu: Callable  # (ctx, rho) -> mpf, lower Hessian bound on the natural ball of radius rho
    natural_norm: str
    isotropic: bool
    left_invariant: bool
    formula: str = ""
    grad_formula: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)
    L_ball: Callable | None = None  # (ctx, rho) -> sup of the Hessian on the natural ball of radius rho

    def smoothness(self, ctx, rho=None):
        """``L`` on the natural ball of radius ``rho`` (the global L when finite or no ball given)."""
        L = self.L(ctx)
        if self.L_ball is not None and rho is not None and ctx.isfinite(rho):
            local = self.L_ball(ctx, rho)
            return min(L, local) if ctx.isfinite(L) else local
        return L

    def describe(self) -> dict:
        return {"name": self.name, "params": {k: _fraction_str(v) for k, v in self.params.items()},
                "structure": self.structure, "K": self.formula, "gradK": self.grad_formula,
                "isotropic": self.isotropic, "row_space_preserving": self.left_invariant}


def _fraction_str(v) -> str:
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        # finite decimal when possible
        den = v.denominator
        twos = fives = 0
        while den % 2 == 0:
            den //= 2
            twos += 1
        while den % 5 == 0:
            den //= 5
            fives += 1
        if den == 1:
            digits = max(twos, fives)
            scaled = v * 10**digits
            s = str(abs(scaled.numerator)).rjust(digits + 1, "0")
            out = s[:-digits] + "." + s[-digits:] if digits else s
            return ("-" if v < 0 else "") + out
        return f"{v.numerator}/{v.denominator}"
    return str(v)
