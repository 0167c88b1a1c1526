"""Verdicts for ``margin:<norm>``: does the run's final direction maximize the margin in ``N``?

Evidence per norm ``N`` (all gaps relative: ``gap = 1 - gamma_N(theta_T) / gamma*_N``):

* ``[gap_lo, gap_hi]``: certified from the exact margin bounds of ``theta_T``
  (:func:`verify.margin.exact.margin_bounds`) and the weak-duality bracket of ``gamma*``
  (:mod:`verify.margin.reference`): ``gap_lo = 1 - gamma_hi/lo``, ``gap_hi = 1 - gamma_lo/hi``;
* ``rounding``: how much ``gap_hi`` moves when the same run is repeated in extended
  precision (``numpy.longdouble``).  It is an *estimate*, reported apart from the certified
  bracket (``error_bound`` is the bracket's width alone); the decision adds it to ``gap_hi``
  to stay on the safe side;
* the KKT alignment profile ``a(tau)`` (:mod:`verify.margin.kkt`).

Decision rules (``tol`` the claim tolerance, ``e = rounding``):

* ``verified`` iff ``gap_hi + e <= tol`` and the KKT alignment test passes (``tau99`` exists);
* ``refuted`` iff another norm's claim is verified for this run (the direction has settled at
  that norm's max-margin direction), ``gap_lo - e > REFUTE_FACTOR * tol`` at ``T/4``, ``T/2``
  and ``T`` (the gap stays large), and the KKT test fails at every ``tau``;
* otherwise ``inconclusive``, with the reason read off the data (:mod:`verify.margin.trend`:
  not yet separating, still improving with the fitted slope, ``1/log t`` regime, gap growing,
  settled at gap ``g``; no certified reference, ...).

A refutation is evidence about a finite run, as every check here is: the theory is about the
limit of a continuous-time flow and assumes directional convergence (docs/theory.md §6).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from numeric.margin.norms import MarginNorm

from ..verdict import Verdict

REFUTE_FACTOR = 10
DEFAULT_MARGIN_TOL = "0.005"


@dataclass
class NormEvidence:
    """Everything one norm contributes to its claim."""

    norm: MarginNorm
    predicted: bool
    reference_reason: str | None
    gamma: tuple | None = None  # (lo, hi) of gamma_N(theta_T)
    gamma_star: tuple | None = None  # (lo, hi)
    gap: tuple | None = None  # (lo, hi) at T
    gap_history: dict | None = None  # t -> (lo, hi)
    rounding: float | None = None
    kkt: dict | None = None
    direction_bound: float | None = None  # l2 only: ||theta_hat - w*||_2 <= sqrt(2 gap / gamma*)
    distance_to_optimal_set: float | None = None
    reference_point: object = None  # the solver's max-margin point (numpy), for cross gaps
    verified: bool = False  # set once: meets_verification(tol) for the run's tolerance
    dps: int | None = None  # decimal digits of the run's arithmetic (float64: 15)
    rerun_dps: int | None = None  # of the rounding rerun (longdouble: 18), None without one
    q_min: float | None = None  # q_min(theta_T): is the run separating?
    global_note: str | None = None  # networks: where gamma* comes from, and that KKT != global

    def meets_verification(self, tol: Fraction) -> bool:
        """Exact comparison: ``gap_hi + rounding <= tol`` (rationals), and the KKT test passes."""
        return (self.gap is not None and self.rounding is not None and self.kkt is not None
                and self.gap[1] + Fraction(self.rounding) <= tol and self.kkt["tau99"] is not None)


def _directed(x: Fraction, rounding: str, digits: int = 12) -> str:
    """``x`` to ``digits`` significant digits, rounded toward -inf (``floor``) or +inf (``ceiling``),
    so a printed bracket still contains the exact one."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
    ctx = Context(prec=digits, rounding=ROUND_FLOOR if rounding == "floor" else ROUND_CEILING)
    return str(ctx.divide(Decimal(x.numerator), Decimal(x.denominator)))


def _bracket(pair) -> list[str]:
    return [_directed(Fraction(pair[0]), "floor"), _directed(Fraction(pair[1]), "ceiling")]


def _evidence(ev: NormEvidence) -> dict:
    out = {"norm": ev.norm.label, "predicted_by_paper": ev.predicted, "dps": ev.dps, "rerun_dps": ev.rerun_dps}
    if ev.gamma_star is not None:
        out["gamma_star_certified"] = _bracket(ev.gamma_star)
    if ev.gamma is not None:
        out["margin"] = _bracket(ev.gamma)
    if ev.gap is not None:
        out["relative_gap"] = _bracket(ev.gap)
        out["gap_history"] = {str(t): _directed(Fraction(g[1]), "ceiling", 6) for t, g in sorted(ev.gap_history.items())}
    if ev.rounding is not None:
        out["rounding_longdouble"] = f"{ev.rounding:.3g}"
        out["rounding_note"] = ("an estimate (float64 run against a longdouble rerun), not certified: not part of "
                                "error_bound; added to the gap's upper end before the tolerance test")
    if ev.kkt is not None:
        out["kkt_alignment"] = ev.kkt
    if ev.direction_bound is not None:
        out["direction_error_bound_l2"] = f"{ev.direction_bound:.3g}"
    if ev.distance_to_optimal_set is not None:
        out["distance_to_optimal_set_l2"] = f"{ev.distance_to_optimal_set:.3g}"
    if ev.reference_reason:
        out["reference"] = ev.reference_reason
    if ev.global_note:
        out["global_reference"] = ev.global_note
    return out


