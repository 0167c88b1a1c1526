"""Characterizations: closed forms KKT-checked, cvxpy answers certified by an independent
high-precision bracket, and every non-optimal solver outcome reported with a reason."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from numeric.exact_problem import ExactProblem
from numeric.precision import working_precision
from numeric.problem import random_problem
from verify.characterization import characterize, solve_min_norm


@pytest.fixture(scope="module")
def problem():
    return random_problem(3, 8, 2, seed=2, w0="random")


def test_frobenius_closed_form_is_kkt(problem):
    with working_precision(60) as ctx:
        cert = characterize(ExactProblem.build(ctx, problem), "fro")
        assert cert.ok and cert.feasibility_residual < 1e-55 and cert.kkt_residual < 1e-55
        X, Y, W0 = problem.X, problem.Y, problem.W0
        W = W0 + np.linalg.pinv(X) @ (Y - X @ W0)
        assert np.allclose(np.array([[float(v) for v in c] for c in cert.W]).T, W, atol=1e-12)


@pytest.mark.parametrize("norm", ["l1", "linf", "spectral", "nuclear"])
def test_cvxpy_bracket_contains_the_optimum(problem, norm):
    with working_precision(40) as ctx:
        cert = characterize(ExactProblem.build(ctx, problem), norm)
        assert cert.ok, cert.reason
        assert cert.lower <= cert.upper
        assert (cert.upper - cert.lower) / cert.upper < 1e-5
        assert cert.feasibility_residual < 1e-35


def test_l1_bracket_against_scipy(problem):
    X, Y, W0 = problem.X, problem.Y, problem.W0
    B = Y - X @ W0
    total = 0.0
    for j in range(B.shape[1]):  # min ||u||_1 s.t. X u = b, as u = p - q, p, q >= 0
        d = X.shape[1]
        res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=B[:, j], bounds=[(0, None)] * (2 * d))
        total += res.fun
    with working_precision(40) as ctx:
        cert = characterize(ExactProblem.build(ctx, problem), "l1")
        assert float(cert.lower) <= total * (1 + 1e-7) and float(cert.upper) >= total * (1 - 1e-7)


def test_missing_solver_and_iteration_limit_are_reported(problem):
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, problem)
        cert = solve_min_norm(xp, "l1", solver="NOT_A_SOLVER")
        assert not cert.ok and cert.status == "solver_missing" and "not installed" in cert.reason
        cert = solve_min_norm(xp, "spectral", solver="CLARABEL", solver_options={"max_iter": 1})
        assert not cert.ok and cert.reason
