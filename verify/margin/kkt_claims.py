"""Verdicts for ``kkt:<norm>``: is the run's final direction (close to) a KKT direction of the
max-margin problem ``min N(theta)^2/2 s.t. q(theta) >= 1`` (paper 2's conclusion, docs/theory.md §6.2)?

Evidence per norm ``N``:

* the certified KKT alignment bracket ``[a_lo(tau), a_hi(tau)]`` at ``theta_T`` on the grid of
  :data:`verify.margin.kkt.TAU_GRID` (:func:`verify.margin.kkt.certified_kkt_profile`);
* the float profile at ``T/2`` (is ``a`` rising, does ``tau99`` fall?);
* ``rounding``: an *estimate*: how much the float ``a(tau)`` moves when the run is repeated in
  extended precision (``numpy.longdouble``); never part of the certified bracket;
* trajectory evidence (reported, not required): ``q_min > 0`` (separated), the normalized margin
  ``gamma_N(theta_t)`` over the checkpoints after separation (does it increase?), the
  steepest-descent alignment ``rN_T = <u_T, g_T> / (N(u_T) N_*(g_T))`` (docs/theory.md §6.4 (e)).

Decision rules (``e`` the rounding estimate):

* ``verified`` iff ``q_min(theta_T) > 0`` and ``a_lo(tau) - e >= 0.99`` at some ``tau <= 0.05``
  (the smallest ``tau`` with ``a_lo - e >= 0.99`` is ``tau99``; complementary slackness up to
  ``tau``);
* ``refuted`` iff another norm's ``kkt:`` claim is verified for this run, ``a_hi(tau) < 0.99`` at
  every ``tau`` at ``T`` (certified), the longdouble rerun's ``a(tau) < 0.99`` at every ``tau``
  (the test fails in both arithmetics, however far apart they drifted) and the float
  ``a(tau) < 0.99`` at every ``tau`` at ``T/2`` (the direction stays away from this norm's KKT set);
* otherwise ``inconclusive``, with the reason.

A finite run approximates a continuous-time limit whose directional convergence paper 2
assumes; every verdict here is about the run (docs/theory.md §6.8, pitfall 9).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from numeric.margin.norms import MarginNorm

from ..verdict import Verdict
from .claims import stopped_by
from .kkt import PASS_ALIGNMENT, TAU_GRID

TAU_VERIFY = 0.05  # a KKT claim is verified only with complementary slackness up to 5%


@dataclass
class KKTEvidence:
    norm: MarginNorm
    predicted: bool
    q_min: float  # q_min(theta_T) (float64)
    profile: dict | None = None  # certified_kkt_profile at T
    half: dict | None = None  # float kkt_profile at T/2
    rounding: float | None = None  # estimate: max_tau |a(theta_T) - a(theta_T^rerun)|
    rounding_reason: str | None = None
    rerun_a: dict | None = None  # float a(tau) at the longdouble rerun's theta_T
    margin_history: dict = field(default_factory=dict)  # t -> gamma_N(theta_t) (float)
    rN: float | None = None
    verified: bool = False
    dps: int | None = None  # decimal digits of the run's arithmetic (float64: 15)
    rerun_dps: int | None = None  # of the rounding rerun (longdouble: 18), None without one

    @property
    def tau99(self) -> float | None:
        """Smallest ``tau`` with ``a_lo(tau) - e >= 0.99``."""
        if self.profile is None or self.rounding is None or not self.q_min > 0:
            return None
        lo = self.profile["_lo"]
        e = Fraction(self.rounding)
        return next((t for t in TAU_GRID if lo[t] is not None and lo[t] - e >= Fraction(PASS_ALIGNMENT)), None)

    def meets_verification(self) -> bool:
        """``tau99`` exists and is at most :data:`TAU_VERIFY` (a loose ``tau`` = 0.5 lets
        constraints 50% above the smallest margin into the KKT multipliers)."""
        return self.tau99 is not None and self.tau99 <= TAU_VERIFY

    def fails_everywhere(self) -> bool:
        """At every ``tau``: the certified ``a_hi < 0.99`` at ``theta_T`` and the longdouble
        rerun's ``a < 0.99`` too (the KKT test fails in both arithmetics)."""
        if self.profile is None or self.rerun_a is None:
            return False
        return (all(h is not None and h < Fraction(PASS_ALIGNMENT) for h in self.profile["_hi"].values())
                and all(a is not None and a < PASS_ALIGNMENT for a in self.rerun_a.values()))

    def margin_increasing(self) -> bool | None:
        """Is ``gamma_N(theta_t)`` non-decreasing (to 1e-9 relative) over the checkpoints after
        the first separated one?  ``None`` with fewer than two separated checkpoints."""
        vals = [g for _, g in sorted(self.margin_history.items()) if g > 0]
        if len(vals) < 2:
            return None
        return all(b >= a * (1 - 1e-9) for a, b in zip(vals, vals[1:]))


