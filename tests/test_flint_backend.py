"""The python-flint DSPGD loop against the mpmath reference loop (issue 5, "an exact fast path").

Same dps, same problem, same eta: same iteration count, same stop reason, and iterates that
agree to the working precision (``||W_flint - W_mpmath|| <= 10^(5 - dps) * scale``).  Skipped
when python-flint (the ``fast`` extra) is not installed.
"""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

flint = pytest.importorskip("flint")

from numeric.backends import flint_loop as flint_backend  # noqa: E402
from numeric.preconditioners.catalog import make_preconditioner  # noqa: E402
from numeric.backends.mpmath_loop import DEFAULT_GUARD_DIGITS, run_dspgd  # noqa: E402
from numeric.exact_problem import ExactProblem  # noqa: E402
from numeric.backends.flint_loop import flint_precision, run_dspgd_flint, supported  # noqa: E402
from numeric.losses import make_loss  # noqa: E402
from numeric.matrices import fro_norm, sub  # noqa: E402
from numeric.params import to_mpf  # noqa: E402
from numeric.precision import working_precision  # noqa: E402
from numeric.problem import random_problem  # noqa: E402
from verify.check import Settings, check, check_by_name  # noqa: E402
from verify.cli.app import main  # noqa: E402
from verify.custom import build_custom  # noqa: E402
from verify.runs import LearningRate  # noqa: E402

NAMES = ["gd", "ngd", "clip", "adam", "sign", "clipv", "muon", "quadratic"]
DPS = 30


def _both(problem, name, frac=Fraction(9, 10), dps=DPS, **kw):
    with working_precision(dps) as ctx:
        xp = ExactProblem.build(ctx, problem)
        pre = make_preconditioner(name, {}, shape=(problem.d, problem.k), seed=problem.seed or 0)
        eta, _ = LearningRate("frac", frac).resolve(xp, pre)
        assert supported(xp, pre)
        a = run_dspgd(xp, pre, to_mpf(ctx, eta), **kw)
        b = run_dspgd_flint(xp, pre, to_mpf(ctx, eta), **kw)
        scale = a.residual_floor / ctx.mpf(10) ** (DEFAULT_GUARD_DIGITS - ctx.dps)
        dW = fro_norm(ctx, sub(a.W, b.W))
        return ctx, a, b, dW, scale


