"""Bregman divergences on explicit small matrix shapes, and Fenchel conjugates of profiles (docs/theory.md §4).

Conventions
-----------
* A matrix is a ``sympy.Matrix`` of explicit shape ``d x k``; ``<A, B> = tr(A^T B)``
  (:func:`inner`).
* A "K" is any Python callable ``K(M: Matrix) -> Expr``.  :func:`undefined_K` gives a K whose
  value is an undefined SymPy function of the ``d k`` entries, so an identity proved with it
  holds for every differentiable K on ``R^{d x k}``.
* ``grad K(B)`` (:func:`grad`) is the matrix of partial derivatives ``dK/dm_ij`` evaluated at
  ``B``.  When the entries of ``B`` are distinct symbols we differentiate ``K(B)`` directly;
  otherwise we differentiate at a placeholder matrix of symbols and substitute ``B``
  (simultaneously), so ``grad K(0)`` means ``(dK/dm_ij)(0)`` and not ``d K(0)/d 0``.

Divergences
-----------
* classical: ``D_K(A, B) = K(A) - K(B) - <grad K(B), A - B>`` (:func:`bregman`);
* gradient-space (docs/theory.md §4.1, docs/derivations.md §4.1 (B1)): ``D_{K,L}(W', W) = D_K(grad L(W'), grad L(W))``
  (:func:`gradient_space_divergence`);
* residual-space (docs/derivations.md §4.1 (B2)): ``D_{K o X^T}(A, B) = D_K(X^T A, X^T B)``
  (:func:`residual_divergence`), with ``Phi = K o X^T`` (:func:`composite`) and identity I8
  ``grad Phi(A) = X grad K(X^T A)`` (:func:`symbolic.identities.check_composite_gradient`).

Conjugates
----------
For a profile ``f`` on ``[0, oo)`` (convex, ``f(0) = 0``, ``f'(0+) = 0``) the conjugate of its
even extension is ``f*(y) = sup_x x y - f(|x|) = f*_+(|y|)`` with
``f*_+(y) = sup_{x >= 0} x y - f(x)``.  For ``y`` in the range of ``f'`` the sup is attained
where ``f'(x) = y``, so ``f*(y) = x(y) y - f(x(y))`` (:func:`conjugate_profile`, closed form
when SymPy can invert ``f'``); :func:`numeric_conjugate` computes the sup at 50 digits with
``mpmath.findroot`` in a private context, for checking.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import mpmath
import sympy as sp

from .structures import pieces

Y = sp.Symbol("y", nonnegative=True)
"""Default dual variable of :func:`conjugate_profile`."""

# Deterministic placeholders: the same (shape position) always gives the same Dummy, so
# ``grad(K, B)`` built twice is structurally equal twice (hypotheses can be substituted).
_PLACEHOLDER_INDEX = 918_273_645


def _placeholder(i: int, j: int) -> sp.Dummy:
    return sp.Dummy(f"m{i}_{j}", real=True, dummy_index=_PLACEHOLDER_INDEX + 1000 * i + j)


def placeholder_matrix(shape: tuple[int, int]) -> sp.Matrix:
    """The matrix of placeholder symbols ``m_ij`` (real Dummies, deterministic) of ``shape``."""
    d, k = shape
    return sp.Matrix(d, k, [_placeholder(i, j) for i in range(d) for j in range(k)])


def symbol_matrix(name: str, shape: tuple[int, int], **assumptions) -> sp.Matrix:
    """``name_ij`` real symbols (by default) arranged as a ``d x k`` matrix."""
    assumptions = assumptions or {"real": True}
    d, k = shape
    return sp.Matrix(d, k, [sp.Symbol(f"{name}{i}{j}", **assumptions) for i in range(d) for j in range(k)])


def inner(A: sp.Matrix, B: sp.Matrix) -> sp.Expr:
    """Frobenius inner product ``<A, B> = tr(A^T B) = sum_ij a_ij b_ij``."""
    if A.shape != B.shape:
        raise ValueError(f"inner: shapes {A.shape} and {B.shape} differ")
    return sp.Add(*[a * b for a, b in zip(A, B)])


def _distinct_symbols(M: sp.Matrix) -> bool:
    entries = list(M)
    return all(isinstance(e, sp.Symbol) for e in entries) and len(set(entries)) == len(entries)


def grad(K: Callable[[sp.Matrix], sp.Expr], M: sp.Matrix) -> sp.Matrix:
    """``grad K(M)``: the matrix ``[(dK/dm_ij)(M)]`` of the same shape as ``M``.

    Distinct-symbol entries: ``diff(K(M), m_ij)``.  Otherwise ``diff(K(P), p_ij)`` at a
    placeholder matrix ``P`` followed by the simultaneous substitution ``P -> M`` (for an
    undefined K this gives ``Subs(Derivative(K(...), p_ij), ..., M)``).
    """
    M = sp.Matrix(M)
    if _distinct_symbols(M):
        val = K(M)
        return sp.Matrix(M.rows, M.cols, [sp.diff(val, m) for m in M])
    P = placeholder_matrix(M.shape)
    val = K(P)
    pairs = list(zip(list(P), list(M)))
    return sp.Matrix(M.rows, M.cols, [sp.diff(val, p).subs(pairs, simultaneous=True) for p in P])


class UndefinedK:
    """``K(M) = name(m_00, m_01, ..., m_{d-1,k-1})``, an undefined real SymPy function.

    Entries are passed row-major.  Its gradient entries are ``Derivative``/``Subs`` objects,
    so identities proved with it hold for every differentiable K of that shape.
    """

    def __init__(self, shape: tuple[int, int], name: str = "K"):
        self.shape = tuple(shape)
        self.name = name
        self.func = sp.Function(name, real=True)

    def __call__(self, M: sp.Matrix) -> sp.Expr:
        M = sp.Matrix(M)
        if M.shape != self.shape:
            raise ValueError(f"{self.name} is defined on {self.shape} matrices, got {M.shape}")
        return self.func(*list(M))

    def concrete(self, K: Callable[[sp.Matrix], sp.Expr]) -> dict:
        """``{self.func: Lambda(entries, K(entries))}``: the ``concrete`` mapping for the prover."""
        P = placeholder_matrix(self.shape)
        return {self.func: sp.Lambda(tuple(P), K(P))}

    def __repr__(self) -> str:
        return f"UndefinedK({self.shape}, {self.name!r})"


def undefined_K(shape: tuple[int, int], name: str = "K") -> UndefinedK:
    """A generic differentiable K on ``R^{d x k}`` (see :class:`UndefinedK`)."""
    return UndefinedK(shape, name)


def zero_normalization(K: Callable[[sp.Matrix], sp.Expr], shape: tuple[int, int]) -> dict:
    """The substitution ``{K(0): 0, (dK/dm_ij)(0): 0}`` expressing ``K(0) = 0, grad K(0) = 0``.

    Apply it with ``expr.subs(zero_normalization(K, shape))`` to an expression built with
    :func:`grad` / :func:`bregman` at the zero matrix.
    """
    Z = sp.zeros(*shape)
    out = {K(Z): sp.Integer(0)}
    for g in grad(K, Z):
        if g != 0:
            out[g] = sp.Integer(0)
    return out


def bregman(K: Callable[[sp.Matrix], sp.Expr], A: sp.Matrix, B: sp.Matrix) -> sp.Expr:
    """Classical Bregman divergence ``D_K(A, B) = K(A) - K(B) - <grad K(B), A - B>``."""
    A, B = sp.Matrix(A), sp.Matrix(B)
    return K(A) - K(B) - inner(grad(K, B), A - B)


def gradient_space_divergence(K, grad_L: Callable[[sp.Matrix], sp.Matrix], W1: sp.Matrix,
                              W2: sp.Matrix) -> sp.Expr:
    """Modified divergence on weights (docs/theory.md §4.1): ``D_{K,L}(W1, W2) = D_K(grad L(W1), grad L(W2))``.

    For the square loss ``L(W) = ||XW - Y||^2/2``, ``grad L(W) = X^T R`` with ``R = XW - Y`` and
    ``D_{K,L}(W', W) = D_K(X^T R', X^T R)`` (:func:`residual_divergence`).
    """
    return bregman(K, grad_L(sp.Matrix(W1)), grad_L(sp.Matrix(W2)))


def composite(K, X: sp.Matrix) -> Callable[[sp.Matrix], sp.Expr]:
    """``Phi = K o X^T``: ``A -> K(X^T A)`` on ``R^{n x k}`` (X is ``n x d``)."""
    X = sp.Matrix(X)
    return lambda A: K(X.T * sp.Matrix(A))


def residual_divergence(K, X: sp.Matrix, A: sp.Matrix, B: sp.Matrix) -> sp.Expr:
    """Residual-space divergence ``D_K(X^T A, X^T B)``; by I8 it equals ``D_{K o X^T}(A, B)``."""
    X = sp.Matrix(X)
    return bregman(K, X.T * sp.Matrix(A), X.T * sp.Matrix(B))


def composite_gradient_sides(K, X: sp.Matrix, A: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """Both sides of I8: ``(grad (K o X^T)(A), X grad K(X^T A))``."""
    X, A = sp.Matrix(X), sp.Matrix(A)
    return grad(composite(K, X), A), X * grad(K, X.T * A)


# ----------------------------------------------------------------------------------------------
# Fenchel conjugates of one-variable profiles


class Conjugate(NamedTuple):
    """``fstar``: the conjugate ``f*_+(y)`` on ``domain`` (a SymPy interval of ``y >= 0``).

    Outside ``domain`` (``y >= 0``) the conjugate is ``+oo``; for ``y < 0`` use the even
    extension ``f*(y) = f*_+(|y|)``.
    """

    fstar: sp.Expr
    domain: sp.Interval


def _candidate_roots(eq_lhs: sp.Expr, y: sp.Symbol, x: sp.Symbol, a, b) -> list[sp.Expr]:
    cands: list[sp.Expr] = []

    def collect(s):
        if isinstance(s, sp.FiniteSet):
            cands.extend(s.args)
        elif isinstance(s, (sp.Intersection, sp.Complement, sp.Union)):
            for arg in s.args:
                collect(arg)

    for form in (sp.simplify(eq_lhs), eq_lhs):
        try:
            collect(sp.solveset(sp.Eq(form, y), x, sp.Interval(a, b)))
        except (NotImplementedError, ValueError, TypeError):
            pass
        if cands:
            break
    if not cands:
        try:
            cands = list(sp.solve(eq_lhs - y, x))
        except (NotImplementedError, ValueError, TypeError):
            cands = []
    return [c for c in cands if not c.has(x)]


def _valid_root(sol: sp.Expr, d: sp.Expr, x, y, a, b, ylo, yhi) -> bool:
    """Numeric sanity of a candidate inverse at two interior ``y``: real, in ``[a, b]``, ``f'(sol) = y``."""
    for w in (sp.Rational(1, 3), sp.Rational(3, 4)):
        if yhi is sp.oo:
            y0 = ylo + 2 * w
        else:
            y0 = ylo + (yhi - ylo) * w
        xv = sol.xreplace({y: y0}).evalf(40)
        if not (xv.is_number and xv.is_real and xv.is_finite):
            return False
        if xv < a - sp.Rational(1, 10**30) or (b is not sp.oo and xv > b + sp.Rational(1, 10**30)):
            return False
        res = (d.xreplace({x: xv}) - y0).evalf(40)
        if not (res.is_number and abs(res) < sp.Rational(1, 10**25)):
            return False
    return True


