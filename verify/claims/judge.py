"""The claims of paper 1 (docs/theory.md §3.4) and user claims, each turned into a :class:`Verdict`.

Distances are relative to ``||W_GD - W0||_F`` (so ``tol`` is scale-free); ``e`` is the
relative error bound of the limit (see :mod:`verify.runs`).

* ``convergence``: ``X W_inf = Y``; the run reached the residual floor, the tail bound of
  docs/theory.md §3.1 exists (certified for the square loss, estimated otherwise) and the rerun at
  higher precision agrees.  Divergence is a refutation; a budget or a stall is inconclusive.
* ``isotropic_bias`` (isotropic K only) and ``row_space_bias`` (left-invariant K only):
  ``W_inf = W_GD``; ``row_space_bias`` also needs ``P_perp(W_t - W0) = 0`` at the checkpoints.
* ``general_bound``: ``1 <= c_emp <= c_bound`` with ``c_emp = ||W_inf - W0|| / ||W_GD - W0||`` and
  the tightest bound of docs/theory.md §3.3 whose hypotheses hold (left-invariant: ``c = 1``; quadratic:
  ``(kappa+1)/(2 sqrt kappa)``; entrywise: ``sqrt(dk) Lambda``; C^2 with ``mu > 0`` on the visited
  ball: ``sqrt(1 + tau^2 Lambda^2)``; single sample: ``(kappa+1)/(2 sqrt kappa)``, and ``sqrt d``
  for entrywise K), with ``Lambda`` the row-space path length over ``||W_GD - W0||``.
* ``lr_dependence`` (K not left-invariant): the limits at two or more learning rates differ.
  Refuted only where a theorem gives equal limits (quadratic K) and the numbers agree; limits
  that agree below the tolerance without such a theorem are inconclusive.
* Degenerate problems (``Y = X W0`` exactly): the limit is ``W0`` at ``t = 0``; ``convergence``
  and ``general_bound`` are verified with that reason and ``lr_dependence`` does not apply.
* ``assumptions``: K convex, ``grad K(0) = 0``, ``grad K`` Lipschitz, proved symbolically.
* ``claim:limit=gd``, ``claim:limit=minnorm:N``, ``claim:bound:c=V``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from numeric.exact_problem import ExactProblem
from numeric.matrices import Cols, fro_distance, fro_norm, sub
from numeric.params import to_mpf
from numeric.precision import to_decimal_string as dec
from numeric.preconditioners.base import Preconditioner

from ..characterization import MinNormCertificate
from ..norms import fro_equivalence, norm
from ..runs import RunEvidence
from ..verdict import SAFETY, Verdict, decide_difference, decide_equality, decide_upper


@dataclass
class ClaimInputs:
    """What every claim may look at (numbers in the high-precision context of ``xph``)."""

    pre: Preconditioner
    xph: ExactProblem
    runs: list[RunEvidence]
    w_gd: Cols
    scale: object  # ||W_GD - W0||_F
    tol: object
    facts: dict
    isotropic: bool
    left_invariant: bool
    solver: str = "CLARABEL"
    degenerate: bool = False  # Y = X W0 exactly: the limit is W0 at t = 0 (scale 0 replaced by 1)
    equality_theorem: str | None = None  # why the limit cannot depend on eta (quadratic K), if it cannot
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # numbers several claims read (_once)


def _once(ci: ClaimInputs, what: str, run: RunEvidence, compute):
    """``compute()`` for ``run``, computed once for these inputs (the same number for every claim);
    the memo holds ``run`` itself, so its key cannot be reused by another object."""
    hit = ci.memo.get((what, id(run)))
    if hit is None or hit[0] is not run:
        hit = ci.memo[(what, id(run))] = (run, compute())
    return hit[1]


def _residual_norm(ci: ClaimInputs, run: RunEvidence):
    """``||X W_T - Y||_F`` at the evaluation precision."""
    return _once(ci, "residual", run, lambda: fro_norm(ci.xph.ctx, ci.xph.residual(run.W)))


def _rel_err(ci: ClaimInputs, run: RunEvidence):
    return None if run.error_abs is None else run.error_abs / ci.scale


def unfinished(run: RunEvidence) -> str:
    """Why ``run`` gives no verdict beyond its convergence: it did not reach the floor, or it has no
    error bound (the rerun ran out of ``--timeout``, or no tail bound).  A run stopped by the
    command's ``--timeout`` says so by name."""
    tr = run.traj
    if tr.stop_reason == "timeout":
        return f"run did not converge (timeout): the time budget (--timeout) ran out after {tr.iterations} steps"
    if tr.stop_reason != "floor":
        return f"run did not converge ({tr.stop_reason})"
    if run.rounding is None:
        return "the rerun at higher precision ran out of time (--timeout): no rounding check, so no error bound"
    return f"no tail bound: {run.tail.reason}"


