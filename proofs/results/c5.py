"""C5, an open question: does c <= (kappa + 1)/(2 sqrt kappa) hold for non-quadratic K with n > 1?

    Conjecture: K convex with Hessian in [mu, L] everywhere, kappa = L/mu, any n, k, and
    0 < eta < 2/(L sigma_max^2)  =>  c = ||W_inf - W_0|| / ||W_GD - W_0|| <= (kappa + 1)/(2 sqrt kappa).

Known: true for quadratic K (C1, sharp) and for n = k = 1 (C2); the rigorous bound for general n
is only sqrt(1 + tau^2 Lambda^2) (C4).  Numbers cannot prove the conjecture, so this probe ends
``unknown`` (with the worst ratio found) unless it finds a violation confirmed at 50 digits, which
makes it ``failed`` with the instance saved.

Probe (docs/derivations.md §7 C5): K(G) = sum_i k((Q vec G)_i), k(g) = mu g^2/2 + (L - mu) s^2 log cosh(g/s),
so k'' = mu + (L - mu) sech^2(g/s) lies in [mu, L] and the Hessian Q^T diag(k'') Q too (Q orthogonal);
n = 2, d = 3, k = 1, mu = 1, L = kappa in {4, 25}, W_0 = 0 (no loss of generality: the increments
depend on R_0 = X W_0 - Y only).  Instance parameters: X (2 x 3, condition number <= 20), Y, Q (random
orthogonal), the scale s and the learning-rate fraction f in [0.05, 0.99] (eta = f 2/(L sigma_max^2)).

1. random search: a batch of instances run in lock-step with a float64 DSPGD (numpy) to the
   residual floor 1e-13, c_emp/bound for each;
2. local optimization: Nelder-Mead (scipy) from the best random instances on (X, Y, log s, logit f)
   with Q fixed (a rotation of Q can be absorbed into X: the pair (X P^T, Q P^T) runs the same
   iteration rotated by P), maximizing c_emp/bound with a scalar float64 DSPGD run to convergence;
3. re-check of the best instance of each kappa at the context's digits (50) with the verification
   core's run, rerun and certified tail (Hessian in [mu sigma_min(Q)^2, L sigma_max(Q)^2] for the
   float64 Q as given, so kappa is computed exactly for the instance actually run).

Budget: ``context.examples`` sets it (random instances 10 x examples per kappa; Nelder-Mead starts
max(2, examples // 25) with 25 x examples evaluations each, capped in wall time for the default);
``examples >= 200`` is the long search (``dspgd-verify proofs --only C5 --examples 400``).
"""
from __future__ import annotations

import math
import os
import time
from fractions import Fraction

import numpy as np

from ..core import Evidence, Result, Step

KAPPAS = (4, 25)
MU = 1.0
MAX_COND = 20.0
FRAC_LO, FRAC_SPAN = 0.05, 0.94
FLOAT_TOL = 1e-13
DEFAULT_DEADLINE = 30.0  # seconds of search when examples < 200 (the default budget)


def conjectured_bound(kappa):
    """(kappa + 1)/(2 sqrt kappa) for a float or an mpf."""
    return (kappa + 1) / (2 * kappa ** 0.5)


