"""I6b, the symmetrized loss divergence (docs/theory.md §4.2).

    <R' - R, grad l(R') - grad l(R)> = D_l(R', R) + D_l(R, R')

for every differentiable loss l on R^{n x k}.  It turns the middle term of the gradient-space
descent identity I6 into a sum of two Bregman divergences of l (hence >= 0 for convex l).
Proof: expand D_l(R', R) + D_l(R, R') = -<grad l(R), R' - R> - <grad l(R'), R - R'>.

Checked symbolically with l an undefined function of the entries of 2 x 2 residuals R, R'
(real symbols), so it holds for every differentiable l of that shape.
"""
from __future__ import annotations

from symbolic.bregman import bregman, grad, inner, symbol_matrix, undefined_K
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact

SHAPE = (2, 2)


def sides(shape=SHAPE, l=None):
    """``(lhs, rhs, l)``: both sides for the loss ``l`` (default: undefined, of the entries)."""
    l = l if l is not None else undefined_K(shape, "l")
    R, R2 = symbol_matrix("r", shape), symbol_matrix("s", shape)
    lhs = inner(R2 - R, grad(l, R2) - grad(l, R))
    rhs = bregman(l, R2, R) + bregman(l, R, R2)
    return lhs, rhs, l


def check(rhs_transform=None, concrete=None) -> Evidence:
    """Prove I6b (``rhs_transform`` alters the right-hand side; ``concrete`` gives l a test value)."""
    lhs, rhs, l = sides()
    if rhs_transform is not None:
        rhs = rhs_transform(rhs)
    conc = l.concrete(concrete) if concrete is not None else None
    return from_fact(prove_identity("I6b", lhs, rhs, hypotheses="l differentiable", concrete=conc,
                                    statement="<R' - R, grad l(R') - grad l(R)> = D_l(R', R) + D_l(R, R')"))


def _symbolic(context) -> Evidence:
    return check()


RESULT = Result(
    id="I6b",
    title="symmetrized loss divergence",
    latex=r"\langle R' - R, \nabla \ell(R') - \nabla \ell(R) \rangle = D_\ell(R', R) + D_\ell(R, R')",
    text="<R' - R, grad l(R') - grad l(R)> = D_l(R', R) + D_l(R, R')",
    hypotheses=("l differentiable",),
    steps=(Step("expand both divergences for a generic loss l (undefined function, 2 x 2)", "symbolic", _symbolic),),
)