def _agree(ctx, a, b, dW, scale):
    tol = ctx.mpf(10) ** (5 - ctx.dps) * scale
    assert (a.iterations, a.stop_reason) == (b.iterations, b.stop_reason)
    assert dW <= tol, (dW, tol)
    assert fro_norm(ctx, sub(a.R, b.R)) <= tol
    assert all(type(x) is ctx.mpf for c in b.W for x in c)
    assert len(a.residual_history) == len(b.residual_history) and len(a.step_history) == len(b.step_history)
    assert [t for t, _ in a.drift_checkpoints] == [t for t, _ in b.drift_checkpoints]
    for (_, x), (_, y) in zip(a.drift_checkpoints, b.drift_checkpoints):
        assert abs(x - y) <= 1e-12 * (1 + abs(x)) + float(tol)
    assert a.monotone_loss == b.monotone_loss
    assert a.residual_history[-1] == pytest.approx(b.residual_history[-1], rel=1e-6, abs=float(tol))
    assert a.step_history[0] == pytest.approx(b.step_history[0], rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_flint_loop_matches_mpmath_loop(name):
    problem = random_problem(3, 8, 2, seed=1)
    ctx, a, b, dW, scale = _both(problem, name)
    assert a.stop_reason == "floor"
    _agree(ctx, a, b, dW, scale)
    for x, y in ((a.max_grad_natural, b.max_grad_natural), (a.max_grad_fro, b.max_grad_fro),
                 (a.path_length_row, b.path_length_row)):
        assert abs(x - y) <= ctx.mpf(10) ** (5 - ctx.dps) * (1 + abs(x))


@pytest.mark.parametrize("name,loss", [("adam", "logcosh"), ("ngd", "huber"), ("muon", "huber"),
                                       ("sign", "logcosh")])
def test_flint_loop_other_losses(name, loss):
    problem = random_problem(3, 7, 2, seed=2, loss=make_loss(loss))
    _agree(*_both(problem, name))


def test_fixed_steps_diverged_and_max_iter():
    problem = random_problem(3, 8, 2, seed=3, w0="random")
    ctx, a, b, dW, scale = _both(problem, "clipv", iterations=40, track_path=False)
    assert b.stop_reason == "fixed" and b.path_length_row is None
    _agree(ctx, a, b, dW, scale)
    ctx, a, b, dW, scale = _both(problem, "adam", max_iter=7)
    assert b.stop_reason == "max_iter" and b.iterations == 7
    _agree(ctx, a, b, dW, scale)
    with working_precision(DPS) as ctx:  # far above the stable step: blows up in both
        xp = ExactProblem.build(ctx, problem)
        pre = make_preconditioner("gd")
        a = run_dspgd(xp, pre, ctx.mpf(10))
        b = run_dspgd_flint(xp, pre, ctx.mpf(10))
        assert a.stop_reason == b.stop_reason == "diverged" and a.iterations == b.iterations


def test_higher_precision_and_bigger_shape():
    problem = random_problem(4, 12, 3, seed=4)
    _agree(*_both(problem, "adam", dps=60, max_iter=200))


def test_flint_precision_is_restored():
    before = flint.ctx.prec
    flint.ctx.prec = 77
    try:
        _both(random_problem(3, 8, 2, seed=1), "adam", max_iter=20)
        assert flint.ctx.prec == 77
        with pytest.raises(RuntimeError):
            with flint_precision(300):
                assert flint.ctx.prec == 300
                raise RuntimeError("boom")
        assert flint.ctx.prec == 77
    finally:
        flint.ctx.prec = before
    prec = flint.ctx.prec
    _both(random_problem(3, 8, 2, seed=1), "muon", max_iter=20)
    assert flint.ctx.prec == prec


def test_user_K_runs_the_flint_loop():
    """Since issue 15 a user K compiles to flint (tests/test_flint_user_k.py compares the loops);
    the fallback to mpmath is tested there too."""
    problem = random_problem(3, 6, 1, seed=0)
    built = build_custom("sqrt(1 + r**2) - 1", None, "isotropic", {}, (problem.d, problem.k))
    pre = built.pre
    assert "symbolic" in pre.extra
    with working_precision(DPS) as ctx:
        assert supported(ExactProblem.build(ctx, problem), pre)
    rec = check(problem, pre, Settings(dps=DPS, backend="flint", max_iter=20000)).record
    assert rec["settings"]["backend"] == "flint"  # the loop actually run


def test_borrowed_catalogue_name_is_not_trusted():
    from dataclasses import replace
    problem = random_problem(3, 6, 1, seed=0)
    pre = replace(make_preconditioner("adam"), grad_formula="something else")
    with working_precision(DPS) as ctx:
        assert not supported(ExactProblem.build(ctx, problem), pre)


@pytest.mark.parametrize("name", ["adam", "ngd"])
def test_check_reaches_the_same_verdicts(name):
    problem = random_problem(3, 6, 2, seed=0)
    recs = {b: check_by_name(problem, name, {}, Settings(dps=DPS, backend=b)).record for b in ("mpmath", "flint")}
    assert recs["flint"]["settings"]["backend"] == "flint" and recs["mpmath"]["settings"]["backend"] == "mpmath"
    verdicts = {b: [(c["id"], c.get("lr"), c["verdict"]) for c in r["claims"]] for b, r in recs.items()}
    assert verdicts["flint"] == verdicts["mpmath"]
    assert all(v in ("verified", "not_applicable") for _, _, v in verdicts["flint"])
    for cm, cf in zip(recs["mpmath"]["claims"], recs["flint"]["claims"]):
        if cm["id"] == "convergence":
            assert cm["evidence"]["iterations"] == cf["evidence"]["iterations"]


SMALL = ["--n", "3", "--d", "6", "--k", "1", "--dps", "30"]


@pytest.mark.parametrize("backend", ["flint", "mpmath"])
def test_cli_backend_option(capsys, backend):
    code = main(["check", "--preconditioner", "adam", *SMALL, "--backend", backend, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["settings"]["backend"] == backend


def test_cli_auto_backend_is_flint(capsys):
    code = main(["check", "--preconditioner", "gd", *SMALL, "--json"])
    out = capsys.readouterr()
    assert code == 0 and json.loads(out.out)["settings"]["backend"] == "flint"


@pytest.mark.parametrize("value", ["float32", "bogus"])  # float64 is a backend since issue 7
def test_cli_rejects_other_backends(capsys, value):
    code = main(["check", "--preconditioner", "gd", *SMALL, "--backend", value])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "mpmath" in err and "flint" in err and value in err


def test_cli_flint_without_python_flint(capsys, monkeypatch):
    monkeypatch.setattr(flint_backend, "available", lambda: False)
    code = main(["check", "--preconditioner", "gd", *SMALL, "--backend", "flint"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "python-flint" in err
    code = main(["check", "--preconditioner", "gd", *SMALL, "--json"])  # auto falls back to mpmath
    out = capsys.readouterr()
    assert code == 0 and json.loads(out.out)["settings"]["backend"] == "mpmath"


@pytest.mark.parametrize("backend", ["mpmath", "flint"])
def test_timeout_stops_both_loops_the_same_way(backend):
    """The shared StopRules: a time budget that is already spent stops after one step."""
    from fractions import Fraction as F
    from numeric.preconditioners.catalog import make_preconditioner
    from numeric.backends.mpmath_loop import run_dspgd
    from numeric.exact_problem import ExactProblem
    from numeric.backends.flint_loop import run_dspgd_flint
    from numeric.precision import working_precision
    from numeric.problem import random_problem
    problem = random_problem(2, 4, 1, seed=1)
    pre = make_preconditioner("adam", {"eps": F(1, 10)}, shape=(4, 1))
    loop = run_dspgd_flint if backend == "flint" else run_dspgd
    with working_precision(30) as ctx:
        tr = loop(ExactProblem.build(ctx, problem), pre, ctx.mpf("0.01"), timeout=1e-9)
    assert tr.stop_reason == "timeout" and tr.iterations == 1
