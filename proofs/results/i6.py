"""I6, the gradient-space (dual) descent identity of DSPGD (docs/theory.md §4.2, docs/derivations.md §4.2).

    K(G_{t+1}) = K(G_t) - (1/eta) <R_{t+1} - R_t, grad l(R_{t+1}) - grad l(R_t)> + D_K(G_{t+1}, G_t),

with ``G = X^T grad l(R)``, ``U = grad K(G)``, ``W+ = W - eta U``, ``R = XW - Y``, for every
differentiable K and l.

Proof: by definition ``K(G+) - K(G) = <U, G+ - G> + D_K(G+, G)``, and
``<U, X^T (grad l(R+) - grad l(R))> = <XU, grad l(R+) - grad l(R)>`` with ``XU = -(R+ - R)/eta``.
Checked symbolically with K an undefined function of the entries of d x k matrices, l an
undefined function of the n x k residual entries, X and W matrices of real symbols, on
(n, d, k) = (1, 2, 2) and (2, 3, 1).

Parametrization: the labels are ``Y = X W_0 - R_0`` with ``W_0`` and ``R_0`` matrices of free
real symbols.  This is a change of variables (``(W_0, Y) <-> (W_0, R_0)`` is a bijection), so the
proof covers every ``W_0, Y``; it keeps the residuals ``R_t = X W_t - Y`` (expanded) free of
``W_0`` and the expressions small.

This module also holds the symbolic DSPGD recorder :func:`symbolic_run` (generic K and l) that
I5 and I10 reuse, and :func:`prove_dual_descent` (optionally without ``D_K(G+, G)``, a false
identity that the prover refutes with concrete K and l) for the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbolic.bregman import bregman, grad, inner, symbol_matrix, undefined_K
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact

SHAPES = ((1, 2, 2), (2, 3, 1))  # (n, d, k)


@dataclass
class SymbolicRun:
    """``steps`` DSPGD steps with generic K (on d x k) and l (on n x k), all as SymPy objects."""

    X: sp.Matrix
    Y: sp.Matrix
    eta: sp.Symbol
    K: object  # UndefinedK on (d, k)
    l: object  # UndefinedK on (n, k)
    W: list  # W_0 .. W_T
    R: list  # R_t = X W_t - Y (expanded)
    S: list  # grad l(R_t)
    G: list  # X^T grad l(R_t)
    U: list  # grad K(G_t), t < T

    def concrete(self) -> dict:
        """Concrete convex K and l for the prover's numeric refutation stage (never for proofs)."""
        out = dict(self.K.concrete(lambda M: sum(m**2 / 2 + m**4 / 4 for m in M)))
        out.update(self.l.concrete(lambda M: sum(m**2 / 2 + m**4 / 12 for m in M)))
        return out


def symbolic_problem(shape=(1, 2, 2)):
    """``(X, W0, Y, eta)``: symbol matrices ``X`` (n x d), ``W_0`` (d x k), ``Y = X W_0 - R_0`` with
    ``R_0`` (n x k) the symbol matrix ``r`` (so the first residual is ``R_0`` itself), ``eta > 0``."""
    n, d, k = shape
    X = symbol_matrix("x", (n, d))
    W0 = symbol_matrix("w", (d, k))
    R0 = symbol_matrix("r", (n, k))
    return X, W0, X * W0 - R0, sp.Symbol("eta", positive=True)


def symbolic_run(shape=(1, 2, 2), steps: int = 1) -> SymbolicRun:
    """Record ``steps`` symbolic DSPGD steps from ``W_0`` with ``Y = X W_0 - R_0`` (module docstring)."""
    n, d, k = shape
    X, W0, Y, eta = symbolic_problem(shape)
    K = undefined_K((d, k), "K")
    l = undefined_K((n, k), "l")
    W, R = [W0], [sp.expand(X * W0 - Y)]
    S = [grad(l, R[0])]
    G = [X.T * S[0]]
    U = []
    for _ in range(steps):
        U.append(grad(K, G[-1]))
        W.append(W[-1] - eta * U[-1])
        R.append(sp.expand(X * W[-1] - Y))
        S.append(grad(l, R[-1]))
        G.append(X.T * S[-1])
    return SymbolicRun(X, Y, eta, K, l, W, R, S, G, U)


def dual_descent_sides(shape=(1, 2, 2), drop_bregman: bool = False):
    """``(lhs, rhs, concrete)`` of I6 for one DSPGD step with generic K and l."""
    run = symbolic_run(shape, 1)
    K, eta, R, S, G = run.K, run.eta, run.R, run.S, run.G
    lhs = K(G[1])
    rhs = K(G[0]) - inner(R[1] - R[0], S[1] - S[0]) / eta
    if not drop_bregman:
        rhs = rhs + bregman(K, G[1], G[0])
    return lhs, rhs, run.concrete()


def prove_dual_descent(shape=(1, 2, 2), drop_bregman: bool = False, refute: bool = False):
    """The identity prover on :func:`dual_descent_sides` (a :class:`symbolic.facts.Fact`).

    ``refute=True`` hands the prover concrete K and l for its numeric stage (slower: the
    nested derivatives are evaluated), so a false variant is refuted at a point.
    """
    lhs, rhs, concrete = dual_descent_sides(shape, drop_bregman)
    return prove_identity("I6" + (" (without D_K)" if drop_bregman else ""), lhs, rhs,
                          concrete=concrete if refute else None, hypotheses="K, l differentiable",
                          statement="K(G+) = K(G) - <R+ - R, grad l(R+) - grad l(R)>/eta"
                          + ("" if drop_bregman else " + D_K(G+, G)"))


def _check(shape):
    def check(context) -> Evidence:
        fact = prove_dual_descent(shape)
        n, d, k = shape
        return from_fact(fact, note=f"generic K on {d} x {k}, generic l on {n} x {k}, "
                         f"X ({n} x {d}) and W symbolic, Y = X W - R with R symbolic")
    return check


RESULT = Result(
    id="I6",
    title="gradient-space descent identity",
    latex=(r"K(G_{t+1}) = K(G_t) - \tfrac{1}{\eta}\langle R_{t+1} - R_t, \nabla\ell(R_{t+1}) - \nabla\ell(R_t)\rangle"
           r" + D_K(G_{t+1}, G_t)"),
    text="K(G_{t+1}) = K(G_t) - (1/eta) <R_{t+1} - R_t, grad l(R_{t+1}) - grad l(R_t)> + D_K(G_{t+1}, G_t)",
    hypotheses=("K differentiable", "l differentiable", "W_{t+1} = W_t - eta grad K(G_t), G_t = X^T grad l(R_t)"),
    steps=tuple(Step(f"expand D_K(G+, G) and use X U = -(R+ - R)/eta; generic K and l, (n, d, k) = {s}",
                     "symbolic", _check(s)) for s in SHAPES),
)
