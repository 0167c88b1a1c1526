"""The float64 backend (issue 7, part 4): same loop semantics as the mpmath reference, honest about
what float64 can resolve.

* The float64 loop stops by the same rules and its iterate agrees with the mpmath loop's to
  about 1e-12 (relative to ``||W_GD - W0||``), far below the 1e-8 tolerance.
* On the catalogue, the verdicts of ``--backend float64`` are the verdicts of ``--backend mpmath``.
* A claim asked to hold to 1e-20 comes out ``inconclusive`` under float64, never ``verified``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from numeric.backends import float64_loop as f64
from numeric.preconditioners.catalog import make_preconditioner
from numeric.backends.mpmath_loop import run_dspgd
from numeric.exact_problem import ExactProblem
from numeric.losses import make_loss
from numeric.matrices import fro_norm, sub
from numeric.params import to_mpf
from numeric.precision import working_precision
from numeric.problem import random_problem
from verify.check import Settings, check, check_by_name
from verify.cli.app import main
from verify.runs import LearningRate

NAMES = ["gd", "ngd", "clip", "adam", "sign", "clipv", "muon", "quadratic"]
LRS = (LearningRate("frac", Fraction(45, 100)), LearningRate("frac", Fraction(9, 10)))


@pytest.mark.parametrize("name", NAMES)
def test_float64_loop_matches_the_mpmath_loop(name):
    problem = random_problem(3, 8, 2, seed=1)
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, problem)
        pre = make_preconditioner(name, {}, shape=(8, 2), seed=1)
        eta, _ = LearningRate("frac", Fraction(9, 10)).resolve(xp, pre)
        eta = f64.float64_eta(eta)
        assert f64.supported(xp, pre)
        a = run_dspgd(xp, pre, to_mpf(ctx, eta))
        b = f64.run_dspgd_float64(xp, pre, eta)
        assert a.stop_reason == b.stop_reason == "floor"
        scale = fro_norm(ctx, sub(xp.w_gd(), xp.W0))
        assert fro_norm(ctx, sub(a.W, b.W)) / scale < 1e-11
        assert b.iterations < a.iterations  # the float64 floor is 1e-12, the 30-digit one 1e-24
        assert all(type(x) is ctx.mpf for c in b.W for x in c)
        assert b.dps == f64.FLOAT64_DPS
        # the longdouble rerun of the same length differs by float64 rounding only
        r = f64.run_reference(xp, pre, eta, b.iterations)
        assert r.iterations == b.iterations and r.stop_reason == "fixed"
        assert 0 < fro_norm(ctx, sub(r.W, b.W)) / scale < 1e-13


@pytest.mark.parametrize("name,loss", [("adam", "logcosh"), ("ngd", "huber"), ("muon", "huber")])
def test_float64_loop_other_losses(name, loss):
    problem = random_problem(3, 7, 2, seed=2, loss=make_loss(loss))
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, problem)
        pre = make_preconditioner(name, {}, shape=(7, 2))
        eta = f64.float64_eta(LearningRate("frac", Fraction(1, 2)).resolve(xp, pre)[0])
        a = run_dspgd(xp, pre, to_mpf(ctx, eta))
        b = f64.run_dspgd_float64(xp, pre, eta)
        assert b.stop_reason == "floor" and b.monotone_loss == a.monotone_loss
        assert fro_norm(ctx, sub(a.W, b.W)) < 1e-10


def _verdicts(rec):
    return {(c["id"], rec["settings"]["lr_fractions"][rec["settings"]["lrs"].index(c["lr"])] if c.get("lr") else None):
            c["verdict"] for c in rec["claims"]}


def test_float64_verdicts_equal_mpmath_verdicts_on_the_catalogue():
    problem = random_problem(3, 8, 2, seed=0)
    for name in NAMES:
        hi = check_by_name(problem, name, {}, Settings(dps=30, lrs=LRS, backend="mpmath")).record
        lo = check_by_name(problem, name, {}, Settings(lrs=LRS, backend="float64")).record
        assert lo["settings"]["backend"] == "float64" and lo["settings"]["tolerance"] == "1e-8"
        assert lo["settings"]["arithmetic"] == "float64" and lo["settings"]["dps"] == 15
        assert _verdicts(lo) == _verdicts(hi), name
        for c in lo["claims"]:
            if c.get("lr") and c["verdict"] != "not_applicable" and c["id"] != "assumptions":
                assert c["evidence"]["arithmetic"] == "float64", (name, c["id"])
                assert float(c["error_bound"]) < 1e-9  # resolves the 1e-8 tolerance


def test_a_claim_needing_1e20_is_inconclusive_under_float64():
    problem = random_problem(3, 8, 2, seed=0)
    rec = check_by_name(problem, "gd", {}, Settings(lrs=LRS[:1], backend="float64", tol="1e-20")).record
    got = {c["id"]: c for c in rec["claims"]}
    for cid in ("isotropic_bias", "row_space_bias", "general_bound"):
        assert got[cid]["verdict"] == "inconclusive", got[cid]
        assert "exceeds the tolerance" in got[cid]["reason"]
    # the same claim at 50 digits is verified: the difference is precision, not mathematics
    hi = check_by_name(problem, "gd", {}, Settings(lrs=LRS[:1], backend="mpmath", dps=40)).record
    assert {c["id"]: c["verdict"] for c in hi["claims"]}["isotropic_bias"] == "verified"


def test_cli_float64_with_tol_1e20_exits_3(capsys):
    assert main(["check", "--backend", "float64", "--preconditioner", "gd", "--n", "3", "--d", "8", "--k", "1",
                 "--tol", "1e-20", "--json"]) == 3
    rec = json.loads(capsys.readouterr().out)
    assert rec["settings"]["backend"] == "float64" and rec["settings"]["tolerance"] == "1e-20"


def test_cli_float64_default_run(capsys):
    assert main(["check", "--backend", "float64", "--preconditioner", "adam", "--n", "3", "--d", "8", "--k", "2",
                 "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["settings"]["tolerance"] == "1e-8" and rec["settings"]["rerun_arithmetic"] in ("longdouble", "mpmath")


def test_user_k_falls_back_to_the_exact_loop_and_says_so():
    """A user K has no float64 kernel: it runs the exact loop (flint when installed, issue 15)."""
    from numeric.backends.flint_loop import available
    from verify.custom import build_custom
    problem = random_problem(2, 5, 1, seed=0)
    built = build_custom("sqrt(1 + r**2) - 1", None, "isotropic", {}, (5, 1))
    rec = check(problem, built.pre, Settings(dps=20, lrs=LRS[:1], backend="float64")).record
    assert rec["settings"]["backend"] == ("flint" if available() else "mpmath")
    assert rec["settings"]["tolerance"] == "1e-20"


def test_exact_conversions_and_jacobi_eigh():
    with working_precision(30) as ctx:
        x = np.longdouble(1) / np.longdouble(3)
        m = f64._to_mpf(ctx, x)
        assert m == ctx.mpf(1) / 3 or abs(m - ctx.mpf(1) / 3) < ctx.mpf(2) ** -63
        p, q = x.as_integer_ratio()
        assert m * q == p  # exact
    rng = np.random.default_rng(0)
    for k in (2, 3, 5):
        A = rng.standard_normal((k, k)).astype(np.longdouble)
        M = A + A.T
        lam, Q = f64.symmetric_eigh(M)
        assert np.max(np.abs(Q @ np.diag(lam) @ Q.T - M)) < 1e-17
        assert np.allclose(np.sort(lam.astype(float)), np.linalg.eigvalsh(M.astype(float)), atol=1e-13)


def test_torch_adam_without_torch_exits_2():
    """With torch hidden by an import hook, ``--preconditioner torch-adam`` exits 2 naming the extra."""
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'torch' or name.startswith('torch.'):\n"
            "            raise ImportError('blocked')\n"
            "sys.meta_path.insert(0, Block())\n"
            "from verify.cli import main\n"
            "sys.exit(main(['check', '--preconditioner', 'torch-adam', '--n', '2', '--d', '4', '--k', '1']))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "needs torch: pip install torch (or, from a clone, pip install '.[xcheck]')" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_without_a_wider_longdouble_the_rerun_is_high_precision(monkeypatch):
    """Where longdouble is float64 (e.g. arm64 macOS) the rounding check reruns at P + 20 digits."""
    monkeypatch.setattr(f64, "longdouble_is_wider", lambda: False)
    problem = random_problem(3, 8, 2, seed=0)
    rec = check_by_name(problem, "adam", {}, Settings(dps=30, lrs=LRS[:1], backend="float64")).record
    assert rec["settings"]["rerun_arithmetic"] == "mpmath" and rec["settings"]["rerun_dps"] == 50
    conv = next(c for c in rec["claims"] if c["id"] == "convergence")
    assert conv["verdict"] == "verified" and 0 < float(conv["evidence"]["rounding_difference"]) < 1e-13
