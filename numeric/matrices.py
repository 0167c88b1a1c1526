"""Dense matrices at high precision as plain lists of columns.

A ``d x k`` matrix ``A`` is stored column-major as ``cols[j][i] = A[i, j]`` (a list of
``k`` columns, each a list of ``d`` mpf numbers).  The DSPGD hot loop only needs
``X^T A`` and ``X B`` column by column, which are dot products ``ctx.fdot(row, col)``:
far faster than ``mpmath.matrix`` (whose products are generic Python loops) and exact
to the working precision (``fdot`` sums with a single final rounding per dot product).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from mpmath.libmp import from_man_exp, mpf_mul, mpf_pos, mpf_sub, mpf_sum

Vec = list
Cols = list  # list of columns


TWO_53 = 9007199254740992.0  # 2^53


def float64_cols(ctx, a: np.ndarray) -> Cols:
    """The columns of a finite float64 2-D array as mpf of ``ctx``, each ``x = m 2^e`` rounded once
    to ``ctx``'s precision (exact for ``ctx.prec >= 53``): the numbers ``ctx.mpf(x)`` gives.

    ``numpy.frexp`` splits the whole array at once into ``x = f 2^e`` with ``f`` in ``[1/2, 1)``,
    so ``m = f 2^53`` is an integer (exactly, in float64 and in int64) and each entry costs one
    ``from_man_exp`` (gmpy's normalisation in C) instead of mpmath's ``from_float`` in Python."""
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("float64_cols needs finite entries")
    f, e = np.frexp(a.T)
    mans = (f * TWO_53).astype(np.int64).tolist()
    exps = (e - 53).tolist()
    prec, rnd = ctx._prec_rounding
    mk = ctx.make_mpf
    return [[mk(from_man_exp(m, x, prec, rnd)) for m, x in zip(mc, xc)] for mc, xc in zip(mans, exps)]


def from_numpy(ctx, a: np.ndarray) -> Cols:
    """Exact conversion of a float64 (or object/str) 2-D array to columns of ``ctx.mpf``."""
    a = np.asarray(a)
    if a.dtype == np.float64:
        try:
            return float64_cols(ctx, a)
        except ValueError:  # NaN or inf: ctx.mpf takes them one by one
            pass
    return [[ctx.mpf(float(a[i, j])) for i in range(a.shape[0])] for j in range(a.shape[1])]


def rounded_cols(ctx, cols: Cols) -> Cols:
    """A matrix of mpf of any context (a list of columns, or of rows) as mpf of ``ctx``, each entry
    rounded once to its precision: the numbers ``ctx.mpf(x)`` gives, without its type dispatch."""
    prec, rnd = ctx._prec_rounding
    mk = ctx.make_mpf
    return [[mk(mpf_pos(x._mpf_, prec, rnd)) for x in c] for c in cols]


def to_numpy(cols: Cols) -> np.ndarray:
    """Round columns of mpf to a float64 array (for solvers and plots only)."""
    if not cols:
        return np.zeros((0, 0))
    return np.array([[float(x) for x in col] for col in cols]).T


def rows_of(cols: Cols) -> list:
    """Rows of a column-major matrix (the transpose, as columns)."""
    return [list(r) for r in zip(*cols)]


def zeros(ctx, rows: int, ncols: int) -> Cols:
    return [[ctx.zero] * rows for _ in range(ncols)]


def copy(cols: Cols) -> Cols:
    return [list(c) for c in cols]


def dot(ctx, a: Sequence, b: Sequence):
    """``sum_i a_i b_i`` with one rounding to ``ctx``: ``ctx.fdot(a, b)`` for real mpf entries (of
    any context), the same numbers by the same calls (exact products ``mpf_mul``, one
    ``mpf_sum`` at ``ctx``'s precision) without fdot's per-entry type dispatch; other entries
    (ints, floats, mpc) go to ``ctx.fdot`` itself."""
    try:
        terms = [mpf_mul(x._mpf_, y._mpf_) for x, y in zip(a, b)]
    except AttributeError:
        return ctx.fdot(a, b)
    prec, rnd = ctx._prec_rounding
    return ctx.make_mpf(mpf_sum(terms, prec, rnd))


def apply_rows(ctx, rows: Sequence[Vec], cols: Cols) -> Cols:
    """Product ``M @ A`` where ``M`` is given by its rows and ``A`` by its columns."""
    return [[dot(ctx, r, c) for r in rows] for c in cols]


def add(a: Cols, b: Cols) -> Cols:
    return [[x + y for x, y in zip(ca, cb)] for ca, cb in zip(a, b)]


def sub(a: Cols, b: Cols) -> Cols:
    return [[x - y for x, y in zip(ca, cb)] for ca, cb in zip(a, b)]


def scale(s, a: Cols) -> Cols:
    return [[s * x for x in c] for c in a]


def inner(ctx, a: Cols, b: Cols):
    """Frobenius inner product ``<A, B> = tr(A^T B)``."""
    return ctx.fsum(ctx.fdot(ca, cb) for ca, cb in zip(a, b))


def fro_norm(ctx, a: Cols):
    """Frobenius norm ``||A||_F``."""
    return ctx.sqrt(ctx.fsum(dot(ctx, c, c) for c in a))


def fro_distance(ctx, a: Cols, b: Cols):
    """``||A - B||_F`` of two matrices of real mpf of ``ctx``: the number ``fro_norm(ctx, sub(a, b))``
    gives, by the same roundings (each difference rounded to ``ctx``, each column's sum of exact
    squares rounded once, the columns' ``fsum``, the square root) without building the mpf
    objects in between.  Entries of another type or context take that two-step path itself."""
    first = next((c[0] for c in a if c), None)
    if first is None or type(first) is not ctx.mpf:
        return fro_norm(ctx, sub(a, b))
    prec, rnd = ctx._prec_rounding
    mk = ctx.make_mpf
    try:
        cols = []
        for ca, cb in zip(a, b):
            diffs = [mpf_sub(x._mpf_, y._mpf_, prec, rnd) for x, y in zip(ca, cb)]
            cols.append(mk(mpf_sum([mpf_mul(v, v) for v in diffs], prec, rnd)))
    except AttributeError:  # an entry that is not a real mpf
        return fro_norm(ctx, sub(a, b))
    return ctx.sqrt(ctx.fsum(cols))


def max_abs(ctx, a: Cols):
    """Entrywise max norm ``max_ij |A_ij|``."""
    return max((abs(x) for c in a for x in c), default=ctx.zero)


def entry_l1(ctx, a: Cols):
    """Entrywise l1 norm ``sum_ij |A_ij|``."""
    return ctx.fsum(abs(x) for c in a for x in c)


def gram(ctx, a: Cols) -> list:
    """``A^T A`` as a k x k list of lists (symmetric)."""
    k = len(a)
    g = [[ctx.zero] * k for _ in range(k)]
    for i in range(k):
        for j in range(i, k):
            g[i][j] = g[j][i] = ctx.fdot(a[i], a[j])
    return g


def singular_values(ctx, a: Cols) -> list:
    """Singular values of a d x k matrix from the k x k eigenproblem of ``A^T A``.

    ``sigma_i = sqrt(lambda_i(A^T A))`` (eigenvalues clipped at 0 against rounding),
    in decreasing order.
    """
    g = gram(ctx, a)
    if len(g) == 0:
        return []
    evals = ctx.eigsy(ctx.matrix(g), eigvals_only=True)
    vals = [ctx.sqrt(max(ctx.zero, evals[i])) for i in range(len(g))]
    return sorted(vals, reverse=True)


def solve_spd(ctx, m: list, rhs_cols: Cols) -> Cols:
    """Solve ``M Z = B`` for a small symmetric positive definite ``M`` (Cholesky).

    ``M`` and ``B`` are first scaled by the same power of two ``2^-e`` (exact), with ``2^e`` near
    the largest entry of ``M``: mpmath's Cholesky compares pivots with an absolute tolerance,
    which data of scale ``1e-99`` (a Gram matrix of ``1e-198``) would fail."""
    big = max((abs(x) for row in m for x in row), default=ctx.zero)
    e = int(ctx.frexp(big)[1]) if big else 0
    mm = ctx.matrix([[ctx.ldexp(x, -e) for x in row] for row in m])
    out = []
    for c in rhs_cols:
        z = ctx.cholesky_solve(mm, ctx.matrix([ctx.ldexp(x, -e) for x in c]))
        out.append([z[i] for i in range(len(c))])
    return out