def _s(x, digits: int = 6):
    return None if x is None else dec(x, digits)


def _precision(run: RunEvidence) -> dict:
    out = {"dps": run.dps, "rerun_dps": run.dps_hi, "rounding_difference": _s(run.rounding, 3)}
    if run.arithmetic is not None:  # the float64 backend says what ran
        out.update(arithmetic=run.arithmetic, rerun_arithmetic=run.rerun_arithmetic)
    return out


# ----------------------------------------------------------------------------- convergence
def convergence(ci: ClaimInputs, run: RunEvidence) -> Verdict:
    ctx = ci.xph.ctx
    tr = run.traj
    res = _residual_norm(ci, run)
    ev = {"iterations": tr.iterations, "stop_reason": tr.stop_reason, "residual": _s(res, 6),
          "residual_floor": _s(tr.residual_floor, 3), **run.tail.describe(), **_precision(run),
          "loss_nonincreasing": tr.monotone_loss, "seconds": round(tr.seconds, 3),
          "residual_history": _history(tr.residual_history)}
    eb = _s(_rel_err(ci, run), 3)
    ev["absolute_error_bound"] = _s(run.error_abs, 3)
    if ci.degenerate and _stays_at_w0(ci, run):
        ev["degenerate"] = "Y = X W0 exactly"
        return Verdict("convergence", "verified", "W0 already interpolates (Y = X W0, checked exactly in rationals): "
                       "the gradient is exactly 0, so the limit is W0 at t = 0", run.label, "0", ev)
    if tr.stop_reason == "diverged":
        return Verdict("convergence", "refuted", f"residual diverged to {tr.residual_norm:.3g} after "
                       f"{tr.iterations} steps (counterexample: this learning rate)", run.label, eb, ev)
    if tr.stop_reason == "stalled" and _steps_vanish(tr.step_history):
        return Verdict("convergence", "inconclusive",
                       f"the steps shrink to {tr.step_history[-1]:.3g} while the residual stays at "
                       f"{tr.residual_norm:.3g} (no new minimum for more than max(2000, t/2) steps, stopped at "
                       f"t = {tr.iterations}): the iterates approach a point with grad K(G) = 0 and G != 0 that "
                       "does not interpolate (a dead zone of K?)", run.label, eb, ev)
    if tr.stop_reason != "floor":
        why = {"max_iter": f"iteration budget (--max-iter {tr.iterations}) exhausted before the residual floor "
                           f"(residual {tr.residual_norm:.3g})",
               "stalled": f"residual made no new minimum for more than max(2000, t/2) steps, stopped at t = "
                          f"{tr.iterations} (a cycle: the learning rate may exceed the stable range, or grad K "
                          "is not Lipschitz)",
               "stationary": f"grad K(G_t) = 0 at step {tr.iterations} although G_t != 0 (residual "
                             f"{tr.residual_norm:.3g}): a dead zone of K, W_t is a fixed point of the iteration "
                             "(docs/theory.md §3.1 needs grad K != 0 on range(X^T) minus 0)",
               "timeout": f"time budget (--timeout) exhausted after {tr.iterations} steps "
                          f"(residual {tr.residual_norm:.3g})"}.get(tr.stop_reason, tr.stop_reason)
        return Verdict("convergence", "inconclusive", why, run.label, eb, ev)
    if run.rounding is None:
        return Verdict("convergence", "inconclusive", f"the rerun at higher precision ran out of time (--timeout) "
                       f"after {run.traj_hi.iterations} of the run's {tr.iterations} steps: no rounding check, so no "
                       "error bound and no verdict", run.label, eb, ev)
    if run.error_abs is None:
        return Verdict("convergence", "inconclusive", f"no tail bound: {run.tail.reason}", run.label, eb, ev)
    agree = run.rounding <= max(ctx.mpf(run.tail.bound), ctx.mpf(tr.residual_floor))
    if not agree:
        return Verdict("convergence", "inconclusive", "rerun at higher precision disagrees beyond the tail bound",
                       run.label, eb, ev)
    kind = "certified" if run.tail.certified else "estimated (not certified)"
    return Verdict("convergence", "verified",
                   f"residual reached the precision floor; tail bound {kind}; rerun agrees", run.label, eb, ev)


