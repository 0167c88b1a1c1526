"""KKT alignment of a direction for the margin problem of a norm (docs/theory.md §6.4 (d)),
for any ``L``-homogeneous model, with a certified bracket.

For ``theta_hat = theta / N(theta)`` and the near-active set
``A_tau = {j : q_j(theta_hat) <= (1 + tau) q_min}`` solve

    value = min_{lambda >= 0, supp lambda in A_tau}  N_*( sum_j lambda_j grad q_j(theta_hat) )
            s.t.  sum_j lambda_j q_j(theta_hat) = 1 / L

and set ``a(tau) = 1 / value``.  Euler's identity ``<grad q_j(theta), theta> = L q_j(theta)``
turns the constraint into ``<v, theta_hat> = 1`` for ``v = sum lambda_j grad q_j``, so
Hoelder's ``<v, theta_hat> <= N_*(v) N(theta_hat) = N_*(v)`` gives ``a(tau) <= 1``, with
equality iff ``v`` lies in the cone of the subdifferential of ``N`` at ``theta_hat``: then
``theta_hat`` is a KKT direction of ``min N(theta)^2 / 2 s.t. q(theta) >= 1`` with
complementary slackness up to ``tau``.  ``tau99`` is the smallest ``tau`` on :data:`TAU_GRID`
with ``a(tau) >= 0.99`` (``None``: the test fails at every ``tau``).

**Certified bracket** ``a_lo <= a(tau) <= a_hi`` (exact rationals, whatever the solver did).
The problem is scale-free: at ``theta`` itself (``c = N(theta)``), ``a = 1 / (c * value(theta))``.

* ``a_lo``: any ``lambda >= 0`` on ``A_tau``, rescaled exactly so that ``sum lambda_j q_j(theta)
  = 1/L``, gives ``value(theta) <= N_*(v(lambda))``; so ``a >= 1 / (N_hi(theta) N_*hi(v))``.
* ``a_hi``: any ``u`` with ``N(u) <= 1`` gives (weak duality) ``N_*(v) >= <v, u> = sum lambda_j
  <grad q_j, u> >= mu / L`` with ``mu = min_{j in A_tau} <grad q_j(theta), u> / q_j(theta)``; so
  ``a <= L / (N_lo(theta) mu)`` whenever ``mu > 0``.  ``u`` comes from the dual program
  ``max mu s.t. <grad q_j, u> >= mu q_j (j in A_tau), N(u) <= 1``, scaled by ``1/N_hi(u)``.

Margins, gradients and the active set are exact (``theta``'s float64 entries are rationals);
only the two solver points are float, and they only choose where the exact bounds are taken.
"""
from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np

from numeric.margin.norms import MarginNorm, norm

from .exact import CertificateError, dual_norm_upper, fraction_array, norm_bounds, to_fractions
from .reference import dual_objective, objective

TAU_GRID = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
PASS_ALIGNMENT = 0.99


def _solve(problem) -> bool:
    import cvxpy as cp
    try:
        with warnings.catch_warnings():  # an inaccurate solve shows in the returned value
            warnings.simplefilter("ignore")
            problem.solve(solver=_solve.solver)
    except cp.error.SolverError:
        return False
    return problem.status == "optimal"


_solve.solver = "CLARABEL"


def _active(q: np.ndarray, tau: float) -> np.ndarray:
    qmin = q.min()
    return np.flatnonzero(q <= (1 + tau) * qmin)


def alignment(prob, N: MarginNorm, theta: np.ndarray, tau: float, solver: str = "CLARABEL") -> float | None:
    """``a(tau)`` in ``(0, 1]`` in float64 (``None`` if the direction does not separate or the
    solver fails)."""
    import cvxpy as cp
    th = theta / norm(prob, N, theta)
    q = prob.margins(th)
    if float(q.min()) <= 0:
        return None
    active = _active(q, tau)
    A = prob.jacobian(th)[active]
    lam = cp.Variable(active.size, nonneg=True)
    p = cp.Problem(cp.Minimize(dual_objective(cp, prob, N, A.T @ lam)), [q[active] @ lam == 1 / prob.degree])
    _solve.solver = solver
    if not _solve(p) or not p.value or p.value <= 0:
        return None
    return min(1.0, 1.0 / float(p.value))


def _exact(prob, theta: np.ndarray) -> tuple:
    """``(q(theta), rows grad q_j(theta))`` exactly, as object arrays of ``Fraction``."""
    te = fraction_array(theta)
    return prob.margins(te), prob.jacobian(te)


