"""Fixed costs nobody asked for (issue 15): cvxpy imported only when a claim solves something;
the exact problem and the quadratic's extreme eigenvalues by python-flint, agreeing with mpmath
and bounding the spectrum; ``proofs`` on the same backend as ``check``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from numeric import eigen
from numeric import exact_problem as ep
from numeric.precision import working_precision
from numeric.problem import random_problem

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(argv: list[str], module: str = "cvxpy") -> tuple[int, bool]:
    code = ("import sys, io, contextlib; sys.path.insert(0, %r)\n"
            "from verify.cli.app import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    rc = main(%r)\n"
            "print(rc, %r in sys.modules)\n") % (str(ROOT), argv, module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    rc, imported = out.stdout.split()[-2:]
    return int(rc), imported == "True"


SMALL = ["--preconditioner", "gd", "--n", "3", "--d", "6", "--k", "1", "--dps", "30"]


def test_check_without_a_solver_claim_does_not_import_cvxpy():
    assert _modules_after(["check", *SMALL]) == (0, False)


def test_a_catalogue_check_with_cached_facts_does_not_import_sympy(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPGD_VERIFY_CACHE_DIR", str(tmp_path))  # cold, then warm
    assert _modules_after(["check", *SMALL], "sympy") == (0, True)  # the facts proved and cached
    assert _modules_after(["check", *SMALL], "sympy") == (0, False)  # read back: no SymPy at all


def test_a_limit_claim_or_a_named_solver_imports_it():
    assert _modules_after(["check", *SMALL, "--claim", "limit=gd"])[1]
    assert _modules_after(["check", *SMALL, "--solver", "SCS"]) == (0, True)


@pytest.mark.parametrize("shape", [(3, 8, 2), (10, 40, 3), (20, 90, 2)])
@pytest.mark.parametrize("dps", [30, 70])
def test_exact_problem_flint_agrees_with_mpmath(monkeypatch, shape, dps):
    pytest.importorskip("flint")
    p = random_problem(*shape, seed=1)
    with working_precision(dps) as ctx:
        a = ep.ExactProblem.build(ctx, p)
        assert ep._flint_gram(ctx, a.X_rows) is not None  # the flint path was taken
        monkeypatch.setattr(ep, "flint_available", lambda: False)
        monkeypatch.setattr(eigen, "flint_available", lambda: False)
        b = ep.ExactProblem.build(ctx, p)
        ulp = ctx.mpf(2) ** (8 - ctx.prec)
        for x, y in ((a.sigma_min, b.sigma_min), (a.sigma_max, b.sigma_max)):
            assert abs(x - y) <= ulp * y
        assert a.sigma_min <= b.sigma_min * (1 + ulp) and a.sigma_max >= b.sigma_max * (1 - ulp)
        top = max(abs(v) for r in b.gram_inv for v in r)
        assert max(abs(x - y) for r, s in zip(a.gram_inv, b.gram_inv) for x, y in zip(r, s)) <= ulp * top
        assert a.gram == b.gram  # products of float64 entries: both exact, then rounded once
        assert a.flint is not None and b.flint is None
        from numeric.matrices import fro_norm, sub
        W = [[ctx.mpf(i - j) / 7 for i in range(p.d)] for j in range(p.k)]
        scale = 1 + fro_norm(ctx, b.w_gd())
        for f in ("w_gd",):
            assert fro_norm(ctx, sub(getattr(a, f)(), getattr(b, f)())) <= ulp * scale
        for f in ("residual", "project_null_space", "project_row_space", "X"):
            x, y = getattr(a, f)(W), getattr(b, f)(W)
            assert fro_norm(ctx, sub(x, y)) <= ulp * (1 + fro_norm(ctx, y)), f
        R = b.residual(W)
        for f in ("pinv", "XT"):
            x, y = getattr(a, f)(R), getattr(b, f)(R)
            assert fro_norm(ctx, sub(x, y)) <= ulp * (1 + fro_norm(ctx, y)) * 10 ** 3, f
        assert all(type(v) is ctx.mpf for c in a.residual(W) for v in c)


def test_extreme_eigenvalues_are_outer_bounds():
    pytest.importorskip("flint")
    import numpy as np
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 12))
    H = A @ A.T + np.eye(12)
    with working_precision(40) as ctx:
        rows = [[ctx.mpf(float(v)) for v in r] for r in H]
        lo, hi = eigen.extreme_eigenvalues(ctx, rows)
        lam = ctx.eigsy(ctx.matrix(rows), eigvals_only=True)
        ref = [lam[i] for i in range(12)]
        tol = ctx.mpf(10) ** -35 * max(ref)
        assert lo <= min(ref) + tol and hi >= max(ref) - tol
        assert min(ref) - lo <= tol and hi - max(ref) <= tol


def test_proofs_numeric_steps_use_checks_backend(monkeypatch):
    """``proofs`` builds check's Settings with the backend ``check --backend auto`` picks."""
    from numeric.backends import flint_loop
    from proofs.results.theorem_a import settings
    from verify.runs import default_backend
    assert settings(30).backend == default_backend() == ("flint" if flint_loop.available() else "mpmath")
    monkeypatch.setattr(flint_loop, "available", lambda: False)
    assert settings(30).backend == "mpmath"


@pytest.mark.parametrize("case", range(6))
def test_exact_rank_flint_agrees_with_sympy(monkeypatch, case):
    pytest.importorskip("flint")
    import numpy as np
    from numeric import exact_rank as er
    rng = np.random.default_rng(case)
    A = [rng.standard_normal((5, 9)), np.vstack([np.ones(6), 2 * np.ones(6), rng.standard_normal(6)]),
         np.zeros((2, 3)), rng.standard_normal((4, 4)) @ np.diag([1, 1, 1, 0.0]),
         np.array([[1e300, 1e-300], [2e300, 2e-300]]), np.array([[3.0, 1e-310], [6.0, 2e-310]])][case]
    fast = er.exact_rank(A)
    monkeypatch.setattr(er, "flint_available", lambda: False)
    assert fast == er.exact_rank(A)
