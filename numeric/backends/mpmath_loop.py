"""Dual space preconditioned gradient descent at arbitrary precision.

    W_{t+1} = W_t - eta * grad K(G_t),   G_t = grad L(W_t) = X^T grad l(X W_t - Y)

(docs/theory.md §1).  The loop stops when the residual ``||R_t||_F`` reaches the precision's
floor ``10^(guard - dps) * scale`` (``scale = max(1, ||R_0||, ||Y||)``), when it diverges
(non-finite or ``> 1e30 * scale``), when a step is exactly zero above the floor (a dead zone
of K: ``W_t`` is a fixed point), when it stalls (no new minimum of ``||R_t||`` for
``max(2000, t/2)`` steps: the constant-step cycles of non-smooth K), or at ``max_iter``.

Histories recorded per iteration: ``||R_t||_F`` and the step norm ``eta ||grad K(G_t)||_F``
(as floats, for rates and plots).  At checkpoints ``t = 0, 1, 2, 4, 8, ...`` and at the end
it also records the null-space drift ``||P_perp (W_t - W_0)||_F`` (zero for left-invariant K,
docs/theory.md §4.2 I11).  The path length ``sum_t ||P (W_{t+1} - W_t)||_F = sum_t ||X^+ (R_{t+1} - R_t)||_F``
feeds the general bound of docs/theory.md §3.3.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from mpmath.libmp import mpf_mul, mpf_sum

from ..exact_problem import ExactProblem
from ..matrices import Cols, fro_norm, max_abs, singular_values
from ..preconditioners.base import Preconditioner

DEFAULT_GUARD_DIGITS = 6
DEFAULT_MAX_ITER = 200_000


@dataclass
class StopRules:
    """The stopping rules every backend's loop shares (see the module docstring): divergence
    (non-finite or ``> blowup``), a stall (no new minimum of ``||R_t||`` for ``max(2000, t/2)``
    steps; never in a fixed-length rerun) and the time budget."""

    blowup: object
    best: object
    fixed: bool
    timeout: float | None
    start: float
    best_t: int = 0

    def after_step(self, t: int, rnorm, finite: bool, stationary: bool = False) -> str | None:
        """The stop reason after step ``t`` with residual norm ``rnorm``, or ``None`` to go on.

        ``stationary``: the step ``grad K(G_t)`` was exactly zero although ``R_t`` is above the
        floor (so ``G_t != 0``): ``W_t`` is a fixed point, a dead zone of K; waiting for the
        stall rule would only repeat the same iterate."""
        if not finite or rnorm > self.blowup:
            return "diverged"
        if stationary and not self.fixed:
            return "stationary"
        if rnorm < self.best:
            self.best, self.best_t = rnorm, t
        elif not self.fixed and t - self.best_t > max(2000, t // 2):
            return "stalled"
        if self.timeout is not None and time.perf_counter() - self.start > self.timeout:
            return "timeout"
        return None


@dataclass
class Trajectory:
    """Result of one DSPGD run at one precision and learning rate."""

    W: Cols
    R: Cols | None  # R = X W - Y at the end; None for the float64 rounding rerun (only its W is read)
    eta: object
    dps: int
    iterations: int
    stop_reason: str  # floor | max_iter | diverged | stalled | stationary | timeout | fixed
    residual_floor: object
    residual_history: list = field(default_factory=list)  # floats, index t
    step_history: list = field(default_factory=list)  # floats, eta ||U_t||
    drift_checkpoints: list = field(default_factory=list)  # (t, ||P_perp(W_t - W0)||) floats
    max_grad_natural: object = None  # max_t ||G_t|| in K's natural norm
    max_grad_fro: object = None
    path_length_row: object = None  # sum_t ||P (W_{t+1} - W_t)||
    monotone_loss: bool = True
    seconds: float = 0.0

    @property
    def residual_norm(self):
        return self.residual_history[-1] if self.residual_history else float("nan")


def natural_norm(ctx, kind: str, g: Cols):
    """``||G||`` in the norm natural to K's structure (max-entry, Frobenius or spectral)."""
    if kind == "max":
        return max_abs(ctx, g)
    if kind == "spectral":
        sv = singular_values(ctx, g)
        return sv[0] if sv else ctx.zero
    return fro_norm(ctx, g)


