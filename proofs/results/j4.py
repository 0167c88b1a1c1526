"""J4, the descent inequality for the loss (docs/theory.md §4.3, docs/derivations.md §4.3, Theorems A and B).

    L(W_{t+1}) <= L(W_t) - eta (1 - eta beta L sigma_max^2 / 2) <G_t, grad K(G_t)>

for l convex and beta-smooth, K convex with L-Lipschitz gradient and ``grad K(0) = 0``,
``sigma_max`` the largest singular value of X.

Proof: beta-smoothness of l gives ``l(R+) <= l(R) + <grad l(R), R+ - R> + (beta/2)||R+ - R||^2``;
``R+ - R = -eta X U`` so the linear term is ``-eta <G, U>`` and
``||R+ - R||^2 <= eta^2 sigma_max^2 ||U||^2 <= eta^2 sigma_max^2 L <U, G>`` (J2).  It holds for every
eta > 0; it is a descent guarantee when ``eta < 2/(beta L sigma_max^2)``.

Step (numeric): at 50 digits along DSPGD runs of the context's K (the recorder of I10: 60 steps,
random problems n in {1, 2}, d = 3, k = 2, random W_0, ``eta = frac * 2/(beta L sigma_max^2)``,
frac uniform in (0.05, 0.95)) for the square and log-cosh losses (beta = 1); reported: the worst
margin ``L(W+) - [L(W) - eta (1 - eta beta L sigma_max^2/2) <G, U>]`` over every step, relative
to the step's scale ``max(1, L(W_0), L(W_t), L(W_{t+1}), |eta (1 - ...) <G, U>|)`` (<= 0 when the
inequality holds).
"""
from __future__ import annotations

from ..core import Evidence, Result, Step, Worst
from .i10 import STEPS, TOL_DIGITS, Run, run_instances

LOSSES = ("square", "logcosh")


def descent_margin(run: Run):
    """The worst relative margin of J4 along ``run`` (positive: violated)."""
    ctx = run.ctx
    c = run.eta * (1 - run.eta * run.beta * run.L * run.xp.sigma_max ** 2 / 2)
    loss = [run.loss(t) for t in range(run.T + 1)]
    floor = max(ctx.one, loss[0])
    worst = None
    for t in range(run.T):
        ug = ctx.fsum(ctx.fdot(u, g) for u, g in zip(run.U[t], run.G[t]))
        scale = max(floor, loss[t], loss[t + 1], abs(c * ug))
        margin = (loss[t + 1] - (loss[t] - c * ug)) / scale
        worst = margin if worst is None else max(worst, margin)
    return worst


def check(context, losses=LOSSES, frac=None, pre=None) -> Evidence:
    """J4 along runs (``frac`` fixes eta's fraction of ``2/(beta L sigma_max^2)``; default random)."""
    seen, skipped, tol = Worst(), 0, None
    name = (pre or context.preconditioner).name
    for loss in losses:
        for run in run_instances(context, pre=pre, loss=loss, frac=frac, salt="J4"):
            if not run.certified:
                skipped += 1
                continue
            tol = run.ctx.mpf(10) ** (TOL_DIGITS - run.ctx.dps)
            seen.see(descent_margin(run), run.label)
    if seen.value is None:
        return Evidence("unknown", f"no certified instance ({skipped} runs left the ball of the local L)")
    return seen.evidence(tol, f"L(W+) - L(W) + eta(1 - eta beta L sigma^2/2)<G, U> (relative) along "
                         f"{STEPS}-step runs of {name} ({', '.join(losses)})")


RESULT = Result(
    id="J4",
    title="descent inequality for the loss",
    latex=(r"L(W_{t+1}) \le L(W_t) - \eta\Big(1 - \tfrac{\eta\beta L\sigma_{\max}^2}{2}\Big)"
           r"\langle G_t, \nabla K(G_t)\rangle"),
    text="L(W+) <= L(W) - eta (1 - eta beta L sigma_max^2/2) <G, grad K(G)>",
    hypotheses=("l convex and beta-smooth", "K convex with L-Lipschitz gradient, grad K(0) = 0",
                "W_{t+1} = W_t - eta grad K(G_t)"),
    steps=(Step("50 digits along DSPGD runs of the context's K (square and log-cosh losses)", "numeric",
                lambda context: check(context)),),
    per_preconditioner=True,
)
