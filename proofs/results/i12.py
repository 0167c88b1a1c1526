"""I12, the implicit bias of quadratic K (docs/theory.md §3.3, §4.2; docs/derivations.md §4.2).

    K(G) = vec(G)^T H vec(G) / 2,  H SPD  =>  unvec(H^{-1} vec(W_t - W_0)) has its columns in range(X^T)

for every t (``vec`` row-major: ``vec(G)[i*k + j] = G[i, j]``), for every loss.  Hence the limit
is the H^{-1}-weighted min-norm interpolator (KKT of docs/theory.md §3.3).

Proof: ``grad K(G) = unvec(H vec(G))``, so ``H^{-1} vec(W_{t+1} - W_t) = -eta vec(X^T grad l(R_t))``,
whose columns lie in range(X^T); sum over t.

Steps:

1. (symbolic) ``vec(W+ - W) = -eta H vec(X^T grad l(R))`` for a GENERIC symmetric H (4 x 4 symbols,
   d = k = 2, n = 1), a generic loss l and symbolic X, W, R (``Y = XW - R``); the gradient of
   ``vec(G)^T H vec(G)/2`` is computed by differentiation, so the row-major convention is checked;
2. (symbolic) with an explicit rational SPD H that is not of the left-invariant form
   ``I (x) M``: ``H^{-1} vec(W_2 - W_0) = -eta vec(X^T (grad l(R_0) + grad l(R_1)))`` over two
   steps (exact inverse), generic l;
3. (numeric) at 50 digits along DSPGD runs (square and log-cosh losses) of the context's K
   when it is quadratic, else of ``make_preconditioner("quadratic", {}, shape=(3, 2))``: the worst
   ``||P_perp unvec(H^{-1} vec(W_t - W_0))|| / ||H^{-1} vec(W_t - W_0)||`` over every t.
"""
from __future__ import annotations

import sympy as sp

from numeric.preconditioners.catalog import make_preconditioner
from numeric.matrices import fro_norm
from numeric.precision import working_precision
from symbolic.bregman import grad, undefined_K
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, Worst, from_fact
from .i10 import STEPS, TOL_DIGITS, run_instances
from .i6 import symbolic_problem

SHAPE = (1, 2, 2)  # n, d, k of the symbolic steps


def _vec(M: sp.Matrix) -> sp.Matrix:
    """Row-major vec: ``vec(M)[i*k + j] = M[i, j]`` (SymPy stores matrices row-major)."""
    return sp.Matrix(list(M))


def _quadratic(H: sp.Matrix):
    return lambda M: (_vec(M).T * H * _vec(M))[0, 0] / 2


def _symbolic_steps(H: sp.Matrix, steps: int, shape=SHAPE):
    """``(X, eta, W, S)``: ``steps`` DSPGD steps for ``K = vec(G)^T H vec(G)/2`` and a generic l."""
    n, d, k = shape
    X, W0, Y, eta = symbolic_problem(shape)
    l = undefined_K((n, k), "l")
    K = _quadratic(H)
    W, S = [W0], []
    for _ in range(steps):
        R = sp.expand(X * W[-1] - Y)
        S.append(grad(l, R))
        W.append(W[-1] - eta * grad(K, X.T * S[-1]))
    return X, eta, W, S


def _generic_H(context) -> Evidence:
    n, d, k = SHAPE
    m = d * k
    h = sp.symbols(f"h0:{m * (m + 1) // 2}", real=True)
    it = iter(h)
    H = sp.zeros(m, m)
    for i in range(m):
        for j in range(i, m):
            H[i, j] = H[j, i] = next(it)
    X, eta, W, S = _symbolic_steps(H, 1)
    fact = prove_identity("I12 one step", _vec(W[1] - W[0]), -eta * H * _vec(X.T * S[0]),
                          hypotheses="H symmetric, l differentiable",
                          statement="vec(W+ - W) = -eta H vec(X^T grad l(R)) (row-major vec)")
    return from_fact(fact, note=f"generic symmetric H ({m} x {m}), generic l, X 1 x 2 symbolic; "
                     "for invertible H: H^{-1} vec(W+ - W) = -eta vec(X^T grad l(R)), columns in range(X^T)")