# ----------------------------------------------------------------------------- float64 DSPGD
def c_float(X, y, Q, s, kappa, frac, maxit: int = 30_000, tol: float = FLOAT_TOL):
    """``(c_emp, converged)`` of the probe K for n = 2, d = 3, k = 1, W0 = 0, in scalar float64."""
    mu, L = MU, float(kappa)
    eta = frac * 2.0 / (L * np.linalg.norm(X, 2) ** 2)
    (x00, x01, x02), (x10, x11, x12) = X.tolist()
    (q00, q01, q02), (q10, q11, q12), (q20, q21, q22) = Q.tolist()
    y0, y1 = float(y[0]), float(y[1])
    w0 = w1 = w2 = 0.0
    r0, r1 = -y0, -y1
    stop = tol * math.hypot(r0, r1)
    th, a, inv = math.tanh, (L - mu) * s, 1.0 / s
    it = 0
    while abs(r0) + abs(r1) > stop:
        if it >= maxit:
            return 0.0, False
        g0, g1, g2 = x00 * r0 + x10 * r1, x01 * r0 + x11 * r1, x02 * r0 + x12 * r1
        z0 = q00 * g0 + q01 * g1 + q02 * g2
        z1 = q10 * g0 + q11 * g1 + q12 * g2
        z2 = q20 * g0 + q21 * g1 + q22 * g2
        k0, k1, k2 = mu * z0 + a * th(z0 * inv), mu * z1 + a * th(z1 * inv), mu * z2 + a * th(z2 * inv)
        w0 -= eta * (q00 * k0 + q10 * k1 + q20 * k2)
        w1 -= eta * (q01 * k0 + q11 * k1 + q21 * k2)
        w2 -= eta * (q02 * k0 + q12 * k1 + q22 * k2)
        r0 = x00 * w0 + x01 * w1 + x02 * w2 - y0
        r1 = x10 * w0 + x11 * w1 + x12 * w2 - y1
        it += 1
        if not math.isfinite(r0):
            return 0.0, False
    w_gd = np.linalg.pinv(X) @ np.asarray(y, dtype=float)
    return math.sqrt(w0 * w0 + w1 * w1 + w2 * w2) / float(np.linalg.norm(w_gd)), True


def c_batch(X, y, Q, s, kappa, frac, maxit: int = 8000, tol: float = FLOAT_TOL):
    """Lock-step float64 DSPGD over a batch (arrays with a leading batch axis); ``(c, converged)``."""
    mu, L = MU, float(kappa)
    eta = frac * 2.0 / (L * np.linalg.norm(X, 2, axis=(1, 2)) ** 2)
    B = X.shape[0]
    W = np.zeros((B, 3))
    R = -y.copy()
    stop = tol * np.linalg.norm(R, axis=1)
    active = np.ones(B, bool)
    for _ in range(maxit):
        active = np.linalg.norm(R, axis=1) > stop
        if not active.any():
            break
        G = np.einsum("bnd,bn->bd", X, R)
        z = np.einsum("bij,bj->bi", Q, G)
        kp = mu * z + (L - mu) * s[:, None] * np.tanh(z / s[:, None])
        W -= (eta * active)[:, None] * np.einsum("bji,bj->bi", Q, kp)
        R = np.einsum("bnd,bd->bn", X, W) - y
    w_gd = np.einsum("bdn,bn->bd", np.linalg.pinv(X), y)
    c = np.linalg.norm(W, axis=1) / np.linalg.norm(w_gd, axis=1)
    ok = ~active & np.isfinite(c)
    return np.where(ok, c, 0.0), ok


def _cond_ok(X) -> bool:
    sv = np.linalg.svd(X, compute_uv=False)
    return bool(np.all(np.isfinite(sv)) and sv[-1] > 0 and sv[0] <= MAX_COND * sv[-1])


def _unpack(v, Q):
    X = v[:6].reshape(2, 3)
    y = v[6:8]
    s = math.exp(float(np.clip(v[8], -30, 30)))
    frac = FRAC_LO + FRAC_SPAN / (1.0 + math.exp(-float(np.clip(v[9], -40, 40))))
    return {"X": X, "y": y, "Q": Q, "s": s, "frac": frac}


def _pack(inst) -> np.ndarray:
    f = (inst["frac"] - FRAC_LO) / FRAC_SPAN
    f = min(max(f, 1e-9), 1 - 1e-9)
    return np.concatenate([inst["X"].ravel(), inst["y"], [math.log(inst["s"])], [math.log(f / (1 - f))]])


