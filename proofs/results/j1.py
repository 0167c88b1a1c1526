"""J1, two-sided quadratic bounds on the Bregman divergence of K (docs/theory.md §4.3, docs/derivations.md §4.3).

    (mu/2) ||G - G'||^2  <=  D_K(G, G')  <=  (L/2) ||G - G'||^2,

``D_K(G, G') = K(G) - K(G') - <grad K(G'), G - G'>``, with L the smoothness constant of K and
mu a lower bound on the Hessian of K on the segment [G', G].

Proof: ``D_K(G, G') = int_0^1 (1 - s) <Delta, Hess K(G' + s Delta) Delta> ds`` with
``Delta = G - G'`` and ``int_0^1 (1 - s) ds = 1/2``.

Step (numeric): at 50 digits (computed with 20 guard digits) for the context's K on random
pairs of d x k matrices (the context's shape, 3 x 2) whose entries span several scales around
K's own (1e-2 to 10), half of them close pairs ``G' = G + small``; ``L = pre.L`` (the L on the
natural ball when K is only locally smooth) and ``mu = pre.mu(rho)`` with
``rho = max(||G||, ||G'||)`` in K's natural norm (the natural ball is convex, so it contains the
segment).  The worst ratio ``max(D_K / ((L/2)||G - G'||^2), (mu/2)||G - G'||^2 / D_K)`` is
reported; it is <= 1 exactly when both bounds hold (= 1 for GD).

This module also holds the sampler :func:`sample_matrices` and :func:`ratio_evidence` that J2,
J3 and J3' reuse.
"""
from __future__ import annotations

import random

from numeric.backends.mpmath_loop import natural_norm
from numeric.matrices import fro_norm, inner
from numeric.precision import working_precision

from ..core import Evidence, Result, Step
from .i10 import TOL_DIGITS, context_shape

GUARD = 20  # guard digits for the pair checks (D_K of close pairs cancels digits)


def sample_matrices(ctx, rng: random.Random, shape, count: int):
    """``count`` random ``d x k`` matrices (column-major mpf lists), nonzero, at mixed scales:
    dense ones with entries ``10^u * uniform(-1, 1)``, ``u`` uniform in [-2, 1], and spiky ones
    (one large entry, the rest small) that approach the extreme cases of J3'."""
    d, k = shape
    out = []
    while len(out) < count:
        scale = 10 ** rng.uniform(-2, 1)
        if rng.random() < 0.25:
            small = scale * 10 ** rng.uniform(-3, -0.5)
            M = [[ctx.mpf(rng.uniform(-1, 1)) * small for _ in range(d)] for _ in range(k)]
            M[rng.randrange(k)][rng.randrange(d)] = ctx.mpf(rng.choice((-1, 1)) * scale)
        else:
            M = [[ctx.mpf(rng.uniform(-1, 1)) * scale for _ in range(d)] for _ in range(k)]
        if fro_norm(ctx, M) > 0:
            out.append(M)
    return out


def sample_pairs(ctx, rng: random.Random, shape, count: int):
    """``count`` pairs ``(G, G')``: independent, or ``G' = G + Delta`` with a relatively small Delta."""
    pairs = []
    for G in sample_matrices(ctx, rng, shape, count):
        if rng.random() < 0.5:
            H = sample_matrices(ctx, rng, shape, 1)[0]
        else:
            rel = 10 ** rng.uniform(-3, -0.5) * fro_norm(ctx, G)
            D = sample_matrices(ctx, rng, shape, 1)[0]
            s = rel / fro_norm(ctx, D)
            H = [[g + s * x for g, x in zip(gc, dc)] for gc, dc in zip(G, D)]
        pairs.append((G, H))
    return pairs


def to_list(M) -> list:
    """A column-major matrix as nested lists of 25-digit strings (for counterexamples)."""
    import mpmath
    return [[mpmath.nstr(x, 25) for x in c] for c in M]


def ratio_evidence(worst, tol_digits: int, dps: int, what: str, count: int, where: dict) -> Evidence:
    """``verified`` when the worst ratio is ``<= 1 + 10^(tol_digits - dps)``, else ``failed`` at ``where``."""
    if worst is None or count == 0:
        return Evidence("unknown", f"{what}: no instance evaluated")
    with working_precision(dps) as ctx:
        bad = worst > 1 + ctx.mpf(10) ** (tol_digits - dps)
        shown = ctx.nstr(worst, 12)
    text = (f"{what}: worst ratio {shown} over {count} instances "
            f"(<= 1 when the inequality holds; allowed 1 + 1e{tol_digits - dps})")
    if bad:
        return Evidence("failed", text, shown, where)
    return Evidence("verified", text, shown)


def _numeric(context) -> Evidence:
    pre = context.preconditioner
    shape = context_shape(pre)
    rng = random.Random(f"{context.seed}:J1:{pre.name}")
    count = 5 * context.examples
    worst, where, n = None, {}, 0
    with working_precision(context.dps + GUARD) as ctx:
        for G, H in sample_pairs(ctx, rng, shape, count):
            rho = max(natural_norm(ctx, pre.natural_norm, G), natural_norm(ctx, pre.natural_norm, H))
            L = pre.smoothness(ctx, rho)
            mu = pre.mu(ctx, rho)
            delta = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(G, H)]
            sq = inner(ctx, delta, delta)
            D = pre.value(ctx, G) - pre.value(ctx, H) - inner(ctx, pre.grad(ctx, H), delta)
            upper = D / (L / 2 * sq) if ctx.isfinite(L) else ctx.zero
            lower = (mu / 2 * sq) / D if D > 0 else (ctx.inf if mu > 0 else ctx.zero)
            ratio = max(upper, lower)
            n += 1
            if worst is None or ratio > worst:
                worst = ratio
                where = {"G": to_list(G), "G'": to_list(H), "D_K": str(D), "L": str(L), "mu": str(mu),
                         "upper ratio": str(upper), "lower ratio": str(lower)}
    return ratio_evidence(worst, TOL_DIGITS, context.dps,
                          f"max(D_K/((L/2)||G-G'||^2), (mu/2)||G-G'||^2/D_K) for {pre.name}", n, where)


RESULT = Result(
    id="J1",
    title="quadratic bounds on the Bregman divergence",
    latex=r"\tfrac{\mu}{2}\|G - G'\|^2 \le D_K(G, G') \le \tfrac{L}{2}\|G - G'\|^2",
    text="(mu/2)||G - G'||^2 <= D_K(G, G') <= (L/2)||G - G'||^2",
    hypotheses=("K convex, C^1 with L-Lipschitz gradient", "Hessian of K >= mu on the segment [G', G]"),
    steps=(Step("50 digits on random pairs for the context's K (mu on the natural ball of radius max(||G||, ||G'||))",
                "numeric", _numeric),),
    per_preconditioner=True,
)
