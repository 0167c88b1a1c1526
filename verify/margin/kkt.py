"""KKT alignment of a direction for the margin problem of a norm (docs/theory.md §6.4 (d)).

For ``theta_hat = theta / N(theta)`` and the near-active set
``A_tau = {j : q_j(theta_hat) <= (1 + tau) q_min}`` solve

    min_{lambda >= 0, supp lambda in A_tau}  N_*( sum_j lambda_j A_j )   s.t.  sum_j lambda_j q_j(theta_hat) = 1

and set ``a(tau) = 1 / value``.  The constraint gives ``<v, theta_hat> = 1`` for
``v = sum lambda_j A_j``, so Hoelder's ``<v, theta_hat> <= N_*(v) N(theta_hat) = N_*(v)`` gives
``a(tau) <= 1``, with equality iff ``v`` lies in the cone of the subdifferential of ``N`` at
``theta_hat``: ``theta_hat`` is a KKT direction of ``min N s.t. q >= 1`` with complementary
slackness up to ``tau``.  ``tau99`` is the smallest ``tau`` on :data:`TAU_GRID` with
``a(tau) >= 0.99`` (``None``: the test fails at every ``tau``).  A diagnostic computed in
float64 with a conic solver; it is evidence beside the certified margin gap.
"""
from __future__ import annotations

import warnings

import numpy as np

from numeric.margin.data import MarginProblem
from numeric.margin.norms import MarginNorm, norm

from .reference import dual_objective

TAU_GRID = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
PASS_ALIGNMENT = 0.99


def alignment(prob: MarginProblem, N: MarginNorm, theta: np.ndarray, tau: float,
              solver: str = "CLARABEL") -> float | None:
    """``a(tau)`` in ``(0, 1]`` (``None`` if the direction does not separate or the solver fails)."""
    import cvxpy as cp
    th = theta / norm(prob, N, theta)
    q = prob.J @ th
    qmin = float(q.min())
    if qmin <= 0:
        return None
    active = np.flatnonzero(q <= (1 + tau) * qmin)
    A = prob.J[active]
    lam = cp.Variable(active.size, nonneg=True)
    p = cp.Problem(cp.Minimize(dual_objective(cp, prob, N, A.T @ lam)), [q[active] @ lam == 1])
    try:
        with warnings.catch_warnings():  # an inaccurate solve shows in the returned value
            warnings.simplefilter("ignore")
            p.solve(solver=solver)
    except cp.error.SolverError:
        return None
    if p.status != "optimal" or not p.value or p.value <= 0:
        return None
    return min(1.0, 1.0 / float(p.value))


def kkt_profile(prob: MarginProblem, N: MarginNorm, theta: np.ndarray,
                solver: str = "CLARABEL") -> dict:
    """``{"a": {tau: a(tau)}, "tau99": smallest tau with a >= 0.99 or None, "max_alignment": ...}``."""
    prof = {tau: alignment(prob, N, theta, tau, solver) for tau in TAU_GRID}
    tau99 = next((t for t in TAU_GRID if prof[t] is not None and prof[t] >= PASS_ALIGNMENT), None)
    vals = [v for v in prof.values() if v is not None]
    return {"a": {str(t): (None if v is None else round(v, 6)) for t, v in prof.items()},
            "tau99": tau99, "max_alignment": max(vals) if vals else None}