def conjugate_profile(f: sp.Expr, x: sp.Symbol, y: sp.Symbol | None = None) -> Conjugate | None:
    """Closed-form conjugate ``f*_+(y) = sup_{x >= 0} x y - f(x)`` of a convex profile, or ``None``.

    For each smooth piece ``(a, b)`` of f (see :func:`structures.pieces`), solve
    ``f'(x) = y`` for ``x in (a, b)`` (``solveset``, then ``solve``); a candidate is kept when
    it is real, lies in the piece and solves the equation at sample points.  There
    ``f*(y) = x(y) y - f(x(y))`` for ``y`` between ``f'(a+)`` and ``f'(b-)``.  A piece where f is
    affine (``f' = s`` constant) contributes the single value ``f*(s) = s x - f(x)``.
    The domain is ``[f'(0+), sup f']``, closed at the right iff the sup is finite and
    ``lim_{x->oo} x sup f' - f(x)`` is finite.  Returns ``None`` when a non-affine piece cannot be
    inverted.

    Examples (docs/theory.md §2, docs/derivations.md §3): ``x^2/2 -> y^2/2``;
    ``x - eps log(1 + x/eps) -> eps(-y - log(1 - y))`` on ``[0, 1)``;
    ``eps log cosh(x/eps) -> (eps/2)[(1+y)log(1+y) + (1-y)log(1-y)]`` on ``[0, 1)``;
    Huber_c ``-> y^2/2`` on ``[0, c]`` (``+oo`` beyond: not essentially smooth).
    """
    y = Y if y is None else y
    branches: list[tuple[sp.Expr, sp.Expr, sp.Expr]] = []  # (fstar, ylo, yhi)
    points: list[tuple[sp.Expr, sp.Expr]] = []  # (slope, value) of affine pieces
    for expr, a, b in pieces(f, x):
        d = sp.diff(expr, x)
        if not d.has(x):
            points.append((d, sp.simplify(x * d - expr)))
            continue
        ylo = sp.limit(d, x, a, "+")
        yhi = sp.limit(d, x, b, "-") if b is not sp.oo else sp.limit(d, x, sp.oo)
        sols = [s for s in _candidate_roots(d, y, x, a, b) if _valid_root(s, d, x, y, a, b, ylo, yhi)]
        if not sols:
            return None
        fstar = sp.simplify(sols[0] * y - expr.xreplace({x: sols[0]}))
        branches.append((fstar, ylo, yhi))
    if not branches and not points:
        return None
    # affine pieces that continue a neighbouring branch are not separate branches
    merged = []
    for s, val in points:
        if any(sp.simplify(fs.xreplace({y: s}) - val) == 0 and (lo == s or hi == s) for fs, lo, hi in branches):
            continue
        merged.append((s, val))
    lo = min([br[1] for br in branches] + [p[0] for p in points])
    hi = max([br[2] for br in branches] + [p[0] for p in points])
    # is the right end attained (finite value)?
    if hi is sp.oo:
        right_open = True
    elif any(p[0] == hi for p in points):
        right_open = False
    else:
        last_expr = pieces(f, x)[-1][0]
        right_open = not sp.limit(x * hi - last_expr, x, sp.oo).is_finite
    domain = sp.Interval(lo, hi, False, right_open)
    if len(branches) == 1 and not merged:
        return Conjugate(branches[0][0], domain)
    args = [(val, sp.Eq(y, s)) for s, val in merged]
    args += [(fs, (y >= blo) & (y <= bhi)) for fs, blo, bhi in branches]
    args.append((sp.oo, True))
    return Conjugate(sp.Piecewise(*args), domain)


