"""Theorem A, convergence of DSPGD for the square loss (docs/theory.md §3.1, docs/derivations.md §5).

    K convex, C^1, grad K(0) = 0, grad K L-Lipschitz, l(R) = ||R||^2/2,
    0 < eta < 2/(L sigma_max^2)
    =>  L(W_{t+1}) <= L(W_t) - eta (1 - eta L sigma_max^2/2) <G_t, grad K(G_t)>        (J4)
        K(G_{t+1}) <= K(G_t) - (1/eta - L sigma_max^2/2) ||R_{t+1} - R_t||^2           (J5)
    so L(W_t) and K(grad L(W_t)) are nonincreasing; if grad K has no other zero on
    range(X^T) then R_t -> 0, and with a Hessian >= mu > 0 on the ball ||G|| <= sigma_max ||R_0||
    the rate is linear and W_t converges (the steps eta ||grad K(G_t)|| <= eta L sigma_max ||R_t||
    are summable).

Proof sketch: R_{t+1} = R_t - eta grad Phi(R_t) is gradient descent on the convex,
L sigma_max^2-smooth Phi = K o X^T, whose unique minimizer is 0; the descent lemma gives
the two inequalities, and the PL inequality of Phi (constant mu sigma_min^2) the rate.

Steps:

1. symbolic: the descent inequalities on the 1-D quadratic model (Phi(r) = a r^2/2 with
   0 < a <= L, and K(g) = a g^2/2 with x scalar): the three slacks are exact multiples of
   (a - L) <= 0;
2. numeric: the verification core's ``convergence`` claim (DSPGD at the context's digits, the
   rerun at 10 more digits, the certified tail of docs/theory.md §3.1) on ``context.examples`` random
   problems (n < d <= 8, condition number <= 4; for a K with only a locally Lipschitz gradient,
   Y and W_0 are scaled by a power of 2 to ||R_0|| <= 1/2, so the local L stays moderate) for
   the context's K at eta = 0.5 and 0.9 of 2/(L sigma_max^2);
3. numeric: J4 and J5 along each run (the slack of each inequality, relative to L(W_0) resp.
   K(G_0), must stay <= 0 up to rounding), so L(W_t) and K(grad L(W_t)) are nonincreasing.

This module also holds the helpers the other theorem modules share (instances, runs,
symbolic slack checks).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact

FRACS = (Fraction(1, 2), Fraction(9, 10))
MONOTONE_DPS = 30  # digits of the J4/J5 loop (the inequalities have O(1) relative margins)


# ----------------------------------------------------------------------------- shared helpers
def identity_evidence(name: str, lhs, rhs, symbols=None, hypotheses: str = "") -> Evidence:
    """``proved`` when SymPy brings ``lhs - rhs`` to 0 (else ``failed`` with a point or ``unknown``)."""
    return from_fact(prove_identity(name, lhs, rhs, symbols=symbols, hypotheses=hypotheses))


def sign_evidence(expr, want: str, what: str) -> Evidence:
    """``proved`` when SymPy's assumptions decide ``expr <= 0`` (``want="nonpositive"``) or ``>= 0``."""
    e = sp.factor(sp.expand(expr))
    ok = e.is_nonpositive if want == "nonpositive" else e.is_nonnegative
    if ok:
        return Evidence("proved", f"{what}: {e} is {want} by the symbols' signs")
    bad = e.is_positive if want == "nonpositive" else e.is_negative
    if bad:
        return Evidence("failed", f"{what}: {e} has the wrong sign", counterexample={"expression": str(e)})
    return Evidence("unknown", f"{what}: SymPy could not decide the sign of {e}")


def all_of(parts: list[Evidence], what: str) -> Evidence:
    """Conjunction of sub-checks of one step: failed if any failed, proved if all proved."""
    for p in parts:
        if p.status == "failed":
            return Evidence("failed", f"{what}: {p.detail}", p.worst, p.counterexample)
    if all(p.status == "proved" for p in parts):
        return Evidence("proved", f"{what}: " + "; ".join(p.detail for p in parts))
    if all(p.status in ("proved", "verified") for p in parts):
        worst = next((p.worst for p in parts if p.worst is not None), None)
        return Evidence("verified", f"{what}: " + "; ".join(p.detail for p in parts), worst)
    return Evidence("unknown", f"{what}: " + "; ".join(p.detail for p in parts if p.status == "unknown"))


