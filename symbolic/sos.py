"""Convexity of a polynomial K by a sum-of-squares certificate, checked exactly in rationals.

K is convex iff ``p(G, y) = y^T Hess K(G) y >= 0`` for all ``G`` and ``y``.  ``p`` is a
quadratic form in ``y``, so a certificate has the shape

    p(G, y) = z^T Q z,   z = (y_a m(G))_{a, m},   Q positive semidefinite,

with ``m`` running over monomials in the entries of G; then ``p = sum_i lambda_i (v_i^T z)^2 >= 0``.
For each ``y_a`` the monomials are bounded by half the degrees (per variable and in total) of
the coefficient of ``y_a^2`` in ``p`` (the diagonal of Q must produce those terms, a standard
Newton-polytope pruning).

1. ``Q`` is found by cvxpy (an SDP: ``Q >> t I``, matching coefficients, maximize ``t <= 1``);
2. its entries are rounded to rationals and projected exactly onto the affine space of
   coefficient matching (every Gram entry ``Q_ij`` feeds exactly one monomial of ``p``, so the
   projection is a per-monomial correction, exact in :class:`fractions.Fraction`);
3. ``z^T Q z - p`` is expanded by SymPy and must be exactly 0, and ``Q`` must pass an exact
   ``L D L^T`` semidefiniteness test (nonnegative pivots, zero pivot only with a zero row).

Only a certificate that passes 3 proves convexity; anything else returns ``None`` (the fact
stays ``unknown``): the floating-point solver is never trusted.
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from math import ceil

import sympy as sp

from .facts import Fact

ROUND_DENOMINATOR = 10**9
MAX_BASIS = 60  # Gram matrices above 60 x 60 are not attempted (time)


def _half_monomials(c: sp.Poly) -> list[tuple[int, ...]]:
    """Exponent vectors e with 2e inside the per-variable and total degree box of ``c``."""
    monos = c.monoms()
    nv = len(monos[0])
    lo = [ceil(min(m[v] for m in monos) / 2) for v in range(nv)]
    hi = [max(m[v] for m in monos) // 2 for v in range(nv)]
    tlo = ceil(min(sum(m) for m in monos) / 2)
    thi = max(sum(m) for m in monos) // 2
    return [e for e in itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi)]) if tlo <= sum(e) <= thi]


def is_psd_exact(Q: list[list[Fraction]]) -> bool:
    """Exact semidefiniteness of a symmetric rational matrix by symmetric Gaussian elimination."""
    m = [row[:] for row in Q]
    n = len(m)
    for k in range(n):
        piv = m[k][k]
        if piv < 0:
            return False
        if piv == 0:
            if any(m[k][j] != 0 for j in range(k, n)):
                return False
            continue
        for i in range(k + 1, n):
            if m[i][k] == 0:
                continue
            r = m[i][k] / piv
            for j in range(k, n):
                m[i][j] -= r * m[k][j]
    return True


def sos_convexity(H: sp.Matrix, syms: list[sp.Symbol], solver: str = "CLARABEL") -> Fact | None:
    """A proved ``convex`` fact from an exactly checked SOS certificate of ``y^T H y``, or None."""
    n = H.shape[0]
    y = sp.symbols(f"y_1:{n + 1}", real=True)
    p_expr = sp.expand(sum(y[i] * H[i, j] * y[j] for i in range(n) for j in range(n)))
    if p_expr == 0:
        return None
    try:
        p = sp.Poly(p_expr, *syms, *y, domain="QQ")
    except (sp.PolynomialError, sp.CoercionFailed, ValueError):
        return None
    nv = len(syms)
    basis: list[tuple[int, tuple[int, ...]]] = []
    for a in range(n):
        ca = {m[:nv]: c for m, c in p.terms() if m[nv:] == tuple(2 if b == a else 0 for b in range(n))}
        if not ca:
            continue
        cpoly = sp.Poly.from_dict(ca, *syms) if nv else None
        monos = _half_monomials(cpoly) if nv else [()]
        basis += [(a, e) for e in monos]
    N = len(basis)
    if N == 0 or N > MAX_BASIS:
        return None
    # every product z_i z_j is y_a y_b G^(e_i + e_j): the monomial of p it feeds
    feeds: dict[tuple, list[tuple[int, int]]] = {}
    for i in range(N):
        for j in range(i, N):
            (a, ei), (b, ej) = basis[i], basis[j]
            ye = [0] * n
            ye[a] += 1
            ye[b] += 1
            key = tuple(u + v for u, v in zip(ei, ej)) + tuple(ye)
            feeds.setdefault(key, []).append((i, j))
    target = {m: Fraction(int(c.p), int(c.q)) for m, c in p.terms()}
    if any(m not in feeds for m in target):
        return None  # a term no Gram entry can produce: no certificate of this shape
    try:
        import cvxpy as cp
        import numpy as np
        Q = cp.Variable((N, N), symmetric=True)
        t = cp.Variable()
        cons = [Q - t * np.eye(N) >> 0, t <= 1]
        for key, pairs in feeds.items():
            cons.append(sum((Q[i, j] if i == j else 2 * Q[i, j]) for i, j in pairs) == float(target.get(key, 0)))
        prob = cp.Problem(cp.Maximize(t), cons)
        prob.solve(solver=solver)
        if Q.value is None:
            return None
        Qv = Q.value
    except Exception:  # noqa: BLE001 - a failed solver only means: no certificate
        return None
    Qr = [[Fraction(round(float(Qv[i, j]) * ROUND_DENOMINATOR), ROUND_DENOMINATOR) for j in range(N)] for i in range(N)]
    for i in range(N):
        for j in range(i):
            Qr[i][j] = Qr[j][i]
    for key, pairs in feeds.items():  # exact projection onto the coefficient-matching equations
        w = [1 if i == j else 2 for i, j in pairs]
        r = sum(wk * Qr[i][j] for wk, (i, j) in zip(w, pairs)) - target.get(key, Fraction(0))
        if r == 0:
            continue
        s = sum(wk * wk for wk in w)
        for wk, (i, j) in zip(w, pairs):
            Qr[i][j] -= r * wk / s
            Qr[j][i] = Qr[i][j]
    z = [y[a] * sp.Mul(*[s**k for s, k in zip(syms, e)]) for a, e in basis]
    recon = sum(sp.Rational(Qr[i][j].numerator, Qr[i][j].denominator) * z[i] * z[j]
                for i in range(N) for j in range(N) if Qr[i][j] != 0)
    if sp.expand(recon - p_expr) != 0 or not is_psd_exact(Qr):
        return None
    return Fact("convex", "K is convex (Hessian positive semidefinite)", "proved", "sos",
                f"y^T Hess K(G) y = z^T Q z with z = y (x) monomials ({N} terms) and a rational Gram matrix Q, "
                "checked exactly: identity expanded to 0, Q positive semidefinite by exact LDL^T",
                )
