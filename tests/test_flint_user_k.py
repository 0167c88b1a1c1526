"""A researcher's own K (``--K``, ``--update``) on the python-flint loop against the mpmath loop.

Issue 15: a user K compiles to the FLINT target of ``symbolic.compile`` (entrywise, isotropic,
spectral with the k x k eigenproblem in closed form for k <= 2, general entry by entry).  Same
problem, same eta, same precision: the same iteration count and stop reason, iterates that agree
to the working precision, and ``check`` gives the same verdicts and iteration counts with both
backends.  Skipped without python-flint.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp

flint = pytest.importorskip("flint")

from numeric.backends.flint_loop import flint_precision, run_dspgd_flint, supported  # noqa: E402
from numeric.backends.mpmath_loop import run_dspgd  # noqa: E402
from numeric.exact_problem import ExactProblem  # noqa: E402
from numeric.losses import make_loss  # noqa: E402
from numeric.matrices import fro_norm, sub  # noqa: E402
from numeric.precision import working_precision  # noqa: E402
from numeric.problem import random_problem  # noqa: E402
from symbolic.compile import FLINT, compile_expr  # noqa: E402
from verify.check import Settings, check  # noqa: E402
from verify.custom import build_custom  # noqa: E402
from verify.runs import LearningRate  # noqa: E402

DPS = 30
EPS = {"eps": Fraction(1, 10)}
GENERAL = "(G_1_1**2 + G_2_1**2 + G_3_1**2)/2 + 2*(G_1_2**2 + G_2_2**2 + G_3_2**2) + G_1_1*G_2_2/2"
# (K or update, structure, params, k); adam's, ngd's and muon's K written by hand among them
CASES = [
    ("K", "abs(g) - eps*log(1 + abs(g)/eps)", "entrywise", EPS, 2),
    ("K", "log(cosh(g))", "entrywise", {}, 2),
    ("K", "exp(g) - 1 - g", "entrywise", {}, 1),  # not even: f_neg is used for g < 0
    ("K", "Piecewise((g**2/2, abs(g) <= 1), (abs(g) - 1/2, True))", "entrywise", {}, 2),  # Huber: a Piecewise
    ("K", "r - eps*log(1 + r/eps)", "isotropic", EPS, 2),
    ("K", "sqrt(1 + r**2) - 1", "isotropic", {}, 1),
    ("K", "s - eps*log(1 + s/eps)", "spectral", EPS, 1),
    ("K", "s - eps*log(1 + s/eps)", "spectral", EPS, 2),
    ("K", "s - eps*log(1 + s/eps)", "spectral", EPS, 3),
    ("K", GENERAL, "general", {}, 2),
    ("update", "G + G**3", "entrywise", {}, 2),
    ("update", "[[G_1_1 + G_2_1, G_1_2], [G_1_1 + 2*G_2_1, G_2_2], [G_3_1, 3*G_3_2]]", "general", {}, 2),
]


def _build(kind, text, structure, params, shape):
    K, update = (text, None) if kind == "K" else (None, text)
    return build_custom(K, update, structure, params, shape).pre


def _problem(structure, k, seed=1, **kw):
    return random_problem(2, 3, k, seed=seed, **kw) if structure == "general" else random_problem(3, 8, k, seed=seed, **kw)


def _agree(ctx, a, b):
    scale = a.residual_floor / ctx.mpf(10) ** (6 - ctx.dps)
    tol = ctx.mpf(10) ** (5 - ctx.dps) * scale
    assert (a.iterations, a.stop_reason) == (b.iterations, b.stop_reason)
    assert fro_norm(ctx, sub(a.W, b.W)) <= tol
    assert fro_norm(ctx, sub(a.R, b.R)) <= tol
    assert len(a.step_history) == len(b.step_history)
    assert a.step_history[0] == pytest.approx(b.step_history[0], rel=1e-12)
    assert a.monotone_loss == b.monotone_loss
    for x, y in ((a.max_grad_natural, b.max_grad_natural), (a.max_grad_fro, b.max_grad_fro)):
        assert abs(x - y) <= ctx.mpf(10) ** (5 - ctx.dps) * (1 + abs(x))


@pytest.mark.parametrize("kind,text,structure,params,k", CASES)
def test_user_K_flint_loop_matches_mpmath_loop(kind, text, structure, params, k):
    problem = _problem(structure, k)
    pre = _build(kind, text, structure, params, (problem.d, problem.k))
    with working_precision(DPS) as ctx:
        xp = ExactProblem.build(ctx, problem)
        assert supported(xp, pre)
        eta = ctx.mpf(1) / 20
        a = run_dspgd(xp, pre, eta, max_iter=1200)
        b = run_dspgd_flint(xp, pre, eta, max_iter=1200)
        _agree(ctx, a, b)
        assert all(type(x) is ctx.mpf for c in b.W for x in c)
        a = run_dspgd(xp, pre, eta, iterations=30, track_path=False)  # the rerun's fixed-length mode
        b = run_dspgd_flint(xp, pre, eta, iterations=30, track_path=False)
        _agree(ctx, a, b)


@pytest.mark.parametrize("loss", ["logcosh", "huber"])
def test_user_K_other_losses(loss):
    problem = random_problem(3, 7, 2, seed=2, loss=make_loss(loss))
    pre = _build("K", "abs(g) - eps*log(1 + abs(g)/eps)", "entrywise", EPS, (7, 2))
    with working_precision(DPS) as ctx:
        xp = ExactProblem.build(ctx, problem)
        _agree(ctx, run_dspgd(xp, pre, ctx.mpf(1) / 20, max_iter=1500),
               run_dspgd_flint(xp, pre, ctx.mpf(1) / 20, max_iter=1500))


def test_dead_zone_stops_stationary_in_both_loops():
    """A K flat near 0 (``max(0, |g| - 1)^2 / 2``): once every entry of G is inside the dead zone
    the step is exactly zero above the floor; both loops stop there as ``stationary``.  (eta is
    large enough that G jumps into the dead zone: a geometric approach to its edge ends at the
    rounding level, where the stopping step depends on the last bits in either arithmetic.)"""
    problem = random_problem(3, 8, 1, seed=0)
    pre = _build("K", "Piecewise((0, abs(g) <= 1), ((abs(g) - 1)**2/2, True))", "entrywise", {}, (8, 1))
    with working_precision(DPS) as ctx:
        xp = ExactProblem.build(ctx, problem)
        a = run_dspgd(xp, pre, ctx.mpf(1) / 2, max_iter=3000)
        b = run_dspgd_flint(xp, pre, ctx.mpf(1) / 2, max_iter=3000)
        assert a.stop_reason == "stationary" and a.step_history[-2] > 1e-3
        _agree(ctx, a, b)


@pytest.mark.parametrize("kind,text,structure,params,k", [CASES[0], CASES[4], CASES[7], CASES[9], CASES[10]])
def test_check_gives_the_same_verdicts_and_iterations(kind, text, structure, params, k):
    problem = _problem(structure, k, seed=0)
    built = build_custom(*((text, None) if kind == "K" else (None, text)), structure, params, (problem.d, problem.k))
    from dataclasses import replace
    pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
    recs = {b: check(problem, pre, Settings(dps=DPS, backend=b)).record for b in ("mpmath", "flint")}
    assert recs["flint"]["settings"]["backend"] == "flint" and recs["mpmath"]["settings"]["backend"] == "mpmath"
    verdicts = {b: [(c["id"], c.get("lr"), c["verdict"]) for c in r["claims"]] for b, r in recs.items()}
    assert verdicts["flint"] == verdicts["mpmath"]
    its = {b: [c["evidence"].get("iterations") for c in r["claims"] if c["id"] == "convergence"] for b, r in recs.items()}
    assert its["flint"] == its["mpmath"] and all(i for i in its["flint"])


def test_locally_lipschitz_user_K_same_ball_and_iterations():
    """``r^2/2 + r^4/4`` has no global L: eta uses L on a ball, enlarged until the iterates stay in
    it; both backends pick the same ball and stop at the same iteration."""
    problem = random_problem(3, 8, 2, seed=0)
    built = build_custom("r**2/2 + r**4/4", None, "isotropic", {}, (8, 2))
    from dataclasses import replace
    pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
    lrs = (LearningRate("frac", Fraction(9, 10)),)
    recs = {b: check(problem, pre, Settings(dps=DPS, backend=b, lrs=lrs)).record for b in ("mpmath", "flint")}
    assert [c["verdict"] for c in recs["flint"]["claims"]] == [c["verdict"] for c in recs["mpmath"]["claims"]]
    conv = {b: [c for c in r["claims"] if c["id"] == "convergence"][0]["evidence"] for b, r in recs.items()}
    assert conv["flint"]["iterations"] == conv["mpmath"]["iterations"]
    assert recs["flint"]["settings"]["lrs"] == recs["mpmath"]["settings"]["lrs"]


def test_a_K_the_flint_target_cannot_compile_falls_back(monkeypatch):
    problem = random_problem(3, 6, 1, seed=0)
    pre = _build("K", "sqrt(1 + r**2) - 1", "isotropic", {}, (6, 1))
    from symbolic import compile as comp
    monkeypatch.setattr(comp.Compiled, "compiles_to", lambda self, ctx: ctx != FLINT)
    with working_precision(DPS) as ctx:
        xp = ExactProblem.build(ctx, problem)
        assert not supported(xp, pre)
        a = run_dspgd(xp, pre, ctx.mpf("0.05"), max_iter=50)
        b = run_dspgd_flint(xp, pre, ctx.mpf("0.05"), max_iter=50)
        assert [[x._mpf_ for x in c] for c in a.W] == [[x._mpf_ for x in c] for c in b.W]  # the same loop
    rec = check(problem, pre, Settings(dps=DPS, backend="flint", max_iter=20000)).record
    assert rec["settings"]["backend"] == "mpmath"  # the loop actually run


X = sp.Symbol("x")
EXPRS = [X / (X + sp.Rational(1, 10)), sp.log(sp.cosh(X)), sp.tanh(3 * X) * sp.sech(X), sp.atan(X) + sp.asinh(X),
         sp.Piecewise((X, X < 1), (1, True)), sp.Max(X, 2 * X - 1), sp.Min(X, sp.Rational(1, 3)),
         X ** sp.Rational(1, 3), sp.pi * X + sp.E, sp.sign(X) * sp.Abs(X) ** 2, 1 / sp.sqrt(1 + X ** 2),
         sp.Heaviside(X - 1) * X, sp.sin(X) * sp.cos(X) + sp.exp(-X), 3 / X ** 2, -X ** 3, sp.Float("0.25") * X]


@pytest.mark.parametrize("expr", EXPRS, ids=str)
@pytest.mark.parametrize("x", ["0.7", "1.3", "2"])
def test_flint_target_matches_mpmath_target(expr, x):
    c = compile_expr(expr, [X])
    mp = mpmath.MPContext()
    mp.dps = 40
    want = c.bind(mp)(mp.mpf(x))
    with flint_precision(mp.prec):
        got = c.bind(FLINT)(flint.arb(mp.mpf(x))).mid()
    assert abs(mp.mpf(got._mpf_) - want) <= mp.mpf(10) ** -37 * (1 + abs(want))


@pytest.mark.parametrize("kind,text,structure,params,k", [CASES[1], CASES[4], CASES[7], CASES[9]])
def test_flow_rhs_in_flint_matches_mpmath(kind, text, structure, params, k):
    """lr-study's flow right-hand side on the flint kernels equals the mpmath one to the working precision."""
    from numeric.gradient_flow import flow_rhs
    problem = _problem(structure, k, w0="random")
    pre = _build(kind, text, structure, params, (problem.d, problem.k))
    with working_precision(DPS) as ctx:
        xp = ExactProblem.build(ctx, problem)
        w = [v for c in xp.W0 for v in c]
        a, b = flow_rhs(xp, pre)(w), flow_rhs(xp, pre, "flint")(w)
        assert len(a) == len(b) and any(a)
        assert max(abs(x - y) for x, y in zip(a, b)) <= ctx.mpf(10) ** (4 - DPS) * (1 + max(abs(x) for x in a))