def search(kappa, rng, n_random: int, n_starts: int, maxfev: int, deadline: float | None, bound=conjectured_bound):
    """Random search plus Nelder-Mead; returns (best ratio, best instance, counts)."""
    from scipy.optimize import minimize

    B = max(4, n_random)
    X = rng.standard_normal((B, 2, 3))
    y = rng.standard_normal((B, 2))
    Q, _ = np.linalg.qr(rng.standard_normal((B, 3, 3)))
    s = np.exp(rng.normal(0.0, 1.5, B))
    frac = rng.uniform(FRAC_LO, FRAC_LO + FRAC_SPAN, B)
    sv = np.linalg.svd(X, compute_uv=False)
    good = sv[:, -1] * MAX_COND >= sv[:, 0]
    c, ok = c_batch(X, y, Q, s, kappa, frac)
    b = float(bound(float(kappa)))
    ratio = np.where(good & ok, c / b, 0.0)
    order = np.argsort(-ratio)
    best_ratio = float(ratio[order[0]])
    best = {"X": X[order[0]], "y": y[order[0]], "Q": Q[order[0]], "s": float(s[order[0]]), "frac": float(frac[order[0]])}
    evals = B
    for j in order[:n_starts]:
        if deadline is not None and time.perf_counter() > deadline:
            break
        Qj = Q[j]
        start = {"X": X[j], "y": y[j], "Q": Qj, "s": float(s[j]), "frac": float(frac[j])}

        class _Stop(Exception):
            pass

        def obj(v):
            if deadline is not None and time.perf_counter() > deadline:
                raise _Stop
            inst = _unpack(v, Qj)
            if not _cond_ok(inst["X"]) or not np.all(np.isfinite(v)):
                return 0.0
            cv, conv = c_float(inst["X"], inst["y"], Qj, inst["s"], kappa, inst["frac"])
            return -cv / b if conv else 0.0

        trace = {"best": -float(ratio[j]), "v": _pack(start), "n": 0}

        def wrapped(v):
            val = obj(v)
            trace["n"] += 1
            if val < trace["best"]:
                trace["best"], trace["v"] = val, np.array(v)
            return val

        try:
            minimize(wrapped, _pack(start), method="Nelder-Mead",
                     options={"maxfev": maxfev, "xatol": 1e-9, "fatol": 1e-12, "adaptive": True})
        except _Stop:
            pass
        evals += trace["n"]
        if -trace["best"] > best_ratio:
            best_ratio, best = -trace["best"], _unpack(trace["v"], Qj)
    return best_ratio, best, evals


# ----------------------------------------------------------------------------- 50-digit re-check
def probe_preconditioner(Q: np.ndarray, s: float, kappa):
    """K(G) = sum_i k((Q vec G)_i) with k(g) = mu g^2/2 + (L - mu) s^2 log cosh(g/s) (mu = 1, L = kappa)."""
    from numeric.preconditioners.base import Preconditioner
    Qf = np.asarray(Q, dtype=float)

    def mats(ctx):
        q = [[ctx.mpf(float(v)) for v in row] for row in Qf]
        return q, ctx.mpf(MU), ctx.mpf(float(kappa)), ctx.mpf(float(s))

    def z_of(ctx, q, g):
        return [ctx.fdot(row, g[0]) for row in q]

    def grad(ctx, g):
        q, mu, L, sc = mats(ctx)
        kp = [mu * z + (L - mu) * sc * ctx.tanh(z / sc) for z in z_of(ctx, q, g)]
        return [[ctx.fdot([q[i][j] for i in range(3)], kp) for j in range(3)]]

    def value(ctx, g):
        q, mu, L, sc = mats(ctx)
        return ctx.fsum(mu * z * z / 2 + (L - mu) * sc * sc * ctx.log(ctx.cosh(z / sc)) for z in z_of(ctx, q, g))

    def qq_eigs(ctx):
        q = mats(ctx)[0]
        M = ctx.matrix([[ctx.fsum(q[k][i] * q[k][j] for k in range(3)) for j in range(3)] for i in range(3)])
        lam = ctx.eigsy(M, eigvals_only=True)
        return [lam[i] for i in range(3)]

    return Preconditioner(
        "c5-logcosh", {"kappa": Fraction(kappa), "s": Fraction(float(s))}, "general", grad=grad, value=value,
        L=lambda ctx: ctx.mpf(float(kappa)) * max(qq_eigs(ctx)),
        mu=lambda ctx, rho: ctx.mpf(MU) * min(qq_eigs(ctx)),
        natural_norm="fro", isotropic=False, left_invariant=False,
        formula="sum_i mu z_i^2/2 + (L - mu) s^2 log cosh(z_i/s), z = Q vec G", grad_formula="Q^T k'(Q vec G)")


