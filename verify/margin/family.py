"""Which norm does this run maximize?  A fit over the ``l_p`` family (docs/theory.md §6.9).

For a linear model and ``p`` on :data:`P_GRID` (``1 <= p <= inf``) the ``l_p`` max margin
``gamma*_p = 1 / min { ||w||_p : J w >= 1 }`` is solved by cvxpy (power cones), and the run's
relative gap ``g(p) = 1 - gamma_p(theta_T) / gamma*_p`` with ``gamma_p(theta) = min_j q_j / ||theta||_p``.
The fit reports the ``p`` of the smallest gap and its *flat interval* (the grid values within
``max(2 g_best, g_best + 1e-4)``).  On a lone matrix block (the multiclass model) it adds the
Schatten norms cvxpy can represent, ``S_1`` (nuclear), ``S_2`` (Frobenius, = ``l2``) and ``S_inf``
(spectral), under ``schatten``.  Solver values: a fit that points at a norm, not a certificate;
a claim about that norm is then checked with ``--claim``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

P_GRID = (1.0, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, math.inf)


def _min_norm_point(prob, objective, solver: str) -> np.ndarray | None:
    """The solver's ``argmin objective(w) s.t. J w >= 1`` (``None`` if the solve fails)."""
    import cvxpy as cp
    w = cp.Variable(prob.n_params)
    pr = cp.Problem(cp.Minimize(objective(w)), [prob.J @ w >= 1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pr.solve(solver=solver)
    except cp.error.SolverError:
        return None
    return None if pr.status != "optimal" or w.value is None else np.asarray(w.value, dtype=np.float64)


def _lp(theta: np.ndarray, p: float) -> float:
    return float(np.linalg.norm(theta, ord=p))


def fit_lp_family(prob, theta: np.ndarray, solver: str = "CLARABEL") -> dict:
    """``{"best_p", "relative_gap_at_best", "flat_interval", "grid"}`` (linear models only)."""
    import cvxpy as cp
    qmin = float(np.min(prob.margins(theta)))
    grid = {}
    for p in P_GRID:
        wv = _min_norm_point(prob, lambda w: cp.norm(w, p if math.isfinite(p) else "inf"), solver)
        if wv is None:
            continue
        star = float(np.min(prob.J @ wv)) / _lp(wv, p)  # a feasible point's margin: a lower end of gamma*_p
        if star > 0:
            grid[p] = 1 - (qmin / _lp(theta, p)) / star
    schatten = _schatten(prob, theta, qmin, solver) if prob.W_shape is not None and prob.b_size == 0 else None
    if not grid:
        return {"note": "no l_p max-margin solve succeeded"}
    best = min(grid, key=grid.get)
    level = max(2 * grid[best], grid[best] + 1e-4)
    flat = [p for p, g in grid.items() if g <= level]
    return {"best_p": _txt(best), "relative_gap_at_best": f"{grid[best]:.3g}",
            "flat_interval": [_txt(min(flat)), _txt(max(flat))], "flat_level": f"{level:.3g}",
            "grid": {_txt(p): f"{g:.3g}" for p, g in grid.items()},
            "note": "solver values on a grid of p: a fit, not a certificate",
            **({"schatten": schatten} if schatten else {})}


def _schatten(prob, theta: np.ndarray, qmin: float, solver: str) -> dict:
    """``p -> relative gap`` for the Schatten norms ``S_1, S_2, S_inf`` of the matrix block."""
    import cvxpy as cp
    shape = prob.W_shape
    s = np.linalg.svd(theta.reshape(shape), compute_uv=False)
    out = {}
    objectives = {"1": lambda w: cp.normNuc(cp.reshape(w, shape, order="C")), "2": lambda w: cp.norm(w, 2),
                  "inf": lambda w: cp.sigma_max(cp.reshape(w, shape, order="C"))}
    for p, own in (("1", float(np.sum(s))), ("2", float(np.sqrt(np.sum(s * s)))), ("inf", float(s[0]))):
        wv = _min_norm_point(prob, objectives[p], solver)
        if wv is None:
            continue
        sv = np.linalg.svd(wv.reshape(shape), compute_uv=False)
        nv = {"1": float(np.sum(sv)), "2": float(np.sqrt(np.sum(sv * sv))), "inf": float(sv[0])}[p]
        star = float(np.min(prob.J @ wv)) / nv
        if star > 0 and own > 0:
            out[p] = f"{1 - (qmin / own) / star:.3g}"
    return out


def _txt(p: float) -> str:
    return "inf" if math.isinf(p) else f"{p:g}"
