"""I8, the residual-space reduction Phi = K o X^T (docs/theory.md §1 and §4.2).

    grad (K o X^T)(A) = X grad K(X^T A),      D_{K o X^T}(A, B) = D_K(X^T A, X^T B)

for every differentiable K on R^{d x k} and X in R^{n x d} (A, B in R^{n x k}).  Proof: the
chain rule, d/da_ij K(X^T A) = sum_l x_il (dK/dg_lj)(X^T A), gives the first; substituting it
into the definition of D_{K o X^T} gives the second, since <X V, A - B> = <V, X^T A - X^T B>.

Checked symbolically (``DEFAULT_REGISTRY`` identities "I8" and "I8b") with K an undefined
function of the entries of a 3 x 2 matrix, A and B real 2 x 2 symbol matrices, and the
explicit 2 x 3 matrix ``X = [[1, 2, -1], [0, 3, 1/2]]``.
"""
from __future__ import annotations

import sympy as sp

from ..core import Evidence, Result, Step
from .i4 import check_registered

X = sp.Matrix([[1, 2, -1], [0, 3, sp.Rational(1, 2)]])
K_COLS = 2


def _gradient(context) -> Evidence:
    return check_registered("I8", X=X, k=K_COLS)


def _divergence(context) -> Evidence:
    return check_registered("I8b", X=X, k=K_COLS)


RESULT = Result(
    id="I8",
    title="residual-space reduction through K o X^T",
    latex=r"\nabla (K \circ X^\top)(A) = X \nabla K(X^\top A),\qquad D_{K \circ X^\top}(A,B) = D_K(X^\top A, X^\top B)",
    text="grad (K o X^T)(A) = X grad K(X^T A); D_{K o X^T}(A, B) = D_K(X^T A, X^T B)",
    hypotheses=("K differentiable on R^{d x k}", "X in R^{n x d} (here n = 2, d = 3, k = 2, X explicit)"),
    steps=(Step("chain rule: grad (K o X^T)(A) = X grad K(X^T A), generic K, explicit 2 x 3 X", "symbolic",
                _gradient),
           Step("D_{K o X^T}(A, B) = D_K(X^T A, X^T B), generic K, explicit 2 x 3 X", "symbolic", _divergence)),
)
