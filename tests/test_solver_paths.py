"""Every cvxpy status path maps to a verdict or an error with a reason (issue 8, item 3).

Each path is forced through the real code (``verify.characterization.solve_min_norm`` and,
end to end, ``verify.check.check``):

| path | how it is forced |
|---|---|
| optimal | a plain CLARABEL solve |
| user_limit | CLARABEL with ``max_iter=1`` (a real iteration limit) |
| optimal_inaccurate | SCS with ``max_iters=5`` (a real iteration limit: SCS returns inaccurate) |
| infeasible | a real solve of inconsistent constraints ``x1 = 1, x1 = 2``; such X (rank deficient) is refused by ``Problem``, so the test hands the solver the raw arrays |
| unbounded | **monkeypatched** ``cvxpy.Problem.solve``: a norm objective is bounded below by 0, so no real trigger exists |
| solver error | OSQP (a QP solver) asked for the spectral norm (a semidefinite program), which it cannot solve; and an option the solver refuses |
| solver missing | a real solver name that is not installed (MOSEK), in the API and at the CLI (exit 2) |
| "optimal" but wrong | CLARABEL with tolerances of 1: it says ``optimal`` with the objective value of W_GD, not of the optimum; the high-precision re-check keeps the claim unverified |
"""
from __future__ import annotations

import types
from fractions import Fraction

import cvxpy as cp
import numpy as np
import pytest

from numeric.exact_problem import ExactProblem
from numeric.precision import working_precision
from numeric.problem import random_problem
from verify._recheck_hook import rechecks_disabled
from verify.characterization import solve_min_norm
from verify.check import Settings, UserClaim, check_by_name
from verify.cli.app import main
from verify.runs import LearningRate
from verify.solver_status import STATUS_REASONS, status_reason

PROBLEM = random_problem(2, 5, 1, seed=0)
SLOPPY = (("tol_gap_abs", 1.0), ("tol_gap_rel", 1.0), ("tol_feas", 1.0))


@pytest.fixture
def xp():
    with working_precision(30) as ctx:
        yield ExactProblem.build(ctx, PROBLEM)


def _claim(solver="CLARABEL", options=(), pre="sign", norm="linf"):
    settings = Settings(dps=30, lrs=(LearningRate("frac", Fraction(9, 10)),), solver=solver,
                        solver_options=options, claims=(UserClaim(f"limit=minnorm:{norm}", "limit", norm),))
    rec = check_by_name(PROBLEM, pre, {}, settings).record
    return next(c for c in rec["claims"] if c["id"] == f"claim:limit=minnorm:{norm}")


def test_every_cvxpy_status_has_a_policy():
    statuses = [getattr(cp.settings, n) for n in ("OPTIMAL", "OPTIMAL_INACCURATE", "INFEASIBLE",
                                                  "INFEASIBLE_INACCURATE", "UNBOUNDED", "UNBOUNDED_INACCURATE",
                                                  "USER_LIMIT", "SOLVER_ERROR", "INFEASIBLE_OR_UNBOUNDED")]
    for s in statuses:
        assert s in STATUS_REASONS, s
        reason = status_reason(s)
        assert (reason is None) == (s == "optimal"), (s, reason)
    assert "solver_missing" in STATUS_REASONS
    assert "unexpected" in status_reason("something_new")


def test_optimal_is_rechecked_into_a_certified_bracket(xp):
    cert = solve_min_norm(xp, "linf")
    assert cert.ok and cert.status == "optimal"
    assert 0 < cert.lower <= cert.upper
    assert cert.upper - cert.lower < 1e-6 * cert.upper
    assert cert.feasibility_residual < xp.ctx.mpf(10) ** -25


def test_user_limit_from_a_real_iteration_limit(xp):
    cert = solve_min_norm(xp, "linf", "CLARABEL", {"max_iter": 1})
    assert not cert.ok and cert.status == "user_limit" and "user limit" in cert.reason
    c = _claim(options=(("max_iter", 1),))
    assert c["verdict"] == "inconclusive" and "user limit" in c["reason"]