def _exact(v) -> sp.Expr:
    """An exact SymPy number from an int, Fraction, float (its exact binary value) or SymPy number."""
    if isinstance(v, sp.Basic):
        return v
    if isinstance(v, (int, float)):
        return sp.Rational(v)
    if hasattr(v, "numerator") and hasattr(v, "denominator"):
        return sp.Rational(int(v.numerator), int(v.denominator))
    raise TypeError(f"not an exact number: {v!r}")


def numeric_conjugate(f: sp.Expr, x: sp.Symbol, y_value, dps: int = 50) -> sp.Expr:
    """``f*(y) = sup_x x y - f(|x|)`` (even extension) at one rational ``y``, to ``dps`` digits.

    With ``t = |y|``: if ``t <= f'(0+)`` the sup is ``-f(0)`` (at ``x = 0``); if ``t > sup f'`` it
    is ``+oo``; if ``t = sup f'`` it is ``lim_{x->oo} x t - f(x)``; otherwise the maximizer solves
    ``f'(x) = t`` and is found by ``findroot`` (Illinois, bracketed) in a private
    ``mpmath.MPContext`` at ``dps + 10`` digits.  Returns a SymPy ``Float`` (or ``oo``).
    """
    ctx = mpmath.MPContext()
    ctx.dps = dps + 10
    t = abs(_exact(y_value))
    d = sp.diff(f, x)
    ps = pieces(f, x)
    first, last = ps[0][0], ps[-1][0]
    dlo = sp.limit(sp.diff(first, x), x, 0, "+")
    dhi = sp.limit(sp.diff(last, x), x, sp.oo)
    if t <= dlo:
        return sp.Float(sp.limit(-first, x, 0, "+").evalf(dps + 10), dps)
    if dhi is not sp.oo and t > dhi:
        return sp.oo
    if dhi is not sp.oo and t == dhi:
        lim = sp.limit(x * t - last, x, sp.oo)
        return lim if not lim.is_finite else sp.Float(lim.evalf(dps + 10), dps)

    def to_sympy(v):
        return sp.Float(v, precision=ctx.prec)

    def g(v):
        val = (d.xreplace({x: to_sympy(v)}) - t).evalf(dps + 10)
        return ctx.make_mpf(sp.Float(val, precision=ctx.prec)._mpf_)

    hi = ctx.mpf(1)
    for _ in range(400):
        if g(hi) >= 0:
            break
        hi *= 2
    else:
        raise ArithmeticError(f"could not bracket f'(x) = {t}")
    lo = ctx.mpf(0) if g(ctx.mpf(0)) < 0 else hi / 2
    root = ctx.findroot(g, (lo, hi), solver="illinois")
    xv = to_sympy(root)
    return sp.Float((xv * t - f.xreplace({x: xv})).evalf(dps + 10), dps)