def recheck(inst: dict, kappa, dps: int, bound=conjectured_bound) -> dict:
    """c_emp of the instance at ``dps`` digits (rerun + certified tail) against the bound."""
    from numeric.exact_problem import ExactProblem
    from numeric.matrices import fro_distance
    from numeric.precision import working_precision
    from numeric.problem import Problem
    from verify.runs import LearningRate, default_backend, run_at

    X, y = np.asarray(inst["X"], dtype=float), np.asarray(inst["y"], dtype=float)
    eta = inst["frac"] * 2.0 / (float(kappa) * np.linalg.norm(X, 2) ** 2)
    p = Problem(X, y.reshape(2, 1), np.zeros((3, 1)), seed=None, source="C5 probe")
    pre = probe_preconditioner(inst["Q"], inst["s"], kappa)
    with working_precision(dps) as ctx, working_precision(dps + 10) as hctx:
        xp, xph = ExactProblem.build(ctx, p), ExactProblem.build(hctx, p)
        run = run_at(LearningRate("abs", Fraction(eta)), pre, xp, xph, 2_000_000, backend=default_backend())
        out = {"eta": eta, "stop": run.traj.stop_reason, "iterations": run.traj.iterations, "problem": p}
        if run.error_abs is None or run.traj.stop_reason != "floor":
            return {**out, "ok": False}
        scale = fro_distance(hctx, xph.w_gd(), xph.W0)
        c = fro_distance(hctx, run.W, xph.W0) / scale
        e = run.error_abs / scale
        k_eff = pre.L(hctx) / pre.mu(hctx, 0)
        b = bound(k_eff)
        b = b if not isinstance(b, (int, float)) else hctx.mpf(b)
        return {**out, "ok": True, "c": c, "e": e, "kappa_eff": k_eff, "bound": b, "ratio": c / b,
                "violated": bool(c - e > b), "certified": run.tail.certified, "digits": hctx.nstr}


