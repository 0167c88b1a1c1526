"""python-flint's process-wide precision, set only inside :func:`flint_precision`.

``flint.ctx.prec`` is global state.  Every user of flint arithmetic in the project (the DSPGD
loop of :mod:`numeric.backends.flint_loop`, the exact problem's linear algebra in
:mod:`numeric.exact_problem`) sets it through this one context manager, which restores it and
holds a lock, so loops in threads (a threaded Dask worker of ``dspgd-verify sweep``) run one
after another instead of changing each other's precision mid-run (a run and its P + 20 rerun at
one precision would agree with each other and hide the rounding).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

try:  # python-flint is the optional extra ``fast``
    import flint as _flint
except ImportError:  # pragma: no cover - exercised only without the extra
    _flint = None

_PREC_LOCK = threading.RLock()


def flint_available() -> bool:
    """True when python-flint can be imported."""
    return _flint is not None


@contextmanager
def flint_precision(bits: int) -> Iterator[None]:
    """Run the block with ``flint.ctx.prec = bits``; the previous precision is restored."""
    with _PREC_LOCK:
        old = _flint.ctx.prec
        _flint.ctx.prec = int(bits)
        try:
            yield
        finally:
            _flint.ctx.prec = old
