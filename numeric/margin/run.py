"""Run an optimizer of paper 2 from ``theta_0`` (0 on a linear model; the model's seeded
initialization on a homogeneous network, whose gradient vanishes at 0) with ``eta_t = eta_0 (t + 1)^(-alpha)``.

``theta_{t+1} = theta_t - eta_t u_t`` with ``u_t`` from :mod:`numeric.margin.optimizers`.
Checkpoints are kept at ``t = 10, 100, 1000, ..., T/4, T/2, T`` (the claims look at how the
gaps move).  ``dtype=np.longdouble`` gives the higher-precision rerun used as the rounding
check (80-bit extended precision on x86-64; where it equals float64 the check says so).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .data import MarginProblem
from .optimizers import Optimizer

MAX_STEPS = 10_000_000


@dataclass(frozen=True)
class Schedule:
    """``eta_t = eta0 * (t + 1)^(-alpha)``, ``t = 0, 1, ...``; ``alpha = 0`` is a constant rate."""

    eta0: float
    alpha: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.eta0) and self.eta0 > 0):
            raise InputError(f"--lr must be a finite number > 0, got {self.eta0}")
        if not (math.isfinite(self.alpha) and 0 <= self.alpha <= 1):
            raise InputError(f"--alpha must lie in [0, 1], got {self.alpha}")

    def __call__(self, t: int) -> float:
        return self.eta0 if self.alpha == 0 else self.eta0 * (t + 1) ** (-self.alpha)

    def describe(self) -> str:
        return f"{self.eta0:g}" if self.alpha == 0 else f"{self.eta0:g}*(t+1)^-{self.alpha:g}"


@dataclass
class MarginTrajectory:
    theta: np.ndarray  # final iterate
    steps: int
    checkpoints: dict[int, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    stopped: str = "steps"  # "steps" | "timeout" | "nonfinite"
    last_step: np.ndarray | None = None  # u_T (for the measured Adam shrinkage kappa)
    dtype: str = "float64"
    last_gradient: np.ndarray | None = None  # g_hat at theta_{T-1} (steepest-descent alignment rN_T)
    initial_gradient: np.ndarray | None = None  # g_hat at theta_0 (Adam's (A1))


def checkpoint_times(steps: int) -> list[int]:
    ts = {steps, max(1, steps // 2), max(1, steps // 4)}
    t = 10
    while t < steps:
        ts.add(t)
        t *= 10
    return sorted(ts)


def run_margin(prob: MarginProblem, opt: Optimizer, schedule: Schedule, steps: int,
               dtype=np.float64, timeout: float | None = None) -> MarginTrajectory:
    """``T = steps`` iterations from zero (stops early, and says so, on a timeout or a non-finite
    iterate)."""
    if not 1 <= steps <= MAX_STEPS:
        raise InputError(f"--steps must lie in [1, {MAX_STEPS}], got {steps}")
    grad = prob.evaluator(dtype)
    theta = prob.initial(dtype)
    state = opt.init(prob.n_params, dtype)
    keep = set(checkpoint_times(steps))
    cps: dict[int, np.ndarray] = {}
    start = time.perf_counter()
    u = g = g0 = None
    stopped = "steps"
    t = 0
    for t in range(1, steps + 1):
        g, s = grad(theta)
        if g0 is None:
            g0 = g.copy()
        u, state = opt.update(state, g, s, t)
        theta = theta - schedule(t - 1) * u
        if not np.isfinite(theta).all():
            stopped = "nonfinite"
            break
        if t in keep:
            cps[t] = theta.copy()
        if timeout is not None and t % 1024 == 0 and time.perf_counter() - start > timeout:
            stopped = "timeout"
            break
    if stopped == "timeout":
        cps[t] = theta.copy()  # the last iterate is the one judged
    return MarginTrajectory(theta, t, cps, time.perf_counter() - start, stopped, u, np.dtype(dtype).name, g, g0)