def save_instance(out_dir: str, inst: dict, kappa, eta: float) -> str:
    """Save a violating instance: arrays X (2 x 3), Y (2 x 1), W0 (3 x 1), Q (3 x 3) and
    params = (kappa, mu, L, s, eta fraction, eta); returns the path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"c5_counterexample_kappa{kappa}.npz")
    np.savez(path, X=np.asarray(inst["X"], dtype=float), Y=np.asarray(inst["y"], dtype=float).reshape(2, 1),
             W0=np.zeros((3, 1)), Q=np.asarray(inst["Q"], dtype=float),
             params=np.array([float(kappa), MU, float(kappa), inst["s"], inst["frac"], eta]))
    return path


def budget(examples: int) -> dict:
    long = examples >= 200
    return {"n_random": 10 * max(2, examples), "n_starts": max(2, examples // 25), "maxfev": 25 * max(2, examples),
            "deadline": None if long else DEFAULT_DEADLINE, "long": long}


def probe(context, bound=conjectured_bound, kappas=KAPPAS, plan: dict | None = None) -> Evidence:
    plan = plan or budget(context.examples)
    rng = np.random.default_rng([context.seed, 0xC5])
    t0 = time.perf_counter()
    per_kappa = (plan["deadline"] / len(kappas)) if plan["deadline"] is not None else None
    rows, worst, total = [], None, 0
    for i, kappa in enumerate(kappas):
        deadline = None if per_kappa is None else t0 + per_kappa * (i + 1)
        r_float, inst, evals = search(kappa, rng, plan["n_random"], plan["n_starts"], plan["maxfev"], deadline, bound)
        total += evals
        chk = recheck(inst, kappa, context.dps, bound)
        if not chk["ok"]:
            rows.append(f"kappa {kappa}: best float64 ratio {r_float:.6f}, 50-digit re-check ended by {chk['stop']}")
            continue
        nstr = chk["digits"]
        if chk["violated"]:
            path = save_instance(context.out_dir, inst, kappa, chk["eta"])
            return Evidence("failed", f"kappa {kappa}: c_emp = {nstr(chk['c'], 20)} > bound {nstr(chk['bound'], 20)} "
                            f"(ratio {nstr(chk['ratio'], 12)}, error bound {nstr(chk['e'], 3)}), confirmed at "
                            f"{context.dps} digits; instance saved to {path}", nstr(chk["ratio"], 12),
                            {"path": path, "kappa": kappa, "s": inst["s"], "frac": inst["frac"], "eta": chk["eta"],
                             "c_emp": nstr(chk["c"], 30), "bound": nstr(chk["bound"], 30),
                             "X": np.asarray(inst["X"]).tolist(), "Y": np.asarray(inst["y"]).tolist(),
                             "Q": np.asarray(inst["Q"]).tolist()})
        ratio = float(chk["ratio"])
        rows.append(f"kappa {kappa}: worst c_emp/bound = {ratio:.6f} (c_emp = {nstr(chk['c'], 12)}, bound "
                    f"{nstr(chk['bound'], 8)}; float64 search {r_float:.6f}; 50-digit error bound {nstr(chk['e'], 2)}, "
                    f"s = {inst['s']:.4g}, eta fraction {inst['frac']:.3f})")
        if worst is None or ratio > worst:
            worst = ratio
    secs = time.perf_counter() - t0
    head = (f"open question, no violation found ({'long' if plan['long'] else 'default'} budget: {total} float64 "
            f"evaluations, {secs:.0f} s; best instances re-checked at {context.dps} digits with certified tails)")
    if worst is None:
        return Evidence("unknown", head + "; " + "; ".join(rows))
    return Evidence("unknown", head + "; " + "; ".join(rows) + f"; worst ratio {worst:.6f}", f"{worst:.6f}")


def _probe(context) -> Evidence:
    return probe(context)


RESULT = Result(
    id="C5",
    title="open question: c <= (kappa + 1)/(2 sqrt kappa) for non-quadratic K and n > 1 (adversarial probe)",
    latex=r"\mu \preceq \nabla^2 K \preceq L,\ n > 1 \overset{?}{\implies} \frac{\|W_\infty - W_0\|}{\|W_{GD} - W_0\|} "
          r"\le \frac{\kappa + 1}{2\sqrt\kappa}",
    text="open: does c = ||W_inf - W0||/||W_GD - W0|| <= (kappa+1)/(2 sqrt kappa) hold for non-quadratic K with "
         "Hessian in [mu, L] and n > 1? Adversarial search on K = sum_i k((Q vec G)_i), k = mu g^2/2 + (L - mu) s^2 "
         "log cosh(g/s); unknown unless a violation is confirmed at 50 digits",
    hypotheses=("K convex with Hessian in [mu, L] everywhere, kappa = L/mu", "n = 2, d = 3, k = 1 (probe)",
                "0 < eta < 2/(L sigma_max^2)"),
    steps=(Step("random search + Nelder-Mead (float64) for the worst c_emp/bound, best re-checked at 50 digits",
                "numeric", _probe),),
)
