"""Does the starting point already interpolate?  ``Y = X W0``, decided exactly.

The data are float64 arrays, so every entry is a dyadic rational and ``X W0 - Y`` is computed
exactly in :class:`fractions.Fraction` (no rounding can turn a tiny residual into 0).  Then
``W_GD = W0 + X^+ (Y - X W0) = W0`` and, since every loss of :mod:`numeric.losses` has zero
gradient at zero residual, ``G_0 = X^T grad loss(0) = 0``: DSPGD never moves and its limit is
``W0`` at ``t = 0`` for every learning rate and every K with ``grad K(0) = 0``.
"""
from __future__ import annotations

from fractions import Fraction

from .problem import Problem


def w0_interpolates(problem: Problem) -> bool:
    """``X W0 = Y`` exactly."""
    X, Y, W0 = problem.X, problem.Y, problem.W0
    n, d = X.shape
    k = Y.shape[1]
    for i in range(n):
        row = [Fraction(float(v)) for v in X[i]]
        for j in range(k):
            if sum(row[a] * Fraction(float(W0[a, j])) for a in range(d) if row[a]) != Fraction(float(Y[i, j])):
                return False
    return True
