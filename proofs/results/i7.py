"""I7, the residual recursion of DSPGD (docs/theory.md §1, §4.2; docs/derivations.md §2.1).

    R_{t+1} = R_t - eta X grad K(X^T grad l(R_t))  ( = R_t - eta grad Phi(grad l(R_t)),  Phi = K o X^T ),

for ``R = XW - Y``, ``L(W) = l(XW - Y)`` and ``W_{t+1} = W_t - eta grad K(grad L(W_t))``, for
every differentiable K and l.

Proof: ``grad L(W) = X^T grad l(XW - Y)`` (chain rule) and ``R+ - R = X (W+ - W)``.  Checked
symbolically with K an undefined function of the entries of 3 x 2 matrices, l an undefined
function of the entries of the 2 x 2 residual, and X (2 x 3), W (3 x 2), Y (2 x 2) matrices of
independent real symbols:

1. the weight-space step uses ``grad L(W)`` obtained by differentiating ``W -> l(XW - Y)``
   entry by entry (so the chain rule is part of the check, not an input), and
   ``X W+ - Y`` is compared with ``R - eta X grad K(X^T grad l(R))``;
2. the residual-space form: ``grad Phi`` obtained by differentiating ``A -> K(X^T A)`` and
   evaluated at ``A = grad l(R)`` equals ``X grad K(X^T grad l(R))`` (I8 along the run), so
   ``R+ = R - eta grad Phi(grad l(R))``.
"""
from __future__ import annotations

import sympy as sp

from symbolic.bregman import composite, grad, symbol_matrix, undefined_K
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact

SHAPE = (2, 3, 2)  # n, d, k


def _setting(shape=SHAPE):
    n, d, k = shape
    X = symbol_matrix("x", (n, d))
    W = symbol_matrix("w", (d, k))
    Y = symbol_matrix("y", (n, k))
    eta = sp.Symbol("eta", positive=True)
    K = undefined_K((d, k), "K")
    l = undefined_K((n, k), "l")
    return X, W, Y, eta, K, l


def recursion_sides(shape=SHAPE):
    """``(X W+ - Y, R - eta X grad K(X^T grad l(R)))`` with ``W+ = W - eta grad K(grad L(W))``."""
    X, W, Y, eta, K, l = _setting(shape)
    grad_L = grad(lambda M: l(X * M - Y), W)  # differentiate W -> l(XW - Y) directly
    W_next = W - eta * grad(K, grad_L)
    R = X * W - Y
    return X * W_next - Y, R - eta * X * grad(K, X.T * grad(l, R))


def _weight_space(context) -> Evidence:
    lhs, rhs = recursion_sides()
    fact = prove_identity("I7", lhs, rhs, hypotheses="K, l differentiable",
                          statement="X W+ - Y = R - eta X grad K(X^T grad l(R))")
    n, d, k = SHAPE
    return from_fact(fact, note=f"grad L(W) by differentiating l(XW - Y); generic K on {d} x {k}, "
                     f"generic l on {n} x {k}, X ({n} x {d}), W, Y symbolic")


def _residual_space(context) -> Evidence:
    X, W, Y, eta, K, l = _setting()
    R = X * W - Y
    A = grad(l, R)
    lhs = R - eta * grad(composite(K, X), A)  # grad Phi by differentiating A -> K(X^T A)
    rhs = R - eta * X * grad(K, X.T * A)
    fact = prove_identity("I7 (residual space)", lhs, rhs, hypotheses="K, l differentiable",
                          statement="R - eta grad(K o X^T)(grad l(R)) = R - eta X grad K(X^T grad l(R))")
    return from_fact(fact, note="grad Phi by differentiating A -> K(X^T A) at A = grad l(R) "
                     "(generic K and l, X 2 x 3 symbolic)")


RESULT = Result(
    id="I7",
    title="residual recursion",
    latex=r"R_{t+1} = R_t - \eta\, X \nabla K\!\left(X^\top \nabla\ell(R_t)\right)",
    text="R_{t+1} = R_t - eta X grad K(X^T grad l(R_t))",
    hypotheses=("K differentiable", "l differentiable", "R = XW - Y, W_{t+1} = W_t - eta grad K(grad L(W_t))"),
    steps=(Step("X W+ - Y = R - eta X grad K(X^T grad l(R)), grad L by the chain rule (generic K, l; X 2 x 3)",
                "symbolic", _weight_space),
           Step("residual-space form R+ = R - eta grad(K o X^T)(grad l(R))", "symbolic", _residual_space)),
)
