"""The float64 loop's numbers are the same numbers, bit for bit, as the plain per-step loop it
replaced (issue 15: the loop computes per step only what the next step needs and records the
rest per block of steps, and the rounding rerun records only ``W_T``).

The oracle is that plain loop, kept here: every record computed at every step with the
per-step kernels of :func:`numeric.backends.float64_loop._kernel`.  Every catalogue map, the
three losses, runs stopped by the floor, by the budget and at a fixed length, in float64 and
longdouble, must give identical ``W``, histories, drift checkpoints, largest gradients, path
length and monotone flag.  A saved reference (``tests/data/float64_loop_reference.json``,
6x24x2, adam, written by the pre-issue-15 loop) pins the numbers across versions where this
platform's numpy reproduces it.
"""
from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest

from numeric.backends import float64_loop as f64
from numeric.backends.mpmath_loop import StopRules
from numeric.exact_problem import ExactProblem
from numeric.losses import make_loss
from numeric.precision import working_precision
from numeric.preconditioners.catalog import make_preconditioner
from numeric.problem import random_problem
from verify.runs import LearningRate

NAMES = ["gd", "ngd", "clip", "adam", "sign", "clipv", "muon", "quadratic"]
REFERENCE = os.path.join(os.path.dirname(__file__), "data", "float64_loop_reference.json")


def plain_loop(xp, pre, eta, max_iter=200_000, iterations=None, track_path=True, dtype=np.float64):
    """The pre-issue-15 loop: ``W - eta grad K(G)`` with every record taken at every step."""
    p = xp.problem
    f = np.dtype(dtype).type
    eta_f = f(float(f64.float64_eta(eta)))
    X = p.X.astype(dtype)
    XT = np.ascontiguousarray(X.T)
    Y, W0 = p.Y.astype(dtype), p.W0.astype(dtype)
    Ginv = np.array([[f64._from_mpf(v, dtype) for v in row] for row in xp.gram_inv], dtype=dtype)
    kernel = f64._kernel(f64._kernel_name(pre), pre, dtype, p.d, p.k)
    grad_loss, total_loss = f64._loss(xp, dtype)
    fnorm = f64._fnorm

    def drift_now(W):
        B = W - W0
        return float(fnorm(B - XT @ (Ginv @ (X @ B))))
    W = W0.copy()
    R = X @ W - Y
    r0 = fnorm(R)
    scale = max(f(1), r0, fnorm(Y))
    floor = f(f64.FLOOR_RELATIVE) * scale
    slack = 1 + f(f64.FLOOR_RELATIVE)
    fixed = iterations is not None
    rules = StopRules(scale * f(f64.BLOWUP), r0, fixed, None, 0.0)
    res, steps, drift, nxt = [float(r0)], [], [(0, 0.0)], 1
    max_nat = max_fro = path = f(0)
    monotone, prev, reason, t, rnorm = True, total_loss(R), "max_iter", 0, r0
    budget = iterations if fixed else max_iter
    with np.errstate(over="ignore", invalid="ignore"):
        while t < budget:
            if not fixed and rnorm <= floor:
                reason = "floor"
                break
            G = XT @ grad_loss(R)
            U, gn = kernel(G)
            W_new = W - eta_f * U
            step_norm = eta_f * fnorm(U)
            R_new = X @ W_new - Y
            t += 1
            if track_path:
                gf = gn if pre.natural_norm == "fro" else fnorm(G)
                max_fro = gf if gf > max_fro else max_fro
                max_nat = gn if gn > max_nat else max_nat
                dR = R_new - R
                path += np.sqrt(max(f(0), (dR * (Ginv @ dR)).sum()))
            W, R = W_new, R_new
            rnorm = fnorm(R)
            steps.append(float(step_norm))
            res.append(float(rnorm))
            cur = (R * R).sum() / 2 if p.loss.name == "square" else total_loss(R)
            if cur > prev * slack + floor * floor:
                monotone = False
            prev = cur
            if t == nxt:
                drift.append((t, drift_now(W)))
                nxt *= 2
            stop = rules.after_step(t, rnorm, bool(np.isfinite(rnorm)))
            if stop is not None:
                reason = stop
                break
        else:
            if fixed:
                reason = "fixed"
    if drift[-1][0] != t:
        drift.append((t, drift_now(W)))
    return dict(W=W, t=t, reason=reason, res=res, steps=steps, drift=drift, max_nat=max_nat, max_fro=max_fro,
                path=path, monotone=monotone)


def _exact_W(ctx, W):
    """``W`` as the loop returns it: exact mpf (repr, so that a diverged NaN compares equal)."""
    if not np.all(np.isfinite(W)):
        return [[repr(ctx.nan)] * W.shape[0] for _ in range(W.shape[1])]
    return [[repr(f64._to_mpf(ctx, v)) for v in col] for col in W.T]


def _reprs(W):
    return [[repr(v) for v in col] for col in W]


