"""I3, the three-point identity of Bregman divergences (docs/theory.md §4.2).

    D_K(A, B) + D_K(B, C) - D_K(A, C) = <grad K(C) - grad K(B), A - B>

for every differentiable K.  Proof: expand the definitions; the K values cancel in pairs.
Checked symbolically with K an undefined function of the entries of 2 x 2 matrices.
"""
from __future__ import annotations

from symbolic.identities import DEFAULT_REGISTRY

from ..core import Evidence, Result, Step, from_fact


def _symbolic(context) -> Evidence:
    return from_fact(DEFAULT_REGISTRY.check("I3", shape=(2, 2)))


RESULT = Result(
    id="I3",
    title="three-point identity",
    latex=r"D_K(A,B) + D_K(B,C) - D_K(A,C) = \langle \nabla K(C) - \nabla K(B), A - B \rangle",
    text="D_K(A,B) + D_K(B,C) - D_K(A,C) = <grad K(C) - grad K(B), A - B>",
    hypotheses=("K differentiable",),
    steps=(Step("expand the three divergences for a generic K (2 x 2)", "symbolic", _symbolic),),
)
