"""J3', the angle bound for entrywise K, free of eps (docs/theory.md §4.3, docs/derivations.md §4.3).

    K(G) = sum_ij k(g_ij), k even and convex  =>  <grad K(G), G> >= ||grad K(G)|| ||G|| / sqrt(dk).

Proof: with ``a = |vec G|`` and ``b = |vec grad K(G)| = k'(a)`` (k' odd and nondecreasing), a and b
are similarly ordered and ``<grad K(G), G> = <a, b>``; for similarly ordered nonnegative vectors
of length p, ``||a|| ||b|| <= sqrt(p) <a, b>`` (layer-cake decomposition).

Step (numeric): at 50 digits (20 guard digits) on random d x k matrices (3 x 2) at scales 1e-2
to 10, dense and spiky (one large entry, the rest small: the near-extremal case), for the
context's K when it is entrywise with an even profile, otherwise for the catalogue's entrywise
K: ``adam``, ``sign``, ``clipv`` (default parameters).  Reported: the worst ratio
``||grad K(G)|| ||G|| / (sqrt(dk) <grad K(G), G>)`` (<= 1).
"""
from __future__ import annotations

import random

from numeric.preconditioners.catalog import make_preconditioner
from numeric.matrices import inner
from numeric.precision import working_precision
from symbolic.structures import ProfileK

from ..core import Evidence, Result, Step
from .i10 import TOL_DIGITS, context_shape
from .j1 import GUARD, ratio_evidence, sample_matrices, to_list

CATALOGUE_ENTRYWISE = ("adam", "sign", "clipv")


def entrywise_even(context) -> bool:
    """Is the context's K entrywise with an even profile (the hypothesis of J3')?"""
    pre, sym = context.preconditioner, context.symbolic
    return (pre is not None and pre.structure == "entrywise" and isinstance(sym, ProfileK)
            and sym.structure == "entrywise" and sym.f_neg is None)


def _numeric(context) -> Evidence:
    if entrywise_even(context):
        pres = [context.preconditioner]
    else:
        pres = [make_preconditioner(name, {}, shape=(3, 2)) for name in CATALOGUE_ENTRYWISE]
    per = max(10, 5 * context.examples // len(pres))
    worst, where, n = None, {}, 0
    with working_precision(context.dps + GUARD) as ctx:
        for pre in pres:
            d, k = context_shape(pre)
            root = ctx.sqrt(d * k)
            rng = random.Random(f"{context.seed}:J3p:{pre.name}")
            for G in sample_matrices(ctx, rng, (d, k), per):
                U = pre.grad(ctx, G)
                ug = inner(ctx, U, G)
                nu = ctx.sqrt(inner(ctx, U, U))
                ng = ctx.sqrt(inner(ctx, G, G))
                ratio = nu * ng / (root * ug) if ug > 0 else (ctx.inf if nu > 0 else ctx.zero)
                n += 1
                if worst is None or ratio > worst:
                    worst, where = ratio, {"preconditioner": pre.name, "G": to_list(G), "<U, G>": str(ug)}
    names = ", ".join(p.name for p in pres)
    return ratio_evidence(worst, TOL_DIGITS, context.dps,
                          f"||grad K(G)|| ||G|| / (sqrt(dk) <grad K(G), G>) for {names}", n, where)


RESULT = Result(
    id="J3'",
    title="eps-free angle bound for entrywise K",
    latex=r"\langle \nabla K(G), G\rangle \ge \frac{\|\nabla K(G)\|\,\|G\|}{\sqrt{dk}}",
    text="entrywise K (k even, convex): <grad K(G), G> >= ||grad K(G)|| ||G|| / sqrt(dk)",
    hypotheses=("K(G) = sum_ij k(g_ij) with k even, convex and differentiable", "G in R^{d x k}"),
    steps=(Step("50 digits on random G for the context's K if entrywise, else adam, sign, clipv", "numeric",
                _numeric),),
    per_preconditioner=True,
)
