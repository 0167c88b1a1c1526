"""I1, the Fenchel-Young equality (docs/theory.md §4.2).

    K(G) + K*(grad K(G)) = <G, grad K(G)>

for every convex differentiable K.  Steps: (1) the one-variable form for the profile of the
context's K, ``h(r) + h*(h'(r)) = r h'(r)``, proved symbolically with the closed-form conjugate
(:func:`symbolic.bregman.conjugate_profile`); (2) the matrix form at 50 digits on random G,
with K* evaluated structure-wise (entrywise sum, isotropic ``h*(||U||)``, spectral sum over
singular values) from the numeric conjugate.
"""
from __future__ import annotations

import random

import sympy as sp

from symbolic.bregman import Y, conjugate_profile, numeric_conjugate
from symbolic.structures import ProfileK

from ..core import Evidence, Result, Step, exact_rational, numeric_evidence


def _profile(context):
    sym = context.symbolic
    return sym if isinstance(sym, ProfileK) else None


def _one_variable(context) -> Evidence:
    prof = _profile(context)
    if prof is None:
        return Evidence("unknown", "the context's K has no one-variable profile")
    x = prof.x
    conj = conjugate_profile(prof.f, x)
    if conj is None:
        return Evidence("unknown", f"no closed-form conjugate of {prof.f}")
    f1 = sp.diff(prof.f, x)
    lhs = prof.f + conj.fstar.subs(Y, f1)
    diff = sp.simplify(lhs - x * f1)
    if diff == 0:
        return Evidence("proved", f"h(r) + h*(h'(r)) - r h'(r) simplifies to 0 with h* = {conj.fstar}")
    for r in (sp.Rational(1, 3), sp.Integer(2)):
        val = sp.N(diff.subs(x, r), 50)
        if abs(val) > sp.Rational(1, 10**40):
            return Evidence("failed", f"h(r) + h*(h'(r)) - r h'(r) = {sp.N(val, 10)} at r = {r}",
                            counterexample={"r": str(r), "value": str(sp.N(val, 20))})
    return Evidence("unknown", "could not simplify; no counterexample at two points")


def _matrix_form(context) -> Evidence:
    prof = _profile(context)
    pre = context.preconditioner
    if prof is None:
        return Evidence("unknown", "the context's K has no one-variable profile")
    from numeric.matrices import fro_norm, singular_values
    from numeric.precision import working_precision
    rng = random.Random(context.seed)
    worst = None
    with working_precision(context.dps) as ctx:
        for _ in range(max(3, context.examples // 4)):
            G = [[ctx.mpf(rng.uniform(-2, 2)) for _ in range(3)] for _ in range(2)]
            U = pre.grad(ctx, G)
            if prof.structure == "entrywise":
                kstar = sum(_conj(prof, abs(u), ctx) for c in U for u in c)
            elif prof.structure == "isotropic":
                kstar = _conj(prof, fro_norm(ctx, U), ctx)
            else:
                kstar = sum(_conj(prof, s, ctx) for s in singular_values(ctx, U))
            lhs = pre.value(ctx, G) + kstar
            rhs = ctx.fsum(ctx.fdot(a, b) for a, b in zip(G, U))
            dev = abs(lhs - rhs)
            worst = dev if worst is None else max(worst, dev)
        return numeric_evidence(worst, ctx.mpf(10) ** (10 - context.dps), "K(G) + K*(U) - <G, U>",
                                max(3, context.examples // 4))


def _conj(prof, y, ctx):
    """``h*(y)`` at 50+ digits (the exact binary value of ``y`` is passed as a rational)."""
    v = numeric_conjugate(prof.f, prof.x, exact_rational(y), dps=ctx.dps + 10)
    return ctx.mpf(str(sp.N(v, ctx.dps + 10)))


RESULT = Result(
    id="I1",
    title="Fenchel-Young equality",
    latex=r"K(G) + K^*(\nabla K(G)) = \langle G, \nabla K(G) \rangle",
    text="K(G) + K*(grad K(G)) = <G, grad K(G)>",
    hypotheses=("K convex and differentiable",),
    steps=(Step("one-variable form h(r) + h*(h'(r)) = r h'(r) for the profile", "symbolic", _one_variable),
           Step("matrix form at 50 digits on random G", "numeric", _matrix_form)),
    per_preconditioner=True,
)
