"""A :class:`~numeric.problem.Problem` converted to a working precision, with the
linear algebra every later step needs (computed once per precision).

* ``X`` by rows and ``X^T`` by rows (so ``X^T A`` and ``X B`` are dot products);
* the Gram matrix ``X X^T`` (n x n, SPD since rank X = n) and solves with it;
* ``sigma_min(X)``, ``sigma_max(X)`` from the eigenvalues of ``X X^T``;
* the GD limit ``W_GD = W0 + X^+ (Y - X W0)``, ``X^+ = X^T (X X^T)^{-1}``;
* the row-space projector ``P = X^+ X`` applied column-wise, and ``P_perp = I - P``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .matrices import Cols, apply_rows, from_numpy, rows_of, solve_spd, sub
from .problem import Problem


@dataclass
class ExactProblem:
    """``Problem`` data as mpf at the precision of ``ctx``."""

    ctx: object
    problem: Problem
    X_rows: list
    XT_rows: list
    Y: Cols
    W0: Cols
    gram: list
    gram_inv: list
    sigma_min: object
    sigma_max: object

    @classmethod
    def build(cls, ctx, problem: Problem) -> "ExactProblem":
        X_cols = from_numpy(ctx, problem.X)  # d columns of length n
        X_rows = rows_of(X_cols)  # n rows of length d
        XT_rows = X_cols  # rows of X^T are the columns of X
        gram = [[ctx.fdot(a, b) for b in X_rows] for a in X_rows]
        lam = ctx.eigsy(ctx.matrix(gram), eigvals_only=True)
        lam = [lam[i] for i in range(problem.n)]
        inv = ctx.inverse(ctx.matrix(gram))
        gram_inv = [[inv[i, j] for j in range(problem.n)] for i in range(problem.n)]
        return cls(ctx, problem, X_rows, XT_rows, from_numpy(ctx, problem.Y),
                   from_numpy(ctx, problem.W0), gram, gram_inv,
                   ctx.sqrt(min(lam)), ctx.sqrt(max(lam)))

    def residual(self, W: Cols) -> Cols:
        """``R = X W - Y``, each entry one correctly rounded dot product."""
        fdot = self.ctx.fdot
        return [[fdot(row + [-1], w + [y]) for row, y in zip(self.X_rows, ycol)]
                for w, ycol in zip(W, self.Y)]

    def XT(self, A: Cols) -> Cols:
        """``X^T A`` (d x k) for ``A`` n x k."""
        return apply_rows(self.ctx, self.XT_rows, A)

    def X(self, B: Cols) -> Cols:
        """``X B`` (n x k) for ``B`` d x k."""
        return apply_rows(self.ctx, self.X_rows, B)

    def gram_inv_norm(self, A: Cols):
        """``||X^+ A||_F = sqrt(<A, (X X^T)^{-1} A>)``."""
        fdot = self.ctx.fdot
        z = [[fdot(row, c) for row in self.gram_inv] for c in A]
        return self.ctx.sqrt(max(self.ctx.zero, self.ctx.fsum(fdot(a, b) for a, b in zip(z, A))))

    def pinv(self, A: Cols) -> Cols:
        """``X^+ A = X^T (X X^T)^{-1} A``."""
        return self.XT(solve_spd(self.ctx, self.gram, A))

    def project_row_space(self, B: Cols) -> Cols:
        """``P B = X^+ X B`` (column-wise projection onto range(X^T))."""
        return self.pinv(self.X(B))

    def project_null_space(self, B: Cols) -> Cols:
        """``P_perp B = B - X^+ X B``."""
        return sub(B, self.project_row_space(B))

    def w_gd(self) -> Cols:
        """``W_GD = W0 + X^+ (Y - X W0)``: the min-Frobenius-distance interpolator (docs/theory.md §3.2)."""
        R0 = self.residual(self.W0)
        step = self.pinv(R0)
        return [[w - s for w, s in zip(wc, sc)] for wc, sc in zip(self.W0, step)]
