"""Divergence, budgets, dead zones and symbolic time limits (issue 8, item 5).

The tool must answer ``refuted`` or ``inconclusive`` with the reason and the residual
history, never loop forever, and honour ``--max-iter`` and ``--timeout``.  Each product fix
of issue 8 has a test here (marked "fix:").
"""
from __future__ import annotations

import json
import signal
import time
from fractions import Fraction

import pytest

from numeric.backends.mpmath_loop import run_dspgd
from numeric.problem import random_problem
from symbolic.catalog import _unit_facts, catalogue_facts
from symbolic.facts import Fact
from symbolic.timebox import fact_within, time_limit
from verify import runs as runs_module
from verify.check import Settings, check_by_name
from verify.cli.app import main
from verify.runs import LearningRate

SMALL = ["--n", "2", "--d", "4", "--k", "1", "--dps", "20", "--json"]


def _run(capsys, argv):
    t0 = time.perf_counter()
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return rc, (json.loads(out) if out.strip() else None), err, time.perf_counter() - t0


def _conv(rec):
    return [c for c in rec["claims"] if c["id"] == "convergence"]


def test_learning_rate_above_the_stable_range_is_refuted_with_the_history(capsys):
    rc, rec, _, _ = _run(capsys, ["check", "--preconditioner", "gd", "--lr", "50", *SMALL])
    (c,) = _conv(rec)
    assert rc == 1 and c["verdict"] == "refuted" and "diverged" in c["reason"]
    hist = c["evidence"]["residual_history"]
    assert len(hist) >= 2 and float(hist[-1][1]) > 1e29 * float(hist[0][1]) / 1e10


def test_bounded_gradient_with_a_huge_learning_rate_cycles_and_stops(capsys):
    """adam's grad K is bounded, so eta = 50 cannot diverge: the residual cycles, the stall rule
    stops the run, and the verdict says why (no infinite loop)."""
    rc, rec, _, seconds = _run(capsys, ["check", "--preconditioner", "adam", "--lr", "50", *SMALL])
    (c,) = _conv(rec)
    assert rc == 3 and c["verdict"] == "inconclusive" and "cycle" in c["reason"]
    assert c["evidence"]["stop_reason"] == "stalled" and c["evidence"]["residual_history"]
    assert seconds < 60


def test_max_iter_is_honoured(capsys):
    rc, rec, _, _ = _run(capsys, ["check", "--preconditioner", "gd", "--max-iter", "5", *SMALL])
    conv = _conv(rec)
    assert rc == 3 and len(conv) == 2
    for c in conv:
        assert c["verdict"] == "inconclusive" and "--max-iter" in c["reason"]
        assert c["evidence"]["iterations"] == 5 and c["evidence"]["residual_history"]
    assert not any(c["verdict"] == "verified" for c in rec["claims"] if c["id"] != "assumptions")


def test_timeout_is_honoured_by_the_run_and_its_rerun(capsys):
    """mpmath at 60 digits, adam with eps 1e-4 needs tens of thousands of steps (minutes);
    ``--timeout 0.5`` bounds the whole command: the first run stops after about half a second and
    the second learning rate's run at once (tests/test_command_timeout.py has the wall-time bounds)."""
    argv = ["check", "--preconditioner", "adam", "--param", "eps=0.0001", "--backend", "mpmath",
            "--n", "3", "--d", "8", "--k", "1", "--dps", "60", "--timeout", "0.5", "--json"]
    rc, rec, _, seconds = _run(capsys, argv)
    conv = _conv(rec)
    assert rc == 3 and len(conv) == 2
    for c in conv:
        assert c["verdict"] == "inconclusive" and "--timeout" in c["reason"], c["reason"]
        assert c["evidence"]["stop_reason"] == "timeout"
    assert seconds < 30, seconds


def test_rerun_out_of_time_gives_no_error_bound(monkeypatch):
    """fix: the rerun at P + 20 digits now gets ``--timeout`` too.  A rerun that stops early
    (simulated: it runs half the steps) has no rounding check, so nothing is verified."""
    def short_rerun(xp, pre, eta, **kw):
        if kw.get("iterations") is not None:
            kw["iterations"] = kw["iterations"] // 2
        return run_dspgd(xp, pre, eta, **kw)
    monkeypatch.setattr(runs_module, "run_dspgd", short_rerun)
    rec = check_by_name(random_problem(2, 4, 1), "gd", {}, Settings(dps=20, lrs=(LearningRate("frac", Fraction(1, 2)),),
                                                                     backend="mpmath")).record
    (c,) = _conv(rec)
    assert c["verdict"] == "inconclusive" and "ran out of time" in c["reason"]
    assert all(v["verdict"] != "verified" for v in rec["claims"] if v["id"] != "assumptions")