def _same(ctx, oracle, tr, track_path=True):
    assert tr.iterations == oracle["t"] and tr.stop_reason == oracle["reason"]
    assert _reprs(tr.W) == _exact_W(ctx, oracle["W"])
    assert tr.residual_history == oracle["res"] and tr.step_history == oracle["steps"]
    assert tr.drift_checkpoints == oracle["drift"] and tr.monotone_loss == oracle["monotone"]
    if track_path:
        assert tr.max_grad_natural == f64._to_mpf(ctx, oracle["max_nat"])
        assert tr.max_grad_fro == f64._to_mpf(ctx, oracle["max_fro"])
        assert tr.path_length_row == f64._to_mpf(ctx, oracle["path"])


@pytest.mark.parametrize("shape,loss", [((3, 8, 2), "square"), ((5, 12, 3), "square"), ((3, 8, 2), "logcosh"),
                                        ((4, 9, 1), "huber")])
def test_float64_loop_is_the_plain_loop_bit_for_bit(shape, loss):
    n, d, k = shape
    problem = random_problem(n, d, k, seed=4, loss=make_loss(loss))
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, problem)
        for name in NAMES:
            pre = make_preconditioner(name, {}, shape=(d, k), seed=2)
            if not f64.supported(xp, pre):
                continue
            for frac in (Fraction(9, 10), Fraction(19, 10)):
                eta = f64.float64_eta(LearningRate("frac", frac).resolve(xp, pre)[0])
                # stopped by the floor or the budget (300 < BLOCK, 700 spans blocks), and a fixed length
                for kw in ({"max_iter": 300}, {"max_iter": 700}, {"iterations": 29}):
                    _same(ctx, plain_loop(xp, pre, eta, **kw), f64.run_dspgd_float64(xp, pre, eta, **kw))
                ld = f64.run_dspgd_float64(xp, pre, eta, max_iter=600, dtype=np.longdouble)
                _same(ctx, plain_loop(xp, pre, eta, max_iter=600, dtype=np.longdouble), ld)
                # the rounding rerun: the same W_T, length and stop reason as the plain longdouble loop
                T = f64.run_dspgd_float64(xp, pre, eta, max_iter=700).iterations
                r = f64.run_reference(xp, pre, eta, T)
                o = plain_loop(xp, pre, eta, iterations=T, track_path=False, dtype=np.longdouble)
                assert (r.iterations, r.stop_reason, _reprs(r.W)) == (o["t"], o["reason"], _exact_W(ctx, o["W"]))
                assert r.residual_history == o["res"]


def test_rerun_stops_at_the_first_diverged_step_like_the_plain_loop():
    problem = random_problem(4, 10, 2, seed=1)
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, problem)
        pre = make_preconditioner("gd", {}, shape=(10, 2))
        eta = f64.float64_eta(LearningRate("frac", Fraction(30)).resolve(xp, pre)[0])  # 15 x the stable step
        o = plain_loop(xp, pre, eta, iterations=2000, track_path=False, dtype=np.longdouble)
        r = f64.run_reference(xp, pre, eta, 2000)
        assert o["reason"] == "diverged" and 0 < o["t"] < 2000
        assert (r.iterations, r.stop_reason, r.residual_history) == (o["t"], o["reason"], o["res"])


def _hexes(xs):
    return [float(x).hex() for x in xs]


def reference_numbers() -> dict:
    """The float64 run of the saved reference: 6x24x2, seed 0, adam, eta = 0.9 * 2/(beta L sigma_max^2)."""
    problem = random_problem(6, 24, 2, seed=0)
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, problem)
        pre = make_preconditioner("adam", {}, shape=(24, 2))
        eta = f64.float64_eta(LearningRate("frac", Fraction(9, 10)).resolve(xp, pre)[0])
        tr = f64.run_dspgd_float64(xp, pre, eta)
        oracle = plain_loop(xp, pre, eta)
        got = {"iterations": tr.iterations, "stop_reason": tr.stop_reason,
               "W": _hexes(float(v) for col in tr.W for v in col), "residual_history": _hexes(tr.residual_history),
               "step_history": _hexes(tr.step_history), "drift": [[t, v.hex()] for t, v in tr.drift_checkpoints],
               "max_grad_natural": float(tr.max_grad_natural).hex(), "max_grad_fro": float(tr.max_grad_fro).hex(),
               "path_length_row": float(tr.path_length_row).hex(), "monotone_loss": tr.monotone_loss}
        plain = {"iterations": oracle["t"], "W": _hexes(oracle["W"].T.ravel()),
                 "residual_history": _hexes(oracle["res"])}
        return got, plain


def test_float64_loop_matches_the_saved_reference():
    with open(REFERENCE) as fh:
        saved = json.load(fh)
    got, plain = reference_numbers()
    if any(plain[key] != saved[key] for key in plain):
        pytest.skip("this platform's numpy/BLAS rounds the plain loop differently from the saved reference")
    assert got == saved


if __name__ == "__main__":  # regenerate the reference (with the plain loop's numbers checked above)
    numbers, _ = reference_numbers()
    with open(REFERENCE, "w") as fh:
        json.dump(numbers, fh, indent=0)
