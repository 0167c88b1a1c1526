"""Working precision as an explicit, private mpmath context.

Every high-precision computation in the toolkit runs in its own ``mpmath.MPContext``
handed out here, so the process-wide ``mpmath.mp`` context is never touched::

    with working_precision(50) as ctx:
        x = ctx.mpf(1) / 3      # 50 significant decimal digits

A block holds its context alone.  Building an ``MPContext`` costs about 0.3 ms (mpmath wraps
every function for it), which a campaign of thousands of small checks would pay twice per check,
so a context whose block has ended goes back to a small pool of the thread that used it, one pool
per precision, and the next block at that precision in that thread takes it.  On every entry and
exit the context is set back to ``dps`` digits (with ``pretty`` and ``trap_complex`` off), so no
precision setting leaks between blocks, threads or callers, exactly as with a fresh context.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import mpmath

MIN_DPS = 10
MAX_DPS = 2000
POOLED_PER_PRECISION = 4  # contexts kept per precision and thread once their blocks ended

_pools = threading.local()


def _reset(ctx, dps: int) -> None:
    ctx.dps = dps
    ctx.pretty = False
    ctx.trap_complex = False


@contextmanager
def working_precision(dps: int) -> Iterator[mpmath.ctx_mp.MPContext]:
    """Yield a private mpmath context working at ``dps`` significant decimal digits (held by this
    block alone; see the module docstring)."""
    if not MIN_DPS <= int(dps) <= MAX_DPS:
        raise ValueError(f"precision dps={dps} outside [{MIN_DPS}, {MAX_DPS}]")
    dps = int(dps)
    pools = getattr(_pools, "by_dps", None)
    if pools is None:
        pools = _pools.by_dps = {}
    free = pools.setdefault(dps, [])
    ctx = free.pop() if free else mpmath.MPContext()
    _reset(ctx, dps)
    try:
        yield ctx
    finally:
        _reset(ctx, dps)
        if len(free) < POOLED_PER_PRECISION:
            free.append(ctx)


def to_decimal_string(x, digits: int = 20) -> str:
    """Format an mpf (or number) as a decimal string with ``digits`` significant digits."""
    return mpmath.nstr(x, digits, min_fixed=-4, max_fixed=6) if x is not None else "nan"