def certified_alignment(prob, N: MarginNorm, theta: np.ndarray, tau: float,
                        solver: str = "CLARABEL", exact: tuple | None = None) -> dict:
    """``{"a": float a(tau), "lo": Fraction, "hi": Fraction}`` (ends ``None`` where no bound
    could be certified; ``lo = hi = None`` if ``theta`` does not separate).  ``exact``: the
    cached :func:`_exact` of ``theta``."""
    import cvxpy as cp
    _solve.solver = solver
    L = prob.degree
    qe, Jall = exact if exact is not None else _exact(prob, theta)
    qmin = min(qe)
    out = {"a": None, "lo": None, "hi": None}
    if qmin <= 0:
        return out
    tau_f = Fraction(tau)
    active = np.array([j for j, v in enumerate(qe) if v <= (1 + tau_f) * qmin])
    Je = Jall[active]
    qa = qe[active]
    # float problem at the normalized direction (well scaled)
    c = norm(prob, N, theta)
    q = np.array([float(v) for v in qa]) / c ** L
    A = np.array([[float(x) for x in row] for row in Je]) / c ** (L - 1)
    lam = cp.Variable(active.size, nonneg=True)
    p = cp.Problem(cp.Minimize(dual_objective(cp, prob, N, A.T @ lam)), [q @ lam == 1 / L])
    try:
        nlo, nhi = norm_bounds(prob, N, theta)
    except CertificateError:
        return out
    if _solve(p) and p.value and p.value > 0:
        out["a"] = min(1.0, 1.0 / float(p.value))
        lam_f = np.array(to_fractions(np.maximum(lam.value, 0.0)), dtype=object)
        s = sum(l * v for l, v in zip(lam_f, qa))
        if s > 0:
            lam_f = lam_f / (L * s)  # sum lambda_j q_j(theta) = 1/L exactly
            v = list(Je.T @ lam_f)
            try:
                out["lo"] = min(Fraction(1), 1 / (nhi * dual_norm_upper(prob, N, v)))
            except CertificateError:
                pass
    # upper end: dual program max mu s.t. <grad q_j, u> >= mu q_j, N(u) <= 1
    u = cp.Variable(prob.n_params)
    mu = cp.Variable()
    d = cp.Problem(cp.Maximize(mu), [A @ u >= mu * q, objective(cp, prob, N, u) <= 1])
    if _solve(d) and u.value is not None and nlo > 0:
        uf = np.asarray(u.value, dtype=np.float64)
        try:
            u_hi = norm_bounds(prob, N, uf)[1]
        except CertificateError:
            u_hi = None
        if u_hi:
            ue = np.array(to_fractions(uf), dtype=object)
            ratios = [sum(row * ue) / (u_hi * qj) for row, qj in zip(Je, qa)]
            m = min(ratios)
            out["hi"] = min(Fraction(1), L / (nlo * m)) if m > 0 else Fraction(1)
    if out["lo"] is not None and out["hi"] is not None and out["lo"] > out["hi"]:
        raise AssertionError(f"KKT bracket inverted: {float(out['lo'])} > {float(out['hi'])}")  # a bug, never a verdict
    return out


def kkt_profile(prob, N: MarginNorm, theta: np.ndarray, solver: str = "CLARABEL") -> dict:
    """``{"a": {tau: a(tau)}, "tau99": smallest tau with a >= 0.99 or None, "max_alignment": ...}``
    (float64 solver values: the diagnostic beside a certified margin gap)."""
    prof = {tau: alignment(prob, N, theta, tau, solver) for tau in TAU_GRID}
    tau99 = next((t for t in TAU_GRID if prof[t] is not None and prof[t] >= PASS_ALIGNMENT), None)
    vals = [v for v in prof.values() if v is not None]
    return {"a": {str(t): (None if v is None else round(v, 6)) for t, v in prof.items()},
            "tau99": tau99, "max_alignment": max(vals) if vals else None}


def certified_kkt_profile(prob, N: MarginNorm, theta: np.ndarray, solver: str = "CLARABEL") -> dict:
    """The profile with certified brackets: ``tau99_certified`` is the smallest ``tau`` with
    ``a_lo(tau) >= 0.99``; ``fails_everywhere`` is true iff ``a_hi(tau) < 0.99`` at every ``tau``."""
    exact = _exact(prob, theta)
    rows = {tau: certified_alignment(prob, N, theta, tau, solver, exact) for tau in TAU_GRID}
    tau99 = next((t for t in TAU_GRID if rows[t]["lo"] is not None and rows[t]["lo"] >= Fraction(PASS_ALIGNMENT)),
                 None)
    fails = all(r["hi"] is not None and r["hi"] < Fraction(PASS_ALIGNMENT) for r in rows.values())
    vals = [r["a"] for r in rows.values() if r["a"] is not None]
    return {"a": {str(t): (None if r["a"] is None else round(r["a"], 6)) for t, r in rows.items()},
            "a_certified": {str(t): [None if r["lo"] is None else _floor(r["lo"]),
                                     None if r["hi"] is None else _ceil(r["hi"])] for t, r in rows.items()},
            "tau99": tau99, "fails_everywhere": fails,
            "max_alignment": max(vals) if vals else None,
            "_lo": {t: r["lo"] for t, r in rows.items()}, "_hi": {t: r["hi"] for t, r in rows.items()}}


def _floor(x: Fraction) -> str:
    from .claims import _directed
    return _directed(x, "floor", 8)


def _ceil(x: Fraction) -> str:
    from .claims import _directed
    return _directed(x, "ceiling", 8)