def _stays_at_w0(ci: ClaimInputs, run: RunEvidence) -> bool:
    """The run never moved: ``W_T = W0`` exactly (what a zero initial gradient forces)."""
    return fro_distance(ci.xph.ctx, run.W, ci.xph.W0) == 0


def _steps_vanish(steps: list) -> bool:
    """The last step is below 1e-6 of the largest step of the run (a cycle keeps its size)."""
    if len(steps) < 2:
        return False
    largest = max(steps)
    return largest == 0 or steps[-1] < 1e-6 * largest


def _history(h: list, points: int = 12) -> list:
    if len(h) <= points:
        return [[t, f"{v:.3e}"] for t, v in enumerate(h)]
    idx = sorted({round(i * (len(h) - 1) / (points - 1)) for i in range(points)})
    return [[t, f"{h[t]:.3e}"] for t in idx]


# ----------------------------------------------------------------------------- implicit bias
def _distance_to(ci: ClaimInputs, run: RunEvidence, target: Cols):
    def distance():
        return fro_distance(ci.xph.ctx, run.W, target) / ci.scale
    return _once(ci, "distance_to_w_gd", run, distance) if target is ci.w_gd else distance()


def _equality_verdict(cid: str, ci: ClaimInputs, run: RunEvidence, target: Cols, what: str,
                      extra: dict | None = None) -> Verdict:
    d = _distance_to(ci, run, target)
    e = _rel_err(ci, run)
    ev = {f"distance_to_{what}": _s(d, 15), "relative_error_bound": _s(e, 3),
          "tolerance": _s(ci.tol, 3), "tail_certified": run.tail.certified, **_precision(run), **(extra or {})}
    if ci.degenerate and _stays_at_w0(ci, run) and d == 0:
        return Verdict(cid, "verified", f"W0 already interpolates (Y = X W0): W_inf = W0 = {what} exactly",
                       run.label, "0", ev)
    if run.traj.stop_reason != "floor" or e is None:
        return Verdict(cid, "inconclusive", unfinished(run), run.label, _s(e, 3), ev)
    verdict, why = decide_equality(d, e, ci.tol)
    return Verdict(cid, verdict, f"||W_inf - {what}||/||W_GD - W0|| = {_s(d, 3)}: {why}", run.label, _s(e, 3), ev)


def isotropic_bias(ci: ClaimInputs, run: RunEvidence) -> Verdict:
    if not ci.isotropic:
        d = _distance_to(ci, run, ci.w_gd)
        return Verdict("isotropic_bias", "not_applicable", "K is not isotropic", run.label, None,
                       {"distance_to_minnorm": _s(d, 15)})
    return _equality_verdict("isotropic_bias", ci, run, ci.w_gd, "minnorm")


def row_space_bias(ci: ClaimInputs, run: RunEvidence) -> Verdict:
    drift = max(v for _, v in run.traj.drift_checkpoints) / float(ci.scale)
    if not ci.left_invariant:
        d = _distance_to(ci, run, ci.w_gd)
        return Verdict("row_space_bias", "not_applicable", "K is not left-orthogonally invariant", run.label, None,
                       {"distance_to_minnorm": _s(d, 15), "max_null_space_drift": f"{drift:.3e}"})
    v = _equality_verdict("row_space_bias", ci, run, ci.w_gd, "minnorm",
                          {"max_null_space_drift": f"{drift:.3e}",
                           "drift_checkpoints": len(run.traj.drift_checkpoints)})
    e = _rel_err(ci, run)
    if v.verdict == "verified" and not drift <= float(e):
        return Verdict(v.id, "refuted" if drift > SAFETY * float(e) else "inconclusive",
                       f"P_perp(W_t - W0) reached {drift:.3e} along the run", v.lr, v.error_bound, v.evidence)
    return v


