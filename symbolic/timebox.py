"""A wall-clock limit for one symbolic decision, so that no SymPy call can hang a check.

Some expressions send SymPy's ``limit``/``simplify`` into computations that do not finish
(``limit`` of ``Max(|g| - 1, 0)``-type profiles, ``simplify`` of profiles with extreme
rationals).  :func:`fact_within` runs a fact's proof under :func:`time_limit`; past the limit
the fact is ``unknown`` with that reason (never assumed, never refuted).

:func:`time_limit` uses ``SIGALRM`` (``setitimer``), so it only acts in the main thread of a
Unix process; elsewhere it runs the block without a limit.  The previous handler and timer
are restored on exit, so no process-wide state is left changed, and an enclosing limit
already running is left in charge.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from .facts import Fact

FACT_SECONDS = 20.0


class SymbolicTimeout(BaseException):
    """Raised inside the block when its time is up.

    A ``BaseException``: SymPy has ``except Exception`` blocks (series expansions, ``limit``)
    that would swallow an ordinary exception and carry on computing.  The alarm also repeats
    every :data:`REFIRE_SECONDS` after the deadline until the block exits, so a swallowed
    timeout is raised again."""


REFIRE_SECONDS = 0.25


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return

    active = [True]

    def _raise(signum, frame):
        if active[0]:
            raise SymbolicTimeout(f"no answer within {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
    finally:
        active[0] = False  # an alarm arriving now is ignored
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fact_within(name: str, statement: str, prove: Callable[[], Fact], seconds: float = FACT_SECONDS) -> Fact:
    """``prove()``, or an ``unknown`` fact when SymPy needs more than ``seconds`` or gives up
    with an exception (the exception's text is the reason)."""
    try:
        with time_limit(seconds):
            return prove()
    except SymbolicTimeout:
        return Fact(name, statement, "unknown", "symbolic",
                    f"SymPy did not decide this within {seconds:g} s (time limit of one symbolic decision)")
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, RecursionError) as exc:
        # SymPy gave up on an unusual expression (e.g. the truth value of a relation with
        # DiracDelta terms): nothing is decided, and the reason is kept.
        return Fact(name, statement, "unknown", "symbolic",
                    f"SymPy could not decide this: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
