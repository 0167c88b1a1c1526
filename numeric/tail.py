"""Bounds on the distance from the last iterate to the limit, ``||W_inf - W_T||_F`` (docs/theory.md §3.1).

Certified tail (square loss).  Let ``rho = sigma_max ||R_T||`` and suppose the Hessian of
K lies in ``[mu, L]`` on the ball ``||G|| <= rho`` with ``mu > 0``.  With

    q = max(|1 - eta mu sigma_min^2|, |1 - eta L sigma_max^2|) < 1,

each later step multiplies ``vec(R)`` by the symmetric ``I - eta X Hbar X^T`` of norm
``<= q`` (``Hbar`` the mean Hessian along ``[0, G_t]``), the ball is invariant because
``||R||`` decreases, and the steps ``||W_{t+1} - W_t|| <= eta L sigma_max ||R_t||`` sum to

    ||W_inf - W_T|| <= eta L sigma_max ||R_T|| / (1 - q).

Otherwise (another loss, ``mu = 0`` on the ball, or ``q >= 1``) an estimate from the
observed contraction of the last residuals is returned, marked ``certified = False``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .backends.mpmath_loop import Trajectory
from .exact_problem import ExactProblem
from .matrices import fro_norm
from .preconditioners.base import Preconditioner


@dataclass(frozen=True)
class TailBound:
    """``||W_inf - W_T||_F <= bound``; ``certified`` says whether docs/theory.md §3.1's hypotheses held."""

    bound: object  # mpf, or None when no bound could be given
    certified: bool
    q: object
    mu: object
    L: object
    reason: str

    def describe(self) -> dict:
        from .precision import to_decimal_string as s
        return {"tail_bound": s(self.bound, 6) if self.bound is not None else None,
                "certified": self.certified,
                "q": s(self.q, 10) if self.q is not None else None,
                "mu": s(self.mu, 10) if self.mu is not None else None,
                "L": s(self.L, 10) if self.L is not None else None,
                "reason": self.reason}


def tail_bound(xp: ExactProblem, pre: Preconditioner, traj: Trajectory) -> TailBound:
    """The certified tail bound of docs/theory.md §3.1 when its hypotheses hold, else an estimate."""
    ctx = xp.ctx
    if traj.stop_reason in ("diverged", "stalled", "stationary"):
        return TailBound(None, False, None, None, None, f"no tail: run {traj.stop_reason}")
    rT = fro_norm(ctx, traj.R)
    smax, smin = xp.sigma_max, xp.sigma_min
    rho = smax * rT
    L = pre.smoothness(ctx, rho)
    mu = pre.mu(ctx, rho)
    eta = traj.eta
    q = max(abs(1 - eta * mu * smin**2), abs(1 - eta * L * smax**2))
    if xp.problem.loss.is_square and mu > 0 and q < 1:
        bound = eta * L * smax * rT / (1 - q)
        return TailBound(bound, True, q, mu, L,
                         "docs/theory.md §3.1: Hessian of K in [mu, L] on the ball ||G|| <= sigma_max ||R_T||, q < 1")
    return _estimate(ctx, traj, mu, L,
                     "not the square loss" if not xp.problem.loss.is_square
                     else ("mu = 0 on the final ball" if mu <= 0 else "q >= 1"))


def _estimate(ctx, traj: Trajectory, mu, L, why: str) -> TailBound:
    """Geometric-series estimate from the observed residual contraction of the last steps."""
    hist = traj.residual_history
    m = min(50, len(hist) - 1)
    if m < 2 or hist[-1 - m] <= 0 or not traj.step_history:
        return TailBound(None, False, None, mu, L, f"estimate impossible ({why}; too few steps)")
    q_est = (hist[-1] / hist[-1 - m]) ** (1.0 / m) if hist[-1] > 0 else 0.0
    if not q_est < 1:
        return TailBound(None, False, ctx.mpf(q_est), mu, L, f"no contraction observed ({why})")
    last_step = ctx.mpf(traj.step_history[-1])
    bound = last_step * ctx.mpf(q_est) / (1 - ctx.mpf(q_est)) * 2  # factor 2 of caution
    return TailBound(bound, False, ctx.mpf(q_est), mu, L,
                     f"estimated from the observed rate ({why}); not certified")