def fixed_shape(pre) -> tuple[int, int] | None:
    """The (d, k) a shape-bound K needs (a quadratic's H, a general K's explicit entries), else None."""
    if pre.structure == "quadratic":
        m = np.asarray(pre.extra["H"]).shape[0]
        return (3, 2) if m == 6 else (m, 1)
    if pre.structure == "general":
        sym = pre.extra.get("symbolic")
        return (sym.d, sym.k) if sym is not None else (3, 2)
    return None


def random_problems(context, count: int, loss=None, salt: int = 0, max_n: int = 3, max_d: int = 8,
                    max_k: int = 2, shape: tuple[int, int] | None = None, max_cond: float = 4.0,
                    k: int | None = None) -> list:
    """``count`` random small problems (n < d <= max_d), W0 random, reproducible from the context's seed.

    Gaussian X with condition number at most ``max_cond`` (redrawn otherwise), so that runs to the
    50-digit floor stay short; the theorems do not depend on the conditioning.
    """
    from numeric.problem import random_problem
    rng = np.random.default_rng([context.seed, salt, 0xA7])
    k_fixed = k
    out = []
    for i in range(count):
        if shape is not None:
            d, k = shape
            n = int(rng.integers(1, min(max_n, d - 1) + 1))
        else:
            n = int(rng.integers(1, max_n + 1)) if i % 4 == 3 else int(rng.integers(1, min(2, max_n) + 1))
            d = int(rng.integers(n + 1, min(max_d, n + 3) + 1))
            k = int(rng.integers(1, max_k + 1)) if k_fixed is None else k_fixed
        for _ in range(100):
            seed = int(rng.integers(0, 2**31 - 1))
            p = random_problem(n, d, k, seed=seed, w0="random", loss=loss)
            sv = np.linalg.svd(p.X, compute_uv=False)
            if sv[0] <= max_cond * sv[-1]:
                break
        out.append(p)
    return out


def describe_problem(p) -> dict:
    return {"n": p.n, "d": p.d, "k": p.k, "seed": p.seed, "loss": p.loss.name}


def settings(dps: int, fracs=FRACS, extra: int = 10, **kw):
    """check's Settings for a proof step, on the loop ``check`` would use (flint when installed)."""
    from verify.check import Settings
    from verify.runs import LearningRate, default_backend
    kw.setdefault("backend", default_backend())
    return Settings(dps=dps, lrs=tuple(LearningRate("frac", f) for f in fracs), rerun_extra_digits=extra, **kw)


def claims_of(record: dict, cid: str) -> list[dict]:
    return [c for c in record["claims"] if c["id"] == cid]


def eta_of(label: str) -> Fraction:
    """The exact learning rate behind a run label (``repr`` of the float64 eta)."""
    return Fraction(float(label))


