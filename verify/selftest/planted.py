"""``dspgd-verify selftest``: planted false claims that must be refuted, true controls that
must be verified.

A verifier is only as good as its worst false ``verified``.  The table :data:`PLANTED` holds
claims whose truth value is known from the mathematics (docs/theory.md §2-§5): each entry says how to
run it through the public API (:func:`verify.check.check_by_name`, :func:`verify.check.check`,
:func:`verify.custom.build_custom`, :func:`symbolic.identities.prove_identity`) and the
outcome it must get.

* A **false claim** behaves when its verdict is ``refuted`` with a reason (the
  counterexample).  ``verified`` is the worst failure; ``inconclusive`` is a failure too.
* A **true control** behaves when its verdict is ``verified`` and the record states its
  precision (``dps`` and an ``error_bound``; ``exact`` for symbolic facts).

Each case is tiny (n <= 2, d <= 6, k <= 2, dps 30), so the whole table runs in well under two
minutes.  :func:`mutation_check` runs the false claims again with the certificate re-checks
switched off (:mod:`verify._recheck_hook`) and reports which ones then slip through: those
are the claims that the re-checks, and nothing else, catch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

from .kinds import (
    CatalogueRun, CustomRun, IdentityRun, MarginRun, NetworkKKTRun, Outcome, Pending, Planted,
    _bregman_symmetric, _bregman_triangle, _fenchel_young, _four_point, _four_point_factor_two, _three_point,
    random, sharp_quadratic_kappa100,
)
from .user_k import USER_K_CASES

F = Fraction
R251 = random(2, 5, 1)
R242 = random(2, 4, 2, seed=1)
R261 = random(2, 6, 1, seed=2)

PLANTED: tuple[Planted, ...] = (
    # ------------------------------------------------------------ false: limits (docs/theory.md §3.2-§3.3)
    Planted("adam-limit-is-gd", "adam's limit is W_GD", "docs/theory.md §3.3", "refuted",
            CatalogueRun("adam", "claim:limit=gd", R251, "limit=gd")),
    Planted("adam-limit-is-gd-2cols", "adam's limit is W_GD (k = 2)", "docs/theory.md §3.3", "refuted",
            CatalogueRun("adam", "claim:limit=gd", R242, "limit=gd")),
    Planted("adam-limit-is-gd-logcosh", "adam's limit is W_GD under the log-cosh loss", "docs/theory.md §3.3, Theorem B",
            "refuted", CatalogueRun("adam", "claim:limit=gd", random(2, 5, 1, loss="logcosh"), "limit=gd")),
    Planted("sign-limit-is-minnorm-linf", "sign's limit is the min-l-infinity interpolator", "docs/theory.md §3.3", "refuted",
            CatalogueRun("sign", "claim:limit=minnorm:linf", R251, "limit=minnorm:linf")),
    Planted("sign-limit-is-gd", "sign's limit is W_GD", "docs/theory.md §3.3", "refuted",
            CatalogueRun("sign", "claim:limit=gd", R251, "limit=gd")),
    Planted("adam-limit-is-minnorm-l1", "adam's limit is the min-l1 interpolator", "docs/theory.md §3.3", "refuted",
            CatalogueRun("adam", "claim:limit=minnorm:l1", R251, "limit=minnorm:l1")),
    Planted("adam-limit-is-minnorm-linf", "adam's limit is the min-l-infinity interpolator", "docs/theory.md §3.3", "refuted",
            CatalogueRun("adam", "claim:limit=minnorm:linf", R251, "limit=minnorm:linf")),
    Planted("clipv-limit-is-gd", "clipv's (clip by value) limit is W_GD", "docs/theory.md §3.2 (entrywise K is not left-invariant)",
            "refuted", CatalogueRun("clipv", "claim:limit=gd", R261, "limit=gd", params=(("c", "1/10"),))),
    Planted("quadratic-limit-is-gd", "a quadratic K's limit is W_GD", "docs/theory.md §3.3 (it is the H^-1 min-norm point)",
            "refuted", CatalogueRun("quadratic", "claim:limit=gd", R251, "limit=gd")),
    Planted("gd-limit-is-minnorm-linf", "GD's limit is the min-l-infinity interpolator", "docs/theory.md §3.2", "refuted",
            CatalogueRun("gd", "claim:limit=minnorm:linf", R251, "limit=minnorm:linf")),
    Planted("gd-limit-is-minnorm-l1", "GD's limit is the min-l1 interpolator", "docs/theory.md §3.2", "refuted",
            CatalogueRun("gd", "claim:limit=minnorm:l1", R251, "limit=minnorm:l1")),
    Planted("ngd-limit-is-minnorm-l1", "normalized GD's limit is the min-l1 interpolator", "docs/theory.md §3.2", "refuted",
            CatalogueRun("ngd", "claim:limit=minnorm:l1", R261, "limit=minnorm:l1")),
    # ------------------------------------------------------------ false: the constant c (docs/theory.md §3.3)
    Planted("adam-c-equals-1", "c = 1 for adam", "docs/theory.md §3.3", "refuted",
            CatalogueRun("adam", "claim:bound:c=1", R251, "bound:c=1")),
    Planted("sign-c-equals-1", "c = 1 for sign", "docs/theory.md §3.3", "refuted",
            CatalogueRun("sign", "claim:bound:c=1", R251, "bound:c=1")),
    Planted("clipv-c-equals-1", "c = 1 for clipv", "docs/theory.md §3.3", "refuted",
            CatalogueRun("clipv", "claim:bound:c=1", R261, "bound:c=1", params=(("c", "1/10"),))),
    Planted("sharp-quadratic-c-1.01", "c <= 1.01 on the sharp 2-D quadratic instance, kappa = 100",
            "docs/theory.md §3.3 (c = (kappa+1)/(2 sqrt kappa) = 5.05, attained)", "refuted",
            CatalogueRun("quadratic", "claim:bound:c=1.01", sharp_quadratic_kappa100, "bound:c=1.01",
                         lr_fracs=(F(1, 2),))),
    Planted("sharp-quadratic-c-5", "c <= 5 on the sharp 2-D quadratic instance, kappa = 100",
            "docs/theory.md §3.3 (c = 5.05: a bound 1% too small)", "refuted",
            CatalogueRun("quadratic", "claim:bound:c=5", sharp_quadratic_kappa100, "bound:c=5",
                         lr_fracs=(F(1, 2),))),
    # ------------------------------------------------------------ false: learning-rate dependence
    Planted("quadratic-limit-depends-on-eta", "a quadratic K's limit depends on the learning rate",
            "docs/theory.md §3.3 (the H^-1 min-norm point for every eta)", "refuted",
            CatalogueRun("quadratic", "lr_dependence", R251, lr_fracs=(F(45, 100), F(9, 10)))),
    Planted("ngd-limit-depends-on-eta", "an isotropic K's (ngd) limit depends on the learning rate",
            "docs/theory.md §3.2 (W_GD for every eta); judged on the runs alone", "refuted",
            CatalogueRun("ngd", "lr_dependence", R251, lr_fracs=(F(45, 100), F(9, 10)), hide_invariance=True)),
    Planted("gd-limit-depends-on-eta", "GD's limit depends on the learning rate",
            "docs/theory.md §3.2; judged on the runs alone", "refuted",
            CatalogueRun("gd", "lr_dependence", R242, lr_fracs=(F(45, 100), F(9, 10)), hide_invariance=True)),
    Planted("muon-limit-depends-on-eta", "a spectral K's (muon) limit depends on the learning rate",
            "docs/theory.md §3.2 (left-invariant K); judged on the runs alone", "refuted",
            CatalogueRun("muon", "lr_dependence", R242, lr_fracs=(F(45, 100), F(9, 10)), hide_invariance=True)),
    # ------------------------------------------------------------ false: convergence beyond Theorem A
    Planted("gd-converges-above-2-over-L", "GD converges with eta = 1.2 * 2/(L sigma_max^2)",
            "docs/theory.md §3.1 (Theorem A needs eta < 2/(L sigma_max^2))", "refuted",
            CatalogueRun("gd", "convergence", R251, lr_fracs=(F(6, 5),))),
    Planted("quadratic-converges-above-2-over-L", "a quadratic K converges with eta = 3 * 2/(L sigma_max^2)",
            "docs/theory.md §3.1", "refuted", CatalogueRun("quadratic", "convergence", R251, lr_fracs=(F(3),))),
    # ------------------------------------------------------------ false: assumptions (docs/theory.md §2, §5)
    Planted("nonconvex-isotropic-K-is-admissible", "K = -log(1 + r^2) (isotropic) satisfies the assumptions",
            "docs/theory.md §2 (h must be convex)", "refuted", CustomRun(K="-log(1 + r**2)", structure="isotropic")),
    Planted("nonconvex-entrywise-K-is-admissible", "K = sum g^2/2 - g^4/4 satisfies the assumptions",
            "docs/theory.md §2 (k'' >= 0)", "refuted", CustomRun(K="g**2/2 - g**4/4", structure="entrywise")),
    Planted("nonconvex-spectral-K-is-admissible", "K = sum sqrt(1 + s^2) - s^2 satisfies the assumptions",
            "docs/theory.md §2 (phi convex)", "refuted", CustomRun(K="sqrt(1 + s**2) - s**2", structure="spectral")),
    Planted("K-with-nonzero-gradient-at-0", "K = sum g^2/2 + g has grad K(0) = 0", "docs/theory.md §1 (grad K(0) = 0)",
            "refuted", CustomRun(K="g**2/2 + g", structure="entrywise")),
    Planted("nonsymmetric-linear-map-is-gradient", "U(G) = A G with A = [[1, 2], [0, 1]] is grad K",
            "docs/theory.md §5 (a gradient has a symmetric Jacobian)", "refuted",
            CustomRun(update="[[G_1_1 + 2*G_2_1], [G_2_1]]", structure="general")),
    Planted("nonmonotone-update-is-convex-gradient", "U(g) = g - g^3 is grad K of a convex K",
            "docs/theory.md §5 (a convex K has a monotone gradient)", "refuted", CustomRun(update="G - G**3")),
    # ------------------------------------------------------------ false: identities (docs/theory.md §4)
    Planted("bregman-is-symmetric", "D_K(A, B) = D_K(B, A) (K = sum log cosh)", "docs/theory.md §4.1", "refuted",
            IdentityRun("bregman_symmetric", _bregman_symmetric)),
    Planted("four-point-factor-two", "D_K(A,B) + D_K(B,A) = 2 <grad K(A) - grad K(B), A - B>", "docs/theory.md §4.2 I4",
            "refuted", IdentityRun("I4_factor_two", _four_point_factor_two)),
    Planted("three-point-wrong-sign", "three-point identity with the sign of the right side flipped",
            "docs/theory.md §4.2 I3", "refuted", IdentityRun("I3_wrong_sign", lambda: _three_point(-1))),
    Planted("fenchel-young-wrong-sign", "K(G) + K*(grad K(G)) = -<G, grad K(G)> (K = ||G||^2/2)",
            "docs/theory.md §4.2 I1", "refuted", IdentityRun("I1_wrong_sign", lambda: _fenchel_young(-1))),
    Planted("bregman-triangle", "D_K(A, C) = D_K(A, B) + D_K(B, C)", "docs/theory.md §4.2 I3 (missing term)", "refuted",
            IdentityRun("bregman_triangle", _bregman_triangle)),
    # ------------------------------------------------------------ false: paper 2 (docs/theory.md §6)
    Planted("sign-margin-l2", "sign descent maximizes the l2 margin (margin:l2)", "docs/theory.md §6", "refuted",
            MarginRun("sign", "margin:l2")),
    Planted("ngd-margin-linf", "normalized GD maximizes the l-infinity margin (margin:linf)", "docs/theory.md §6", "refuted",
            MarginRun("ngd", "margin:linf", lr=0.05)),
    Planted("ngd-kkt-linf-two-layer", "normalized GD on a squared-ReLU network converges to an l-infinity KKT "
            "direction (kkt:linf)", "docs/theory.md §6.2", "refuted", NetworkKKTRun("ngd", "kkt:linf")),
    Planted("sign-kkt-l2-two-layer", "sign descent on a squared-ReLU network converges to an l2 KKT direction "
            "(kkt:l2)", "docs/theory.md §6.2", "refuted", NetworkKKTRun("sign", "kkt:l2", steps=50_000)),
    # ------------------------------------------------------------ true controls
    Planted("ngd-margin-l2", "normalized GD maximizes the l2 margin (margin:l2)", "docs/theory.md §6", "verified",
            MarginRun("ngd", "margin:l2", lr=0.05)),
    Planted("ngd-kkt-l2-two-layer", "normalized GD on a squared-ReLU network converges to an l2 KKT direction "
            "(kkt:l2)", "docs/theory.md §6.2", "verified", NetworkKKTRun("ngd", "kkt:l2")),
    Planted("gd-limit-is-gd", "GD's limit is W_GD", "docs/theory.md §3.2", "verified",
            CatalogueRun("gd", "claim:limit=gd", R251, "limit=gd")),
    Planted("clip-limit-is-gd", "clip's limit is W_GD", "docs/theory.md §3.2 (isotropic)", "verified",
            CatalogueRun("clip", "claim:limit=gd", R251, "limit=gd")),
    Planted("ngd-isotropic-bias", "normalized GD's limit is W_GD (isotropic_bias)", "docs/theory.md §3.2", "verified",
            CatalogueRun("ngd", "isotropic_bias", R261)),
    Planted("muon-row-space-bias", "muon's limit is W_GD (row_space_bias)", "docs/theory.md §3.2 (left-invariant)",
            "verified", CatalogueRun("muon", "row_space_bias", R242)),
    Planted("quadratic-limit-is-minnorm-hinv", "a quadratic K's limit is the H^-1 min-norm interpolator",
            "docs/theory.md §3.3", "verified", CatalogueRun("quadratic", "claim:limit=minnorm:hinv", R251, "limit=minnorm:hinv")),
    Planted("adam-limit-depends-on-eta", "adam's limit depends on the learning rate", "docs/theory.md §3.3 (Claim D)",
            "verified", CatalogueRun("adam", "lr_dependence", R251, lr_fracs=(F(45, 100), F(9, 10)))),
    Planted("sharp-quadratic-c-5.06", "c <= 5.06 on the sharp 2-D quadratic instance, kappa = 100", "docs/theory.md §3.3",
            "verified", CatalogueRun("quadratic", "claim:bound:c=5.06", sharp_quadratic_kappa100, "bound:c=5.06",
                                     lr_fracs=(F(1, 2),))),
    Planted("adam-general-bound", "adam obeys the docs/theory.md §3.3 bound on c", "docs/theory.md §3.3", "verified",
            CatalogueRun("adam", "general_bound", R251)),
    Planted("sign-converges", "sign converges to an interpolator at 0.9 of the largest step", "docs/theory.md §3.1",
            "verified", CatalogueRun("sign", "convergence", R251)),
    Planted("convex-isotropic-K-is-admissible", "K = sqrt(1 + r^2) - 1 (isotropic) satisfies the assumptions",
            "docs/theory.md §2", "verified", CustomRun(K="sqrt(1 + r**2) - 1", structure="isotropic")),
    Planted("symmetric-linear-map-is-gradient", "U(G) = A G with A = [[2, 1], [1, 1]] is grad K of a convex K",
            "docs/theory.md §5", "verified", CustomRun(update="[[2*G_1_1 + G_2_1], [G_1_1 + G_2_1]]", structure="general")),
    Planted("four-point-identity", "D_K(A,B) + D_K(B,A) = <grad K(A) - grad K(B), A - B>", "docs/theory.md §4.2 I4",
            "verified", IdentityRun("I4", _four_point)),
    Planted("three-point-identity", "D_K(A,B) + D_K(B,C) - D_K(A,C) = <grad K(C) - grad K(B), A - B>",
            "docs/theory.md §4.2 I3", "verified", IdentityRun("I3", lambda: _three_point(1))),
)


PLANTED = PLANTED + USER_K_CASES


# ----------------------------------------------------------------------------- running it
@dataclass(frozen=True)
class CaseResult:
    case: Planted
    outcome: Outcome
    seconds: float

    @property
    def pending(self) -> bool:
        return self.outcome.verdict == "pending"

    @property
    def behaves(self) -> bool:
        """A false claim refuted with a reason; a true control verified with its precision."""
        o = self.outcome
        if self.case.expect == "refuted":
            return o.verdict == "refuted" and bool(o.reason.strip())
        return o.verdict == "verified" and states_precision(o)

    def to_json(self) -> dict:
        return {"id": self.case.id, "statement": self.case.statement, "source": self.case.source,
                "expect": self.case.expect, "verdict": self.outcome.verdict, "reason": self.outcome.reason,
                "behaves": None if self.pending else self.behaves, "precision": _jsonable(self.outcome.precision),
                "seconds": round(self.seconds, 3)}


def states_precision(o: Outcome) -> bool:
    """A ``verified`` states its precision: every deciding verdict has an error bound, and the
    numeric ones their ``dps`` and ``rerun_dps`` (symbolic facts are ``exact``)."""
    p = o.precision
    if p.get("error_bound") == "exact":
        return True
    verdicts = p.get("verdicts") or []
    if not verdicts:
        return False
    for v in verdicts:
        if v["error_bound"] == "exact":
            continue
        if v["error_bound"] is None:
            return False
        dps = v["dps"] if v["dps"] is not None else p.get("settings_dps")
        rerun = v["rerun_dps"] if v["rerun_dps"] is not None else p.get("settings_rerun_dps")
        if dps is None or rerun is None or not rerun > dps:
            return False
    return True


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x if isinstance(x, (str, int, float, bool)) or x is None else str(x)


def run_case(case: Planted) -> CaseResult:
    """Run one planted claim; an exception is an ``error`` outcome (never a pass)."""
    t0 = time.perf_counter()
    try:
        outcome = case.run()
    except Exception as exc:  # a crash on a planted claim is a failure of the selftest, reported
        outcome = Outcome("error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    return CaseResult(case, outcome, time.perf_counter() - t0)


def select(only: list[str] | None = None) -> tuple[Planted, ...]:
    if not only:
        return PLANTED
    ids = {c.id for c in PLANTED}
    unknown = [o for o in only if o not in ids]
    if unknown:
        from numeric.errors import InputError
        raise InputError(f"selftest --only: unknown case(s) {', '.join(unknown)} (see selftest --list)")
    return tuple(c for c in PLANTED if c.id in only)


def run_all(cases: tuple[Planted, ...] = PLANTED) -> list[CaseResult]:
    return [run_case(c) for c in cases]


def summary(results: list[CaseResult]) -> dict:
    """Counts: false claims refuted N/N, true controls verified M/M (pending cases apart)."""
    false = [r for r in results if r.case.expect == "refuted" and not r.pending]
    true = [r for r in results if r.case.expect == "verified" and not r.pending]
    return {"false_refuted": sum(r.behaves for r in false), "false_total": len(false),
            "true_verified": sum(r.behaves for r in true), "true_total": len(true),
            "false_verified": sum(r.outcome.verdict == "verified" for r in false),
            "pending": [r.case.id for r in results if r.pending],
            "all_behave": all(r.behaves for r in false + true)}


def mutation_check(cases: tuple[Planted, ...] = PLANTED) -> list[CaseResult]:
    """The false claims run again with the re-checks off (:mod:`verify._recheck_hook`);
    the ones that no longer come out ``refuted`` are caught by the re-checks alone."""
    from .._recheck_hook import rechecks_disabled
    with rechecks_disabled():
        return [run_case(c) for c in cases if c.expect == "refuted" and not isinstance(c.run, Pending)]
