"""C2: the constant c for any K with a single sample (docs/theory.md §3.3, docs/derivations.md §7 C2).

    n = k = 1 (X = x^T), K C^2 with Hessian in [mu, L] on the ball ||G|| <= ||x|| |r_0|
    (r_0 = x^T w_0 - y), kappa = L/mu, 0 < eta <= 1/(L ||x||^2)
    =>  c = ||W_inf - W_0|| / ||W_GD - W_0|| <= (kappa + 1)/(2 sqrt(kappa)).

Proof sketch: (1) r_{t+1} = r_t (1 - eta x^T H_t x) with H_t the mean Hessian on [0, G_t] and
x^T H_t x in [mu ||x||^2, L ||x||^2], so the residual is monotone and never changes sign (the
gradients stay in the ball); (2) by J3 (cos angle(grad K(G), G) >= 2 sqrt(L mu)/(L + mu), G = x r),
||w_{t+1} - w_t|| <= ((kappa + 1)/(2 sqrt kappa)) |r_{t+1} - r_t| / ||x||; (3) summing,
sum |r_{t+1} - r_t| = |r_0| and ||W_GD - W_0|| = |r_0|/||x||.

Step (numeric, the context's K): ``context.examples`` random single-sample instances (d in 2..6,
x, y, w_0 Gaussian) at eta = 1/2 and 0.98 times 1/(L ||x||^2) (learning-rate fractions 1/4 and
49/100 of 2/(L sigma_max^2); the float64 eta is checked against 1/(L ||x||^2) exactly); each run
is the verification core's run at the context's digits with its rerun and tail bound;
kappa = L/mu(rho) on the ball rho = ||x|| |r_0|.  Reported: the worst c_emp/bound (must be <= 1
up to the run's relative error bound e; c_emp - e > bound is a counterexample) and
c_emp >= 1 - e (C0); a K whose mu vanishes on the ball (clip beyond c) makes the bound vacuous
there (counted, not a failure).  For a K whose gradient
is only locally Lipschitz, y and w_0 are scaled by a power of 2 to |r_0| <= 1/2.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..core import Evidence, Result, Step
from .theorem_a import _locally_lipschitz, _shrink

FRACS_C2 = (Fraction(1, 4), Fraction(49, 100))  # eta = 1/2 and 0.98 times 1/(L ||x||^2) for n = 1


def preconditioner_for_shape(context, d: int, k: int):
    """The context's K on d x k matrices (rebuilt for a shape-bound catalogue K), or None."""
    from numeric.preconditioners.catalog import CATALOG, make_preconditioner

    from .theorem_a import fixed_shape
    pre = context.preconditioner
    shape = fixed_shape(pre)
    if shape is None or shape == (d, k):
        return pre
    if context.name in CATALOG:
        return make_preconditioner(context.name, context.params, shape=(d, k), seed=context.seed)
    return None


def single_sample_problem(rng, d: int):
    from numeric.problem import Problem
    x = rng.standard_normal(d)
    y = rng.standard_normal()
    w0 = rng.standard_normal(d) / np.sqrt(d)
    return Problem(x[None, :], np.array([[y]]), w0[:, None], seed=None, source="single sample")


def c_run(problem, pre, frac: Fraction, dps: int, max_iter: int = 200_000) -> dict:
    """One run: c_emp, its relative error bound, kappa on the ball ||x|| |r_0| and the C2 bound."""
    from numeric.exact_problem import ExactProblem
    from numeric.matrices import fro_distance
    from numeric.params import to_mpf
    from numeric.precision import working_precision
    from verify.runs import LearningRate, default_backend, run_at

    with working_precision(dps) as ctx, working_precision(dps + 10) as hctx:
        xp, xph = ExactProblem.build(ctx, problem), ExactProblem.build(hctx, problem)
        run = run_at(LearningRate("frac", frac), pre, xp, xph, max_iter, backend=default_backend())
        scale = fro_distance(hctx, xph.w_gd(), xph.W0)
        x2 = hctx.fsum(v * v for v in xph.X_rows[0])
        r0 = abs(xph.residual(xph.W0)[0][0])
        rho = hctx.sqrt(x2) * r0
        L = pre.smoothness(hctx, rho)
        mu = pre.mu(hctx, rho)
        out = {"lr": run.label, "stop": run.traj.stop_reason, "iterations": run.traj.iterations,
               "rho": float(rho), "d": problem.d}
        if run.error_abs is None or run.traj.stop_reason != "floor":
            return {**out, "ok": False}
        c = fro_distance(hctx, run.W, xph.W0) / scale
        e = run.error_abs / scale
        eta_ok = to_mpf(hctx, run.eta) <= 1 / (L * x2)
        kappa = L / mu if mu > 0 and hctx.isfinite(L) else hctx.inf
        bound = (kappa + 1) / (2 * hctx.sqrt(kappa)) if hctx.isfinite(kappa) else hctx.inf
        return {**out, "ok": True, "c": c, "e": e, "kappa": kappa, "bound": bound, "eta_ok": bool(eta_ok),
                "ctx": hctx, "sqrt_d": hctx.sqrt(problem.d)}


