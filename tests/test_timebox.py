"""The symbolic time limit cannot be swallowed: SymPy's ``except Exception`` blocks once kept a
``limit`` computing past its deadline for many minutes (found by a fresh-clone CI run)."""
from __future__ import annotations

import signal
import time

import pytest

from symbolic.timebox import SymbolicTimeout, time_limit


def test_an_except_exception_block_does_not_swallow_the_timeout():
    t0 = time.perf_counter()
    with pytest.raises(SymbolicTimeout):
        with time_limit(0.2):
            while True:
                try:
                    sum(range(1000))
                except Exception:  # what SymPy's series code does
                    pass
    assert time.perf_counter() - t0 < 5


def test_a_swallowed_timeout_fires_again():
    swallowed = 0
    with pytest.raises(SymbolicTimeout):
        with time_limit(0.2):
            while True:
                try:
                    while True:
                        sum(range(1000))
                except SymbolicTimeout:
                    swallowed += 1
                    if swallowed > 1:
                        raise
    assert swallowed == 2


def test_no_timer_or_handler_is_left_behind():
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before


def test_a_command_limit_passes_through_a_fact_limit():
    """The command's deadline is not turned into one 'unknown' fact: it stops the whole build."""
    from symbolic.facts import Fact
    from symbolic.timebox import CommandTimeout, command_limit, fact_within

    def slow():
        while True:
            sum(range(1000))
        return Fact("x", "x", "proved", "symbolic")  # pragma: no cover
    t0 = time.perf_counter()
    with pytest.raises(CommandTimeout):
        with command_limit(0.2):
            fact_within("x", "x", slow, seconds=30)
    assert time.perf_counter() - t0 < 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_fact_limit_inside_a_command_limit_still_gives_unknown():
    from symbolic.facts import Fact
    from symbolic.timebox import command_limit, fact_within

    def slow():
        time.sleep(10)
        return Fact("x", "x", "proved", "symbolic")  # pragma: no cover
    with command_limit(30):
        fact = fact_within("x", "x", slow, seconds=0.1)
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 20  # the command's timer is back
    assert fact.status == "unknown"
