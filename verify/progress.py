"""Progress on stderr for long commands: one module every command (and a caller's loop) uses.

Levels: ``0`` quiet (``-q``, or stderr is not a terminal), ``1`` a tqdm bar per command
(the default on a terminal), ``2`` the bar plus one line per finished unit and its detail
(``-v``: per-run iterations, stop reasons, seconds).  The bar is drawn only on a terminal; the
``-v`` lines are written to a file or pipe as well.  The level is a context variable set for
the duration of one command (:func:`level_for`), so nothing process-wide stays changed.

Usage::

    with progress("check", total=8) as bar:
        for job in jobs:
            ...
            bar.done("adam", ["lr 0.45: 1234 iterations"])   # advance by one; -v prints the lines
"""
from __future__ import annotations

import contextlib
import contextvars
import sys
from typing import Iterator

_LEVEL: contextvars.ContextVar[int | None] = contextvars.ContextVar("dspgd_verify_progress", default=None)


def current_level(stream=None) -> int:
    """The level in force: the command's (``-q``/``-v``), else 1 on a terminal, 0 otherwise."""
    lvl = _LEVEL.get()
    if lvl is not None:
        return lvl
    stream = stream or sys.stderr
    return 1 if getattr(stream, "isatty", lambda: False)() else 0


@contextlib.contextmanager
def level_for(quiet: bool = False, verbose: bool = False, stream=None) -> Iterator[int]:
    """Set the level for one command: ``-q`` 0; ``-v`` 2 (even when stderr is not a terminal);
    else the terminal default."""
    if quiet:
        lvl = 0
    elif verbose:
        lvl = 2
    else:
        stream = stream or sys.stderr
        lvl = 1 if getattr(stream, "isatty", lambda: False)() else 0
    token = _LEVEL.set(lvl)
    try:
        yield lvl
    finally:
        _LEVEL.reset(token)


class Bar:
    """A counter of finished units (tqdm when shown), with ``-v`` detail lines."""

    def __init__(self, what: str, total: int, level: int, stream=None) -> None:
        self.what, self.total, self.level = what, total, level
        self.stream = stream or sys.stderr
        self.count = 0
        self._tqdm = None
        if level >= 1 and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
                self._tqdm = tqdm(total=total, desc=what, unit="run", file=self.stream, leave=False,
                                  dynamic_ncols=True, disable=False)
            except ImportError:  # tqdm is a dependency; a stripped environment falls back to lines
                self.stream.write(f"{what}: {total} to run\n")

    def start(self, name: str) -> None:
        """Say which unit is running now (shown in the bar's postfix)."""
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(name, refresh=True)

    def done(self, name: str = "", detail: list[str] | None = None) -> None:
        """One unit finished; at ``-v`` print its name and detail lines above the bar."""
        self.count += 1
        if self.level >= 2:
            lines = [f"{self.what} [{self.count}/{self.total}] {name} done"] + [f"    {d}" for d in detail or []]
            if self._tqdm is not None:
                for line in lines:
                    self._tqdm.write(line, file=self.stream)
            else:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(name, refresh=False)
            self._tqdm.update(1)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None


@contextlib.contextmanager
def progress(what: str, total: int, stream=None) -> Iterator[Bar]:
    """A :class:`Bar` at the current level, closed on exit (also on an exception)."""
    bar = Bar(what, total, current_level(stream), stream)
    try:
        yield bar
    finally:
        bar.close()


def progress_for(args, what: str, total: int):
    """:func:`progress` for a command (its ``-q``/``-v`` were applied by the dispatcher)."""
    return progress(what, total)
