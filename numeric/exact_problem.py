"""A :class:`~numeric.problem.Problem` converted to a working precision, with the
linear algebra every later step needs (computed once per precision).

* ``X`` by rows and ``X^T`` by rows (so ``X^T A`` and ``X B`` are dot products);
* the Gram matrix ``X X^T`` (n x n, SPD since rank X = n) and solves with it;
* ``sigma_min(X)``, ``sigma_max(X)`` from the eigenvalues of ``X X^T``;

With python-flint installed the Gram matrix and its inverse are computed with ``arb_mat`` at
``ctx.prec + 30`` bits, and ``sigma_min``, ``sigma_max`` are square roots of certified outer bounds
on the extreme eigenvalues (:func:`numeric.eigen.extreme_eigenvalues`) (balls: a result whose radius exceeds
``2^-(prec + 4)`` of its matrix's largest entry falls back to mpmath, so the midpoints are
correct to the working precision),
then rounded to ``ctx``; without it, mpmath's ``fdot``, ``inverse`` and ``eigsy`` (Jacobi).  The
two agree to the working precision; at n = 50, d = 400 flint takes a small fraction of the time.
* the GD limit ``W_GD = W0 + X^+ (Y - X W0)``, ``X^+ = X^T (X X^T)^{-1}``;
* the row-space projector ``P = X^+ X`` applied column-wise, and ``P_perp = I - P``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mpmath.libmp import mpf_pos

from .eigen import extreme_eigenvalues
from .flint_context import flint_available, flint_precision
from .matrices import Cols, apply_rows, dot, from_numpy, rounded_cols, rows_of, solve_spd, sub
from .problem import Problem


@dataclass
class ExactProblem:
    """``Problem`` data as mpf at the precision of ``ctx``."""

    ctx: object
    problem: Problem
    _X_cols: list | None  # X by columns (= X^T by rows); None until first read (:attr:`XT_rows`)
    _X_rows: list | None  # None until first read (:attr:`X_rows`)
    Y: Cols
    W0: Cols
    _gram: list | None  # None until first read (:attr:`gram`), for a :meth:`rounded_to` problem
    _gram_inv: list | None  # None until first read (:attr:`gram_inv`)
    sigma_min: object
    sigma_max: object
    flint: object = field(default=None, repr=False, compare=False)  # _FlintMats, when python-flint is installed
    _source: "ExactProblem | None" = field(default=None, repr=False, compare=False)  # see :meth:`rounded_to`
    _bounds: tuple | None = field(default=None, repr=False, compare=False)  # (lo, hi): sigma^2 bounded outward
    derived: dict = field(default_factory=dict, repr=False, compare=False)  # what later steps derive once per problem

    @property
    def XT_rows(self) -> list:
        """The rows of ``X^T`` (the columns of ``X``) as mpf of ``ctx``: :meth:`build` rounds the float64
        entries to ``ctx``, a :meth:`rounded_to` problem takes its source's exactly.  Computed on first
        read: with python-flint the products of :class:`ExactProblem` run on ``arb_mat`` and a
        float64 check never reads them."""
        if self._X_cols is None:
            src = self._source
            if src is not None:
                mk = self.ctx.make_mpf
                self._X_cols = [[mk(v._mpf_) for v in c] for c in src.XT_rows]
            else:
                self._X_cols = from_numpy(self.ctx, self.problem.X)
        return self._X_cols

    @property
    def X_rows(self) -> list:
        """The rows of ``X`` as mpf of ``ctx`` (see :attr:`XT_rows`)."""
        if self._X_rows is None:
            self._X_rows = rows_of(self.XT_rows)
        return self._X_rows

    @property
    def gram(self) -> list:
        """``X X^T`` at ``ctx``, each entry one correctly rounded dot product (with python-flint:
        see :func:`_flint_gram`)."""
        if self._gram is None:
            ctx = self.ctx
            if self.flint is not None and self._source is None:  # :meth:`build`'s python-flint balls
                self._gram = _midpoints(ctx, self.flint.G)
            else:
                self._gram = [[dot(ctx, a, b) for b in self.X_rows] for a in self.X_rows]
        return self._gram

    @property
    def gram_inv(self) -> list:
        """``(X X^T)^{-1}`` at ``ctx``: mpmath's ``inverse`` (LU) of :attr:`gram`, computed on first
        read (a float64 check's rerun never reads it at the rerun precision); for an
        :meth:`rounded_to` problem, the source's inverse rounded once to ``ctx``."""
        if self._gram_inv is None:
            ctx = self.ctx
            if self._source is not None:
                self._gram_inv = rounded_cols(ctx, self._source.gram_inv)
            elif self.flint is not None and self.flint.G_inv is not None:  # :meth:`build`'s python-flint balls
                self._gram_inv = _midpoints(ctx, self.flint.G_inv)
            else:
                n = self.problem.n
                inv = ctx.inverse(ctx.matrix(self.gram))
                self._gram_inv = [[inv[i, j] for j in range(n)] for i in range(n)]
        return self._gram_inv

    def rounded_to(self, ctx) -> "ExactProblem":
        """This problem at the lower precision of ``ctx`` without a second spectral computation or
        inverse.  ``X``, ``Y``, ``W0`` are float64, exact at any precision; python-flint's exact
        ``X``, ``X^T``, ``Y`` are shared (its products still run at ``ctx.prec + 30`` bits and are
        rounded once to ``ctx``, as :meth:`build`'s), ``X X^T`` is recomputed there.  The bounds
        ``lo <= lambda_min(X X^T)``, ``hi >= lambda_max`` are this problem's rounded outward to
        ``ctx`` (so still bounds; python-flint's are certified) and ``sigma = sqrt`` of them at
        ``ctx``, as in :meth:`build`; ``(X X^T)^{-1}`` is this problem's rounded once to ``ctx``
        (read lazily).  :meth:`build` at ``ctx`` itself may differ from these in the last bits
        (its eigenvalues and inverse computed at the lower precision): they are no less accurate.
        For the float64 backend, whose loop reads ``(X X^T)^{-1}`` rounded to float64 and whose
        tail bound reads ``sigma``; the exact loops use :meth:`build`."""
        mk = ctx.make_mpf
        conv = lambda cols: [[mk(v._mpf_) for v in c] for c in cols]  # noqa: E731  exact values
        lo_h, hi_h = self._bounds
        prec = ctx.prec
        lo, hi = mk(mpf_pos(lo_h._mpf_, prec, "f")), mk(mpf_pos(hi_h._mpf_, prec, "c"))
        mats = None
        if self.flint is not None:
            f = self.flint
            with flint_precision(prec + FLINT_GUARD_BITS):
                mats = _FlintMats(ctx, f.X, f.XT, f.X * f.XT)
            mats.Y = f.Y
        return type(self)(ctx, self.problem, None, None, conv(self.Y), conv(self.W0), None, None,
                          ctx.sqrt(lo), ctx.sqrt(hi), mats, self, (lo, hi))

    @classmethod
    def build_pair(cls, ctx, hctx, problem: Problem) -> tuple["ExactProblem", "ExactProblem"]:
        """``(xp, xph)`` for the float64 backend: ``xph = build(hctx, problem)`` and ``xp`` it
        :meth:`rounded_to` ``ctx`` (one eigenvalue computation and one inverse instead of two each)."""
        xph = cls.build(hctx, problem)
        return xph.rounded_to(ctx), xph

    @classmethod
    def build(cls, ctx, problem: Problem) -> "ExactProblem":
        exact64 = ctx.prec >= 53  # float64 data is exact at ctx: python-flint takes the arrays as they are
        mats = None
        if flint_available():
            mats = _flint_gram(ctx, problem.X if exact64 else rows_of(from_numpy(ctx, problem.X)))
        if mats is not None:
            X_cols = X_rows = None  # read from problem.X when first needed
            gram = gram_inv = None  # the balls' midpoints, rounded to ctx when first read
            lo, hi = extreme_eigenvalues(ctx, mats.G)  # the exact Gram matrix's spectrum, bounded outward
        else:
            X_cols = from_numpy(ctx, problem.X)  # d columns of length n (the rows of X^T)
            X_rows = rows_of(X_cols)  # n rows of length d
            gram = [[dot(ctx, a, b) for b in X_rows] for a in X_rows]
            gram_inv = None  # computed on first read (gram_inv)
            lo, hi = extreme_eigenvalues(ctx, gram)
        Y = from_numpy(ctx, problem.Y)
        if mats is not None:
            from flint import arb_mat
            mats.Y = arb_mat(problem.Y.tolist()) if exact64 else mats.mat(Y)
        return cls(ctx, problem, X_cols, X_rows, Y, from_numpy(ctx, problem.W0), gram, gram_inv,
                   ctx.sqrt(lo), ctx.sqrt(hi), mats, None, (lo, hi))

    def residual(self, W: Cols) -> Cols:
        """``R = X W - Y``, each entry one correctly rounded dot product (with python-flint: a ball
        at ``prec + 30`` bits rounded once to ``ctx``, the same number except in near-ties)."""
        if self.flint is not None:
            f = self.flint
            return f.run(lambda: f.X * f.mat(W) - f.Y)
        ctx = self.ctx
        m1 = ctx.convert(-1)
        return [[dot(ctx, row + [m1], w + [y]) for row, y in zip(self.X_rows, ycol)]
                for w, ycol in zip(W, self.Y)]

    def XT(self, A: Cols) -> Cols:
        """``X^T A`` (d x k) for ``A`` n x k."""
        if self.flint is not None:
            f = self.flint
            return f.run(lambda: f.XT * f.mat(A))
        return apply_rows(self.ctx, self.XT_rows, A)

    def X(self, B: Cols) -> Cols:
        """``X B`` (n x k) for ``B`` d x k."""
        if self.flint is not None:
            f = self.flint
            return f.run(lambda: f.X * f.mat(B))
        return apply_rows(self.ctx, self.X_rows, B)

    def gram_inv_norm(self, A: Cols):
        """``||X^+ A||_F = sqrt(<A, (X X^T)^{-1} A>)``."""
        fdot = self.ctx.fdot
        z = [[fdot(row, c) for row in self.gram_inv] for c in A]
        return self.ctx.sqrt(max(self.ctx.zero, self.ctx.fsum(fdot(a, b) for a, b in zip(z, A))))

    def pinv(self, A: Cols) -> Cols:
        """``X^+ A = X^T (X X^T)^{-1} A``."""
        if self.flint is not None:
            f = self.flint
            return f.run(lambda: f.XT * f.G.solve(f.mat(A)))
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


FLINT_GUARD_BITS = 30


def _flint_gram(ctx, X) -> "_FlintMats | None":
    """``X``, ``X^T``, ``G = X X^T`` and ``G^{-1}`` as python-flint balls at ``ctx.prec + 30`` bits
    (``X`` a float64 array, or rows of mpf: exact either way, and so are the products of float64
    entries at that precision); None when a ball's radius exceeds ``2^-(ctx.prec + 4)`` times the
    largest entry of its matrix (an ill-conditioned inverse): the caller then uses mpmath.  The
    mpf ``gram`` and ``gram_inv`` of :class:`ExactProblem` are these balls' midpoints rounded
    once to ``ctx`` (:func:`_midpoints`)."""
    from flint import arb, arb_mat
    rows = X.tolist() if hasattr(X, "tolist") else [[arb(v) for v in row] for row in X]
    with flint_precision(ctx.prec + FLINT_GUARD_BITS):
        Xm = arb_mat(rows)  # exact
        G = Xm * Xm.transpose()
        try:
            Gi = G.inv()
        except (ValueError, ZeroDivisionError):
            return None
        if not all(_tight(list(M), ctx.prec) for M in (G.entries(), Gi.entries())):
            return None
        mats = _FlintMats(ctx, Xm, Xm.transpose(), G)
    mats.G_inv = Gi
    return mats


def _midpoints(ctx, M) -> list:
    """The midpoints of the square ball matrix ``M``, each rounded once to ``ctx`` (as unary ``+`` would)."""
    prec, rnd = ctx._prec_rounding
    mk = ctx.make_mpf
    n = M.nrows()
    e = M.entries()
    return [[mk(mpf_pos(e[i * n + j].mid()._mpf_, prec, rnd)) for j in range(n)] for i in range(n)]


class _FlintMats:
    """``X``, ``X^T``, ``X X^T`` (exact) and ``Y`` as ``arb_mat`` at ``ctx.prec + 30`` bits: the
    products and solves of :class:`ExactProblem` in C.  Results are balls whose midpoints are
    rounded once to ``ctx`` (the solve with the exact SPD Gram matrix is rigorous at that precision,
    so its midpoint is as accurate as mpmath's Cholesky solve, or more)."""

    def __init__(self, ctx, X, XT, G):
        self.ctx, self.X, self.XT, self.G, self.Y = ctx, X, XT, G, None
        self.G_inv = None  # G^{-1}, for :meth:`ExactProblem.build`'s problem

    def mat(self, cols: Cols):
        from flint import arb, arb_mat
        rows, ncols = len(cols[0]), len(cols)
        return arb_mat(rows, ncols, [arb(cols[j][i]) for i in range(rows) for j in range(ncols)])

    def run(self, compute) -> Cols:
        """``compute()`` at ``ctx.prec + 30`` bits -> columns of mpf of ``ctx`` (each rounded once)."""
        mk = self.ctx.make_mpf
        prec, rnd = self.ctx._prec_rounding
        with flint_precision(prec + FLINT_GUARD_BITS):
            m = compute()
            e = m.entries()
            r, c = m.nrows(), m.ncols()
            return [[mk(mpf_pos(e[i * c + j].mid()._mpf_, prec, rnd)) for i in range(r)] for j in range(c)]


def _tight(balls: list, prec: int) -> bool:
    """Every ball finite with radius ``<= 2^-(prec + 4) max |mid|`` (absolute accuracy relative to
    the largest entry: what a floating-point result at ``prec`` bits is expected to have)."""
    if not all(b.is_finite() for b in balls):
        return False
    top = max(abs(b.mid()) for b in balls)
    limit = top * 2 ** -(prec + 4) if top != 0 else 0
    return all(b.rad() <= limit for b in balls)
