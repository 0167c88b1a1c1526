"""``margin``: run an optimizer of paper 2 and judge ``margin:l2|linf|spectral|hybrid`` (docs/theory.md §6).

Flow: float64 run in log scale (:mod:`numeric.margin.run`) -> the same run in extended
precision (rounding check) -> per norm: certified ``gamma*`` bracket (cvxpy + exact weak
duality), exact margin bounds of the checkpoints, KKT alignment -> verdicts
(:mod:`verify.margin.claims`).  On a model with a hybrid block it also fits the hybrid ratio
``r'`` whose max-margin direction the run is closest to (docs/theory.md §6: a constant learning rate
with Muon-Adam moves the bias to ``kappa * r``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from numeric.margin.data import MarginProblem
from numeric.margin.norms import MarginNorm, norm, normalized_margin
from numeric.margin.optimizers import Optimizer
from numeric.margin.run import MarginTrajectory, Schedule, run_margin

from .claims import DEFAULT_MARGIN_TOL, NormEvidence, decide
from .exact import CertificateError, margin_bounds
from .kkt import kkt_profile
from .reference import distance_to_optimal_set, solve_reference
from ..envelope import complete_margin_record
from ..verdict import Verdict, exit_status

STANDARD = ("l2", "linf", "spectral", "hybrid")
RATIO_GRID = tuple(float(x) for x in np.geomspace(0.05, 20, 27))


@dataclass(frozen=True)
class MarginSettings:
    steps: int = 100_000
    schedule: Schedule = Schedule(0.01, 0.0)
    tol: Fraction = Fraction(DEFAULT_MARGIN_TOL)
    ratio: Fraction = Fraction(1)  # r of the claim margin:hybrid
    extra_ratios: tuple = ()  # claims margin:hybrid:R: Fractions, or (label, Fraction) pairs
    report: tuple | None = None  # claim ids to report (None: all)
    solver: str = "CLARABEL"
    timeout: float | None = None
    rerun: bool = True
    fit_ratio: bool = True


@dataclass
class MarginResult:
    record: dict
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return exit_status(self.verdicts)


def claim_norms(prob: MarginProblem, settings: MarginSettings) -> list[tuple[str, MarginNorm]]:
    out = [("margin:l2", MarginNorm("l2")), ("margin:linf", MarginNorm("linf")),
           ("margin:spectral", MarginNorm("spectral")), ("margin:hybrid", MarginNorm("hybrid", settings.ratio))]
    for item in settings.extra_ratios:
        label, r = item if isinstance(item, tuple) else (_ratio_text(item), item)
        out.append((f"margin:hybrid:{label}", MarginNorm("hybrid", r)))
    return out


def _ratio_text(r: Fraction) -> str:
    from numeric.margin.norms import _frac
    return _frac(r)


def _gap(gamma: tuple, star: tuple) -> tuple[Fraction, Fraction]:
    """Certified ``1 - gamma/gamma*`` from ``gamma in [g_lo, g_hi]``, ``gamma* in [s_lo, s_hi]``."""
    (g_lo, g_hi), (s_lo, s_hi) = gamma, star
    lo = 1 - g_hi / s_lo if g_hi >= 0 else 1 - g_hi / s_hi
    hi = 1 - g_lo / s_hi if g_lo >= 0 else 1 - g_lo / s_lo
    return lo, hi


def norm_evidence(prob: MarginProblem, N: MarginNorm, predicted: bool, traj: MarginTrajectory,
                  rerun: MarginTrajectory | None, solver: str) -> NormEvidence:
    """Reference, certified gaps at every checkpoint, rounding, KKT profile for one norm."""
    ref = solve_reference(prob, N, solver)
    ev = NormEvidence(N, predicted, ref.reason, reference_point=ref.point)
    if not ref.certified:
        return ev
    star = (ref.lo, ref.hi)
    try:
        hist = {t: _gap(margin_bounds(prob, N, th), star) for t, th in traj.checkpoints.items()}
        ev.gamma = margin_bounds(prob, N, traj.theta)
        ev.gap = _gap(ev.gamma, star)
        if rerun is not None:
            ev.rounding = abs(float(_gap(margin_bounds(prob, N, rerun.theta.astype(np.float64)), star)[1] - ev.gap[1]))
    except CertificateError as exc:
        ev.reference_reason = str(exc)
        return ev
    ev.gamma_star, ev.gap_history = star, hist
    ev.kkt = kkt_profile(prob, N, traj.theta, solver)
    if N.name == "l2" and ev.gap[1] >= 0:
        ev.direction_bound = math.sqrt(2 * float(ev.gap[1]))
    ev.distance_to_optimal_set = distance_to_optimal_set(
        prob, ref, traj.theta / norm(prob, N, traj.theta), solver)
    return ev


def cross_gap(prob: MarginProblem, of: NormEvidence, in_: NormEvidence) -> float:
    """``1 - gamma_M(w*_N) / gamma*_M``: how far ``N``'s max-margin point is from optimal in ``M``
    (float64, from the certified bracket's lower end; a property of the instance)."""
    return 1 - normalized_margin(prob, in_.norm, of.reference_point) / float(in_.gamma_star[0])


def _with_discrimination_note(prob: MarginProblem, v: Verdict, evidences: dict) -> Verdict:
    """A verified claim whose norm this instance cannot tell from another verified norm says so."""
    if v.verdict != "verified":
        return v
    me = evidences[v.id]
    close = {}
    for cid, ev in evidences.items():
        if cid != v.id and ev.norm != me.norm and ev.gamma_star is not None and me.gamma_star is not None:
            if ev.verified:
                close[ev.norm.label] = max(cross_gap(prob, me, ev), cross_gap(prob, ev, me))
    if not close:
        return v
    from dataclasses import replace
    note = "; ".join(f"{k} is verified too: the two norms' max-margin directions differ by a cross gap of "
                     f"only {g:.3g} on this instance" for k, g in close.items())
    return replace(v, reason=f"{v.reason}. Note: {note}, so this run cannot tell them apart at this tolerance "
                             f"(lower --tol or use data that separate the norms)",
                   evidence={**v.evidence, "indistinguishable_from": {k: f"{g:.3g}" for k, g in close.items()}})


def fit_hybrid_ratio(prob: MarginProblem, theta: np.ndarray, solver: str) -> dict:
    """The ratio ``r'`` whose hybrid max-margin direction fits ``theta`` best: minimize the
    relative gap ``1 - gamma_{N_r'}(theta) / gamma*_{N_r'}`` over a log grid, then refine by
    golden-section search in ``log r'`` (solver values: a fit, not a certificate)."""
    def gap(r: float) -> float:
        N = MarginNorm("hybrid", Fraction(r))
        ref = solve_reference(prob, N, solver)
        if not ref.certified:
            return math.inf
        return 1 - normalized_margin(prob, N, theta) / float(ref.lo)
    grid = [(gap(r), r) for r in RATIO_GRID]
    best = min(range(len(grid)), key=lambda i: grid[i][0])
    lo = math.log(RATIO_GRID[max(0, best - 1)])
    hi = math.log(RATIO_GRID[min(len(RATIO_GRID) - 1, best + 1)])
    phi = (math.sqrt(5) - 1) / 2
    a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)
    fa, fb = gap(math.exp(a)), gap(math.exp(b))
    for _ in range(14):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - phi * (hi - lo)
            fa = gap(math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + phi * (hi - lo)
            fb = gap(math.exp(b))
    r_best, g_best = (math.exp(a), fa) if fa <= fb else (math.exp(b), fb)
    near = [r for g, r in grid if g <= max(2 * g_best, g_best + 1e-4)] + [r_best]
    out = {"best_fitting_ratio": f"{r_best:.4g}", "relative_gap_at_best": f"{g_best:.3g}",
           "ratios_fitting_as_well": [f"{min(near):.4g}", f"{max(near):.4g}"],
           "grid": {f"{r:.4g}": f"{g:.3g}" for g, r in grid}}
    if max(near) >= RATIO_GRID[-1] or min(near) <= RATIO_GRID[0]:
        out["note"] = ("the fit is flat up to the end of the grid: beyond it one block's constraint is "
                       "inactive and every such ratio has the same max-margin direction")
    return out


def margin_check(prob: MarginProblem, opt: Optimizer, settings: MarginSettings) -> MarginResult:
    """Run ``opt`` on ``prob`` and judge every margin claim (JSON record of docs/json.md)."""
    start = time.perf_counter()
    traj = run_margin(prob, opt, settings.schedule, settings.steps, timeout=settings.timeout)
    rerun, rerun_note = None, None
    extended = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant
    if traj.stopped == "nonfinite":
        rerun_note = "no rerun: the run itself became non-finite"
    elif not settings.rerun:
        rerun_note = "no extended-precision rerun was asked for"
    elif not extended:
        rerun_note = "no extended-precision rerun: numpy.longdouble is float64 on this platform"
    else:
        left = None if settings.timeout is None else max(1.0, settings.timeout - traj.seconds)
        rerun = run_margin(prob, opt, settings.schedule, traj.steps, dtype=np.longdouble, timeout=left)
        if rerun.stopped != "steps" or rerun.steps != traj.steps:
            rerun, rerun_note = None, f"the longdouble rerun stopped early ({rerun.stopped}): no rounding check"
    evidences: dict[str, NormEvidence] = {}
    for cid, N in claim_norms(prob, settings):
        if N.applies_to(prob) and traj.stopped == "nonfinite":
            evidences[cid] = NormEvidence(N, opt.predicted == N, f"the iterate became non-finite at step "
                                          f"{traj.steps} (learning rate too large?): nothing to judge")
        elif N.applies_to(prob):
            predicted = opt.predicted is not None and opt.predicted == N
            evidences[cid] = norm_evidence(prob, N, predicted, traj, rerun, settings.solver)
            evidences[cid].dps = int(np.finfo(np.float64).precision)
            evidences[cid].rerun_dps = int(np.finfo(np.longdouble).precision) if rerun is not None else None
            if rerun is None and evidences[cid].gap is not None:
                evidences[cid].reference_reason = rerun_note
            evidences[cid].verified = evidences[cid].meets_verification(settings.tol)
    verdicts = []
    for cid, N in claim_norms(prob, settings):
        if settings.report is not None and cid not in settings.report:
            continue
        if cid not in evidences:
            verdicts.append(Verdict(cid, "not_applicable",
                                    f"the {N.label} norm is not defined on the {prob.kind} model's parameters"))
            continue
        others = sorted({evidences[o].norm.label for o in evidences
                         if evidences[o].norm != N and evidences[o].verified})
        verdicts.append(decide(cid, evidences[cid], others, settings.tol, traj.steps, traj.stopped, opt.name))
    verdicts = [_with_discrimination_note(prob, v, evidences) for v in verdicts]
    missing = set(settings.report or ()) - {v.id for v in verdicts}
    if missing:  # a requested claim must never vanish from the report
        raise AssertionError(f"requested claims not evaluated: {sorted(missing)}")
    record = {
        "tool": {"name": "dspgd-verify", "version": _version()},
        "optimizer": {"name": opt.name, "params": {k: str(v) for k, v in opt.params.items()},
                      "predicted_norm": opt.predicted.label if opt.predicted else None,
                      "covered_by_theory": opt.covered},
        "problem": prob.describe(),
        "settings": {"steps": settings.steps, "lr": settings.schedule.describe(),
                     "eta0": repr(settings.schedule.eta0), "alpha": repr(settings.schedule.alpha),
                     "tol": f"{float(settings.tol):g}", "solver": settings.solver,
                     "arithmetic": "float64 trajectory in log scale; margins and gamma* bounds exact (rationals)",
                     "rerun": "numpy.longdouble" if rerun is not None else None},
        "run": {"steps": traj.steps, "stopped": traj.stopped, "seconds": round(traj.seconds, 3),
                "rerun_seconds": round(rerun.seconds, 3) if rerun is not None else None},
        "claims": [v.to_json() for v in verdicts],
    }
    if not opt.covered:
        record["optimizer"]["note"] = ("Newton-Schulz-5 is not the polar factor: this optimizer is not "
                                       "covered by the theory; its claims are reported for comparison only")
    if prob.W_shape is not None and prob.b_size > 0 and settings.fit_ratio:
        fit = fit_hybrid_ratio(prob, traj.theta, settings.solver)
        if opt.name in ("muon-adam", "muon-sign") and traj.last_step is not None:
            ub = traj.last_step[prob.W_size:]
            kappa = float(np.max(np.abs(ub)))
            fit["kappa_final"] = f"{kappa:.4g}"
            fit["kappa_times_r"] = f"{kappa * float(settings.ratio):.4g}"
            fit["nominal_ratio"] = _ratio_text(settings.ratio)
        record["hybrid_ratio_fit"] = fit
    record["seconds"] = round(time.perf_counter() - start, 2)
    return MarginResult(complete_margin_record(record), verdicts)


def _version() -> str:
    from ..check import _version as v
    return v()
