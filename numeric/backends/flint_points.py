"""Small helpers of the flint loops on points (``arb`` balls of radius zero, the midpoints the
loops keep): ``sqrt(max(0, v))`` and ``max |a_ij|``."""
from __future__ import annotations

try:
    from flint import arb as _arb
except ImportError:  # pragma: no cover - exercised only without the extra
    _arb = None


def sqrt0(v):
    """``sqrt(max(0, v))`` as a point; NaN stays NaN (so divergence is seen)."""
    if v > 0:
        return v.sqrt().mid()
    return _arb(0) if v.is_finite() else v


def max_abs(entries):
    """``max_ij |A_ij|`` of exact entries: two passes of comparisons, no new numbers."""
    hi, lo = max(entries), min(entries)
    return hi if hi >= -lo else -lo