# ----------------------------------------------------------------------------- step 1 (symbolic)
def _descent_model(loss_curvature: bool = False) -> Evidence:
    """Slacks of the descent inequalities on the 1-D quadratic model, exactly, and their signs."""
    a, eta, x, s, u = sp.symbols("a eta x s u", positive=True)
    r = sp.Symbol("r", real=True)
    L = a + s  # L >= a: the model's curvature is at most L
    parts = []
    if not loss_curvature:
        # GD on Phi(r) = a r^2/2 (residual space): Phi(r+) <= Phi(r) - eta (1 - eta L/2) Phi'(r)^2
        Phi = lambda v: a * v**2 / 2  # noqa: E731
        rp = r - eta * a * r
        slack = Phi(rp) - Phi(r) + eta * (1 - eta * L / 2) * (a * r) ** 2
        closed = -eta**2 * a**2 * r**2 * s / 2
        parts.append(identity_evidence("ThmA descent on Phi", slack, closed, [a, eta, r, s]))
        parts.append(sign_evidence(closed, "nonpositive", "Phi slack"))
        # square loss, K = a g^2/2, n = d = 1: J4 and J5 slacks
        rp = r * (1 - eta * a * x**2)
        j4 = rp**2 / 2 - r**2 / 2 + eta * (1 - eta * L * x**2 / 2) * (x * r) * (a * x * r)
        j5 = a * (x * rp) ** 2 / 2 - a * (x * r) ** 2 / 2 + (1 / eta - L * x**2 / 2) * (rp - r) ** 2
        parts.append(identity_evidence("ThmA J4 model", j4, -eta**2 * a * x**4 * r**2 * s / 2, [a, eta, x, r, s]))
        parts.append(identity_evidence("ThmA J5 model", j5, -eta**2 * a**2 * x**6 * r**2 * s / 2, [a, eta, x, r, s]))
        parts.append(sign_evidence(-eta**2 * a * x**4 * r**2 * s / 2, "nonpositive", "J4 slack"))
        parts.append(sign_evidence(-eta**2 * a**2 * x**6 * r**2 * s / 2, "nonpositive", "J5 slack"))
        return all_of(parts, "1-D quadratic model, L = a + s with s >= 0")
    # loss l(r) = b r^2/2 with 0 < b <= beta = b + u, K = a g^2/2 (Theorem B's J4 on the model)
    b = sp.Symbol("b", positive=True)
    beta = b + u
    rp = r * (1 - eta * a * b * x**2)
    G = x * b * r
    j4 = b * rp**2 / 2 - b * r**2 / 2 + eta * (1 - eta * beta * L * x**2 / 2) * G * (a * G)
    closed = eta**2 * a * b**2 * x**4 * r**2 * (a * b - beta * L) / 2
    parts.append(identity_evidence("ThmB J4 model", j4, closed, [a, b, eta, x, r, s, u]))
    parts.append(sign_evidence(closed, "nonpositive", "J4 slack (a b - beta L = -(a u + s b + s u))"))
    # J5 on the model: K(G+) - K(G) + (1/(eta beta) - L x^2/2) (l'(r+) - l'(r))^2 <= 0
    j5 = a * (x * b * rp) ** 2 / 2 - a * G**2 / 2 + (1 / (eta * beta) - L * x**2 / 2) * (b * rp - b * r) ** 2
    parts.append(sign_evidence(sp.factor(sp.cancel(j5)), "nonpositive", "J5 slack"))
    return all_of(parts, "1-D quadratic model, l'' = b <= beta = b + u, K'' = a <= L = a + s")


def _symbolic(context) -> Evidence:
    return _descent_model(loss_curvature=False)


# ----------------------------------------------------------------------------- steps 2-3 (numeric)
def descent_margins(problem, pre, eta: Fraction, dps: int = MONOTONE_DPS, max_steps: int = 4000,
                    stop_ratio_digits: int = 20) -> dict:
    """Run DSPGD from W0 and record the worst relative slack of J4 and J5 (both must be <= 0).

    ``slack4_t = [L(W_{t+1}) - L(W_t) + eta (1 - eta beta L sigma^2/2) <G_t, U_t>] / L(W_0)``,
    ``slack5_t = [K(G_{t+1}) - K(G_t) + (1/(eta beta) - L sigma^2/2) ||grad l(R_{t+1}) - grad l(R_t)||^2] / K(G_0)``,
    with L the global constant of K (or its sup on the ball of the visited gradients).
    The loop stops when L(W_t) < 10^-stop_ratio_digits L(W_0).
    """
    from numeric.backends.mpmath_loop import natural_norm
    from numeric.exact_problem import ExactProblem
    from numeric.matrices import fro_distance, inner
    from numeric.params import to_mpf
    from numeric.precision import working_precision

    with working_precision(dps) as ctx:
        xp = ExactProblem.build(ctx, problem)
        loss = problem.loss
        beta = to_mpf(ctx, loss.beta)
        e = to_mpf(ctx, eta)
        W = [list(c) for c in xp.W0]
        R = xp.residual(W)
        S = loss.gradient(ctx, R)
        G = xp.XT(S)
        U = pre.grad(ctx, G)
        Lv, Kv = loss.total(ctx, R), pre.value(ctx, G)
        L0, K0 = Lv, Kv
        hist_L, hist_K, pairs = [Lv], [Kv], []
        rho = natural_norm(ctx, pre.natural_norm, G)
        stop = ctx.mpf(10) ** (-stop_ratio_digits) * L0
        for _ in range(max_steps):
            if Lv <= stop:
                break
            W = [[w - e * u for w, u in zip(wc, uc)] for wc, uc in zip(W, U)]
            R2 = xp.residual(W)
            S2 = loss.gradient(ctx, R2)
            G2 = xp.XT(S2)
            U2 = pre.grad(ctx, G2)
            L2, K2 = loss.total(ctx, R2), pre.value(ctx, G2)
            pairs.append((inner(ctx, G, U), fro_distance(ctx, S2, S) ** 2))
            hist_L.append(L2)
            hist_K.append(K2)
            rho = max(rho, natural_norm(ctx, pre.natural_norm, G2))
            R, S, G, U, Lv, Kv = R2, S2, G2, U2, L2, K2
        Lk = pre.smoothness(ctx, rho)
        s2 = xp.sigma_max**2
        c4 = e * (1 - e * beta * Lk * s2 / 2)
        c5 = 1 / (e * beta) - Lk * s2 / 2
        w4 = max((hist_L[t + 1] - hist_L[t] + c4 * gu) / L0 for t, (gu, _) in enumerate(pairs))
        w5 = max((hist_K[t + 1] - hist_K[t] + c5 * dd) / K0 for t, (_, dd) in enumerate(pairs))
        up_L = max(hist_L[t + 1] - hist_L[t] for t in range(len(pairs))) / L0
        up_K = max(hist_K[t + 1] - hist_K[t] for t in range(len(pairs))) / K0
        return {"steps": len(pairs), "slack_J4": float(w4), "slack_J5": float(w5),
                "max_increase_L": float(up_L), "max_increase_K": float(up_K),
                "step_condition": float(e * beta * Lk * s2 / 2), "tolerance": 10.0 ** (8 - dps)}