def _numeric(context) -> Evidence:
    rng = np.random.default_rng([context.seed, 0xC2])
    worst, worst_row, n, vacuous, below_one = None, None, 0, 0, None
    for i in range(max(1, context.examples)):
        d = int(rng.integers(2, 7))
        p = single_sample_problem(rng, d)
        pre = preconditioner_for_shape(context, d, 1)
        if pre is None:
            return Evidence("unknown", f"the context's K ({context.name}) is bound to another shape; "
                            "C2 needs n = k = 1")
        if _locally_lipschitz(pre):
            p = _shrink(p)
        for frac in FRACS_C2:
            row = c_run(p, pre, frac, context.dps)
            if not row["ok"]:
                return Evidence("unknown", f"instance {i} (d = {d}) at lr {row['lr']}: run ended by {row['stop']}")
            n += 1
            c, e, bound = row["c"], row["e"], row["bound"]
            if c < 1 - e:
                return Evidence("failed", f"c_emp = {float(c):.12f} < 1 (impossible, C0)", f"{float(c):.6e}",
                                _instance(p, row))
            if not row["eta_ok"]:
                return Evidence("unknown", f"instance {i}: eta exceeds 1/(L ||x||^2) (hypothesis not met)")
            if not np.isfinite(float(bound)):
                vacuous += 1
                continue
            if c - e > bound:
                return Evidence("failed", f"C2 violated: c_emp = {float(c):.15f} > (kappa+1)/(2 sqrt kappa) = "
                                f"{float(bound):.15f} (kappa = {float(row['kappa']):.6g})", f"{float(c / bound):.6e}",
                                _instance(p, row))
            ratio = c / bound
            if worst is None or ratio > worst:
                worst, worst_row = ratio, row
            below_one = c if below_one is None else min(below_one, c)
    if worst is None:
        return Evidence("unknown", f"the bound is vacuous (mu = 0 on the ball) for all {n} runs")
    r = worst_row
    status = "verified" if worst <= 1 + r["e"] else "unknown"
    return Evidence(status, f"{n} single-sample runs of {context.name} (d = 2..6, eta = 1/2 and 0.98 x 1/(L ||x||^2), "
                    f"{context.dps} digits): worst c_emp/bound = {float(worst):.6f} (<= 1 + e; c_emp = {float(r['c']):.10f}, "
                    f"kappa = {float(r['kappa']):.6g}, bound {float(r['bound']):.6g}); min c_emp = {float(below_one):.12f} "
                    f">= 1 - e; {vacuous} runs with a vacuous bound (mu = 0 on the ball)", f"{float(worst):.6e}")


def _instance(p, row) -> dict:
    return {"X": p.X.tolist(), "Y": p.Y.tolist(), "W0": p.W0.tolist(), "lr": row["lr"],
            "c_emp": f"{float(row['c']):.15e}", "bound": f"{float(row['bound']):.15e}"}


RESULT = Result(
    id="C2",
    title="single sample: c <= (kappa + 1)/(2 sqrt kappa) for any K",
    latex=r"n = k = 1,\ \mu \preceq \nabla^2 K \preceq L \text{ on } \|G\| \le \|x\||r_0|,\ \eta \le \frac{1}{L\|x\|^2}"
          r" \implies \frac{\|W_\infty - W_0\|}{\|W_{GD} - W_0\|} \le \frac{\kappa + 1}{2\sqrt\kappa}",
    text="n = k = 1, Hessian of K in [mu, L] on the ball of radius ||x|| |r0|, eta <= 1/(L ||x||^2): "
         "c = ||W_inf - W0||/||W_GD - W0|| <= (kappa+1)/(2 sqrt kappa), kappa = L/mu",
    hypotheses=("single sample n = k = 1", "K C^2 with Hessian in [mu, L] on the ball ||G|| <= ||x|| |r0|",
                "0 < eta <= 1/(L ||x||^2)"),
    steps=(Step("random single-sample instances for the context's K: worst c_emp/bound <= 1 (within the error bound)",
                "numeric",
                _numeric),),
    per_preconditioner=True,
)
