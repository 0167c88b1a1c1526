"""Bounded work for the commands that take a user's K: early parsing and the command's time budget.

* :func:`parse_expressions_early` reads ``--K``/``--update`` with the safe parser (only the
  parser: no ``simplify``, no facts) before any expensive import or the problem's exact rank,
  so bad input is refused in well under a second.
* :func:`heartbeat` prints a line on a terminal's stderr every :data:`HEARTBEAT_SECONDS` while a
  long command runs, so that a run of many minutes shows it is alive and says how to bound it.
* :class:`Budget` is the command's ``--timeout`` as a deadline.  The symbolic build of a
  user's K (``simplify``, ``integrate``, the facts, the compilation) runs under
  :func:`symbolic.timebox.command_limit` with the time left (:data:`DEFAULT_SYMBOLIC_SECONDS`
  without ``--timeout``); what is left after it is the budget of each run.
"""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from fractions import Fraction
from typing import Iterator

import sympy as sp

from numeric.errors import InputError
from symbolic.errors import ExpressionError
from symbolic.general import entry_symbols
from symbolic.parser import parse_expression, parse_matrix
from symbolic.timebox import SymbolicTimeout, command_limit, time_limit
from symbolic.user import K_STRUCTURES, UPDATE_STRUCTURES, VARIABLE

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
        """The budget of each run: what is left of ``--timeout`` (``None``: no limit)."""
        left = self.left()
        return None if left is None else max(left, MIN_RUN_SECONDS)


def _defined_everywhere(expr: sp.Expr, var: sp.Symbol, what: str) -> None:
    """Refuse a ``Piecewise`` of one variable whose conditions leave part of its domain uncovered
    (``Piecewise((g**2, g > 0))`` says nothing for ``g <= 0``).  Conditions SymPy cannot turn
    into a set are left to the symbolic build."""
    domain = sp.Interval(0, sp.oo) if var.is_nonnegative else sp.S.Reals
    for pw in expr.atoms(sp.Piecewise):
        cover = sp.Or(*[cond for _, cond in pw.args])
        if cover is sp.true:
            continue
        try:
            with time_limit(COVER_SECONDS):
                covered = cover.as_set()
                missing = domain - covered
        except (Exception, SymbolicTimeout):  # noqa: BLE001 - SymPy could not decide: the build decides later
            continue
        if missing != sp.S.EmptySet:
            raise InputError(f"{what}: Piecewise '{pw}' is not defined for {var} in {missing}: "
                             f"end it with a piece (EXPR, True)")


def parse_expressions_early(K: str | None, update: str | None, structure: str | None,
                            params: dict[str, Fraction], shape: tuple[int, int] | None) -> None:
    """Refuse a bad ``--K``/``--update``/``--structure`` now (:class:`InputError`, one line).

    Only the parser runs (its bounds are in :mod:`symbolic.parser`).  A ``general`` expression
    needs the shape ``(d, k)``; with ``shape=None`` (the shape is in a problem file not yet
    read) it is parsed later, with the rest of the symbolic build."""
    p = {k: sp.Rational(v.numerator, v.denominator) for k, v in params.items()}
    try:
        if K is not None:
            if structure is None:
                raise InputError("--K needs --structure (entrywise, isotropic, spectral or general)")
            if structure not in K_STRUCTURES:
                raise InputError(f"--structure must be one of {', '.join(K_STRUCTURES)}, got {structure!r}")
            if structure == "general":
                if shape is not None:
                    G = entry_symbols(*shape)
                    parse_expression(K, {str(s): s for row in G for s in row}, p)
            else:
                name = VARIABLE[structure]   # the symbols of symbolic.user.user_K
                var = sp.Symbol(name, real=True) if structure == "entrywise" else sp.Symbol(name, nonnegative=True)
                expr = parse_expression(K, {name: var}, p)
                if var not in expr.free_symbols:
                    raise InputError(f"--K {' '.join(K.split())[:60]!r} does not depend on {name}: K is constant, "
                                     f"grad K = 0 and DSPGD never moves (write K in {name})")
                _defined_everywhere(expr, var, "--K")
        elif update is not None:
            structure = structure or "entrywise"
            if structure not in UPDATE_STRUCTURES:
                raise InputError(f"--update supports --structure {' or '.join(UPDATE_STRUCTURES)}, "
                                 f"got {structure!r}")
            if structure == "entrywise":
                g = sp.Symbol("g", real=True)
                u = parse_expression(update, {"G": g, "g": g}, p)
                if u == 0:
                    raise InputError("--update is identically 0: DSPGD never moves")
                _defined_everywhere(u, g, "--update")
            elif shape is not None:
                G = entry_symbols(*shape)
                U = parse_matrix(update, {str(s): s for row in G for s in row}, p)
                if U.shape != shape:
                    raise InputError(f"--update gives a {U.shape[0]}x{U.shape[1]} matrix but the problem "
                                     f"needs {shape[0]}x{shape[1]} (d x k)")
    except ExpressionError as exc:
        raise InputError(str(exc)) from None


def _is_tty(f) -> bool:
    try:
        return bool(f.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def heartbeat(command: str, every: float = HEARTBEAT_SECONDS, stream=None) -> Iterator[None]:
    """While the block runs, a line on stderr every ``every`` seconds:
    ``dspgd-verify check: still running (2 min 30 s); --timeout SECONDS bounds each run``.

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
                print(f"dspgd-verify {command}: still running ({took}); --timeout SECONDS bounds each run",
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