_CACHE: dict = {}
LOCAL_RESIDUAL = 0.5  # ||R_0|| of the instances for a K whose grad is only locally Lipschitz


def _locally_lipschitz(pre) -> bool:
    from numeric.precision import working_precision
    with working_precision(20) as ctx:
        return not ctx.isfinite(pre.L(ctx))


def _shrink(p):
    """Scale Y and W0 so that ||R_0|| = LOCAL_RESIDUAL (a locally Lipschitz K then has a moderate L on
    the visited ball; the theorem's hypotheses are checked on that ball by the verification core)."""
    from numeric.problem import Problem
    r0 = float(np.linalg.norm(p.X @ p.W0 - p.Y))
    f = min(1.0, LOCAL_RESIDUAL / r0) if r0 > 0 else 1.0
    f = 2.0 ** np.floor(np.log2(f))  # a power of two: the scaled data stay the exact same binary digits
    return Problem(p.X, p.Y * f, p.W0 * f, p.loss, seed=p.seed, source=p.source)


def convergence_runs(context, loss_name: str = "square", fracs=FRACS) -> list[dict]:
    """For each random problem and learning rate: the ``convergence`` verdict and the J4/J5 margins.

    Cached per context and loss (steps 2 and 3 share the runs).
    """
    from numeric.losses import make_loss
    from verify.check import check

    pre = context.preconditioner
    key = (id(pre), context.name, loss_name, context.examples, context.seed, context.dps, tuple(fracs))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is pre:
        return hit[1]
    loss = make_loss(loss_name)
    shape = fixed_shape(pre)
    probs = random_problems(context, max(1, context.examples), loss=loss, salt=11 if loss_name == "square" else 13,
                            shape=shape)
    if _locally_lipschitz(pre):
        probs = [_shrink(p) for p in probs]
    out = []
    for p in probs:
        res = check(p, pre, settings(context.dps, fracs))
        for conv in claims_of(res.record, "convergence"):
            eta = eta_of(conv["lr"])
            ok = conv["verdict"] == "verified"
            margins = descent_margins(p, pre, eta, dps=min(context.dps, MONOTONE_DPS)) if ok else None
            out.append({"problem": describe_problem(p), "lr": conv["lr"], "verdict": conv["verdict"],
                        "reason": conv["reason"], "certified": conv["evidence"].get("certified"),
                        "error_bound": conv["error_bound"], "iterations": conv["evidence"].get("iterations"),
                        "margins": margins})
    if len(_CACHE) > 8:
        _CACHE.clear()
    _CACHE[key] = (pre, out)
    return out


