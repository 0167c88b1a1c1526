"""``margin``: run an optimizer of paper 2 and judge ``margin:<norm>`` and ``kkt:<norm>`` (docs/theory.md §6).

Flow: float64 run in log scale (:mod:`numeric.margin.run`) -> the same run in extended
precision (the rounding *estimate*) -> per norm:

* ``margin:N`` (linear models; the diagonal network through its predictor-space reduction,
  :mod:`verify.margin.diagonal`): certified ``gamma*`` bracket (cvxpy + exact weak duality),
  exact margin bounds of the checkpoints, KKT alignment -> :func:`verify.margin.claims.decide`;
* ``kkt:N`` (every model): the certified KKT alignment bracket at ``theta_T``, the profile at
  ``T/2``, trajectory evidence -> :func:`verify.margin.kkt_claims.decide_kkt`;

then the hypotheses of paper 2 for the run (:mod:`verify.margin.hypotheses`): a run with a
violated hypothesis is *outside the theorem*, and every claim says so.  On the linear hybrid
model it also fits the hybrid ratio ``r'`` whose max-margin direction the run is closest to
(docs/theory.md §6: a constant learning rate with Muon-Adam moves the bias to ``kappa * r``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from numeric.deadline import Deadline, time_left
from numeric.margin.data import MarginProblem
from numeric.margin.norms import MarginNorm, dual_norm, norm, normalized_margin
from numeric.margin.optimizers import Optimizer
from numeric.margin.run import MarginTrajectory, Schedule, run_margin

from .claims import DEFAULT_MARGIN_TOL, NormEvidence, decide, stopped_by
from .exact import SCHATTEN_REASON, CertificateError, check_certifiable, margin_bounds
from .hypotheses import outside_note, run_hypotheses
from .kkt import certified_kkt_profile, kkt_profile
from .kkt_claims import KKTEvidence, decide_kkt
from .reference import distance_to_optimal_set, solve_reference
from ..envelope import complete_margin_record, tool
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
    report: tuple | None = None  # claim ids to report (None: the model's default claims)
    extra_kkt_ratios: tuple = ()  # claims kkt:hybrid:R: (label, Fraction) pairs
    extra_norms: tuple = ()  # a researcher's norms (--norm lp:P|schatten:P|group:W1,..): (label, MarginNorm) pairs
    solver: str = "CLARABEL"
    timeout: float | None = None  # seconds of the run, shared with its rerun (at least 1 s for the rerun)
    rerun: bool = True
    fit_ratio: bool = True
    fit_norm: bool = False  # the l_p-family fit (always for a --update optimizer on a linear model)
    deadline: Deadline | None = None  # the command's --timeout: every run and rerun together (numeric/deadline.py)


@dataclass
class MarginResult:
    record: dict
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return exit_status(self.verdicts)


def claim_norms(prob: MarginProblem, settings: MarginSettings, family: str = "margin") -> list[tuple[str, MarginNorm]]:
    """``(claim id, norm)`` of the ``margin:`` (or ``kkt:``) claims."""
    out = [(f"{family}:l2", MarginNorm("l2")), (f"{family}:linf", MarginNorm("linf")),
           (f"{family}:spectral", MarginNorm("spectral")), (f"{family}:hybrid", MarginNorm("hybrid", settings.ratio))]
    for item in (settings.extra_ratios if family == "margin" else settings.extra_kkt_ratios):
        label, r = item if isinstance(item, tuple) else (_ratio_text(item), item)
        out.append((f"{family}:hybrid:{label}", MarginNorm("hybrid", r)))
    out += [(f"{family}:{label}", N) for label, N in settings.extra_norms]
    return out


def default_report(prob, settings: MarginSettings) -> tuple[str, ...]:
    """Claims reported without ``--claim``: ``margin:`` on linear models (as before), ``kkt:`` on
    the two-layer network (no global certificate there), both on the diagonal network."""
    margin = tuple(c for c, _ in claim_norms(prob, settings))
    kkt = tuple(c for c, _ in claim_norms(prob, settings, "kkt"))
    if prob.degree == 1:  # a researcher's own norm gets its kkt: claim too
        return margin + tuple(f"kkt:{label}" for label, _ in settings.extra_norms)
    return kkt if prob.kind == "two-layer" else margin + kkt


def has_global(prob, N: MarginNorm) -> bool:
    """Is ``gamma*_N`` of this model certified (linear models; the diagonal network in l2, linf)?"""
    if prob.degree == 1:
        return True
    from .diagonal import PREDICTOR_NORM
    return prob.kind == "diagonal" and N.name in PREDICTOR_NORM


def global_reference(prob):
    """``(problem, norm map)`` on which ``margin:`` claims are certified, or ``None`` (two-layer)."""
    if prob.degree == 1:
        return prob, (lambda N: N)
    if prob.kind == "diagonal":
        from .diagonal import predictor_norm, predictor_problem
        return predictor_problem(prob), predictor_norm
    return None


def certifiable(N: MarginNorm) -> bool:
    """Can the tool bound ``N`` and its dual exactly (every norm but Schatten-p, p not in {1, 2, inf})?"""
    try:
        check_certifiable(N)
    except CertificateError:
        return False
    return True


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
    """Reference, certified gaps at every checkpoint, rounding estimate, KKT profile for one norm
    (``prob`` linear, or a network with a convex reduction: :func:`global_reference`)."""
    ref_prob, ref_norm = global_reference(prob)
    ref = solve_reference(ref_prob, ref_norm(N), solver)
    point = ref.point
    if point is not None and ref_prob is not prob:
        from .diagonal import lift
        point = lift(prob, point)
    ev = NormEvidence(N, predicted, ref.reason, reference_point=point)
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
    ev.q_min = float(np.min(prob.margins(traj.theta)))
    ev.kkt = kkt_profile(prob, N, traj.theta, solver)
    if prob.degree == 1 and N.name == "l2" and ev.gap[1] >= 0:
        ev.direction_bound = math.sqrt(2 * float(ev.gap[1]))
    if ref_prob is prob:
        ev.distance_to_optimal_set = distance_to_optimal_set(
            prob, ref, traj.theta / norm(prob, N, traj.theta), solver)
    else:
        ev.global_note = ("the global max margin of the diagonal network, certified through its predictor "
                          f"(gamma*_{N.label} = the {ref_norm(N).label} max margin of B = U*U - V*V); paper 2 "
                          "promises a KKT point, not a global optimum")
    return ev


def kkt_evidence(prob, N: MarginNorm, predicted: bool, traj: MarginTrajectory,
                 rerun: MarginTrajectory | None, rerun_note: str | None, solver: str) -> KKTEvidence:
    """Certified KKT profile at ``T``, float profile at ``T/2``, rounding estimate, trajectory evidence."""
    q_min = float(np.min(prob.margins(traj.theta)))
    ev = KKTEvidence(N, predicted, q_min, dps=int(np.finfo(np.float64).precision),
                     rerun_dps=int(np.finfo(np.longdouble).precision) if rerun is not None else None)
    ev.margin_history = {t: normalized_margin(prob, N, th) for t, th in sorted(traj.checkpoints.items())}
    if traj.last_step is not None and traj.last_gradient is not None:
        nu, ng = norm(prob, N, traj.last_step), dual_norm(prob, N, traj.last_gradient)
        if nu > 0 and ng > 0:
            ev.rN = float(traj.last_step @ traj.last_gradient) / (nu * ng)
    if not q_min > 0:
        return ev
    ev.profile = certified_kkt_profile(prob, N, traj.theta, solver)
    half = traj.checkpoints.get(max(1, traj.steps // 2))
    if half is not None and float(np.min(prob.margins(half))) > 0:
        ev.half = kkt_profile(prob, N, half, solver)
    if rerun is None:
        ev.rounding_reason = rerun_note
    else:
        th = rerun.theta.astype(np.float64)
        if not float(np.min(prob.margins(th))) > 0:
            ev.rounding_reason = "the longdouble rerun does not separate the data: no rounding estimate"
        else:
            other = kkt_profile(prob, N, th, solver)["a"]
            ev.rerun_a = other
            diffs = [abs(a - other[t]) for t, a in ev.profile["a"].items() if a is not None and other[t] is not None]
            if len(diffs) == len(other):
                ev.rounding = max(diffs)
            else:
                ev.rounding_reason = "a KKT alignment solve failed on the rerun: no rounding estimate"
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


def _with_kkt_note(v: Verdict, verdicts: list[Verdict], kkt_ev: dict) -> Verdict:
    """A verified ``kkt:`` claim beside another verified ``kkt:`` claim says so: the final direction is
    a KKT direction of both norms' max-margin problems on this instance (a direction can be one for
    several norms), so the two claims do not contradict each other or paper 2."""
    if v.verdict != "verified":
        return v
    me = kkt_ev[v.id].norm
    both = sorted({kkt_ev[o.id].norm.label for o in verdicts
                   if o.id in kkt_ev and o.id != v.id and o.verdict == "verified" and kkt_ev[o.id].norm != me})
    if not both:
        return v
    from dataclasses import replace
    return replace(v, reason=f"{v.reason}. Note: kkt:{', kkt:'.join(both)} is verified too: on this instance the "
                             f"final direction is a KKT direction of both max-margin problems",
                   evidence={**v.evidence, "indistinguishable_from": {n: "both KKT claims verified" for n in both}})


def fit_hybrid_ratio(prob: MarginProblem, theta: np.ndarray, solver: str, nominal: Fraction | None = None) -> dict:
    """The ratio ``r'`` whose hybrid max-margin direction fits ``theta`` best: minimize the
    relative gap ``1 - gamma_{N_r'}(theta) / gamma*_{N_r'}`` over a log grid, then refine by
    golden-section search in ``log r'`` (solver values: a fit, not a certificate).

    The *flat interval* is the range of grid ratios whose gap is within ``max(2 g_best, g_best +
    1e-4)`` of the best: the data cannot tell those ratios apart.  When the ``nominal`` ratio
    (the optimizer's own ``r``) lies inside it and fits as well, it is reported as the best fit
    (the minimizer inside a flat interval is noise)."""
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
    flat_level = max(2 * g_best, g_best + 1e-4)
    near = [r for g, r in grid if g <= flat_level] + [r_best]
    out = {"best_fitting_ratio": f"{r_best:.4g}", "relative_gap_at_best": f"{g_best:.3g}",
           "ratios_fitting_as_well": [f"{min(near):.4g}", f"{max(near):.4g}"],
           "flat_interval": [f"{min(near):.4g}", f"{max(near):.4g}"],
           "flat_level": f"{flat_level:.3g}",
           "grid": {f"{r:.4g}": f"{g:.3g}" for g, r in grid}}
    if nominal is not None and min(near) <= float(nominal) <= max(near):
        g_nom = gap(float(nominal))
        out["relative_gap_at_nominal"] = f"{g_nom:.3g}"
        if g_nom <= flat_level:
            out["best_fitting_ratio"] = _ratio_text(nominal)
            out["relative_gap_at_best"] = f"{g_nom:.3g}"
            out["minimizer_in_interval"] = f"{r_best:.4g}"
            out["preferred"] = ("the nominal ratio lies inside the flat interval and fits as well as its "
                                "minimizer: the data do not single out another ratio")
    if max(near) >= RATIO_GRID[-1] or min(near) <= RATIO_GRID[0]:
        out["note"] = ("the fit is flat up to the end of the grid: beyond it one block's constraint is "
                       "inactive and every such ratio has the same max-margin direction")
    return out


def margin_check(prob: MarginProblem, opt: Optimizer, settings: MarginSettings) -> MarginResult:
    """Run ``opt`` on ``prob`` and judge every margin claim (JSON record of docs/json.md)."""
    start = time.perf_counter()
    traj = run_margin(prob, opt, settings.schedule, settings.steps, timeout=time_left(settings.timeout, settings.deadline))
    rerun, rerun_note = None, None
    extended = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant
    if traj.stopped == "nonfinite":
        rerun_note = "no rerun: the run itself became non-finite"
    elif not settings.rerun:
        rerun_note = "no extended-precision rerun was asked for"
    elif not extended:
        rerun_note = "no extended-precision rerun: numpy.longdouble is float64 on this platform"
    else:
        left = time_left(None if settings.timeout is None else max(1.0, settings.timeout - traj.seconds),
                         settings.deadline)
        if left is not None and left <= 0:  # no rerun, no verdict
            rerun_note = "no time left of --timeout for the longdouble rerun: no rounding check"
        else:
            rerun = run_margin(prob, opt, settings.schedule, traj.steps, dtype=np.longdouble, timeout=left)
            if rerun.stopped != "steps" or rerun.steps != traj.steps:
                why = " (--timeout ran out)" if rerun.stopped == "timeout" else ""
                rerun, rerun_note = None, f"the longdouble rerun stopped early ({rerun.stopped}){why}: no rounding check"
    unjudged = _unjudged(traj, rerun_note, settings)
    report = settings.report if settings.report is not None else default_report(prob, settings)
    evidences: dict[str, NormEvidence] = {}
    for cid, N in claim_norms(prob, settings):
        if not (has_global(prob, N) and N.applies_to(prob) and certifiable(N)):
            continue
        if unjudged is not None:
            evidences[cid] = NormEvidence(N, opt.predicted == N, unjudged)
            continue
        predicted = opt.predicted is not None and opt.predicted == N
        evidences[cid] = norm_evidence(prob, N, predicted, traj, rerun, settings.solver)
        evidences[cid].dps = int(np.finfo(np.float64).precision)
        evidences[cid].rerun_dps = int(np.finfo(np.longdouble).precision) if rerun is not None else None
        if rerun is None and evidences[cid].gap is not None:
            evidences[cid].reference_reason = rerun_note
        evidences[cid].verified = evidences[cid].meets_verification(settings.tol)
    kkt_ev: dict[str, KKTEvidence] = {}
    if unjudged is None and any(c.startswith("kkt:") for c in report):
        for cid, N in claim_norms(prob, settings, "kkt"):
            if N.applies_to(prob) and certifiable(N) and (cid in report or N.name in ("l2", "linf", "spectral")):
                kkt_ev[cid] = kkt_evidence(prob, N, opt.predicted is not None and opt.predicted == N, traj,
                                           rerun, rerun_note, settings.solver)
                kkt_ev[cid].verified = kkt_ev[cid].meets_verification()
    half = traj.checkpoints.get(max(1, traj.steps // 2))
    cos = None
    if half is not None and np.all(np.isfinite(traj.theta)) and np.any(half) and np.any(traj.theta):
        cos = float(half @ traj.theta / (np.linalg.norm(half) * np.linalg.norm(traj.theta)))
    hyps = run_hypotheses(prob, opt, settings.schedule, traj.initial_gradient, cos)
    outside = outside_note(hyps)
    verdicts = []
    for cid, N in claim_norms(prob, settings) + claim_norms(prob, settings, "kkt"):
        if cid not in report:
            continue
        family = cid.split(":", 1)[0]
        if not N.applies_to(prob):
            verdicts.append(Verdict(cid, "not_applicable",
                                    f"the {N.label} norm is not defined on the {prob.kind} model's parameters"))
            continue
        if family == "margin" and not has_global(prob, N):
            verdicts.append(Verdict(cid, "not_applicable",
                                    f"no certified global {N.label} max margin on the {prob.kind} model (no convex "
                                    f"reduction known to the tool): paper 2 promises KKT points, judged by "
                                    f"kkt:{cid.split(':', 1)[1]}"))
            continue
        if not certifiable(N):
            verdicts.append(Verdict(cid, "inconclusive", f"{SCHATTEN_REASON} (the {N.label} norm has no cvxpy "
                                    f"form and no exact bounds in this tool): not judged"))
            continue
        if family == "kkt" and cid not in kkt_ev:
            verdicts.append(Verdict(cid, "inconclusive", unjudged))
            continue
        if family == "margin":
            others = sorted({evidences[o].norm.label for o in evidences
                             if evidences[o].norm != N and evidences[o].verified})
            verdicts.append(decide(cid, evidences[cid], others, settings.tol, traj.steps, traj.stopped, opt.name))
        else:
            others = sorted({kkt_ev[o].norm.label for o in kkt_ev if kkt_ev[o].norm != N and kkt_ev[o].verified})
            verdicts.append(decide_kkt(cid, kkt_ev[cid], others, traj.steps, traj.stopped))
    verdicts = [_with_discrimination_note(prob, v, evidences) if v.id in evidences else v for v in verdicts]
    verdicts = [_with_kkt_note(v, verdicts, kkt_ev) if v.id in kkt_ev else v for v in verdicts]
    missing = set(report) - {v.id for v in verdicts}
    if missing:  # a requested claim must never vanish from the report
        raise AssertionError(f"requested claims not evaluated: {sorted(missing)}")
    claims = []
    for v in verdicts:
        c = v.to_json()
        if v.verdict != "not_applicable":
            c["scope"] = "outside_theorem" if outside else "theorem"
            if outside:
                c["reason"] = f"{c['reason']} [{outside}]"
        claims.append(c)
    record = {
        "tool": tool(),
        "optimizer": {"name": opt.name, "params": {k: str(v) for k, v in opt.params.items()},
                      "predicted_norm": opt.predicted.label if opt.predicted else None,
                      "covered_by_theory": opt.covered},
        "problem": prob.describe(),
        "settings": {"steps": settings.steps, "lr": settings.schedule.describe(),
                     "eta0": repr(settings.schedule.eta0), "alpha": repr(settings.schedule.alpha),
                     "tol": f"{float(settings.tol):g}", "solver": settings.solver,
                     "arithmetic": "float64 trajectory in log scale; margins, gamma* bounds and KKT alignment "
                                   "brackets exact (rationals); the longdouble rerun gives rounding estimates",
                     "rerun": "numpy.longdouble" if rerun is not None else None},
        "run": {"steps": traj.steps, "stopped": traj.stopped, "seconds": round(traj.seconds, 3),
                "rerun_seconds": round(rerun.seconds, 3) if rerun is not None else None},
        "hypotheses": hyps,
        "within_theorem": outside is None,
        "claims": claims,
        "final_parameters": {"theta": [repr(float(x)) for x in traj.theta],
                             "layout": _layout(prob),
                             "note": "theta_T of the float64 run, exact decimal repr of each float64"},
    }
    if opt.name == "update":
        record["optimizer"]["note"] = ("a researcher's own update: paper 2 predicts no norm for it; see "
                                       "norm_family_fit for the l_p norm whose margin the run comes closest to")
    elif not opt.covered:
        record["optimizer"]["note"] = ("Newton-Schulz-5 is not the polar factor: this optimizer is not "
                                       "covered by the theory; its claims are reported for comparison only")
    if prob.degree == 1 and (settings.fit_norm or opt.name == "update") and unjudged is None \
            and float(np.min(prob.margins(traj.theta))) > 0:
        from .family import fit_lp_family
        record["norm_family_fit"] = fit_lp_family(prob, traj.theta, settings.solver)
    if prob.kind == "hybrid" and settings.fit_ratio and not (unjudged is not None and _out_of_time(settings)):
        nominal = settings.ratio if opt.name in ("muon-adam", "muon-sign") else None
        fit = fit_hybrid_ratio(prob, traj.theta, settings.solver, nominal)
        if opt.name in ("muon-adam", "muon-sign") and traj.last_step is not None:
            ub = traj.last_step[prob.W_size:]
            kappa = float(np.max(np.abs(ub)))
            fit["kappa_final"] = f"{kappa:.4g}"
            fit["kappa_times_r"] = f"{kappa * float(settings.ratio):.4g}"
            fit["nominal_ratio"] = _ratio_text(settings.ratio)
        record["hybrid_ratio_fit"] = fit
    record["seconds"] = round(time.perf_counter() - start, 2)
    return MarginResult(complete_margin_record(record), verdicts)


def _out_of_time(settings: MarginSettings) -> bool:
    """The command's ``--timeout`` (``settings.deadline``) is gone."""
    return settings.deadline is not None and settings.deadline.expired()


def _unjudged(traj: MarginTrajectory, rerun_note: str | None, settings: MarginSettings) -> str | None:
    """Why the claims of this run are not judged at all (every one inconclusive with this reason),
    or ``None``: the iterate became non-finite; or the command's ``--timeout`` stopped the run, or
    left no time for a complete rerun, and is gone, so the exact brackets and solves (seconds to
    minutes on a network) would only decorate claims that cannot be decided (no complete run, or no
    rerun: no verdict)."""
    if traj.stopped == "nonfinite":
        return f"the iterate became non-finite at step {traj.steps} (learning rate too large?): nothing to judge"
    if not _out_of_time(settings):
        return None
    if traj.stopped == "timeout":
        return (f"the run stopped early (timeout) after {traj.steps} steps{stopped_by('timeout')}: "
                "nothing was judged")
    if rerun_note is not None and "--timeout" in rerun_note:
        return f"{rerun_note}, and the time budget (--timeout) is gone: nothing was judged"
    return None


def _layout(prob) -> str:
    """How ``theta`` is flattened."""
    if prob.kind == "two-layer":
        return f"(vec_row_major(W) with W of shape {prob.W_shape}, vec_row_major(A) with A of shape ({prob.k}, {prob.width}))"
    if prob.kind == "diagonal":
        return f"(vec_row_major(U), vec_row_major(V)), U and V of shape ({prob.k}, {prob.d})"
    if prob.W_shape is not None:
        return f"(vec_row_major(W) with W of shape {tuple(prob.W_shape)}, b of size {prob.b_size})"
    return f"w of size {prob.n_params}"
