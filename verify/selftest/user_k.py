"""Planted cases for a researcher's own K (issue 12): the traps of a new preconditioner.

Each case is known from the mathematics:

* value jumps at a Piecewise join, derivative jumps hidden in ``atan(1/(r-1)) + atan(r-1)``
  (which SymPy differentiates to 0), in nested ``abs`` and in ``Max``: K is not convex or not
  C^1, ``assumptions`` must be refuted at the point;
* a non-convex general K with a non-constant Hessian (refuted by a 50-digit eigenvalue), a
  monotonicity failure that only ``solveset`` finds (the counterexample is re-evaluated);
* a K that depends on ``G G^T`` is not left-invariant: ``limit=gd`` must be refuted;
* true controls: an isotropic K written in entries (its limit is ``W_GD``), a polynomial
  general K proved convex by an exactly checked SOS certificate, a C^1 Piecewise join, and
  ``general_bound`` on a problem whose ``W0`` already interpolates (holds at ``t = 0``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable

import numpy as np

from numeric.preconditioners.catalog import make_preconditioner
from numeric.problem import Problem, random_problem
from symbolic.user import user_K

from ..check import Settings, check
from ..custom import build_custom
from ..runs import LearningRate
from .kinds import SELFTEST_DPS, CustomRun, Outcome, Planted, _backend, _combine, fact_outcome


def interpolating_w0() -> Problem:
    """``X = [[1,2,0,1],[0,1,3,1]]``, ``W0 = (1,0,2,-1)^T``, ``Y = X W0``: W0 interpolates."""
    X = np.array([[1, 2, 0, 1], [0, 1, 3, 1]], dtype=float)
    W0 = np.array([[1], [0], [2], [-1]], dtype=float)
    return Problem(X, X @ W0, W0, source="planted: Y = X W0")


@dataclass(frozen=True)
class UserKCheck:
    """``check --K ... --lr ETA [--claim C]`` on a fixed problem; the verdict of ``claim_id``."""

    K: str
    structure: str
    claim_id: str
    shape: tuple = (1, 2, 1)
    lrs: tuple = (Fraction(1),)
    user_claim: str | None = None

    def __call__(self) -> Outcome:
        from ..claims.parse import parse_claim
        n, d, k = self.shape
        problem = random_problem(n, d, k, seed=0)
        built = build_custom(self.K, None, self.structure, {}, (d, k))
        if built.pre is None:
            return Outcome("error", "the planted K was stopped by its assumptions")
        pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
        claims = (parse_claim(self.user_claim),) if self.user_claim else ()
        settings = Settings(dps=SELFTEST_DPS, lrs=tuple(LearningRate("abs", v) for v in self.lrs), claims=claims,
                            backend="mpmath")
        return _combine(check(problem, pre, settings).record["claims"], self.claim_id)


@dataclass(frozen=True)
class ConvexityFact:
    """The ``convex`` fact of a K alone: proved -> verified, refuted -> refuted (exact or a point)."""

    K: str
    structure: str
    shape: tuple = (2, 1)

    def __call__(self) -> Outcome:
        return fact_outcome(user_K(self.K, self.structure, None, self.shape).facts()["convex"])


@dataclass(frozen=True)
class DegenerateRun:
    """A catalogue K on :func:`interpolating_w0`; the verdict of ``claim_id``."""

    name: str
    claim_id: str
    problem: Callable[[], Problem] = interpolating_w0

    def __call__(self) -> Outcome:
        p = self.problem()
        pre = make_preconditioner(self.name, {}, shape=(p.d, p.k), seed=0)
        settings = Settings(dps=SELFTEST_DPS, lrs=(LearningRate("frac", Fraction(9, 10)),), backend=_backend())
        return _combine(check(p, pre, settings).record["claims"], self.claim_id)


ISO_IN_ENTRIES = "(G_1_1**2 + G_2_1**2)**2/4 + (G_1_1**2 + G_2_1**2)/2"
GGT_K = "(G_1_1**2 + G_1_2**2)**2/4 + (G_1_1**2 + G_1_2**2 + G_2_1**2 + G_2_2**2)/2"

USER_K_CASES: tuple[Planted, ...] = (
    # ------------------------------------------------------------ false: hidden jumps and kinks
    Planted("K-value-jump-at-join", "K = sum k(g), k = g^2/2 (|g| < 1), g^2/2 + 5 otherwise, is admissible",
            "docs/theory.md §2 (a convex K is continuous)", "refuted",
            CustomRun(K="Piecewise((g**2/2, abs(g) < 1), (g**2/2 + 5, True))")),
    Planted("K-jump-hidden-in-atan", "h(r) = r^2/2 - r/4 - (r-1)(atan(1/(r-1)) + atan(r-1))/(2 pi) is admissible",
            "docs/theory.md §2 (h' drops from 1 to 1/2 at r = 1; SymPy differentiates the jump away)", "refuted",
            CustomRun(K="r**2/2 - r/4 - (r-1)*(atan(1/(r-1)) + atan(r-1))/(2*pi)", structure="isotropic")),
    Planted("K-kink-hidden-in-abs", "k(g) = g^2/2 - (| |g| - 1 | + |g| - 1)/4 is admissible",
            "docs/theory.md §2 (k' drops at |g| = 1; f'' has a DiracDelta)", "refuted",
            CustomRun(K="g**2/2 - (abs(abs(g) - 1) + abs(g) - 1)/4")),
    Planted("K-kink-hidden-in-max", "k(g) = g^2/2 - Max(|g| - 1, 0)/2 is admissible",
            "docs/theory.md §2 (k' drops from 1 to 1/2 at |g| = 1)", "refuted",
            CustomRun(K="g**2/2 - Max(abs(g) - 1, 0)/2")),
    Planted("general-K-nonconstant-hessian-nonconvex", "K = G11^4/4 - G11^2 + G21^2/2 is convex",
            "docs/theory.md §2 (Hessian eigenvalue 3 G11^2 - 2 < 0 near 0)", "refuted",
            ConvexityFact("G_1_1**4/4 - G_1_1**2 + G_2_1**2/2", "general")),
    Planted("update-nonmonotone-on-an-interval", "U(g) = g - 2 atan(g - 5) - 2 atan 5 is grad K of a convex K",
            "docs/theory.md §5 (U' < 0 on (4, 6), found by solveset and re-evaluated)", "refuted",
            CustomRun(update="G - 2*atan(G-5) - 2*atan(5)")),
    Planted("GGt-K-limit-is-gd", "a K of G G^T with non-constant Hessian has limit W_GD",
            "docs/theory.md §3.2 (not left-invariant)", "refuted",
            UserKCheck(GGT_K, "general", "claim:limit=gd", shape=(1, 2, 2), user_claim="limit=gd")),
    # ------------------------------------------------------------ true controls
    Planted("isotropic-in-entries-limit-is-gd", "an isotropic K written in entries has limit W_GD",
            "docs/theory.md §3.2 (isotropic K)", "verified",
            UserKCheck(ISO_IN_ENTRIES, "general", "claim:limit=gd", user_claim="limit=gd")),
    Planted("polynomial-general-K-is-convex", "K = G11^2/2 + G21^4/4 + G21^2/2 is convex (SOS, exact)",
            "docs/theory.md §2", "verified", ConvexityFact("G_1_1**2/2 + G_2_1**4/4 + G_2_1**2/2", "general")),
    Planted("C1-piecewise-join-is-admissible", "k = g^2/2 (|g| <= 1), |g| - 1/2 otherwise (Huber) is admissible",
            "docs/theory.md §2 (C^1 join at 1)", "verified",
            CustomRun(K="Piecewise((g**2/2, abs(g) <= 1), (abs(g) - 1/2, True))")),
    Planted("interpolating-W0-general-bound", "adam obeys the bound on c when W0 already interpolates",
            "docs/theory.md §3.3 (0 <= c * 0 at t = 0)", "verified", DegenerateRun("adam", "general_bound")),
)
