"""Reasons from the data: how a run's relative margin gap moves over its last decades.

The gap ``g(t) = 1 - gamma_N(theta_t) / gamma*_N`` at the checkpoints ``t = 10, 100, ...,
T/4, T/2, T`` is fitted by least squares:

* ``s`` = slope of ``log g`` against ``log t`` (``g ~ t^s``), over the checkpoints with
  ``t >= T/100`` (the last two decades; at least three points, else every checkpoint from
  ``t = 10``);
* ``s_log`` = slope of ``log g`` against ``log log t`` (``g ~ (log t)^s_log``).

Labels, checked in this order (``q_min`` the smallest margin at ``T``):

==================  ===============================================================
``not_separating``  ``q_min(theta_T) <= 0``: the data are not separated yet
``growing``         ``s > +0.02``: the gap grows over the last decades
``improving``       ``s < -0.25``: the gap still falls polynomially, like ``t^s``
``log``             ``-0.25 <= s < -0.02`` and ``-1.3 <= s_log <= -0.7``: ``g ~ 1/log t``
``slow``            ``-0.25 <= s < -0.02`` otherwise: still falling, slowly
``settled``         ``|s| <= 0.02``: the gap has settled at ``g(T)``
==================  ===============================================================

The text of each label quotes the fitted numbers, so a reason never says more than its data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FLAT = 0.02
POLY = 0.25


@dataclass(frozen=True)
class GapTrend:
    label: str
    slope: float | None  # d log g / d log t
    slope_loglog: float | None  # d log g / d log log t
    gap: float  # g(T)
    points: int

    @property
    def text(self) -> str:
        s = "n/a" if self.slope is None else f"{self.slope:+.3g}"
        if self.label == "not_separating":
            return "not yet separating (q_min <= 0 at the last step)"
        if self.label == "growing":
            return f"gap growing (slope {s} of log gap against log t over the last decades)"
        if self.label == "improving":
            return f"still improving (gap ~ t^{s} over the last decades)"
        if self.label == "log":
            return (f"consistent with the 1/log t regime (slope {s} against log t, {self.slope_loglog:+.3g} "
                    f"against log log t): no practical budget closes the gap")
        if self.label == "slow":
            return f"still improving slowly (gap ~ t^{s} over the last decades)"
        if self.label == "settled":
            return f"settled at gap {self.gap:.3g} (slope {s} over the last decades)"
        return f"too few checkpoints to fit a trend (gap {self.gap:.3g})"


def fit_trend(history: dict[int, float], steps: int, q_min: float) -> GapTrend:
    """The trend of ``history`` (``t -> g(t)``, upper ends of the certified gaps) at ``T = steps``."""
    gap = float(history.get(steps, history[max(history)])) if history else math.nan
    if not q_min > 0:
        return GapTrend("not_separating", None, None, gap, 0)
    pts = [(t, g) for t, g in sorted(history.items()) if t >= max(10, steps // 100) and g > 0]
    if len(pts) < 3:
        pts = [(t, g) for t, g in sorted(history.items()) if t >= 10 and g > 0]
    if len(pts) < 2:
        return GapTrend("unknown", None, None, gap, len(pts))
    lt = np.log([t for t, _ in pts])
    lg = np.log([g for _, g in pts])
    s = float(np.polyfit(lt, lg, 1)[0])
    s_log = float(np.polyfit(np.log(lt), lg, 1)[0]) if min(lt) > 0 else None
    if s > FLAT:
        label = "growing"
    elif s < -POLY:
        label = "improving"
    elif s < -FLAT:
        label = "log" if s_log is not None and -1.3 <= s_log <= -0.7 else "slow"
    else:
        label = "settled"
    return GapTrend(label, s, s_log, gap, len(pts))
