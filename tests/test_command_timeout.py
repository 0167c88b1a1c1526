"""``--timeout`` bounds the whole command (issue 14): one deadline for the symbolic preparation,
every run and every rerun, in this process and in the worker processes.

A run stopped by the deadline is ``inconclusive`` with a reason naming ``--timeout`` (never
verified on a truncated run), and a rerun that cannot run for lack of time leaves its claims
``inconclusive`` too (no rerun, no verdict).  The wall-time bounds are bounds, not benchmarks:
the allowance (:data:`ALLOWANCE`) covers Python's start-up, the imports and a shared machine.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from numeric.backends import float64_loop
from numeric.deadline import Deadline, time_left
from numeric.margin.data import random_margin_problem
from numeric.margin.optimizers import make_optimizer
from numeric.margin.run import Schedule
from numeric.problem import random_problem
from verify import runs as runs_module
from verify.check import Settings, check_by_name
from verify.margin import check as margin_module
from verify.margin.check import MarginSettings, margin_check
from verify.runs import LearningRate

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ALLOWANCE = 15.0  # seconds beyond --timeout: start-up, imports, a loaded machine


def _command(argv: list[str], timeout: float) -> tuple[int, dict, str, float]:
    """A fresh ``dspgd-verify`` process: exit status, its JSON, stderr and the wall time."""
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "verify.cli", *argv, "--timeout", str(timeout), "--json"],
                         capture_output=True, text=True, env=ENV, timeout=timeout + 120)
    seconds = time.monotonic() - t0
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout), out.stderr, seconds


def _records(env: dict) -> list[dict]:
    return env.get("results", [env])


class _GoneAfterTheRun:
    """A deadline with plenty of time until :attr:`gone` is set (by the test, after the run)."""

    seconds = 1000.0

    def __init__(self) -> None:
        self.gone = False

    def left(self) -> float:
        return 0.0 if self.gone else self.seconds

    def expired(self) -> bool:
        return self.left() <= 0.0


# ----------------------------------------------------------------------------- the deadline
def test_the_deadline_is_clamped_to_the_budget_and_travels_to_workers():
    d = Deadline.after(5.0)
    assert 0 < d.left() <= 5.0 and not d.expired()
    assert Deadline(time.monotonic() + 10_000, 2.0).left() == 2.0   # never more than the whole budget
    gone = Deadline(time.monotonic() - 1, 2.0)
    assert gone.left() == 0.0 and gone.expired()
    assert pickle.loads(pickle.dumps(d)) == d                       # map_jobs sends it with each job
    assert time_left(None, None) is None
    assert time_left(3.0, None) == 3.0
    assert time_left(None, gone) == 0.0
    assert time_left(1.0, Deadline(time.monotonic() + 100, 100.0)) == 1.0


# ----------------------------------------------------------------------------- whole commands
def test_check_with_a_slow_valid_input_ends_within_its_timeout():
    """adam with eps = 1e-30 needs minutes; before the fix each of the two learning rates got the
    whole --timeout for its run and again for its rerun (4 x 5 s for --timeout 5)."""
    rc, env, _, seconds = _command(["check", "--preconditioner", "adam", "--param", "eps=1e-30",
                                    "--n", "2", "--d", "4", "--k", "1"], 3)
    assert seconds < 3 + ALLOWANCE, seconds
    assert rc == 3 and env["exit_status"] == 3
    conv = [c for c in env["claims"] if c["id"] == "convergence"]
    assert len(conv) == 2
    for c in conv:
        assert c["verdict"] == "inconclusive" and "--timeout" in c["reason"], c
        assert c["evidence"]["stop_reason"] == "timeout"
    assert not [c for c in env["claims"] if c["verdict"] == "verified" and c["id"] != "assumptions"]
    for c in env["claims"]:
        if c["verdict"] == "inconclusive" and c["id"] != "lr_dependence":
            assert "--timeout" in c["reason"], c


def test_the_headline_check_shares_one_deadline_across_its_workers():
    """Eight catalogue entries on two worker processes: the entries whose turn comes after the
    deadline are stopped at once with the reason (this took 25-35 s with --timeout 3: each entry
    had its own budget, and the quadratic entry's facts and eigenvalue bounds none)."""
    rc, env, _, seconds = _command(["check", "--n", "8", "--d", "40", "--k", "3", "--dps", "80",
                                    "--backend", "mpmath", "--jobs", "2"], 2)
    assert seconds < 2 + ALLOWANCE, seconds
    assert rc == 3
    recs = _records(env)
    assert len(recs) == 8
    stopped = [r for r in recs if "stopped" in r]
    assert stopped, [r["preconditioner"]["name"] for r in recs]
    for r in stopped:
        assert "--timeout" in r["stopped"]
        assert [c["verdict"] for c in r["claims"]] == ["inconclusive"]
    for r in recs:
        assert not [c for c in r["claims"] if c["verdict"] == "verified" and c["id"] != "assumptions"
                    and c.get("evidence", {}).get("stop_reason", "floor") != "floor"]


@pytest.mark.parametrize("argv", [
    ["margin"],                                                          # the six headline optimizers
    ["margin", "--model", "two-layer", "--n", "40", "--d", "20"],      # 20 s of exact KKT brackets before
])
def test_margin_ends_within_its_timeout(argv):
    rc, env, _, seconds = _command(argv, 2)
    assert seconds < 2 + ALLOWANCE, seconds
    assert rc == 3
    for r in _records(env):
        for c in r["claims"]:
            assert c["verdict"] in ("inconclusive", "not_applicable"), c
        if r["run"]["stopped"] == "timeout":
            assert any("--timeout" in c["reason"] for c in r["claims"] if c["verdict"] == "inconclusive")


def test_lr_study_and_proofs_end_within_their_timeout():
    rc, env, _, seconds = _command(["lr-study", "--preconditioner", "adam", "--param", "eps=1e-30"], 2)
    assert seconds < 2 + ALLOWANCE, seconds
    assert rc == 3 and env["fit"] is None
    assert all(p["stop_reason"] == "timeout" and not p["resolved"] for p in env["points"])
    rc, env, _, seconds = _command(["proofs"], 2)
    assert seconds < 2 + ALLOWANCE, seconds
    assert rc == 3 and env["exit_status"] == 3
    cut = [s for r in env["results"] for s in r["steps"] if "--timeout" in s["detail"]]
    assert cut and all(s["status"] == "unknown" for s in cut)


# ----------------------------------------------------------------------------- no rerun, no verdict
@pytest.mark.parametrize("backend", ["mpmath", "float64"])
def test_a_rerun_left_without_time_gives_no_verdict(monkeypatch, backend):
    """The run reaches the floor, then the deadline is gone: the rerun stops at once, so there is
    no rounding check, no error bound and nothing verified (the same problem verifies with time)."""
    deadline = _GoneAfterTheRun()
    module, name = (runs_module, "run_dspgd") if backend == "mpmath" else (float64_loop, "run_dspgd_float64")
    real = getattr(module, name)

    def run_then_expire(*a, **kw):
        out = real(*a, **kw)
        if kw.get("iterations") is None:  # the run, not its rerun
            deadline.gone = True
        return out
    monkeypatch.setattr(module, name, run_then_expire)
    problem = random_problem(2, 4, 1)
    settings = Settings(dps=20, lrs=(LearningRate("frac", Fraction(1, 2)),), backend=backend)
    with_time = check_by_name(problem, "gd", {}, settings).record
    (c0,) = [c for c in with_time["claims"] if c["id"] == "convergence"]
    assert c0["verdict"] == "verified"
    deadline.gone = False
    rec = check_by_name(problem, "gd", {}, replace(settings, deadline=deadline)).record
    (c,) = [c for c in rec["claims"] if c["id"] == "convergence"]
    assert c["evidence"]["stop_reason"] == "floor"
    assert c["verdict"] == "inconclusive" and "rerun" in c["reason"] and "--timeout" in c["reason"], c
    assert not [v for v in rec["claims"] if v["verdict"] == "verified" and v["id"] != "assumptions"]


def test_a_margin_rerun_left_without_time_gives_no_verdict(monkeypatch):
    deadline = _GoneAfterTheRun()
    real = margin_module.run_margin

    def run_then_expire(*a, **kw):
        out = real(*a, **kw)
        deadline.gone = True
        return out
    monkeypatch.setattr(margin_module, "run_margin", run_then_expire)
    prob = random_margin_problem("binary", 24, 8, seed=0)
    opt = make_optimizer("ngd", prob, Fraction(1), None, None, 0.0, None)
    res = margin_check(prob, opt, MarginSettings(steps=2000, schedule=Schedule(0.05), deadline=deadline))
    assert res.record["run"]["stopped"] == "steps" and res.record["run"]["rerun_seconds"] is None
    for c in res.record["claims"]:
        assert c["verdict"] in ("inconclusive", "not_applicable"), c
        if c["verdict"] == "inconclusive":
            assert "--timeout" in c["reason"] and "rerun" in c["reason"], c
    assert np.isfinite([float(x) for x in res.record["final_parameters"]["theta"]]).all()
