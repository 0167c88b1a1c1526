"""J5, the descent inequality for K(grad L) (docs/theory.md §4.3, docs/derivations.md §4.3, Theorems A and B).

    K(G_{t+1}) <= K(G_t) - (1/(eta beta) - L sigma_max^2 / 2) ||grad l(R_{t+1}) - grad l(R_t)||^2,

so ``K(grad L(W_t))`` is nonincreasing for ``eta <= 2/(beta L sigma_max^2)``.

Proof: I6, ``K(G+) = K(G) - (1/eta)<R+ - R, Delta> + D_K(G+, G)`` with
``Delta = grad l(R+) - grad l(R)``; co-coercivity of grad l (convex, beta-smooth) gives
``<R+ - R, Delta> >= ||Delta||^2 / beta``, and J1 gives
``D_K(G+, G) <= (L/2)||X^T Delta||^2 <= (L/2) sigma_max^2 ||Delta||^2``.  The inequality holds for
every eta > 0; its coefficient is >= 0, hence the monotonicity, exactly when
``eta <= 2/(beta L sigma_max^2)``.

Steps (numeric, 50 digits, along DSPGD runs of the context's K with the recorder of I10: 60 steps,
n in {1, 2}, d = 3, k = 2, random W_0, square and log-cosh losses, beta = 1,
``eta = frac * 2/(beta L sigma_max^2)``, frac uniform in (0.05, 0.95)):

1. the inequality: worst margin ``K(G+) - [K(G) - (1/(eta beta) - L sigma_max^2/2)||Delta||^2]``
   relative to the step's scale ``max(1, |K(G_0)|, |K(G_t)|, |K(G_{t+1})|, |coefficient| ||Delta||^2)``
   (<= 0 when the inequality holds);
2. the monotonicity: worst ``(K(G_{t+1}) - K(G_t))`` relative to the same scale (<= 0).  With eta above the
   threshold (``frac > 1``) this fails in general: see :func:`check` and the tests.
"""
from __future__ import annotations

from ..core import Evidence, Result, Step, Worst
from .i10 import STEPS, TOL_DIGITS, Run, run_instances

LOSSES = ("square", "logcosh")


def margins(run: Run):
    """``(inequality margin, monotonicity margin)``: the worst of each along ``run`` (positive: violated)."""
    ctx = run.ctx
    coef = 1 / (run.eta * run.beta) - run.L * run.xp.sigma_max ** 2 / 2
    K = [run.K(t) for t in range(run.T + 1)]
    floor = max(ctx.one, abs(K[0]))
    ineq = mono = None
    for t in range(run.T):
        dS = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(run.S[t + 1], run.S[t])]
        sq = ctx.fsum(ctx.fdot(c, c) for c in dS)
        scale = max(floor, abs(K[t]), abs(K[t + 1]), abs(coef * sq))
        m1 = (K[t + 1] - (K[t] - coef * sq)) / scale
        m2 = (K[t + 1] - K[t]) / scale
        ineq = m1 if ineq is None else max(ineq, m1)
        mono = m2 if mono is None else max(mono, m2)
    return ineq, mono


def check(context, part: str = "inequality", losses=LOSSES, frac=None, pre=None, count=None) -> Evidence:
    """J5 along runs: ``part`` is ``"inequality"`` or ``"monotone"``; ``frac`` fixes eta's fraction
    of ``2/(beta L sigma_max^2)`` (default: random in (0.05, 0.95))."""
    seen, skipped, tol = Worst(), 0, None
    name = (pre or context.preconditioner).name
    for loss in losses:
        for run in run_instances(context, pre=pre, loss=loss, frac=frac, count=count, salt="J5"):
            if not run.certified:
                skipped += 1
                continue
            tol = run.ctx.mpf(10) ** (TOL_DIGITS - run.ctx.dps)
            ineq, mono = margins(run)
            seen.see(ineq if part == "inequality" else mono, run.label)
    if seen.value is None:
        return Evidence("unknown", f"no certified instance ({skipped} runs left the ball of the local L)")
    what = ("K(G+) - K(G) + (1/(eta beta) - L sigma^2/2)||grad l(R+) - grad l(R)||^2" if part == "inequality"
            else "K(G_{t+1}) - K(G_t)")
    return seen.evidence(tol, f"{what} (relative) along {STEPS}-step runs of {name} ({', '.join(losses)})")


RESULT = Result(
    id="J5",
    title="descent inequality for K(grad L)",
    latex=(r"K(G_{t+1}) \le K(G_t) - \Big(\tfrac{1}{\eta\beta} - \tfrac{L\sigma_{\max}^2}{2}\Big)"
           r"\|\nabla\ell(R_{t+1}) - \nabla\ell(R_t)\|^2"),
    text=("K(G+) <= K(G) - (1/(eta beta) - L sigma_max^2/2) ||grad l(R+) - grad l(R)||^2; "
          "K(grad L(W_t)) nonincreasing for eta <= 2/(beta L sigma_max^2)"),
    hypotheses=("l convex and beta-smooth", "K convex with L-Lipschitz gradient, grad K(0) = 0",
                "W_{t+1} = W_t - eta grad K(G_t); monotonicity: eta <= 2/(beta L sigma_max^2)"),
    steps=(Step("the inequality at 50 digits along DSPGD runs of the context's K (square, log-cosh)", "numeric",
                lambda context: check(context, "inequality")),
           Step("K(grad L(W_t)) nonincreasing along the same runs (eta below the threshold)", "numeric",
                lambda context: check(context, "monotone"))),
    per_preconditioner=True,
)