def _real_fdot(ctx):
    """``ctx.fdot`` for two sequences of real mpf, bit for bit: the same exact products summed by
    the same ``mpf_sum`` with one rounding, without fdot's per-term type dispatch."""
    prec, rnd = ctx._prec_rounding
    make = ctx.make_mpf

    def dot(a, b):
        return make(mpf_sum([mpf_mul(x._mpf_, y._mpf_) for x, y in zip(a, b)], prec, rnd))
    return dot


def run_dspgd(xp: ExactProblem, pre: Preconditioner, eta, max_iter: int = DEFAULT_MAX_ITER,
              guard_digits: int = DEFAULT_GUARD_DIGITS, iterations: int | None = None,
              timeout: float | None = None, track_path: bool = True) -> Trajectory:
    """Run DSPGD from ``W0`` at the precision of ``xp.ctx``.

    With ``iterations`` set, run exactly that many steps (the rounding-check rerun);
    otherwise stop by the rules of the module docstring.
    """
    ctx = xp.ctx
    loss = xp.problem.loss
    eta = ctx.mpf(eta)
    W = [list(c) for c in xp.W0]
    R = xp.residual(W)
    r0 = fro_norm(ctx, R)
    scale = max(ctx.one, r0, fro_norm(ctx, xp.Y))
    floor = ctx.mpf(10) ** (guard_digits - ctx.dps) * scale
    blowup = scale * ctx.mpf(10) ** 30
    res_hist = [float(r0)]
    step_hist: list = []
    drift = [(0, 0.0)]
    next_checkpoint = 1
    max_nat = ctx.zero
    max_fro = ctx.zero
    path = ctx.zero
    monotone = True
    prev_loss = loss.total(ctx, R)
    start = time.perf_counter()
    rules = StopRules(blowup, r0, iterations is not None, timeout, start)
    reason = "max_iter"
    budget = iterations if iterations is not None else max_iter
    t = 0
    rnorm = r0
    fdot = _real_fdot(ctx)
    XT_rows = xp.XT_rows
    X_ext = [row + [ctx.mpf(-1)] for row in xp.X_rows]
    Y = xp.Y
    loss_slack = 1 + ctx.mpf(10) ** (guard_digits - ctx.dps)

    def residual(W):  # xp.residual(W): R_ij = fdot(X_i + [-1], W_j + [Y_ij]), one rounding each
        return [[fdot(row, w + [y]) for row, y in zip(X_ext, ycol)] for w, ycol in zip(W, Y)]
    while t < budget:
        if iterations is None and rnorm <= floor:
            reason = "floor"
            break
        S = loss.gradient(ctx, R)
        G = [[fdot(row, s) for row in XT_rows] for s in S]
        U = pre.grad(ctx, G)
        W = [[w - eta * u for w, u in zip(wc, uc)] for wc, uc in zip(W, U)]
        R_new = residual(W)
        t += 1
        if track_path:
            gf = fro_norm(ctx, G)
            if gf > max_fro:
                max_fro = gf
            gn = gf if pre.natural_norm == "fro" else natural_norm(ctx, pre.natural_norm, G)
            if gn > max_nat:
                max_nat = gn
            dR = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(R_new, R)]
            path += xp.gram_inv_norm(dR)
        R = R_new
        rnorm = fro_norm(ctx, R)
        step_hist.append(float(eta * fro_norm(ctx, U)))
        res_hist.append(float(rnorm))
        cur_loss = loss.total(ctx, R)
        if cur_loss > prev_loss * loss_slack + floor * floor:
            monotone = False
        prev_loss = cur_loss
        if t == next_checkpoint:
            drift.append((t, float(fro_norm(ctx, xp.project_null_space(
                [[w - w0 for w, w0 in zip(wc, w0c)] for wc, w0c in zip(W, xp.W0)])))))
            next_checkpoint *= 2
        stop = rules.after_step(t, rnorm, ctx.isfinite(rnorm), stationary=not any(u for uc in U for u in uc))
        if stop is not None:
            reason = stop
            break
    else:
        if iterations is not None:
            reason = "fixed"
    if drift[-1][0] != t:
        drift.append((t, float(fro_norm(ctx, xp.project_null_space(
            [[w - w0 for w, w0 in zip(wc, w0c)] for wc, w0c in zip(W, xp.W0)])))))
    return Trajectory(W=W, R=R, eta=eta, dps=ctx.dps, iterations=t, stop_reason=reason,
                      residual_floor=floor, residual_history=res_hist, step_history=step_hist,
                      drift_checkpoints=drift, max_grad_natural=max_nat, max_grad_fro=max_fro,
                      path_length_row=path if track_path else None, monotone_loss=monotone,
                      seconds=time.perf_counter() - start)
