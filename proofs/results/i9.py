"""I9, divergences to and from the minimizer G = 0 (docs/theory.md §4.2, docs/derivations.md §4.1 (B1)).

    D_K(G, 0) = K(G),        D_K(0, G) = K*(grad K(G))

for convex differentiable K with K(0) = 0 and grad K(0) = 0.  Proof: D_K(G, 0) =
K(G) - K(0) - <grad K(0), G> = K(G); D_K(0, G) = K(0) - K(G) + <grad K(G), G> = K*(grad K(G))
by the Fenchel-Young equality (I1).  Summing the two gives <G, grad K(G)>, the first-order
decrease of one DSPGD step.

Steps: (1) the first half, symbolic for a generic K (undefined function of a 2 x 2 matrix,
normalized by K(0) = 0 and grad K(0) = 0; ``DEFAULT_REGISTRY`` identity "I9a"); (2) the second
half from I1, symbolic for a generic K and K*; (3) both normalizations and the second half at
50 digits for the context's K on random G (norms around the scale of K; ``||G|| > c`` included
for clipping), K* structure-wise from the closed-form profile conjugate (as in I1).
"""
from __future__ import annotations

import sympy as sp

from symbolic.bregman import bregman, grad, symbol_matrix, undefined_K, zero_normalization
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact
from .i2a import NO_CONJUGATE, conjugate_of, fenchel_young, norms_info, numeric_identity
from .i4 import check_registered


def _first_half(context) -> Evidence:
    return check_registered("I9a", shape=(2, 2))


def generic_second_half(shape=(2, 2)):
    """``D_K(0, G)`` (normalized, with I1 at G) and ``K*(grad K(G))`` for undefined K, K*."""
    K = undefined_K(shape)
    Kstar = sp.Function("Kstar", real=True)
    G = symbol_matrix("g", shape)
    U = grad(K, G)
    D = bregman(K, sp.zeros(*shape), G).subs(zero_normalization(K, shape))  # -K(G) + <U, G>
    lhs = fenchel_young(sp.expand(D), K, Kstar, (G,))  # I1: K(G) = <G, U> - K*(U), the value term only
    return lhs, Kstar(*U)


def _second_half(context) -> Evidence:
    lhs, rhs = generic_second_half()
    return from_fact(prove_identity("I9b", lhs, rhs, hypotheses="K(0) = 0, grad K(0) = 0, I1 at G",
                                    statement="D_K(0, G) = K*(grad K(G))"))


def numeric_check(context, conj=None) -> Evidence:
    """K(0) = 0, grad K(0) = 0 and D_K(0, G) = K*(grad K(G)) at 50 digits (``conj`` overrides K*)."""
    pre = context.preconditioner
    conj = conj if conj is not None else conjugate_of(context)
    if conj is None:
        return NO_CONJUGATE
    from numeric.matrices import inner as minner
    from numeric.precision import working_precision
    with working_precision(context.dps) as ctx:
        d, k = 3, 2
        Z = [[ctx.zero] * d for _ in range(k)]
        k0, g0 = pre.value(ctx, Z), pre.grad(ctx, Z)
        if k0 != 0 or any(v != 0 for c in g0 for v in c):
            return Evidence("failed", f"hypothesis fails: K(0) = {ctx.nstr(k0, 10)}, grad K(0) = "
                            f"{[[ctx.nstr(v, 10) for v in c] for c in g0]}", None,
                            {"K(0)": ctx.nstr(k0, 20), "grad K(0)": str([[ctx.nstr(v, 20) for v in c] for c in g0])})

    def sides(ctx, G, H):
        Z = [[ctx.zero] * len(G[0]) for _ in G]
        U = pre.grad(ctx, G)
        lhs = pre.value(ctx, Z) - pre.value(ctx, G) - minner(ctx, U, [[-v for v in c] for c in G])
        info = norms_info(ctx, G, H)
        info.pop("||G'||")
        return lhs, conj.value(ctx, U), info

    ev = numeric_identity(context, f"D_K(0, G) - K*(grad K(G)) for {context.name}", sides, salt=9)
    return Evidence(ev.status, "K(0) = 0 and grad K(0) = 0 exactly; " + ev.detail + f"; {conj.text}", ev.worst,
                    ev.counterexample)


RESULT = Result(
    id="I9",
    title="divergences to and from zero",
    latex=r"D_K(G, 0) = K(G),\qquad D_K(0, G) = K^*(\nabla K(G)) \quad (K(0) = 0,\ \nabla K(0) = 0)",
    text="D_K(G, 0) = K(G) and D_K(0, G) = K*(grad K(G)) [K(0) = 0, grad K(0) = 0]",
    hypotheses=("K convex and differentiable", "K(0) = 0", "grad K(0) = 0"),
    steps=(Step("D_K(G, 0) = K(G) for a generic K normalized at 0 (2 x 2)", "symbolic", _first_half),
           Step("D_K(0, G) = K*(grad K(G)) from I1, generic K and K* (2 x 2)", "symbolic", _second_half),
           Step("50 digits for the context's K: normalizations at 0 and D_K(0, G) = K*(grad K(G)) on random G",
                "numeric", numeric_check)),
    per_preconditioner=True,
)
