"""The end of a command's ``--timeout``: one deadline shared by every run of the command.

``--timeout SECONDS`` bounds the whole command (symbolic preparation, every run, every rerun):

    deadline = t_start + SECONDS            (on ``time.monotonic``)
    left(t)  = min(max(deadline - t, 0), SECONDS)

Each run is given ``left`` when it starts, and its rerun what is ``left`` after the run.  A
:class:`Deadline` is a small frozen value that pickles, so the worker processes of
:func:`verify.campaign.parallel.map_jobs` receive it with their job: ``time.monotonic`` is one
system-wide clock on Linux, macOS and Windows (``CLOCK_MONOTONIC``, ``mach_absolute_time``,
``QueryPerformanceCounter``), and ``left`` is clamped to ``[0, SECONDS]``, so a worker whose
clock had another origin would still never get more than the whole budget.
"""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """``at``: the end, on ``time.monotonic``; ``seconds``: the whole budget (``--timeout``)."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float, start: float | None = None) -> "Deadline":
        """The deadline ``seconds`` after ``start`` (default: now)."""
        return cls((time.monotonic() if start is None else start) + seconds, seconds)

    def left(self) -> float:
        """Seconds left, in ``[0, seconds]``."""
        return min(max(self.at - time.monotonic(), 0.0), self.seconds)

    def expired(self) -> bool:
        return self.left() <= 0.0


def time_left(timeout: float | None, deadline: Deadline | None) -> float | None:
    """The budget of a run starting now: the smaller of its own ``timeout`` (a per-run limit,
    ``None``: none) and what is left before ``deadline`` (``None``: none); ``None`` when neither
    limits it."""
    limits = [x for x in (timeout, None if deadline is None else deadline.left()) if x is not None]
    return min(limits) if limits else None