def _evidence(ev: KKTEvidence) -> dict:
    out = {"norm": ev.norm.label, "predicted_by_paper": ev.predicted, "dps": ev.dps, "rerun_dps": ev.rerun_dps,
           "q_min_final": f"{ev.q_min:.6g}", "separated": bool(ev.q_min > 0)}
    if ev.profile is not None:
        out["kkt_alignment"] = {"a": ev.profile["a"], "a_certified": ev.profile["a_certified"],
                                "tau99": ev.tau99, "max_alignment": ev.profile["max_alignment"]}
    if ev.rerun_a is not None:
        out["kkt_alignment_longdouble_rerun"] = ev.rerun_a
    if ev.half is not None:
        out["kkt_alignment_at_half"] = {"a": ev.half["a"], "tau99": ev.half["tau99"]}
    if ev.rounding is not None:
        out["rounding_estimate_longdouble"] = f"{ev.rounding:.3g}"
        out["rounding_note"] = ("an estimate (float64 run against a longdouble rerun), not certified; "
                                "subtracted from the certified lower ends before the 0.99 test")
    if ev.rounding_reason:
        out["rounding_note"] = ev.rounding_reason
    if ev.margin_history:
        out["normalized_margin_history"] = {str(t): f"{g:.6g}" for t, g in sorted(ev.margin_history.items())}
        out["margin_increasing_after_separation"] = ev.margin_increasing()
    if ev.rN is not None:
        out["steepest_descent_alignment_rN_final"] = f"{ev.rN:.6g}"
    return out


def decide_kkt(claim_id: str, ev: KKTEvidence, others_verified: list[str], steps: int, stopped: str) -> Verdict:
    """The verdict of ``kkt:<norm>`` (rules in the module docstring)."""
    evidence = _evidence(ev)
    width = None
    if ev.profile is not None and ev.tau99 is not None:
        t = ev.tau99
        width = f"{float(ev.profile['_hi'][t] - ev.profile['_lo'][t]):.3g}"
    if stopped != "steps":
        return Verdict(claim_id, "inconclusive", f"the run stopped early ({stopped}) after {steps} steps"
                       f"{stopped_by(stopped)}", error_bound=width, evidence=evidence)
    if not ev.q_min > 0:
        return Verdict(claim_id, "inconclusive", f"not yet separating (q_min = {ev.q_min:.3g} <= 0 after "
                       f"{steps} steps): the KKT conditions of the margin problem need a separating direction "
                       f"(raise --steps or --lr, or change --seed)", evidence=evidence)
    if ev.rounding is None:
        return Verdict(claim_id, "inconclusive", f"no rounding estimate: {ev.rounding_reason}", evidence=evidence)
    if ev.profile is None:
        return Verdict(claim_id, "inconclusive", "no KKT alignment profile", evidence=evidence)
    e = ev.rounding
    a_max = ev.profile["max_alignment"]
    if ev.meets_verification():
        t = ev.tau99
        return Verdict(claim_id, "verified",
                       f"certified KKT alignment a(tau) >= {float(ev.profile['_lo'][t]):.6f} at tau = {t} "
                       f"(>= 0.99 after subtracting the rounding estimate {e:.2g}) after {steps} steps, "
                       f"q_min = {ev.q_min:.3g} > 0", error_bound=width, evidence=evidence)
    half_fails = ev.half is not None and all(a is not None and a < PASS_ALIGNMENT for a in ev.half["a"].values())
    hi_max = max(float(h) for h in ev.profile["_hi"].values() if h is not None) \
        if any(h is not None for h in ev.profile["_hi"].values()) else None
    if others_verified and ev.fails_everywhere() and half_fails:
        return Verdict(claim_id, "refuted",
                       f"the direction is a verified KKT direction of {', '.join(others_verified)}, and its "
                       f"{ev.norm.label} KKT alignment is certified <= {hi_max:.4g} < 0.99 at every tau at "
                       f"T = {steps} (and below 0.99 at every tau at T/2)",
                       error_bound=None, evidence=evidence)
    half_max = None if ev.half is None else ev.half.get("max_alignment")
    trend = "" if half_max is None or a_max is None else \
        (" and rising" if a_max > half_max + 1e-4 else " and not rising") + f" (max a at T/2: {half_max:.4g})"
    if a_max is None:
        why = "the KKT alignment solve failed at every tau, so the KKT test is undecided"
    elif ev.tau99 is not None:
        why = (f"KKT alignment reaches 0.99 (certified, after the rounding estimate) only at tau = {ev.tau99} > "
               f"{TAU_VERIFY}: complementary slackness that loose does not make a KKT direction")
    else:
        why = (f"KKT alignment max a(tau) = {a_max:.4g}{trend}: the certified lower ends stay below 0.99 "
               f"after {steps} steps")
        if ev.fails_everywhere() and not others_verified:
            why += "; no other norm's KKT claim is verified for this run, so none identifies where the direction is heading"
        elif not ev.fails_everywhere():
            his = [float(h) for h in ev.profile["_hi"].values() if h is not None]
            if his and max(his) < PASS_ALIGNMENT:
                why += (f"; the certified upper ends (at most {max(his):.4g}) exclude 0.99 but the longdouble "
                        f"rerun does not, so the run cannot be called non-KKT either")
            else:
                why += "; the certified upper ends do not exclude 0.99 either"
    return Verdict(claim_id, "inconclusive", why, error_bound=width, evidence=evidence)
