"""The learning-rate study (docs/theory.md §3.3, Claim D): how the DSPGD limit depends on eta.

For each learning rate ``eta_i = f_i * 2/(beta L sigma_max^2)`` the limit ``W_inf(eta_i)`` is
computed by :func:`verify.runs.run_at` (run at P digits, rerun at P + 20, tail bound), and the
gradient-flow limit ``W_flow`` (eta -> 0) by :func:`numeric.gradient_flow.checked_flow_limit`
(integrated twice, at two tolerances, for an honest error estimate).
DSPGD is the explicit Euler discretization of the flow, so docs/theory.md §3.3 predicts

    ||W_inf(eta) - W_flow||_F = C eta + O(eta^2),

a slope of 1 in ``log ||W_inf(eta) - W_flow||`` versus ``log eta``.  The slope is fitted by
least squares over the resolved points (distance > 100 x its error bound); the fit's
residuals and the local slopes ``log(D_{i+1}/D_i) / log(eta_{i+1}/eta_i)`` are reported, so
a curvature (the O(eta^2) term at large eta) is visible rather than averaged away.

For a left-invariant K every limit equals ``W_GD`` (docs/theory.md §3.2): the distances are rounding,
so no slope is fitted (fitting would fit noise); the distances to W_GD are reported.

For ``n = k = 1`` the flow limit has the closed form (docs/theory.md §3.3, docs/derivations.md §6.4), with ``r`` as
the time variable (``dr/dt = -<x, grad K(x l'(r))>``):

    W_flow - W_0 = -integral_0^{r_0} grad K(x l'(s)) / <x, grad K(x l'(s))> ds,   r_0 = x^T w_0 - y,

computed by mpmath quadrature (tanh-sinh, split at a geometric grid of ``s``) and compared
with the integrator's ``W_flow``: an independent check of the ODE integration.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from numeric.deadline import Deadline, time_left
from numeric.exact_problem import ExactProblem
from numeric.gradient_flow import FlowResult, checked_flow_limit
from numeric.matrices import fro_distance, rounded_cols
from numeric.precision import to_decimal_string as dec
from numeric.precision import working_precision
from numeric.preconditioners.base import Preconditioner, _fraction_str
from numeric.problem import Problem

from .progress import progress
from .runs import LearningRate, run_at

RESOLVED_FACTOR = 100
PREDICTED_SLOPE = 1.0


@dataclass
class SlopeFit:
    """Least-squares line ``log D = slope log eta + intercept`` and its residuals."""

    slope: float
    intercept: float
    residuals: list
    local_slopes: list
    points: int


def fit_slope(etas: list[float], dists: list[float]) -> SlopeFit:
    """Fit ``log D`` against ``log eta`` (at least two points with distinct eta)."""
    x, y = np.log(np.asarray(etas, float)), np.log(np.asarray(dists, float))
    slope, intercept = np.polyfit(x, y, 1)
    res = (y - (slope * x + intercept)).tolist()
    local = [float((y[i + 1] - y[i]) / (x[i + 1] - x[i])) for i in range(len(x) - 1)]
    return SlopeFit(float(slope), float(intercept), res, local, len(x))


@dataclass
class StudyPoint:
    fraction: Fraction
    eta: float
    label: str
    distance: float  # ||W_inf(eta) - W_flow|| / ||W_GD - W0|| (or to W_GD for left-invariant K)
    error_bound: float | None
    iterations: int
    stop_reason: str
    resolved: bool
    seconds: float
    W_inf: list = field(default_factory=list)


@dataclass
class LrStudy:
    record: dict
    points: list[StudyPoint]
    fit: SlopeFit | None
    flow: FlowResult | None


def _closed_form_flow(ctx, xp: ExactProblem, pre: Preconditioner) -> tuple[list, object]:
    """``n = k = 1``: ``W_flow - W_0`` by quadrature (see the module docstring), and an error
    estimate (quadrature's own estimate summed over components)."""
    x = list(xp.X_rows[0])
    r0 = xp.residual(xp.W0)[0][0]
    loss = xp.problem.loss
    if r0 == 0:
        return [ctx.zero for _ in x], ctx.zero
    sgn = 1 if r0 > 0 else -1
    pts = sorted({ctx.zero, abs(r0)} | {abs(r0) * ctx.mpf(10) ** (-j) for j in range(1, 8)})
    pts = [sgn * s for s in pts]
    cache: dict = {}

    def direction(s):
        if s not in cache:
            lp = loss.gradient(ctx, [[s]])[0][0]
            U = pre.grad(ctx, [[xi * lp for xi in x]])[0]
            cache[s] = [u / ctx.fdot(x, U) for u in U]
        return cache[s]
    out, err = [], ctx.zero
    for i in range(len(x)):
        v, e = ctx.quad(lambda s: direction(s)[i], pts, error=True)
        out.append(-v)
        err += abs(e)
    return out, err


def lr_study(problem: Problem, pre: Preconditioner, fractions: list[Fraction], dps: int = 30,
             left_invariant: bool | None = None, backend: str = "mpmath", max_iter: int = 2_000_000,
             timeout: float | None = None, rerun_extra_digits: int = 20,
             deadline: Deadline | None = None) -> LrStudy:
    """Run the study (see the module docstring); the record is JSON-ready.

    ``timeout`` bounds the flow and each run (seconds each); ``deadline`` (the command's
    ``--timeout``, :mod:`numeric.deadline`) bounds them all together: each gets what is left."""
    t0 = time.perf_counter()
    left_inv = pre.left_invariant if left_invariant is None else left_invariant
    points: list[StudyPoint] = []
    flow = None
    fit = None
    notes: list[str] = []
    with working_precision(dps) as ctx, working_precision(dps + rerun_extra_digits) as hctx:
        xp, xph = ExactProblem.build(ctx, problem), ExactProblem.build(hctx, problem)
        w_gd = xph.w_gd()
        scale = fro_distance(hctx, w_gd, xph.W0)
        if scale == 0:
            scale = hctx.one
        flow_err = hctx.zero
        check_diff = None
        closed = None
        if left_inv:
            target = w_gd
            notes.append("K is left-orthogonally invariant: every limit equals W_GD (docs/theory.md §3.2), so the slope is "
                         "undefined; distances below are to W_GD and are rounding-level")
        else:
            with progress("lr-study: gradient flow", 1) as bar:
                bar.start("integrating the flow")
                flow, check_diff = checked_flow_limit(xp, pre, timeout=time_left(timeout, deadline), backend=backend)
                bar.done("gradient flow", [f"flow stopped by {flow.stop_reason} after {flow.steps} steps"])
            target = rounded_cols(hctx, flow.W)
            flow_err = hctx.mpf(flow.error_estimate)
            if flow.stop_reason != "floor":
                why = " (the time budget --timeout ran out)" if flow.stop_reason == "timeout" else ""
                notes.append(f"the flow integration stopped by {flow.stop_reason}{why} before the residual floor "
                             f"(residual {dec(flow.residual, 3)}): W_flow is not resolved")
            if problem.n == 1 and problem.k == 1:
                cf, cf_err = _closed_form_flow(hctx, xph, pre)
                w_cf = [[w + v for w, v in zip(xph.W0[0], cf)]]
                gap = fro_distance(hctx, w_cf, target) / scale
                closed = {"formula": "W_flow - W0 = -int_0^{r0} grad K(x l'(s)) / <x, grad K(x l'(s))> ds",
                          "distance_to_integrated_flow": dec(gap, 3),
                          "quadrature_error_estimate": dec(cf_err / scale, 3),
                          "integrator_error_estimate": dec(flow_err / scale, 3),
                          "agree": bool(gap <= 10 * (cf_err + flow_err) / scale + hctx.mpf(10) ** (8 - dps))}
        with progress("lr-study", len(fractions)) as bar:
            points = _run_points(fractions, pre, xp, xph, hctx, max_iter, timeout, backend, target, scale,
                                 flow, flow_err, bar, deadline)
        usable = [p for p in points if p.resolved]
        if not left_inv:
            if len({p.eta for p in usable}) >= 2:
                fit = fit_slope([p.eta for p in usable], [p.distance for p in usable])
            else:
                notes.append("fewer than two resolved learning rates: no slope fitted")
            skipped = [p.label for p in points if not p.resolved]
            if skipped:
                notes.append(f"left out of the fit (not converged, or distance within {RESOLVED_FACTOR} error bounds): "
                             + ", ".join(skipped))
        record = {
            "preconditioner": {**pre.describe(), "row_space_preserving": left_inv},
            "problem": {**problem.describe(), "minnorm_distance": dec(scale, 12),
                        "sigma_min": dec(xph.sigma_min, 12), "sigma_max": dec(xph.sigma_max, 12)},
            "settings": {"dps": dps, "rerun_dps": dps + rerun_extra_digits, "backend": backend,
                         "fractions": [_fraction_str(f) for f in fractions], "max_iter": max_iter,
                         "distances": "relative to ||W_GD - W0||_F"},
            "reference": "W_GD" if left_inv else "W_flow",
            "points": [{"fraction": _fraction_str(p.fraction), "eta": p.label, "distance": f"{p.distance:.6e}",
                        "error_bound": None if p.error_bound is None else f"{p.error_bound:.3e}",
                        "iterations": p.iterations, "stop_reason": p.stop_reason, "resolved": p.resolved,
                        "seconds": round(p.seconds, 3)} for p in points],
            "flow": None if flow is None else {
                "method": "Gragg-Bulirsch-Stoer extrapolation (modified midpoint, n_j = 2j, adaptive order/step)",
                "stop_reason": flow.stop_reason, "t_end": dec(flow.t_end, 8), "steps": flow.steps,
                "rejected_steps": flow.rejected, "evaluations": flow.evaluations,
                "residual": dec(flow.residual, 3), "residual_floor": dec(flow.residual_floor, 3),
                "error_estimate": dec(flow_err / scale, 3),
                "error_kind": "estimated: max(sum of local error estimates, 10 x difference to a run with a "
                              "10^4 looser tolerance)",
                "tolerance_check_difference": None if check_diff is None else dec(check_diff / scale, 3),
                "seconds": round(flow.seconds, 3)},
            "fit": None if fit is None else {
                "slope": round(fit.slope, 6), "intercept": round(fit.intercept, 6), "points": fit.points,
                "predicted_slope": PREDICTED_SLOPE, "deviation": round(fit.slope - PREDICTED_SLOPE, 6),
                "residuals": [round(r, 6) for r in fit.residuals],
                "local_slopes": [round(s, 6) for s in fit.local_slopes]},
            "closed_form_n1_k1": closed,
            "notes": notes,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        if left_inv:
            record["max_distance_to_W_GD"] = f"{max(p.distance for p in points):.3e}" if points else None
    return LrStudy(record, points, fit, flow)


def _run_points(fractions, pre, xp, xph, hctx, max_iter, timeout, backend, target, scale, flow, flow_err,
                bar, deadline: Deadline | None = None) -> list[StudyPoint]:
    """DSPGD at each fraction: the distance of ``W_inf(eta)`` to ``target`` and its error bound."""
    points = []
    for f in fractions:
        bar.start(f"fraction {_fraction_str(f)}")
        run = run_at(LearningRate("frac", f), pre, xp, xph, max_iter, timeout, backend, deadline)
        dist = fro_distance(hctx, run.W, target) / scale
        bound = None if run.error_abs is None else (run.error_abs + flow_err) / scale
        converged = run.traj.stop_reason == "floor" and bound is not None
        reference_ok = flow is None or flow.stop_reason == "floor"  # an unfinished flow resolves nothing
        resolved = converged and reference_ok and dist > RESOLVED_FACTOR * bound
        points.append(StudyPoint(f, float(run.eta), run.label, float(dist),
                                 None if bound is None else float(bound), run.traj.iterations,
                                 run.traj.stop_reason, bool(resolved), run.traj.seconds + run.traj_hi.seconds,
                                 [[float(v) for v in c] for c in run.W]))
        bar.done(f"fraction {_fraction_str(f)}", [f"eta {run.label}: {run.traj.iterations} iterations, stopped by "
                                                  f"{run.traj.stop_reason}, distance {float(dist):.3e}"])
    return points


def lr_study_figure(study: LrStudy, as_figure: bool = False):
    """log-log distances with the fitted line and a slope-1 guide; the fit's residuals beside it."""
    from .report.figures import _figure, _png
    rec = study.record
    name = rec["preconditioner"]["name"]
    fig = _figure(10.0, 4.0)
    ax, bx = fig.subplots(1, 2)
    pts = study.points
    ok = [p for p in pts if p.resolved]
    bad = [p for p in pts if not p.resolved]
    ref = rec["reference"]
    ax.loglog([p.eta for p in ok], [p.distance for p in ok], "o", label="resolved")
    if bad:
        ax.loglog([p.eta for p in bad], [max(p.distance, 1e-300) for p in bad], "x", color="grey",
                  label="not resolved (left out)")
    if study.fit is not None and ok:
        xs = np.geomspace(min(p.eta for p in ok), max(p.eta for p in ok), 50)
        ax.loglog(xs, np.exp(study.fit.intercept) * xs ** study.fit.slope, "-",
                  label=f"fit: slope {study.fit.slope:.4f}")
        e0, d0 = ok[0].eta, ok[0].distance
        ax.loglog(xs, d0 * xs / e0, ":", color="grey", label="slope 1 (docs/theory.md §3.3)")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(rf"$\|W_\infty(\eta) - W_{{{'flow' if ref == 'W_flow' else 'GD'}}}\|_F / \|W_{{GD}} - W_0\|_F$")
    ax.set_title(f"{name}: limit versus learning rate", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if study.fit is not None:
        bx.semilogx([p.eta for p in ok], study.fit.residuals, "o-")
        bx.axhline(0, color="grey", lw=0.8)
        bx.set_title("residuals of the log-log fit", fontsize=10)
        bx.set_ylabel(r"$\log D - (\mathrm{slope}\,\log\eta + b)$")
    else:
        bx.text(0.5, 0.5, "\n".join(rec["notes"])[:300] or "no fit", ha="center", va="center", wrap=True,
                fontsize=8, transform=bx.transAxes)
        bx.set_axis_off()
    bx.set_xlabel(r"learning rate $\eta$")
    bx.grid(True, which="both", alpha=0.3)
    _sparse_log_ticks(ax, bx)
    return fig if as_figure else _png(fig)


def _sparse_log_ticks(*axes) -> None:
    """Label log-scale x axes at 1, 2 and 5 times powers of ten only (no minor labels), tilted, so
    the tick labels of a range under a decade do not overlap."""
    from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter
    for a in axes:
        if a.get_xscale() != "log":
            continue
        a.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        a.xaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
        a.xaxis.set_minor_formatter(NullFormatter())
        a.tick_params(axis="x", labelrotation=30, labelsize=8)


def lr_study_data(study: LrStudy) -> str:
    """The numbers behind :func:`lr_study_figure`, as CSV (one row per learning rate)."""
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["fraction", "eta", "distance", "error_bound", "resolved", "fit_residual"])
    residuals = iter(study.fit.residuals) if study.fit is not None else iter(())
    for p in study.points:
        w.writerow([_fraction_str(p.fraction), p.eta, p.distance, p.error_bound, p.resolved,
                    next(residuals, "") if p.resolved else ""])
    return buf.getvalue()


def summary_lines(study: LrStudy) -> list[str]:
    """The terminal summary."""
    rec = study.record
    pre, prob = rec["preconditioner"], rec["problem"]
    params = ", ".join(f"{k}={v}" for k, v in pre["params"].items()) or "no parameters"
    out = [f"lr-study: {pre['name']} ({params}); n={prob['n']} d={prob['d']} k={prob['k']} seed={prob['seed']}; "
           f"dps {rec['settings']['dps']} (rerun {rec['settings']['rerun_dps']})"]
    fl = rec["flow"]
    if fl:
        out.append(f"W_flow: {fl['method']}; {fl['steps']} steps ({fl['rejected_steps']} rejected), "
                   f"{fl['evaluations']} evaluations of grad K, t_end {fl['t_end']}, stop {fl['stop_reason']}, "
                   f"residual {fl['residual']}, error estimate {fl['error_estimate']} (relative), {fl['seconds']} s")
    out.append(f"{'fraction':>9}  {'eta':>12}  {'||W_inf - ' + rec['reference'] + '||/||W_GD - W0||':>32}  "
               f"{'error bound':>11}  {'iterations':>10}  resolved")
    for p in rec["points"]:
        out.append(f"{p['fraction']:>9}  {float(p['eta']):12.6g}  {p['distance']:>32}  {str(p['error_bound']):>11}  "
                   f"{p['iterations']:>10}  {'yes' if p['resolved'] else 'no'}")
    fit = rec["fit"]
    if fit:
        out.append(f"fitted log-log slope {fit['slope']:.4f} over {fit['points']} points (docs/theory.md §3.3 predicts 1; "
                   f"deviation {fit['deviation']:+.4f})")
        out.append("fit residuals: " + ", ".join(f"{r:+.3g}" for r in fit["residuals"]))
        out.append("local slopes:  " + ", ".join(f"{s:.4f}" for s in fit["local_slopes"]))
    cf = rec["closed_form_n1_k1"]
    if cf:
        out.append(f"n = k = 1 closed form: distance to the integrated W_flow {cf['distance_to_integrated_flow']} "
                   f"(quadrature error {cf['quadrature_error_estimate']}, integrator {cf['integrator_error_estimate']}): "
                   f"{'agree' if cf['agree'] else 'DISAGREE'}")
    if "max_distance_to_W_GD" in rec:
        out.append(f"max ||W_inf(eta) - W_GD|| / ||W_GD - W0|| = {rec['max_distance_to_W_GD']}")
    out += [f"note: {n}" for n in rec["notes"]]
    out.append(f"{rec['seconds']} s")
    return out


def slope_consistent(fit: SlopeFit | None, within: float = 0.05) -> bool:
    """True when the fitted slope is within ``within`` of the predicted 1."""
    return fit is not None and math.isfinite(fit.slope) and abs(fit.slope - PREDICTED_SLOPE) <= within
