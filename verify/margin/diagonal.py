"""The diagonal network's global max-margin problem as a convex one in predictor space
(docs/theory.md §6).

For ``F_c(x) = <U_c*U_c - V_c*V_c, x>`` (degree ``L = 2``) the margins depend on ``theta =
(U, V)`` only through the predictor ``B = U*U - V*V``, and for each ``B``

    min { ||U||_2^2 + ||V||_2^2 : U*U - V*V = B } = ||B||_1      (U = sqrt(B+), V = sqrt(B-)),
    min { max(|U|, |V|)^2      : U*U - V*V = B } = ||B||_inf.

So ``gamma*_l2(theta) = max min_j q_j / N(theta)^2`` equals the linear max-margin value of the
predictor in ``l1``, and ``gamma*_linf`` the one in ``linf``: certified by the linear
weak-duality bracket (:mod:`verify.margin.reference`).  Paper 2 promises KKT points, not global
optima: a run may converge to a KKT direction whose margin is below this ``gamma*``.
"""
from __future__ import annotations

import numpy as np

from numeric.margin.data import MarginProblem, binary_problem, multiclass_problem
from numeric.margin.norms import MarginNorm

PREDICTOR_NORM = {"l2": "l1", "linf": "linf"}


def predictor_problem(prob) -> MarginProblem:
    """The linear margin problem of the predictor ``B`` (the same data)."""
    if prob.classes <= 1:
        return binary_problem(prob.X, prob.y, prob.seed, "diagonal predictor")
    return multiclass_problem(prob.X, prob.y, prob.k, prob.seed, "diagonal predictor")


def predictor_norm(N: MarginNorm) -> MarginNorm:
    return MarginNorm(PREDICTOR_NORM[N.name])


def lift(prob, B: np.ndarray) -> np.ndarray:
    """``theta = (sqrt(B+), sqrt(B-))``: a parameter with predictor ``B`` attaining both minima."""
    B = np.asarray(B, dtype=np.float64)
    return np.concatenate([np.sqrt(np.maximum(B, 0)), np.sqrt(np.maximum(-B, 0))])