def test_flow_limit_in_flint_agrees_with_mpmath():
    from numeric.gradient_flow import gradient_flow_limit
    problem = random_problem(2, 4, 1, seed=3)
    pre = _build("K", "log(cosh(g))", "entrywise", {}, (4, 1))
    with working_precision(20) as ctx:
        xp = ExactProblem.build(ctx, problem)
        a = gradient_flow_limit(xp, pre)
        b = gradient_flow_limit(xp, pre, backend="flint")
        assert a.stop_reason == b.stop_reason == "floor"
        assert fro_norm(ctx, sub(a.W, b.W)) <= 10 * (a.error_estimate + b.error_estimate) + ctx.mpf(10) ** -15


def test_a_non_finite_ball_step_is_evaluated_by_mpmath(monkeypatch):
    """If flint's balls give a non-finite U at a finite G, that step is mpmath's (same numbers)."""
    problem = random_problem(3, 8, 2, seed=0)
    pre = _build("K", "log(cosh(g))", "entrywise", {}, (8, 2))
    from numeric.backends import flint_user
    real = flint_user._user_kernel

    def broken(xp, p):  # a kernel that returns an infinite entry every 3rd call
        f, needs = real(xp, p)
        calls = [0]

        def g(G, gf, nat):
            calls[0] += 1
            U, gn, un = f(G, gf, nat)
            if calls[0] % 3 == 0:
                e = list(U.entries())
                e[0] = flint.arb("inf")
                U = flint.arb_mat(U.nrows(), U.ncols(), e)
            return U, gn, un
        return g, needs
    monkeypatch.setattr(flint_user, "_user_kernel", broken)
    with working_precision(DPS) as ctx:
        xp = ExactProblem.build(ctx, problem)
        _agree(ctx, run_dspgd(xp, pre, ctx.mpf(1) / 20, max_iter=300), run_dspgd_flint(xp, pre, ctx.mpf(1) / 20, max_iter=300))
