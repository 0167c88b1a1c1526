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