# ----------------------------------------------------------------------------- the constant c
def kappa_on_ball(ci: ClaimInputs, run: RunEvidence):
    """``kappa = L/mu(rho)`` on the ball holding every visited gradient (natural norm)."""
    ctx = ci.xph.ctx
    rho = max(ctx.mpf(run.traj.max_grad_natural), ci.xph.sigma_max * _residual_norm(ci, run))
    L = ci.pre.smoothness(ctx, rho)
    mu = ci.pre.mu(ctx, rho)
    return (L / mu if mu > 0 and ctx.isfinite(L) else None), rho


def c_bounds(ci: ClaimInputs, run: RunEvidence, kappa_rho: tuple | None = None) -> dict:
    """Every docs/theory.md §3.3 bound on c whose hypotheses hold for this run, by name
    (``kappa_rho``: :func:`kappa_on_ball` of this run, when the caller has it)."""
    ctx = ci.xph.ctx
    p = ci.xph.problem
    out = {}
    kappa, rho = kappa_rho if kappa_rho is not None else kappa_on_ball(ci, run)
    if ci.left_invariant:
        out["left_invariant (c = 1, docs/theory.md §3.2)"] = ctx.one
    if ci.pre.structure == "quadratic":
        kq = ci.pre.L(ctx) / ci.pre.mu(ctx, 0)
        out["quadratic (kappa+1)/(2 sqrt kappa)"] = (kq + 1) / (2 * ctx.sqrt(kq))
    path = ctx.mpf(run.traj.path_length_row) + (ctx.mpf(run.tail.bound) if run.tail.bound is not None else ctx.inf)
    lam = path / ci.scale
    smooth = ci.pre.name not in ("clip", "clipv")  # C^2 profiles (Hessian bound applies pointwise)
    if ci.pre.structure == "entrywise" and ctx.isfinite(lam):
        out["entrywise sqrt(dk) Lambda (J3')"] = ctx.sqrt(p.d * p.k) * lam
    if kappa is not None and smooth and ctx.isfinite(lam):
        tau = (kappa - 1) / (2 * ctx.sqrt(kappa))
        out["general sqrt(1 + tau^2 Lambda^2) (C4)"] = ctx.sqrt(1 + tau**2 * lam**2)
    if p.n == 1 and p.k == 1 and kappa is not None and smooth:
        x2 = ctx.fsum(v * v for v in ci.xph.X_rows[0])
        if to_mpf(ctx, run.eta) <= 1 / (ci.pre.smoothness(ctx, rho) * x2):
            out["single sample (kappa+1)/(2 sqrt kappa) (C2)"] = (kappa + 1) / (2 * ctx.sqrt(kappa))
            if ci.pre.structure == "entrywise":
                out["entrywise single sample sqrt(d) (C3)"] = ctx.sqrt(p.d)
    return out


def c_empirical(ci: ClaimInputs, run: RunEvidence):
    ctx = ci.xph.ctx
    return fro_distance(ctx, run.W, ci.xph.W0) / ci.scale