def convergence_evidence(rows: list[dict], need_certified: bool, what: str) -> Evidence:
    """``verified`` when every run's convergence claim is verified (with a certified tail if asked)."""
    if not rows:
        return Evidence("unknown", f"{what}: no run")
    for r in rows:
        if r["verdict"] == "refuted":
            return Evidence("failed", f"{what}: {r['reason']}", None, {**r["problem"], "lr": r["lr"]})
    bad = [r for r in rows if r["verdict"] != "verified" or (need_certified and not r["certified"])]
    if bad:
        r = bad[0]
        why = r["reason"] if r["verdict"] != "verified" else "tail not certified"
        return Evidence("unknown", f"{what}: {len(bad)} of {len(rows)} runs not verified ({why}; "
                        f"problem {r['problem']}, lr {r['lr']})")
    worst = max(float(r["error_bound"]) for r in rows)
    tail = "certified (docs/theory.md §3.1)" if need_certified else "estimated from the observed rate"
    iters = max(r["iterations"] for r in rows)
    return Evidence("verified", f"{what}: {len(rows)} runs ({len(rows) // max(1, len(FRACS))} problems x "
                    f"{len(FRACS)} learning rates) reached X W = Y, tail {tail}, rerun agrees; worst relative "
                    f"error bound {worst:.3e}, at most {iters} steps", f"{worst:.3e}")


def monotone_evidence(rows: list[dict], what: str) -> Evidence:
    runs = [r for r in rows if r["margins"] is not None]
    if not runs:
        return Evidence("unknown", f"{what}: no converged run to examine")
    worst_row = max(runs, key=lambda r: max(r["margins"]["slack_J4"], r["margins"]["slack_J5"]))
    m = worst_row["margins"]
    worst = max(m["slack_J4"], m["slack_J5"])
    tol = m["tolerance"]
    inc = max(max(r["margins"]["max_increase_L"], r["margins"]["max_increase_K"]) for r in runs)
    detail = (f"{what}: worst relative slack {worst:.3e} (J4 {m['slack_J4']:.3e}, J5 {m['slack_J5']:.3e}) over "
              f"{len(runs)} runs, {sum(r['margins']['steps'] for r in runs)} steps; largest increase of "
              f"L(W_t) or K(grad L(W_t)) {inc:.3e} (relative); tolerance {tol:.0e}")
    if worst > tol or inc > tol:
        return Evidence("failed", detail, f"{worst:.3e}", {**worst_row["problem"], "lr": worst_row["lr"], **m})
    return Evidence("verified", detail, f"{worst:.3e}")


def _convergence(context) -> Evidence:
    rows = convergence_runs(context, "square")
    return convergence_evidence(rows, True, f"convergence claim for {context.name}, square loss, "
                                f"eta = 0.5 and 0.9 x 2/(L sigma_max^2), {context.dps} digits")


def _monotone(context) -> Evidence:
    return monotone_evidence(convergence_runs(context, "square"), "J4 and J5 along the runs")


RESULT = Result(
    id="ThmA",
    title="Theorem A: DSPGD converges for the square loss",
    latex=r"0 < \eta < \frac{2}{L\sigma_{\max}^2}:\ L(W_{t+1}) \le L(W_t) - \eta\big(1 - \tfrac{\eta L\sigma_{\max}^2}{2}\big)"
          r"\langle G_t, \nabla K(G_t)\rangle,\ K(G_{t+1}) \le K(G_t) - \big(\tfrac1\eta - \tfrac{L\sigma_{\max}^2}{2}\big)"
          r"\|R_{t+1} - R_t\|^2,\ R_t \to 0,\ W_t \to W_\infty,\ XW_\infty = Y",
    text="K convex C^1, grad K(0) = 0, grad K L-Lipschitz, square loss, 0 < eta < 2/(L sigma_max^2): L(W_t) and "
         "K(grad L(W_t)) are nonincreasing (J4, J5), R_t -> 0, and with mu > 0 on the ball ||G|| <= sigma_max ||R_0|| "
         "W_t converges linearly to an interpolator",
    hypotheses=("K convex and C^1 with grad K(0) = 0", "grad K L-Lipschitz (on the visited region)",
                "square loss l(R) = ||R||^2/2", "0 < eta < 2/(L sigma_max^2)",
                "Hessian of K >= mu > 0 on the ball ||G|| <= sigma_max ||R_0|| (linear rate)"),
    steps=(Step("descent inequalities on the 1-D quadratic model (slacks are multiples of a - L <= 0)", "symbolic",
                _symbolic),
           Step("convergence claim verified with a certified tail on random problems, eta = 0.5 and 0.9 of the "
                "limit", "numeric", _convergence),
           Step("L(W_t) and K(grad L(W_t)) nonincreasing: J4 and J5 slacks <= 0 along every run", "numeric",
                _monotone)),
    per_preconditioner=True,
)
