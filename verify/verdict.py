"""Verdicts: ``verified | refuted | inconclusive | not_applicable`` with evidence (docs/theory.md §7).

Decision rules (``d`` the measured quantity, ``e`` its error bound, both >= 0; relative
to ``||W_GD - W0||`` where they are distances; ``tol`` the claim tolerance):

* equality ``A = B`` (:func:`decide_equality`): ``verified`` iff ``d <= e <= tol`` (the two
  agree to within the error bound, and the bound resolves the claim to ``tol``);
  ``refuted`` iff ``d > SAFETY * e`` (so ``||A - B|| >= d - e > 0``: a certified difference);
  otherwise ``inconclusive``.
* difference ``A != B`` (:func:`decide_difference`): ``verified`` iff ``d > SAFETY * e``;
  ``refuted`` iff ``d + e <= tol``; otherwise ``inconclusive``.
* upper bound ``a <= b`` (:func:`decide_upper`): ``verified`` iff ``b - a > e`` (margin exceeds
  the error bound); ``refuted`` iff ``a - b > e``; otherwise ``inconclusive``.

A verdict is never a bare boolean: it carries the numbers it rests on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

VERDICTS = ("verified", "refuted", "inconclusive", "not_applicable")
SAFETY = 2
DEFAULT_TOL = "1e-20"


@dataclass(frozen=True)
class Verdict:
    """One claim's outcome, with its evidence and error bound."""

    id: str
    verdict: str
    reason: str
    lr: str | None = None
    error_bound: str | None = None
    evidence: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")

    def to_json(self) -> dict:
        out = {"id": self.id}
        if self.lr is not None:
            out["lr"] = self.lr
        out.update({"verdict": self.verdict, "error_bound": self.error_bound,
                    "reason": self.reason, "evidence": self.evidence})
        return out


def decide_equality(d, e, tol) -> tuple[str, str]:
    """Verdict for a claimed equality from distance ``d``, error bound ``e``, tolerance ``tol``."""
    if e is None:
        return "inconclusive", "no error bound available"
    if d <= e:
        if e <= tol:
            return "verified", "distance within the error bound, which is below the tolerance"
        return "inconclusive", "distance within the error bound, but the bound exceeds the tolerance"
    if d > SAFETY * e:
        return "refuted", "distance exceeds the error bound: a certified difference"
    return "inconclusive", "distance between one and two error bounds"


def decide_difference(d, e, tol) -> tuple[str, str]:
    """Verdict for a claimed difference (``A != B``)."""
    if e is None:
        return "inconclusive", "no error bound available"
    if d > SAFETY * e:
        return "verified", "difference exceeds the summed error bounds"
    if d + e <= tol:
        return "refuted", "equal to within the error bound, below the tolerance"
    return "inconclusive", "difference not resolved by the error bounds"


def decide_upper(a, b, e) -> tuple[str, str]:
    """Verdict for a claimed bound ``a <= b`` with ``a`` known to within ``e``."""
    if e is None:
        return "inconclusive", "no error bound available"
    if b - a > e:
        return "verified", "margin exceeds the error bound"
    if a - b > e:
        return "refuted", "bound violated by more than the error bound"
    return "inconclusive", "margin within the error bound"


def exit_status(verdicts: list) -> int:
    """0 all applicable verified; 1 some refuted; 3 some inconclusive (none refuted).

    Accepts :class:`Verdict` objects or their JSON records.
    """
    kinds = {v["verdict"] if isinstance(v, dict) else v.verdict for v in verdicts}
    if "refuted" in kinds:
        return 1
    if "inconclusive" in kinds:
        return 3
    return 0