def general_bound(ci: ClaimInputs, run: RunEvidence) -> Verdict:
    ctx = ci.xph.ctx
    c = c_empirical(ci, run)
    e = _rel_err(ci, run)
    kappa, rho = kappa_on_ball(ci, run)
    bounds = c_bounds(ci, run, (kappa, rho))
    ev = {"c_empirical": _s(c, 15), "c_bounds": {k: _s(v, 8) for k, v in bounds.items()},
          "kappa_visited": _s(kappa, 6) if kappa is not None else "inf", "rho_visited": _s(rho, 6),
          "conjectured_bound": _s((kappa + 1) / (2 * ctx.sqrt(kappa)), 8) if kappa is not None else "inf",
          "relative_error_bound": _s(e, 3), **_precision(run)}
    if ci.degenerate and _stays_at_w0(ci, run):
        ev["degenerate"] = "Y = X W0 exactly"
        return Verdict("general_bound", "verified", "W0 already interpolates (Y = X W0): W_inf = W_GD = W0, so "
                       "||W_inf - W0|| = 0 <= c ||W_GD - W0|| = 0 holds for every c (no division by the zero scale)",
                       run.label, "0", ev)
    if run.traj.stop_reason != "floor" or e is None:
        return Verdict("general_bound", "inconclusive", unfinished(run), run.label, _s(e, 3), ev)
    if c < 1 - e:
        return Verdict("general_bound", "refuted", f"c_emp = {_s(c, 8)} < 1, impossible for an interpolator",
                       run.label, _s(e, 3), ev)
    if not bounds:
        return Verdict("general_bound", "inconclusive", "no bound of docs/theory.md §3.3 applies (mu = 0 on the visited ball)",
                       run.label, _s(e, 3), ev)
    name, cb = min(bounds.items(), key=lambda kv: kv[1])
    ev["c_bound"] = _s(cb, 12)
    ev["c_bound_name"] = name
    if cb == 1:
        verdict, why = decide_equality(abs(c - 1), e, ci.tol)
    else:
        verdict, why = decide_upper(c, cb, e)
    return Verdict("general_bound", verdict, f"c_emp = {_s(c, 8)} vs {name} = {_s(cb, 8)}: {why}",
                   run.label, _s(e, 3), ev)


def user_bound(ci: ClaimInputs, run: RunEvidence, value: Fraction, text: str) -> Verdict:
    c = c_empirical(ci, run)
    e = _rel_err(ci, run)
    ev = {"c_empirical": _s(c, 15), "claimed_bound": text.split("=", 1)[1], **_precision(run)}
    if run.traj.stop_reason != "floor" or e is None:
        return Verdict(f"claim:{text}", "inconclusive", unfinished(run), run.label, _s(e, 3), ev)
    verdict, why = decide_upper(c, to_mpf(ci.xph.ctx, value), e)
    return Verdict(f"claim:{text}", verdict, f"c_emp = {_s(c, 8)}: {why}", run.label, _s(e, 3), ev)


# ----------------------------------------------------------------------------- learning rate
def lr_dependence(ci: ClaimInputs) -> Verdict:
    ctx = ci.xph.ctx
    if ci.left_invariant:
        return Verdict("lr_dependence", "not_applicable", "K is left-invariant: the limit is W_GD for every eta")
    if ci.degenerate:
        return Verdict("lr_dependence", "not_applicable", "W0 already interpolates (Y = X W0): the limit is W0 for "
                       "every eta")
    if len(ci.runs) < 2:
        return Verdict("lr_dependence", "inconclusive", "needs at least two learning rates")
    if any(r.traj.stop_reason != "floor" or r.error_abs is None for r in ci.runs):
        why = next(unfinished(r) for r in ci.runs if r.traj.stop_reason != "floor" or r.error_abs is None)
        return Verdict("lr_dependence", "inconclusive", f"not every run converged with a tail bound: {why}")
    pairs = [(fro_distance(ctx, a.W, b.W), a, b) for i, a in enumerate(ci.runs) for b in ci.runs[i + 1:]]
    gap, *best = max(pairs, key=lambda p: p[0])  # best: the first pair of runs at the largest distance
    d = gap / ci.scale
    e = (best[0].error_abs + best[1].error_abs) / ci.scale
    verdict, why = decide_difference(d, e, ci.tol)
    if verdict == "refuted":  # agreement below tol is not evidence of equality; only a theorem is
        if ci.equality_theorem is None:
            verdict = "inconclusive"
            why = (f"no difference above tol at {best[0].dps} digits (a difference below the tolerance is not "
                   "evidence of equality, and no theorem gives equal limits for this K)")
        else:
            why = f"{why}, as the theorem predicts ({ci.equality_theorem})"
    ev = {"max_pairwise_distance": _s(d, 15), "between": [best[0].label, best[1].label],
          "summed_error_bound": _s(e, 3), "tolerance": _s(ci.tol, 3), "lrs": [r.label for r in ci.runs],
          "dps": best[0].dps, "rerun_dps": best[0].dps_hi,
          "rounding_differences": [_s(best[0].rounding, 3), _s(best[1].rounding, 3)]}
    return Verdict("lr_dependence", verdict, f"limits differ by {_s(d, 3)} (relative): {why}", None, _s(e, 3), ev)