def _explicit_H(context) -> Evidence:
    # SPD (leading minors 4, 11, 30, 36 > 0), not of the form I (x) M (off-diagonal blocks nonzero)
    H = sp.Matrix([[4, 1, 1, 0], [1, 3, 0, 1], [1, 0, 3, 1], [0, 1, 1, 2]])
    minors = [H[:i, :i].det() for i in range(1, 5)]
    if not all(v > 0 for v in minors):
        return Evidence("failed", f"the chosen H is not SPD (leading minors {minors})")
    X, eta, W, S = _symbolic_steps(H, 2)
    lhs = H.inv() * _vec(W[2] - W[0])
    rhs = -eta * _vec(X.T * (S[0] + S[1]))
    fact = prove_identity("I12 two steps", lhs, rhs, hypotheses="H SPD, l differentiable",
                          statement="H^{-1} vec(W_2 - W_0) = -eta vec(X^T (grad l(R_0) + grad l(R_1)))")
    return from_fact(fact, note=f"explicit SPD H (leading minors {minors}, not I (x) M), "
                     "two steps, generic l, X 1 x 2 symbolic")


def _quadratic_pre(context):
    pre = context.preconditioner
    if pre is not None and "H" in pre.extra:
        return pre
    return make_preconditioner("quadratic", {}, shape=(3, 2), seed=context.seed)


def _numeric(context) -> Evidence:
    pre = _quadratic_pre(context)
    H = pre.extra["H"]
    seen = Worst()
    for loss in ("square", "logcosh"):
        for run in run_instances(context, pre=pre, loss=loss, salt="I12"):
            ctx, xp = run.ctx, run.xp
            Hinv = ctx.inverse(ctx.matrix([[ctx.mpf(float(v)) for v in row] for row in H]))
            k, d = len(xp.W0), len(xp.W0[0])
            ratios = []
            for W in run.W[1:]:
                vec = [W[j][i] - xp.W0[j][i] for i in range(d) for j in range(k)]
                z = [ctx.fdot([Hinv[a, b] for b in range(d * k)], vec) for a in range(d * k)]
                Z = [[z[i * k + j] for i in range(d)] for j in range(k)]
                ratios.append(fro_norm(ctx, xp.project_null_space(Z)) / fro_norm(ctx, Z))
            seen.see(max(ratios), run.label)
    with working_precision(context.dps) as ctx:
        tol = ctx.mpf(10) ** (TOL_DIGITS - context.dps)
    if seen.value is None:
        return Evidence("unknown", "no instance evaluated")
    return seen.evidence(tol, f"||P_perp H^-1(W_t - W_0)|| / ||H^-1(W_t - W_0)|| along {STEPS}-step runs "
                         f"of quadratic K (H {H.shape[0]} x {H.shape[1]}; square, logcosh)")


RESULT = Result(
    id="I12",
    title="quadratic K: H^{-1}-weighted row-space bias",
    latex=(r"K(G) = \tfrac12 \mathrm{vec}(G)^\top H\,\mathrm{vec}(G) \;\Rightarrow\; "
           r"H^{-1}\mathrm{vec}(W_t - W_0) \in \mathrm{vec}\big(\mathrm{range}(X^\top)^k\big)\quad \forall t"),
    text="quadratic K = vec(G)^T H vec(G)/2 => H^{-1} vec(W_t - W_0) lies in range(X^T) column-wise for all t",
    hypotheses=("H symmetric positive definite ((dk) x (dk), row-major vec)", "l differentiable",
                "DSPGD iterates W_{t+1} = W_t - eta unvec(H vec(G_t))"),
    steps=(Step("one step with a generic symmetric H: vec(W+ - W) = -eta H vec(X^T grad l(R))", "symbolic", _generic_H),
           Step("two steps with an explicit SPD H: H^{-1} vec(W_2 - W_0) = -eta vec(X^T sum grad l(R_t))", "symbolic",
                _explicit_H),
           Step("50 digits along DSPGD runs of a quadratic K (the context's when quadratic)", "numeric", _numeric)),
    per_preconditioner=True,
)