def stopped_by(stopped: str) -> str:
    """What stopped a run early, for a reason: a timeout is the command's ``--timeout``."""
    return " (the time budget --timeout ran out)" if stopped == "timeout" else ""


def decide(claim_id: str, ev: NormEvidence, others_verified: list[str], tol: Fraction,
           steps: int, stopped: str, optimizer: str) -> Verdict:
    """The verdict of ``margin:<norm>`` from its evidence and which other norms were verified."""
    from .trend import fit_trend
    evidence = _evidence(ev)
    err = None if ev.gap is None or ev.rounding is None else f"{float(ev.gap[1] - ev.gap[0]):.3g}"
    if ev.gap is None:
        why = ev.reference_reason if (ev.reference_reason or "").endswith(("nothing to judge", "nothing was judged")) \
            else f"no certified reference margin: {ev.reference_reason}"
        return Verdict(claim_id, "inconclusive", why, error_bound=err, evidence=evidence)
    if stopped != "steps":
        return Verdict(claim_id, "inconclusive", f"the run stopped early ({stopped}) after {steps} steps"
                       f"{stopped_by(stopped)}: the gap history it would be judged on is incomplete",
                       error_bound=err, evidence=evidence)
    if ev.rounding is None:
        return Verdict(claim_id, "inconclusive", f"no rounding check, so no error bound: {ev.reference_reason}",
                       evidence=evidence)
    gap_lo, gap_hi = (float(g) for g in ev.gap)
    e = ev.rounding
    a_max = ev.kkt["max_alignment"] if ev.kkt else None
    if ev.meets_verification(tol):
        glob = "; the global max margin is reached, beyond paper 2's KKT promise" if ev.global_note else ""
        return Verdict(claim_id, "verified",
                       f"certified relative margin gap <= {gap_hi:.3g} (+ rounding estimate {e:.2g}) <= tol "
                       f"{float(tol):g} after {steps} steps, KKT alignment >= 0.99 at tau = {ev.kkt['tau99']}{glob}",
                       error_bound=err, evidence=evidence)
    threshold = REFUTE_FACTOR * float(tol)
    hist = sorted(ev.gap_history.items())
    tail = [g for t, g in hist if t >= steps // 4]
    stays_large = all(float(g[0]) - e > threshold for g in tail)
    kkt_fails = ev.kkt is not None and all(a is not None and a < 0.99 for a in ev.kkt["a"].values())
    if others_verified and stays_large and kkt_fails:
        return Verdict(claim_id, "refuted",
                       f"the direction has settled at the max-margin direction of {', '.join(others_verified)} "
                       f"(verified), and its {ev.norm.label} margin gap stays >= {min(float(g[0]) for g in tail):.3g} "
                       f"> {threshold:g} from T/4 to T = {steps}; KKT alignment at most {a_max:.3g} < 0.99",
                       error_bound=err, evidence=evidence)
    if gap_hi + e > float(tol):
        trend = fit_trend({t: float(g[1]) for t, g in hist}, steps, ev.q_min if ev.q_min is not None else 1.0)
        evidence["gap_trend"] = {"label": trend.label, "slope_log_t": None if trend.slope is None else f"{trend.slope:.3g}",
                                 "slope_log_log_t": None if trend.slope_loglog is None else f"{trend.slope_loglog:.3g}",
                                 "checkpoints_fitted": trend.points}
        why = f"relative margin gap <= {gap_hi:.3g} exceeds tol {float(tol):g} after {steps} steps: {trend.text}"
        if optimizer == "gd" and trend.label != "not_separating":
            why += "; plain GD closes the gap only like 1/log t (docs/theory.md §6), so no practical budget verifies it"
        elif trend.label in ("improving", "slow"):
            why += "; budget too small to tell (raise --steps or --lr)"
        elif trend.label == "settled" and others_verified:
            why += f"; the direction settled at the {', '.join(others_verified)} max margin, but "
            if not stays_large:
                why += f"this gap's lower end is not above the refutation threshold {threshold:g} from T/4 to T"
            elif ev.kkt is not None and ev.kkt.get("tau99") is not None:
                why += f"the KKT test of this norm passes at tau = {ev.kkt['tau99']} (a >= 0.99), so the run " \
                       f"is not shown to avoid this norm's KKT set"
            else:
                why += "the KKT test of this norm is undecided at some tau (a solve failed)"
        elif trend.label == "settled" and ev.global_note:
            why += "; no candidate norm is verified for this run; on a network the run may sit at a KKT point " \
                   "that is not the global optimum (see kkt:)"
        elif trend.label == "settled":
            why += "; no candidate norm is verified for this run, so the run's limit is not identified " \
                   "(for a hybrid model see hybrid_ratio_fit; add --claim margin:hybrid:R)"
    elif ev.kkt is not None and any(a is None for a in ev.kkt["a"].values()):
        why = "the KKT alignment solve failed at some tau, so the KKT test is undecided"
    else:
        why = f"margin gap within tol but the KKT alignment test fails (max a(tau) = {a_max})"
    return Verdict(claim_id, "inconclusive", why, error_bound=err, evidence=evidence)
