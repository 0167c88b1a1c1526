"""The per-instance costs a float64 sweep pays around its loops (issue 15), cut without changing a
number: pooled mpmath contexts that still behave as fresh ones, exact float64 -> mpf conversion
by ``numpy.frexp``, ``||A - B||_F`` by the same roundings as ``fro_norm(sub(A, B))``, the exact
problem's mpf ``X`` and Gram matrices made only when read, and a sweep that keeps no plot data."""
from __future__ import annotations

import threading
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from mpmath.libmp import from_float, mpf_pos

from numeric import exact_problem as ep
from numeric.matrices import float64_cols, fro_distance, fro_norm, from_numpy, rounded_cols, sub
from numeric.precision import working_precision
from numeric.problem import random_problem
from verify.campaign.sweep import Instance, rows_from_record, run_instance
from verify.check import Settings, check_by_name
from verify.runs import LearningRate

EDGES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1.0, -1.0, 1 / 3]


# ----------------------------------------------------------------------------- pooled contexts
def test_a_pooled_context_comes_back_at_its_precision_with_nothing_left_changed():
    with working_precision(40) as ctx:
        ctx.dps = 200  # a block may change its own context ...
        ctx.pretty = True
        ctx.trap_complex = True
    with working_precision(40) as again:
        assert again is ctx  # ... the next block at 40 digits reuses it, reset
        assert (again.dps, again.pretty, again.trap_complex) == (40, False, False)
        fresh = mpmath.MPContext()
        fresh.dps = 40
        assert (again.mpf(1) / 3)._mpf_ == (fresh.mpf(1) / 3)._mpf_
        assert again.sqrt(2)._mpf_ == fresh.sqrt(2)._mpf_


def test_nested_blocks_never_share_a_context():
    with working_precision(30) as a, working_precision(30) as b:
        assert a is not b
        a.dps = 15
        assert b.dps == 30


def test_threads_never_share_a_context():
    with working_precision(30) as mine:
        pass  # back in this thread's pool
    seen = []

    def other():
        with working_precision(30) as ctx:
            seen.append(ctx)
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen and seen[0] is not mine


def test_a_block_that_raises_returns_its_context_reset():
    with pytest.raises(RuntimeError):
        with working_precision(33) as ctx:
            ctx.dps = 12
            raise RuntimeError("boom")
    with working_precision(33) as again:
        assert again.dps == 33


# ----------------------------------------------------------------------------- exact conversions
@pytest.mark.parametrize("dps", [10, 15, 16, 30, 70, 100])
def test_float64_cols_are_the_numbers_ctx_mpf_gives(dps):
    rng = np.random.default_rng(dps)
    a = rng.standard_normal((7, 5)) * 10.0 ** rng.integers(-300, 300, (7, 5))
    a.flat[:len(EDGES)] = EDGES
    with working_precision(dps) as ctx:
        fast = float64_cols(ctx, a)
        slow = [[ctx.mpf(float(a[i, j])) for i in range(a.shape[0])] for j in range(a.shape[1])]
        assert [[x._mpf_ for x in c] for c in fast] == [[x._mpf_ for x in c] for c in slow]
        prec, rnd = ctx._prec_rounding
        assert [x._mpf_ for x in fast[0]] == [mpf_pos(from_float(float(v)), prec, rnd) for v in a[:, 0]]
        assert all(type(x) is ctx.mpf for c in fast for x in c)
        assert from_numpy(ctx, a) == fast


def test_float64_cols_refuses_non_finite_and_from_numpy_still_takes_them():
    a = np.array([[1.0, np.nan], [np.inf, -2.0]])
    with working_precision(30) as ctx:
        with pytest.raises(ValueError):
            float64_cols(ctx, a)
        cols = from_numpy(ctx, a)
        assert ctx.isnan(cols[1][0]) and ctx.isinf(cols[0][1]) and cols[1][1] == -2


def test_fro_distance_is_fro_norm_of_sub_bit_for_bit():
    rng = np.random.default_rng(0)
    with working_precision(70) as ctx, working_precision(40) as low:
        for _ in range(200):
            A = [[ctx.mpf(rng.standard_normal()) / 3 for _ in range(6)] for _ in range(3)]
            B = [[x + ctx.mpf(rng.standard_normal()) * ctx.mpf(10) ** int(rng.integers(-70, 3)) for x in c]
                 for c in A]
            assert fro_distance(ctx, A, B)._mpf_ == fro_norm(ctx, sub(A, B))._mpf_
        assert fro_distance(ctx, A, A) == 0
        A_low = [[low.mpf(x) for x in c] for c in A]  # another context: the two-step path itself
        assert fro_distance(ctx, A_low, B) == fro_norm(ctx, sub(A_low, B))
        assert fro_distance(ctx, [], []) == fro_norm(ctx, sub([], []))


