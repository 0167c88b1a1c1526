"""I10, the telescoped gradient-space descent identity (docs/theory.md §4.2, docs/derivations.md §4.2).

    K(G_T) = K(G_0) + sum_{t=0}^{T-1} [ -(1/eta) <R_{t+1} - R_t, grad l(R_{t+1}) - grad l(R_t)>
                                         + D_K(G_{t+1}, G_t) ]

along every DSPGD run, for every differentiable K and l: the sum over t of I6.

Steps:

1. (symbolic) one step is I6 (generic K and l, (n, d, k) = (1, 2, 2), via
   :func:`proofs.results.i6.prove_dual_descent`);
2. (symbolic) the two-step telescoped identity ``T = 2`` proved directly for a generic K and l
   on (n, d, k) = (1, 2, 1) (the second step's gradients are nested generic derivatives);
3. (numeric) at 50 digits along real DSPGD runs of the context's K, square and log-cosh
   losses, random problems (n in {1, 2}, d = 3, k = 2, random W_0) and learning rates
   ``eta = frac * 2/(beta L sigma_max^2)``, ``frac`` uniform in (0.05, 0.95): the worst
   ``|K(G_T) - K(G_0) - sum_{t<T} [...]|`` over every prefix T, relative to
   ``max(1, |K(G_0)|, sum |terms|)``.

This module also holds the 50-digit trajectory recorder shared by I11, I12, J4 and J5:
:func:`record_run` (W_t, R_t, grad l(R_t), G_t, U_t for t = 0..T, cross-checked against the
toolkit's :func:`numeric.backends.mpmath_loop.run_dspgd`) and :func:`run_instances` (seeded random instances).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp

from numeric.backends.mpmath_loop import natural_norm, run_dspgd
from numeric.exact_problem import ExactProblem
from numeric.losses import make_loss
from numeric.matrices import fro_norm, inner
from numeric.precision import working_precision
from numeric.problem import random_problem
from symbolic.bregman import bregman, inner as sym_inner
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, Worst, from_fact
from .i6 import prove_dual_descent, symbolic_run

SHAPE = (3, 2)  # d x k of the numeric instances (the context's K is built on this shape)
STEPS = 60  # DSPGD steps per run
FRACS = (0.05, 0.95)  # eta = frac * 2/(beta L sigma_max^2), frac uniform in this interval
TOL_DIGITS = 10  # identities must hold to 10^(TOL_DIGITS - dps)


# ----------------------------------------------------------------------------------------------
# the trajectory recorder (shared by I10, I11, I12, J4, J5)


@dataclass
class Run:
    """One DSPGD run at the precision of ``ctx``: every iterate and the quantities of docs/theory.md §1."""

    ctx: object
    xp: ExactProblem
    pre: object
    eta: object
    L: object  # the smoothness constant behind eta (global L, or L on the ball of radius rho)
    beta: object
    frac: float
    W: list = field(default_factory=list)  # W_0 .. W_T (column-major lists of mpf)
    R: list = field(default_factory=list)  # R_t = X W_t - Y
    S: list = field(default_factory=list)  # grad l(R_t)
    G: list = field(default_factory=list)  # X^T grad l(R_t)
    U: list = field(default_factory=list)  # grad K(G_t)
    certified: bool = True  # False when L is local and the run left the ball it holds on
    label: dict = field(default_factory=dict)  # the instance (seed, n, frac, loss) for counterexamples

    @property
    def T(self) -> int:
        return len(self.W) - 1

    def K(self, t: int):
        return self.pre.value(self.ctx, self.G[t])

    def loss(self, t: int):
        return self.xp.problem.loss.total(self.ctx, self.R[t])


def _grad_step(xp: ExactProblem, pre, R):
    """``(grad l(R), G, U)`` exactly as :func:`numeric.backends.mpmath_loop.run_dspgd` computes them."""
    ctx = xp.ctx
    S = xp.problem.loss.gradient(ctx, R)
    G = [[ctx.fdot(row, s) for row in xp.XT_rows] for s in S]
    return S, G, pre.grad(ctx, G)


def record_run(xp: ExactProblem, pre, eta, steps: int, L=None, beta=None, frac: float = 0.0,
               rho=None, label: dict | None = None, cross_check: bool = True) -> Run:
    """Run ``steps`` DSPGD steps from ``W_0`` and keep every iterate.

    The arithmetic is that of :func:`numeric.backends.mpmath_loop.run_dspgd`; with ``cross_check`` the final
    iterate is compared with ``run_dspgd(xp, pre, eta, iterations=steps)`` and a difference
    above ``10^(TOL_DIGITS - dps)`` (relative) raises (the step then reports ``unknown``).  With ``rho`` (a local L), the run is marked
    uncertified when some ``G_t`` leaves the natural ball of radius ``rho``.
    """
    ctx = xp.ctx
    eta = ctx.mpf(eta)
    run = Run(ctx, xp, pre, eta, L, beta, frac, label=dict(label or {}))
    W = [list(c) for c in xp.W0]
    R = xp.residual(W)
    for t in range(steps + 1):
        S, G, U = _grad_step(xp, pre, R)
        run.W.append(W)
        run.R.append(R)
        run.S.append(S)
        run.G.append(G)
        run.U.append(U)
        if t == steps:
            break
        W = [[w - eta * u for w, u in zip(wc, uc)] for wc, uc in zip(W, U)]
        R = xp.residual(W)
    if rho is not None:
        run.certified = all(natural_norm(ctx, pre.natural_norm, G) <= rho for G in run.G)
    if cross_check:
        tr = run_dspgd(xp, pre, eta, iterations=steps, track_path=False)
        scale = max([ctx.one] + [abs(w) for c in run.W[-1] for w in c])
        gap = max(abs(a - b) for ca, cb in zip(tr.W, run.W[-1]) for a, b in zip(ca, cb))
        if tr.iterations != steps or gap > ctx.mpf(10) ** (TOL_DIGITS - ctx.dps) * scale:
            raise RuntimeError(f"the recorded trajectory differs from run_dspgd's (by {ctx.nstr(gap, 5)})")
    return run


def smoothness_for_run(ctx, pre, G0):
    """``(L, rho)``: the global L when finite (``rho = None``), else L on the natural ball of
    radius ``rho = 2 ||G_0||_F`` (checked a posteriori by :func:`record_run`)."""
    L = pre.L(ctx)
    if ctx.isfinite(L):
        return L, None
    rho = 2 * fro_norm(ctx, G0)
    return pre.smoothness(ctx, rho), rho


def context_shape(pre) -> tuple[int, int]:
    """``(d, k)`` of the numeric instances for ``pre`` (the shape of its H for quadratic K)."""
    H = pre.extra.get("H") if getattr(pre, "extra", None) else None
    if H is not None and H.shape[0] != SHAPE[0] * SHAPE[1]:
        return H.shape[0], 1
    return SHAPE


def run_instances(context, pre=None, loss: str = "square", steps: int = STEPS, frac=None,
                  count: int | None = None, salt: str = "", n_choices=(1, 2)):
    """Yield :class:`Run` s of ``pre`` (default: the context's K) on seeded random problems.

    ``count`` instances (default ``context.examples``), each ``random_problem(n, d, k, seed,
    "random")`` with n drawn from ``n_choices`` and (d, k) = :func:`context_shape`; the learning
    rate is ``eta = frac * 2/(beta L sigma_max^2)``, frac drawn uniformly from :data:`FRACS`
    unless given.  Runs are at ``context.dps`` digits, in a private mpmath context.
    """
    pre = pre if pre is not None else context.preconditioner
    d, k = context_shape(pre)
    rng = random.Random(f"{context.seed}:{salt}:{pre.name}:{loss}")
    count = context.examples if count is None else count
    with working_precision(context.dps) as ctx:
        for _ in range(count):
            n = rng.choice([m for m in n_choices if m < d])
            seed = rng.randrange(2**31)
            fr = rng.uniform(*FRACS) if frac is None else frac
            problem = random_problem(n, d, k, seed=seed, w0="random", loss=make_loss(loss))
            xp = ExactProblem.build(ctx, problem)
            beta = ctx.mpf(problem.loss.beta.numerator) / problem.loss.beta.denominator
            _, G0, _ = _grad_step(xp, pre, xp.residual(xp.W0))
            L, rho = smoothness_for_run(ctx, pre, G0)
            if not ctx.isfinite(L) or L <= 0:
                continue
            eta = ctx.mpf(fr) * 2 / (beta * L * xp.sigma_max ** 2)
            label = {"preconditioner": pre.name, "loss": loss, "n": n, "d": d, "k": k, "seed": seed,
                     "w0": "random", "frac": repr(fr), "steps": steps}
            yield record_run(xp, pre, eta, steps, L=L, beta=beta, frac=fr, rho=rho, label=label)


# ----------------------------------------------------------------------------------------------
# I10


def _one_step(context) -> Evidence:
    fact = prove_dual_descent((1, 2, 2))
    return from_fact(fact, note="this is I6 for one step; summing over t = 0..T-1 telescopes "
                     "K(G_{t+1}) - K(G_t) to K(G_T) - K(G_0)")


def _two_steps(context) -> Evidence:
    run = symbolic_run((1, 2, 1), 2)
    K, eta, R, S, G = run.K, run.eta, run.R, run.S, run.G
    rhs = K(G[0]) + sp.Add(*[-sym_inner(R[t + 1] - R[t], S[t + 1] - S[t]) / eta + bregman(K, G[t + 1], G[t])
                             for t in range(2)])
    fact = prove_identity("I10 (T = 2)", K(G[2]), rhs, hypotheses="K, l differentiable",
                          statement="K(G_2) = K(G_0) + sum_{t<2} [-(1/eta)<dR_t, d grad l_t> + D_K(G_{t+1}, G_t)]")
    return from_fact(fact, note="two DSPGD steps, generic K on 2 x 1 and l on 1 x 1, X 1 x 2 symbolic")


def telescoped_deviation(run: Run):
    """Worst relative ``|K(G_T) - K(G_0) - sum_{t<T} term_t|`` over the prefixes of ``run``."""
    ctx = run.ctx
    K = [run.K(t) for t in range(run.T + 1)]
    acc = ctx.zero
    mag = ctx.zero
    worst = ctx.zero
    for t in range(run.T):
        dR = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(run.R[t + 1], run.R[t])]
        dS = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(run.S[t + 1], run.S[t])]
        dG = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(run.G[t + 1], run.G[t])]
        breg = K[t + 1] - K[t] - inner(ctx, run.U[t], dG)
        term = -inner(ctx, dR, dS) / run.eta + breg
        acc += term
        mag += abs(term)
        dev = abs(K[t + 1] - K[0] - acc) / max(ctx.one, abs(K[0]), mag)
        if dev > worst:
            worst = dev
    return worst


def _numeric(context) -> Evidence:
    seen, tol = Worst(), None
    for loss in ("square", "logcosh"):
        for run in run_instances(context, loss=loss, salt="I10"):
            tol = run.ctx.mpf(10) ** (TOL_DIGITS - run.ctx.dps)
            seen.see(telescoped_deviation(run), run.label)
    if seen.value is None:
        return Evidence("unknown", "no instance evaluated")
    return seen.evidence(tol, f"telescoped I6 along {STEPS}-step DSPGD runs of "
                         f"{context.preconditioner.name} (square, logcosh)")


RESULT = Result(
    id="I10",
    title="telescoped gradient-space descent identity",
    latex=(r"K(G_T) = K(G_0) + \sum_{t=0}^{T-1}\Big[-\tfrac{1}{\eta}\langle R_{t+1} - R_t, "
           r"\nabla\ell(R_{t+1}) - \nabla\ell(R_t)\rangle + D_K(G_{t+1}, G_t)\Big]"),
    text=("K(G_T) = K(G_0) + sum_{t<T} [-(1/eta) <R_{t+1} - R_t, grad l(R_{t+1}) - grad l(R_t)> "
          "+ D_K(G_{t+1}, G_t)]"),
    hypotheses=("K differentiable", "l differentiable", "DSPGD iterates W_{t+1} = W_t - eta grad K(G_t)"),
    steps=(Step("one step is I6 (generic K and l); the sum telescopes", "symbolic", _one_step),
           Step("T = 2 telescoped directly (generic K and l, (n, d, k) = (1, 2, 1))", "symbolic", _two_steps),
           Step("50 digits along DSPGD runs of the context's K (square and log-cosh losses)", "numeric", _numeric)),
    per_preconditioner=True,
)
