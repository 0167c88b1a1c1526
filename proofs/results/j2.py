"""J2, co-coercivity of grad K at the origin (docs/theory.md §4.3, docs/derivations.md §4.3).

    ||grad K(G)||^2 <= L <grad K(G), G>

for K convex with L-Lipschitz gradient and ``grad K(0) = 0`` (the co-coercivity inequality
``||grad K(A) - grad K(B)||^2 <= L <grad K(A) - grad K(B), A - B>`` at ``B = 0``).

Step (numeric): at 50 digits (20 guard digits) for the context's K on random d x k matrices
(the context's shape, 3 x 2) spanning scales 1e-2 to 10, dense and spiky; L = ``pre.L`` (the L
on the natural ball of radius ||G|| when K is only locally smooth: the segment [0, G] lies in
it).  Reported: the worst ratio ``||grad K(G)||^2 / (L <grad K(G), G>)`` (<= 1; = 1 for GD).
"""
from __future__ import annotations

import random

from numeric.backends.mpmath_loop import natural_norm
from numeric.matrices import inner
from numeric.precision import working_precision

from ..core import Evidence, Result, Step
from .i10 import TOL_DIGITS, context_shape
from .j1 import GUARD, ratio_evidence, sample_matrices, to_list


def _numeric(context) -> Evidence:
    pre = context.preconditioner
    rng = random.Random(f"{context.seed}:J2:{pre.name}")
    worst, where, n = None, {}, 0
    with working_precision(context.dps + GUARD) as ctx:
        for G in sample_matrices(ctx, rng, context_shape(pre), 5 * context.examples):
            L = pre.smoothness(ctx, natural_norm(ctx, pre.natural_norm, G))
            if not ctx.isfinite(L):
                continue
            U = pre.grad(ctx, G)
            ug = inner(ctx, U, G)
            uu = inner(ctx, U, U)
            ratio = uu / (L * ug) if ug > 0 else (ctx.inf if uu > 0 else ctx.zero)
            n += 1
            if worst is None or ratio > worst:
                worst, where = ratio, {"G": to_list(G), "L": str(L), "||U||^2": str(uu), "<U, G>": str(ug)}
    return ratio_evidence(worst, TOL_DIGITS, context.dps, f"||grad K(G)||^2 / (L <grad K(G), G>) for {pre.name}",
                          n, where)


RESULT = Result(
    id="J2",
    title="co-coercivity at the origin",
    latex=r"\|\nabla K(G)\|^2 \le L\,\langle \nabla K(G), G\rangle",
    text="||grad K(G)||^2 <= L <grad K(G), G>",
    hypotheses=("K convex with L-Lipschitz gradient", "grad K(0) = 0"),
    steps=(Step("50 digits on random G for the context's K", "numeric", _numeric),),
    per_preconditioner=True,
)