def test_rounded_cols_round_once_as_ctx_mpf_does():
    with working_precision(70) as hi, working_precision(20) as lo:
        cols = [[hi.mpf(1) / 3, -hi.mpf(2) / 7], [hi.mpf(5), hi.zero]]
        assert rounded_cols(lo, cols) == [[lo.mpf(x) for x in c] for c in cols]
        assert all(type(x) is lo.mpf for c in rounded_cols(lo, cols) for x in c)


# ----------------------------------------------------------------------------- the exact problem
@pytest.mark.parametrize("flint", [True, False])
def test_lazy_X_rows_and_gram_are_the_eager_numbers(monkeypatch, flint):
    if flint:
        pytest.importorskip("flint")
    else:
        monkeypatch.setattr(ep, "flint_available", lambda: False)
    p = random_problem(4, 11, 2, seed=3)
    with working_precision(50) as ctx, working_precision(70) as hctx:
        xp, xph = ep.ExactProblem.build_pair(ctx, hctx, p)
        for e, c in ((xph, hctx), (xp, ctx)):
            X_cols = from_numpy(hctx, p.X)  # exact at both precisions
            assert e.XT_rows == [[c.mpf(v) for v in col] for col in X_cols]
            assert e.X_rows == [list(r) for r in zip(*e.XT_rows)]
        assert xph.gram == [[hctx.fdot(a, b) for b in xph.X_rows] for a in xph.X_rows]
        inv = hctx.inverse(hctx.matrix(xph.gram))
        tol = hctx.mpf(2) ** (10 - hctx.prec) * max(abs(inv[i, j]) for i in range(4) for j in range(4))
        assert all(abs(xph.gram_inv[i][j] - inv[i, j]) <= tol for i in range(4) for j in range(4))
        assert xp.gram_inv == [[ctx.mpf(v) for v in row] for row in xph.gram_inv]


# ----------------------------------------------------------------------------- the sweep's check
def test_a_check_without_histories_has_the_same_record():
    p = random_problem(3, 9, 2, seed=5)
    st = Settings(dps=50, lrs=(LearningRate("frac", Fraction(9, 20)), LearningRate("frac", Fraction(9, 10))),
                  backend="float64")
    full = check_by_name(p, "adam", {}, st)
    lean = check_by_name(p, "adam", {}, st, histories=False)
    for r in (full.record, lean.record):
        r.pop("seconds")
    assert lean.record == full.record and [v.verdict for v in lean.verdicts] == [v.verdict for v in full.verdicts]
    assert lean.histories == {} and set(full.histories) >= {"_problem"}


def test_the_float64_rounding_rerun_keeps_no_residual_and_the_sweep_rows_do_not_need_it():
    from numeric.backends import float64_loop as f64
    from numeric.preconditioners.catalog import make_preconditioner
    p = random_problem(3, 8, 2, seed=1)
    with working_precision(50) as ctx, working_precision(70) as hctx:
        xp, xph = ep.ExactProblem.build_pair(ctx, hctx, p)
        pre = make_preconditioner("adam", {}, shape=(8, 2))
        eta = f64.float64_eta(LearningRate("frac", Fraction(9, 10)).resolve(xph, pre)[0])
        run = f64.run_dspgd_float64(xp, pre, eta)
        rerun = f64.run_reference(xph, pre, eta, run.iterations)
        assert run.R is not None and rerun.R is None and rerun.iterations == run.iterations
    st = Settings(dps=50, lrs=(LearningRate("frac", Fraction(9, 10)),), backend="float64")
    inst = Instance(3, 8, 2, 1)
    rows = run_instance(inst, ("adam",), st)  # the sweep's lean check
    full = rows_from_record(inst, "adam", check_by_name(p, "adam", {}, st).record, 0.0)
    drop = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert drop(rows) == drop(full) and {r["claim"] for r in rows} >= {"convergence", "general_bound"}