# ----------------------------------------------------------------------------- assumptions
def assumptions(ci: ClaimInputs) -> Verdict:
    return assumptions_from_facts(ci.facts)


def assumptions_from_facts(facts: dict) -> Verdict:
    """``assumptions``: K convex and C^1, ``grad K(0) = 0``, ``grad K`` Lipschitz (globally, or
    certified on the ball the iterates visit), and for update maps U = grad K (integrable)."""
    keys = [k for k in ("integrable", "convex", "grad_zero", "lipschitz") if k in facts]
    ev = {k: facts[k].to_json() for k in keys}
    bad = [facts[k] for k in keys if facts[k].status == "refuted"]
    if bad:
        return Verdict("assumptions", "refuted", f"{bad[0].name} fails: {bad[0].detail}", None, "exact", ev)
    if all(facts[k].status == "proved" for k in keys):
        return Verdict("assumptions", "verified", "proved: " + ", ".join(keys), None, "exact", ev)
    unknown = [facts[k].name for k in keys if facts[k].status == "unknown"]
    return Verdict("assumptions", "inconclusive", f"not proved: {', '.join(unknown)}", None, "exact", ev)


# ----------------------------------------------------------------------------- user limits
def limit_claim(ci: ClaimInputs, run: RunEvidence, norm_name: str, text: str,
                cert: MinNormCertificate) -> Verdict:
    """``W_inf = argmin N(W - W0) s.t. XW = Y``."""
    cid = f"claim:{text}"
    if not cert.ok:
        return Verdict(cid, "inconclusive", f"characterization not certified: {cert.reason}", run.label, None,
                       {"solver": cert.solver, "status": cert.status})
    ctx = ci.xph.ctx
    base = {"characterization": cert.reason, "solver": cert.solver, "solver_status": cert.status,
            "feasibility_residual": _s(cert.feasibility_residual, 3), "solver_seconds": round(cert.seconds, 3)}
    if norm_name in ("fro", "hinv"):
        base["kkt_residual"] = _s(cert.kkt_residual, 3)
        base.update(cert.evidence)
        return _equality_verdict(cid, ci, run, cert.W, f"minnorm_{norm_name}", base)
    e = _rel_err(ci, run)
    if run.traj.stop_reason != "floor" or e is None:
        return Verdict(cid, "inconclusive", unfinished(run), run.label, _s(e, 3), base)
    p = ci.xph.problem
    v = norm(ctx, norm_name, sub(run.W, ci.xph.W0))
    e_v = run.error_abs * fro_equivalence(norm_name, p.d, p.k)
    scale_v = max(cert.upper, ctx.mpf(10) ** (-ctx.dps))
    ev = {**base, "limit_norm": _s(v, 15), "certified_lower": _s(cert.lower, 12), "certified_upper": _s(cert.upper, 12),
          "bracket_width": _s(cert.upper - cert.lower, 3), "norm_error_bound": _s(e_v, 3),
          "distance_to_solver_point": _s(fro_distance(ctx, run.W, cert.W) / ci.scale, 6), **_precision(run)}
    gap = v - cert.upper
    if gap > SAFETY * e_v and gap > 0:
        return Verdict(cid, "refuted",
                       f"the limit has {norm_name}-distance {_s(v, 8)} but a feasible interpolator has {_s(cert.upper, 8)}: "
                       f"not a minimizer", run.label, _s(e_v / scale_v, 3), {**ev, "counterexample": "polished solver point"})
    if (v + e_v - cert.lower) / scale_v <= ci.tol:
        return Verdict(cid, "verified", "limit's norm within tolerance of the certified optimum", run.label,
                       _s(e_v / scale_v, 3), ev)
    return Verdict(cid, "inconclusive",
                   f"limit's norm {_s(v, 8)} lies within the certified bracket [{_s(cert.lower, 8)}, {_s(cert.upper, 8)}]; "
                   "the solver's certificate is too coarse to verify equality at the tolerance", run.label,
                   _s(e_v / scale_v, 3), ev)
