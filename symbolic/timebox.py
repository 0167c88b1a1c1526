"""Wall-clock limits for symbolic work, so that no SymPy call can hang a check or a command.

Some expressions send SymPy's ``limit``/``simplify``/``integrate`` into computations that do
not finish (``limit`` of ``Max(|g| - 1, 0)``-type profiles, ``simplify`` of profiles with
extreme rationals).  Two kinds of limit nest:

* :func:`time_limit` bounds one symbolic decision; :func:`fact_within` runs a fact's proof
  under it, and past the limit the fact is ``unknown`` with that reason (never assumed, never
  refuted).  Its exception is :class:`SymbolicTimeout`.
* :func:`command_limit` bounds all the symbolic work of a command (``--timeout``).  Its
  exception, :class:`CommandTimeout`, is *not* a :class:`SymbolicTimeout`: code that turns one
  slow decision into ``unknown`` and carries on does not catch it, so the whole build stops.

Limits nest: the alarm is set to the earliest deadline, and when it fires the *outermost*
expired limit raises (a command deadline wins over the decision limit inside it).  On exit
the enclosing limit's remaining time is restored.

The limits use ``SIGALRM`` (``setitimer``), so they only act in the main thread of a Unix
process; elsewhere, or when a timer that this module did not set is already running, the
block runs without a limit.  The previous handler and timer are restored when the outermost
limit exits, so no process-wide state is left changed.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator

from .facts import Fact

FACT_SECONDS = 20.0


class SymbolicTimeout(BaseException):
    """Raised inside the block when its time is up.

    A ``BaseException``: SymPy has ``except Exception`` blocks (series expansions, ``limit``)
    that would swallow an ordinary exception and carry on computing.  The alarm also repeats
    every :data:`REFIRE_SECONDS` after the deadline until the block exits, so a swallowed
    timeout is raised again."""


class CommandTimeout(BaseException):
    """The time budget of a whole command (``--timeout``) ran out during symbolic work.

    Deliberately not a :class:`SymbolicTimeout`, so that :func:`fact_within` (and any other
    ``except SymbolicTimeout``) lets it through and the command stops."""


REFIRE_SECONDS = 0.25


@dataclass
class _Limit:
    deadline: float
    seconds: float
    exc: type[BaseException]


_active: list[_Limit] = []          # the limits this module has running, outermost first
_saved_handler: list = []           # the SIGALRM handler before the outermost limit


def _usable() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    return bool(_active) or signal.getitimer(signal.ITIMER_REAL)[0] == 0


def _on_alarm(signum, frame) -> None:
    now = time.monotonic()
    for lim in _active:             # outermost first: a command deadline wins
        if now >= lim.deadline - 1e-3:
            raise lim.exc(f"no answer within {lim.seconds:g} s")


def _arm() -> None:
    """Set the timer to the earliest deadline of the running limits (or stop it)."""
    if not _active:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    left = min(lim.deadline for lim in _active) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), REFIRE_SECONDS)


@contextmanager
def _limit(seconds: float, exc: type[BaseException]) -> Iterator[None]:
    if not _usable():
        yield
        return
    lim = _Limit(time.monotonic() + max(seconds, 0.0), seconds, exc)
    if not _active:
        _saved_handler.append(signal.signal(signal.SIGALRM, _on_alarm))
    _active.append(lim)
    try:
        _arm()
        yield
    finally:
        _active.remove(lim)
        if _active:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _saved_handler.pop())


def time_limit(seconds: float):
    """Raise :class:`SymbolicTimeout` in the block after ``seconds`` of wall-clock time."""
    return _limit(seconds, SymbolicTimeout)


def command_limit(seconds: float):
    """Raise :class:`CommandTimeout` in the block after ``seconds`` (a command's symbolic budget)."""
    return _limit(seconds, CommandTimeout)


def command_within(deadline):
    """:func:`command_limit` with what is left of ``deadline`` (anything with ``left() -> seconds``,
    e.g. :class:`numeric.deadline.Deadline`); no limit when ``deadline`` is ``None``."""
    return nullcontext() if deadline is None else command_limit(deadline.left())


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
