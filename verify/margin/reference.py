"""The reference ``gamma*_N`` of paper 2, certified by weak duality (docs/theory.md §6, §6.4 (a)).

    gamma* = max_{N(w) <= 1} min_j <A_j, w> = 1 / min { N(w) : J w >= 1 } = min_{lambda in simplex} N_*(J^T lambda)

cvxpy (CLARABEL by default) solves ``min N(w) s.t. J w >= 1``; its answer is never trusted
alone.  For the returned point ``w`` and the constraint multipliers ``lambda`` (clipped at 0 and
renormalized onto the simplex, exactly):

    lo = min_j q_j(w) / N(w)  <=  gamma*  <=  N_*(J^T lambda) = hi

both evaluated in exact rational arithmetic (:mod:`verify.margin.exact`), so ``[lo, hi]``
holds whatever the solver did; its width is the certificate's resolution.  A status other
than ``optimal`` is reported with its reason (:mod:`verify.solver_status`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from numeric.margin.data import MarginProblem
from numeric.margin.norms import MarginNorm, groups

from .exact import SCHATTEN_REASON, CertificateError, check_certifiable, dual_norm_upper, margin_bounds, to_fractions
from ..solver_status import status_reason


@dataclass(frozen=True)
class MarginReference:
    """Certified bracket ``lo <= gamma* <= hi`` (``None`` ends, with ``reason``, when it failed)."""

    norm: MarginNorm
    lo: Fraction | None
    hi: Fraction | None
    point: np.ndarray | None  # the solver's max-margin direction (not normalized)
    multipliers: np.ndarray | None
    status: str
    reason: str | None = None

    @property
    def certified(self) -> bool:
        return self.lo is not None and self.hi is not None and 0 < self.lo <= self.hi

    @property
    def relative_width(self) -> Fraction | None:
        return (self.hi - self.lo) / self.lo if self.certified else None


def objective(cp, prob: MarginProblem, N: MarginNorm, theta):
    """``N(theta)`` as a cvxpy expression."""
    if N.name == "l2":
        return cp.norm(theta, 2)
    if N.name == "linf":
        return cp.norm(theta, "inf")
    if N.name == "l1":
        return cp.norm(theta, 1)
    if N.name == "lp":
        return cp.norm(theta, float(N.p))
    if N.name == "group":
        return sum(float(w) * cp.norm(theta[a:e], 2) for w, (a, e) in zip(N.weights, groups(prob)))
    if N.name == "schatten":
        return _schatten_form(cp, prob, theta, N.p_float)
    sp = cp.sigma_max(cp.reshape(theta[: prob.W_size], prob.W_shape, order="C"))
    if N.name == "spectral":
        return sp
    return cp.maximum(float(N.ratio) * sp, cp.norm(theta[prob.W_size:], "inf"))


def dual_objective(cp, prob: MarginProblem, N: MarginNorm, v):
    """``N_*(v)`` as a cvxpy expression."""
    if N.name == "l2":
        return cp.norm(v, 2)
    if N.name == "linf":
        return cp.norm(v, 1)
    if N.name == "l1":
        return cp.norm(v, "inf")
    if N.name == "lp":
        return cp.norm(v, float(N.q))
    if N.name == "group":
        return cp.max(cp.hstack([cp.norm(v[a:e], 2) / float(w) for w, (a, e) in zip(N.weights, groups(prob))]))
    if N.name == "schatten":
        return _schatten_form(cp, prob, v, N.q_float)
    nuc = cp.normNuc(cp.reshape(v[: prob.W_size], prob.W_shape, order="C"))
    if N.name == "spectral":
        return nuc
    return nuc / float(N.ratio) + cp.norm(v[prob.W_size:], 1)


def _schatten_form(cp, prob: MarginProblem, theta, p: float):
    """``||(sigma(W), b)||_p`` in cvxpy for ``p in {1, 2, inf}`` (the Schatten norms cvxpy
    represents: nuclear, Frobenius, spectral); other ``p``: :class:`CertificateError`."""
    if p == 2:
        return cp.norm(theta, 2)
    W = cp.reshape(theta[: prob.W_size], prob.W_shape, order="C")
    b = theta[prob.W_size:] if prob.b_size else None
    if p == 1:
        return cp.normNuc(W) + (cp.norm(b, 1) if b is not None else 0)
    if p == np.inf:
        return cp.maximum(cp.sigma_max(W), cp.norm(b, "inf")) if b is not None else cp.sigma_max(W)
    raise CertificateError(SCHATTEN_REASON)


def solve_reference(prob: MarginProblem, N: MarginNorm, solver: str = "CLARABEL",
                    solver_options: dict | None = None) -> MarginReference:
    """Solve ``min N(w) s.t. J w >= 1`` and certify ``gamma*`` by the exact weak-duality bracket."""
    import cvxpy as cp
    try:
        check_certifiable(N)
    except CertificateError as exc:
        return MarginReference(N, None, None, None, None, "not_solved", str(exc))
    theta = cp.Variable(prob.n_params)
    cons = [prob.J @ theta >= 1]
    problem = cp.Problem(cp.Minimize(objective(cp, prob, N, theta)), cons)
    try:
        with warnings.catch_warnings():  # the status carries the news; no stray warnings on stderr
            warnings.simplefilter("ignore")
            problem.solve(solver=solver, **(solver_options or {}))
        status = problem.status
    except cp.error.SolverError as exc:
        status = "solver_missing" if solver not in cp.installed_solvers() else "solver_error"
        return MarginReference(N, None, None, None, None, status, f"{status_reason(status)}: {exc}")
    reason = status_reason(status)
    if reason is not None or theta.value is None or cons[0].dual_value is None:
        return MarginReference(N, None, None, None, None, status, reason or "solver returned no point")
    w = np.asarray(theta.value, dtype=np.float64)
    lam = np.maximum(np.asarray(cons[0].dual_value, dtype=np.float64), 0.0)
    try:
        lo = margin_bounds(prob, N, w)[0]
        lam_f = to_fractions(lam)
        total = sum(lam_f, Fraction(0))
        if total <= 0:
            return MarginReference(N, None, None, w, lam, status, "solver multipliers are all zero")
        v = [sum((l * row[c] for l, row in zip(lam_f, prob.J_exact) if l), Fraction(0)) / total
             for c in range(prob.n_params)]
        hi = dual_norm_upper(prob, N, v)
    except CertificateError as exc:
        return MarginReference(N, None, None, w, lam, status, str(exc))
    if lo <= 0:
        return MarginReference(N, None, hi, w, lam, status, "the solver's point does not separate the data")
    if lo > hi:  # impossible by weak duality; a bug, never a verdict
        raise AssertionError(f"weak duality violated: lo {float(lo)} > hi {float(hi)}")
    return MarginReference(N, lo, hi, w, lam, status)


def distance_to_optimal_set(prob: MarginProblem, ref: MarginReference, direction: np.ndarray,
                            solver: str = "CLARABEL") -> float | None:
    """``min ||d - w||_2`` over max-margin directions ``w`` (``N(w) <= 1``, ``J w >= lo``), where
    ``d = theta / N(theta)``: the distance to the optimal *set* (l-infinity optima are often not
    unique), a solver value reported as evidence, not certified."""
    import cvxpy as cp
    if not ref.certified:
        return None
    w = cp.Variable(prob.n_params)
    cons = [objective(cp, prob, ref.norm, w) <= 1, prob.J @ w >= float(ref.lo) * (1 - 1e-9)]
    p = cp.Problem(cp.Minimize(cp.norm(w - direction, 2)), cons)
    try:
        with warnings.catch_warnings():  # an inaccurate solve is reported as None, not as a warning
            warnings.simplefilter("ignore")
            p.solve(solver=solver)
    except cp.error.SolverError:
        return None
    return float(p.value) if p.status == "optimal" else None
