"""I11, no null-space drift for left-invariant K (docs/theory.md §3.2, §4.2; docs/derivations.md §4.2, Theorem 6.2).

    K(QG) = K(G) for every orthogonal Q  =>  P_perp (W_T - W_0) = 0 for every T,

i.e. ``W_T = W_0 + X^+ (R_T - R_0)`` along every DSPGD run (P the column-wise projector onto
range(X^T), ``P_perp = I - P``).

Proof (docs/theory.md §3.2): with ``Q = 2 P_G - I``, ``QG = G``; differentiating ``K(QZ) = K(Z)`` at G gives
``(I - P_G) grad K(G) = 0``, so ``col(grad K(G)) lies in col(G)``; every ``G_t = X^T grad l(R_t)``
has its columns in range(X^T), hence so does every step ``-eta grad K(G_t)``.

Step (numeric): at 50 digits along DSPGD runs of the catalogue's left-invariant K (gd, ngd,
clip, muon; plus the context's K when it is left-invariant), square loss, random problems
(n in {1, 2}, d = 3, k = 2, random W_0), ``eta = frac * 2/(L sigma_max^2)``: the worst
``||P_perp (W_t - W_0)||_F / ||W_GD - W_0||_F`` over every t.  The claim is about left-invariant K
only; :func:`null_space_drift` and :func:`check` measure the same quantity for any K (for Adam
it is large and the check fails: the tests show it, docs/theory.md §3.3 "learning-rate dependence").
"""
from __future__ import annotations

from numeric.preconditioners.catalog import make_preconditioner
from numeric.matrices import fro_norm

from ..core import Evidence, Result, Step, numeric_evidence
from .i10 import STEPS, TOL_DIGITS, run_instances

LEFT_INVARIANT = ("gd", "ngd", "clip", "muon")


def null_space_drift(context, pre, count: int | None = None, steps: int = STEPS, loss: str = "square"):
    """``(worst, count, label)``: the worst ``||P_perp(W_t - W_0)|| / ||W_GD - W_0||`` over runs of ``pre``."""
    worst, n, where = None, 0, {}
    for run in run_instances(context, pre=pre, loss=loss, steps=steps, count=count, salt="I11"):
        ctx, xp = run.ctx, run.xp
        scale = fro_norm(ctx, [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(xp.w_gd(), xp.W0)])
        for W in run.W[1:]:
            dW = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(W, xp.W0)]
            ratio = fro_norm(ctx, xp.project_null_space(dW)) / scale
            if worst is None or ratio > worst:
                worst, where = ratio, run.label
        n += 1
    return worst, n, where


def check(context, pres) -> Evidence:
    """The drift check over runs of each preconditioner in ``pres`` (``failed`` when some
    ``||P_perp(W_t - W_0)|| / ||W_GD - W_0||`` exceeds ``10^(10 - dps)``, with the instance)."""
    from numeric.precision import working_precision
    per = max(2, context.examples // len(pres))
    worst, total, where, names = None, 0, {}, []
    for pre in pres:
        w, n, lab = null_space_drift(context, pre, count=per)
        total += n
        names.append(pre.name)
        if w is not None and (worst is None or w > worst):
            worst, where = w, lab
    if worst is None:
        return Evidence("unknown", "no instance evaluated")
    with working_precision(context.dps) as ctx:
        tol = ctx.mpf(10) ** (TOL_DIGITS - context.dps)
        bad = worst > tol
    return numeric_evidence(worst, tol, f"||P_perp(W_t - W_0)|| / ||W_GD - W_0|| along {STEPS}-step runs of "
                            f"{', '.join(names)}", total, counterexample=where if bad else None)


def _catalogue(context) -> Evidence:
    pres = [make_preconditioner(name, {}, shape=(3, 2)) for name in LEFT_INVARIANT]
    ctx_pre = context.preconditioner
    if ctx_pre.left_invariant and ctx_pre.name not in LEFT_INVARIANT:
        pres.append(ctx_pre)
    elif ctx_pre.left_invariant:
        pres = [ctx_pre if p.name == ctx_pre.name else p for p in pres]
    return check(context, pres)


RESULT = Result(
    id="I11",
    title="no null-space drift for left-invariant K",
    latex=r"K(QG) = K(G)\ \forall Q \in O(d) \;\Rightarrow\; P_\perp (W_T - W_0) = 0 \quad \forall T",
    text="K left-invariant (K(QG) = K(G) for orthogonal Q) => P_perp(W_T - W_0) = 0 for all T",
    hypotheses=("K differentiable and left-invariant: K(QG) = K(G) for every orthogonal Q",
                "DSPGD iterates W_{t+1} = W_t - eta grad K(X^T grad l(R_t))"),
    steps=(Step("50 digits along DSPGD runs of gd, ngd, clip, muon (and the context's K when left-invariant)",
                "numeric", _catalogue),),
    per_preconditioner=True,
)