def test_optimal_inaccurate_from_a_real_iteration_limit(xp):
    cert = solve_min_norm(xp, "linf", "SCS", {"max_iters": 5})
    assert not cert.ok and cert.status == "optimal_inaccurate" and "inaccurate" in cert.reason
    c = _claim(solver="SCS", options=(("max_iters", 5),))
    assert c["verdict"] == "inconclusive" and "optimal_inaccurate" in c["reason"]


def test_infeasible_from_inconsistent_constraints():
    """``X = [[1, 0, 0], [1, 0, 0]]``, ``Y = [1, 2]``: no interpolator.  ``Problem`` refuses such
    an X (rank deficient, exit 2 at the CLI), so the solver gets the raw arrays here."""
    with working_precision(30) as ctx:
        raw = types.SimpleNamespace(X=np.array([[1.0, 0, 0], [1.0, 0, 0]]), Y=np.array([[1.0], [2.0]]),
                                    W0=np.zeros((3, 1)), n=2, d=3, k=1)
        cert = solve_min_norm(types.SimpleNamespace(ctx=ctx, problem=raw), "linf")
    assert not cert.ok and cert.status == "infeasible" and "infeasible" in cert.reason


def test_unbounded_by_monkeypatch(monkeypatch, xp):
    """Monkeypatched: ``min N(W - W0)`` is bounded below by 0, so a real solver can never
    report it unbounded; the status is injected to show the policy holds."""
    def fake_solve(self, *args, **kwargs):
        self._status = "unbounded"
    monkeypatch.setattr(cp.Problem, "solve", fake_solve)
    cert = solve_min_norm(xp, "linf")
    assert not cert.ok and cert.status == "unbounded" and "unbounded" in cert.reason
    c = _claim()
    assert c["verdict"] == "inconclusive" and "unbounded" in c["reason"]


def test_solver_error_from_a_solver_that_cannot_solve_the_problem(xp):
    cert = solve_min_norm(xp, "spectral", "OSQP")
    assert not cert.ok and cert.status == "solver_error" and "cannot solve" in cert.reason
    c = _claim(solver="OSQP", norm="spectral")
    assert c["verdict"] == "inconclusive" and "solver error" in c["reason"]


def test_solver_error_from_a_refused_option(xp):
    """Before issue 8 an option the solver refuses escaped as a TypeError (exit 4)."""
    cert = solve_min_norm(xp, "linf", "CLARABEL", {"no_such_option": 1})
    assert not cert.ok and cert.status == "solver_error" and "no_such_option" in cert.reason


def test_solver_missing_in_the_api_and_at_the_cli(xp, capsys):
    assert "MOSEK" not in cp.installed_solvers()
    cert = solve_min_norm(xp, "linf", "MOSEK")
    assert not cert.ok and cert.status == "solver_missing" and "not installed" in cert.reason
    rc = main(["check", "--preconditioner", "sign", "--n", "2", "--d", "5", "--k", "1",
               "--claim", "limit=minnorm:linf", "--solver", "MOSEK"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and err.count("\n") == 1 and "MOSEK" in err and "Traceback" not in err


def test_a_sloppy_optimal_is_caught_by_the_recheck(xp):
    """CLARABEL with tolerances of 1 reports ``optimal`` for min ||W||_inf with the value of W_GD
    (0.551), while the optimum is 0.475.  Sign's limit (0.529) lies between: trusting the solver
    would *verify* the false claim "sign's limit is the min-l-infinity interpolator".  The
    weak-duality re-check gives the bracket [0, 0.551], so the claim stays unverified; with the
    re-checks disabled (mutation) it comes out verified."""
    cert = solve_min_norm(xp, "linf", "CLARABEL", dict(SLOPPY))
    assert cert.status == "optimal"
    assert cert.lower < 0.476 < 0.55 < cert.upper  # the bracket still contains the optimum 0.4752
    honest = _claim(options=SLOPPY)
    assert honest["verdict"] == "inconclusive" and "bracket" in honest["reason"]
    with rechecks_disabled():
        fooled = _claim(options=SLOPPY)
    assert fooled["verdict"] == "verified"
    exact = _claim()
    assert exact["verdict"] == "refuted"
