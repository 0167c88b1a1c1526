"""Private test hook: switch off the certificate re-checks, to show that they are load-bearing.

**Never used by the command line's normal path.**  Only the self-test's mutation check
(:mod:`verify.selftest.planted`) and the tests enter :func:`rechecks_disabled`.  Inside the block the
verifier behaves like a naive tool that trusts its own numbers:

* ``verify.runs.run_at``: no rerun at ``P + extra`` digits (rounding difference taken as 0) and
  no tail bound (the last iterate ``W_T`` is taken as the limit ``W_inf``), so the error bound
  shrinks to the reference allowance ``10^(6 - P - extra) max(1, ||W_T||)``;
* ``verify.characterization.solve_min_norm``: the cvxpy point and objective value are trusted
  (no polishing onto ``XW = Y``, no weak-duality lower bound): ``lower = upper = solver value``.

The switch is a :class:`contextvars.ContextVar`, reset on exit (also on an exception), so no
process-wide state is left changed and other threads or tasks are not affected.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_RECHECKS: ContextVar[bool] = ContextVar("dspgd_verify_rechecks", default=True)


def rechecks_enabled() -> bool:
    """``True`` (always, outside :func:`rechecks_disabled`)."""
    return _RECHECKS.get()


@contextmanager
def rechecks_disabled() -> Iterator[None]:
    """Within the block the re-checks listed in the module docstring are skipped."""
    token = _RECHECKS.set(False)
    try:
        yield
    finally:
        _RECHECKS.reset(token)
