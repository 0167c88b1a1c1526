"""Bounded work for the commands that take a user's K: the command's time budget and a sign of life.

(Reading ``--K``/``--update`` before anything expensive is :mod:`verify.cli.expressions`.)
* :func:`heartbeat` prints a line on a terminal's stderr every :data:`HEARTBEAT_SECONDS` while a
  long command runs, so that a run of many minutes shows it is alive and says how to bound it.
* :class:`Budget` is the command's ``--timeout`` as a deadline: it bounds the whole command.
  The symbolic build of a user's K (``simplify``, ``integrate``, the facts, the compilation)
  runs under :func:`symbolic.timebox.command_limit` with the time left
  (:data:`DEFAULT_SYMBOLIC_SECONDS` without ``--timeout``); every run, and every rerun, then gets
  what is left of the same :class:`numeric.deadline.Deadline` (:meth:`Budget.deadline`).
"""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from numeric.deadline import Deadline
from symbolic.timebox import command_limit

#: the symbolic budget of a command run without --timeout (seconds)
DEFAULT_SYMBOLIC_SECONDS = 300.0
#: the most time spent deciding whether a Piecewise covers its domain (else the build decides)
COVER_SECONDS = 5.0
#: seconds between two "still running" lines on stderr
HEARTBEAT_SECONDS = 30.0
#: the least budget a run is given after the symbolic build (seconds)
MIN_RUN_SECONDS = 0.1


class Budget:
    """``--timeout SECONDS`` (or ``None``) of one command, counted from its start."""

    def __init__(self, seconds: float | None, default_symbolic: float = DEFAULT_SYMBOLIC_SECONDS):
        self.seconds = seconds
        self.default_symbolic = default_symbolic
        self.start = time.monotonic()

    def left(self) -> float | None:
        """Seconds left of ``--timeout`` (``None``: no limit was given)."""
        if self.seconds is None:
            return None
        return max(self.seconds - (time.monotonic() - self.start), 0.0)

    def symbolic_seconds(self) -> float:
        left = self.left()
        return self.default_symbolic if left is None else left

    def symbolic(self):
        """A context manager raising :class:`~symbolic.timebox.CommandTimeout` when time is up."""
        return command_limit(self.symbolic_seconds())

    def symbolic_reason(self, what: str) -> str:
        limit = (f"the {self.seconds:g} s of --timeout" if self.seconds is not None else
                 f"the default symbolic time limit of {self.default_symbolic:g} s (set --timeout to change it)")
        return f"SymPy did not finish {what} within {limit}: nothing was decided"

    def run_seconds(self) -> float | None:
        """What is left of ``--timeout`` now, at least :data:`MIN_RUN_SECONDS` (``None``: no limit)."""
        left = self.left()
        return None if left is None else max(left, MIN_RUN_SECONDS)

    def deadline(self) -> Deadline | None:
        """The command's deadline (``None``: no ``--timeout``), shared by every run and rerun
        (picklable: the worker processes receive it with their jobs)."""
        return None if self.seconds is None else Deadline.after(self.seconds, self.start)


def _is_tty(f) -> bool:
    try:
        return bool(f.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def heartbeat(command: str, every: float = HEARTBEAT_SECONDS, stream=None) -> Iterator[None]:
    """While the block runs, a line on stderr every ``every`` seconds:
    ``dspgd-verify check: still running (2 min 30 s); --timeout SECONDS bounds the command``.

    Only when stderr is a terminal (or ``stream`` is given): in a log or a pipe, stderr stays the
    contract's one line for bad input."""
    if stream is None and not _is_tty(sys.stderr):
        yield
        return
    stop = threading.Event()
    start = time.monotonic()
    out = stream or sys.stderr

    def beat() -> None:
        while not stop.wait(every):
            el = int(time.monotonic() - start)
            took = f"{el // 60} min {el % 60} s" if el >= 60 else f"{el} s"
            try:
                print(f"dspgd-verify {command}: still running ({took}); --timeout SECONDS bounds the command",
                      file=out, flush=True)
            except (OSError, ValueError):  # stderr closed: nothing to tell
                return
    thread = threading.Thread(target=beat, name="dspgd-verify-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)
