"""I4, the symmetrized Bregman divergence (docs/theory.md §4.2).

    D_K(G, G') + D_K(G', G) = <grad K(G) - grad K(G'), G - G'>

for every differentiable K.  Proof: expand both divergences; K(G) and K(G') cancel and the two
inner products combine.  Checked symbolically with K an undefined function of the entries of
2 x 2 matrices (``DEFAULT_REGISTRY`` identity "I4"), so it holds for every such K.

:func:`check_registered` (also used by I8 and I9) runs a registered identity through
:func:`symbolic.identities.prove_identity`; ``rhs_transform`` deliberately alters the right-hand
side, which the tests use to show that the same check fails on a false identity.
"""
from __future__ import annotations

from symbolic.identities import DEFAULT_REGISTRY, prove_identity

from ..core import Evidence, Result, Step, from_fact


def check_registered(name: str, rhs_transform=None, concrete: dict | None = None, **build) -> Evidence:
    """``DEFAULT_REGISTRY`` identity ``name`` built with ``build`` and proved (as ``.check`` does).

    ``rhs_transform(rhs)`` replaces the right-hand side (to exhibit a failure); ``concrete``
    substitutes a test function for the undefined K so the numeric search can run.
    """
    if rhs_transform is None and concrete is None:
        return from_fact(DEFAULT_REGISTRY.check(name, **build))
    item = DEFAULT_REGISTRY[name]
    lhs, rhs = item.lhs_builder(**build), item.rhs_builder(**build)
    if rhs_transform is not None:
        rhs = rhs_transform(rhs)
    return from_fact(prove_identity(name, lhs, rhs, hypotheses=item.hypotheses, statement=item.statement or None,
                                    concrete=concrete))


def _symbolic(context) -> Evidence:
    return check_registered("I4", shape=(2, 2))


RESULT = Result(
    id="I4",
    title="symmetrized Bregman divergence",
    latex=r"D_K(G,G') + D_K(G',G) = \langle \nabla K(G) - \nabla K(G'), G - G' \rangle",
    text="D_K(G, G') + D_K(G', G) = <grad K(G) - grad K(G'), G - G'>",
    hypotheses=("K differentiable",),
    steps=(Step("expand both divergences for a generic K (2 x 2)", "symbolic", _symbolic),),
)
