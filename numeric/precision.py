"""Working precision as an explicit, private mpmath context.

Every high-precision computation in the toolkit runs in its own ``mpmath.MPContext``
created here, so the process-wide ``mpmath.mp`` context is never touched::

    with working_precision(50) as ctx:
        x = ctx.mpf(1) / 3      # 50 significant decimal digits

A fresh context per run means no precision setting can leak between runs, threads or
callers; leaving the block simply drops the context.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import mpmath

MIN_DPS = 10
MAX_DPS = 2000


@contextmanager
def working_precision(dps: int) -> Iterator[mpmath.ctx_mp.MPContext]:
    """Yield a private mpmath context working at ``dps`` significant decimal digits."""
    if not MIN_DPS <= int(dps) <= MAX_DPS:
        raise ValueError(f"precision dps={dps} outside [{MIN_DPS}, {MAX_DPS}]")
    ctx = mpmath.MPContext()
    ctx.dps = int(dps)
    yield ctx


def to_decimal_string(x, digits: int = 20) -> str:
    """Format an mpf (or number) as a decimal string with ``digits`` significant digits."""
    return mpmath.nstr(x, digits, min_fixed=-4, max_fixed=6) if x is not None else "nan"