def test_exact_dead_zone_stops_at_once(capsys):
    """fix: a K flat where the run starts (grad K(G_0) = 0) used to repeat the same iterate for
    2000 steps and report a 'cycle'; now the first zero step stops the run with the dead-zone
    reason.  (K = 0 itself is refused as input: it does not depend on g.)"""
    rc, rec, _, _ = _run(capsys, ["check", "--K", "Piecewise((0, abs(g) <= 100), ((abs(g)-100)**2/2, True))",
                                  "--structure", "entrywise", "--lr", "0.1", *SMALL])
    (c,) = _conv(rec)
    assert rc == 3 and c["verdict"] == "inconclusive" and "dead zone" in c["reason"]
    assert c["evidence"]["stop_reason"] == "stationary" and c["evidence"]["iterations"] == 1
    rc, rec, err, _ = _run(capsys, ["check", "--K", "0*g", "--structure", "entrywise", "--lr", "0.1", *SMALL])
    assert rc == 2 and rec is None and "does not depend on g" in err


def test_piecewise_dead_zone_is_reported_as_such(capsys):
    """K = sum (|g| - 1)_+^2 / 2 is flat on [-1, 1]: the iterates creep towards the dead zone
    with vanishing steps and a residual that no longer moves."""
    rc, rec, _, seconds = _run(capsys, ["check", "--K", "Piecewise((0, abs(g) <= 1), ((abs(g)-1)**2/2, True))",
                                        "--structure", "entrywise", "--lr", "0.1", *SMALL])
    (c,) = _conv(rec)
    assert rc == 3 and c["verdict"] == "inconclusive" and "dead zone" in c["reason"], c["reason"]
    assert float(c["evidence"]["residual"]) > 0.1 and c["evidence"]["residual_history"]
    assert seconds < 60


def test_sin_K_is_refuted_not_an_internal_error(capsys):
    """fix: ``--K sin(g)`` crashed in the search for L (``float`` of ``AccumBounds(-1, 1)``,
    exit 4); it is now refuted as non-convex (exit 1)."""
    rc, rec, _, _ = _run(capsys, ["check", "--K", "sin(g)", "--structure", "entrywise", "--max-iter", "5", *SMALL])
    assert rc == 1
    (a,) = [c for c in rec["claims"] if c["id"] == "assumptions"]
    assert a["verdict"] == "refuted"


@pytest.mark.parametrize("name, eps", [("sign", "1e-8"), ("sign", "1e-30"), ("adam", "1e12"), ("ngd", "1e-30")])
def test_extreme_eps_facts_are_fast_and_scaled(name, eps):
    """fix: ``--preconditioner sign --param eps=1e-8`` (and adam with eps = 1e12) hung in SymPy's
    simplify for minutes; the facts are now proved at eps = 1 and carried over by scaling."""
    t0 = time.perf_counter()
    facts = catalogue_facts(name, {"eps": Fraction(eps)})
    assert time.perf_counter() - t0 < 5
    unit = _unit_facts(name)
    assert {k: f.status for k, f in facts.items()} == {k: f.status for k, f in unit.items()}
    assert facts["convex"].status == "proved" and "scaled" in facts["convex"].detail
    assert str(1 / Fraction(eps)) in facts["lipschitz"].statement


def test_cli_extreme_eps_finishes(capsys):
    rc, rec, err, seconds = _run(capsys, ["check", "--preconditioner", "sign", "--param", "eps=1e-8",
                                          "--max-iter", "5", *SMALL])
    assert rc == 3 and seconds < 30, (rc, err)


def test_fact_within_turns_a_hang_into_unknown():
    before = signal.getsignal(signal.SIGALRM)

    def hang():
        time.sleep(30)
        return Fact("x", "x", "proved", "symbolic")
    t0 = time.perf_counter()
    fact = fact_within("x", "a statement", hang, seconds=0.2)
    assert time.perf_counter() - t0 < 5
    assert fact.status == "unknown" and "within 0.2 s" in fact.detail
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_time_limit_nests_and_restores_the_outer_timer():
    from symbolic.timebox import SymbolicTimeout
    with time_limit(5):
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        with pytest.raises(SymbolicTimeout):
            with time_limit(0.01):
                time.sleep(0.5)  # the shorter inner limit fires
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= remaining  # the outer one runs on
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_a_foreign_timer_is_left_in_charge():
    previous = signal.signal(signal.SIGALRM, lambda *a: None)
    signal.setitimer(signal.ITIMER_REAL, 5)
    try:
        with time_limit(0.01):
            time.sleep(0.05)  # a timer this module did not set is not replaced
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_fact_within_turns_a_sympy_failure_into_unknown():
    def fails():
        raise TypeError("cannot determine truth value of Relational")
    fact = fact_within("convex", "K is convex", fails)
    assert fact.status == "unknown" and "TypeError" in fact.detail
