"""Exact rational bounds on the norms of paper 2 (docs/theory.md §6.4 (a)).

Everything here takes exact rationals (float64 data and iterates convert to ``Fraction``
without loss) and returns rational lower/upper bounds:

* ``l2``: ``||v||^2`` is exact; square roots are bracketed with integer ``isqrt``;
* ``linf``, ``l1``: exact;
* spectral: ``||W||_sp <= t`` iff ``t^2 I - W^T W`` is positive semidefinite, checked by an
  exact ``LDL^T`` elimination (all pivots > 0 proves positive definiteness); the lower bound
  is the Rayleigh quotient ``||W v|| / ||v||`` at a float64 top singular vector;
* nuclear: ``||G||_nuc = min { (tr P + tr Q)/2 : [[P, G], [G^T, Q]] >= 0 }``; with
  ``P = U S U^T + delta I``, ``Q = V S V^T + delta I`` from a float64 SVD, an exact positive
  definiteness check of the block matrix proves ``||G||_nuc <= (tr P + tr Q)/2``.

A failed check widens (``t`` up, ``delta`` up) and retries; nothing is assumed.

Researchers' norms: ``schatten(p)`` is certified for ``p in {1, 2, inf}`` by the certificates
above (``p = 2`` is ``l2``; ``p = inf`` is ``max(||W||_sp, ||b||_inf)`` with the spectral bounds;
``p = 1`` is ``||W||_nuc + ||b||_1``: the SDP certificate above, and below it the pairing
``<W, Y> / ||Y||_sp`` with ``Y`` a float64 polar factor of ``W``, exact); for other ``p``
:func:`check_certifiable` raises (no certified bracket).  ``group(w)`` is exact up to the
square-root brackets.
"""
from __future__ import annotations

from fractions import Fraction
from math import isqrt

import numpy as np

from numeric.margin.data import MarginProblem
from numeric.margin.norms import MarginNorm, groups

SQRT_DIGITS = 40  # square roots bracketed to about 10^-40 relative
RETRIES = 12


class CertificateError(RuntimeError):
    """An exact check could not be completed (reported as inconclusive, with this reason)."""


def to_fractions(a) -> list:
    return [Fraction(float(v)) for v in np.ravel(a)]


def sqrt_bounds(x: Fraction) -> tuple[Fraction, Fraction]:
    """``lo <= sqrt(x) <= hi`` with ``hi - lo ~ 10^-40 sqrt(x)``."""
    if x < 0:
        raise ValueError("negative argument")
    if x == 0:
        return Fraction(0), Fraction(0)
    p, q = x.numerator, x.denominator
    scale = 10 ** SQRT_DIGITS
    # sqrt(p/q) = sqrt(p q) / q
    pq = p * q * scale * scale
    r = isqrt(pq)
    lo = Fraction(r, q * scale)
    hi = lo if r * r == pq else Fraction(r + 1, q * scale)
    return lo, hi


def dot(a: list, b: list) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


def is_positive_definite(M: list[list[Fraction]]) -> bool:
    """Exact Gaussian elimination (``LDL^T``): every pivot > 0 iff ``M`` is positive definite."""
    A = [row[:] for row in M]
    n = len(A)
    for i in range(n):
        piv = A[i][i]
        if piv <= 0:
            return False
        for r in range(i + 1, n):
            f = A[r][i] / piv
            if f:
                Ai, Ar = A[i], A[r]
                for c in range(i + 1, n):
                    Ar[c] -= f * Ai[c]
    return True


def _matrix(vals: list[Fraction], shape: tuple[int, int]) -> list[list[Fraction]]:
    m, p = shape
    return [vals[i * p:(i + 1) * p] for i in range(m)]


def _gram(W: list[list[Fraction]]) -> list[list[Fraction]]:
    """``W^T W``."""
    cols = list(zip(*W))
    return [[dot(list(a), list(b)) for b in cols] for a in cols]


def spectral_upper(W: list[list[Fraction]], guess: float) -> Fraction:
    """Rational ``t >= ||W||_sp``: ``t^2 I - W^T W`` positive definite, ``t`` from ``guess`` up."""
    G = _gram(W)
    t = Fraction(guess) * (1 + Fraction(1, 2**40)) + Fraction(1, 2**200)
    for _ in range(RETRIES):
        t2 = t * t
        M = [[(t2 if i == j else 0) - G[i][j] for j in range(len(G))] for i in range(len(G))]
        if is_positive_definite(M):
            return t
        t *= 1 + Fraction(1, 2**20)
    raise CertificateError("could not certify an upper bound on the spectral norm")


def spectral_lower(W: list[list[Fraction]], Wf: np.ndarray) -> Fraction:
    """``||W v|| / ||v|| <= ||W||_sp`` at a float64 top right singular vector ``v``."""
    if not np.any(Wf):
        return Fraction(0)
    v = to_fractions(np.linalg.svd(Wf)[2][0])
    Wv = [dot(row, v) for row in W]
    num_lo, _ = sqrt_bounds(dot(Wv, Wv))
    _, den_hi = sqrt_bounds(dot(v, v))
    return num_lo / den_hi


def nuclear_upper(G: list[list[Fraction]], Gf: np.ndarray) -> Fraction:
    """Rational ``u >= ||G||_nuc`` from the SDP certificate ``[[P, G], [G^T, Q]] > 0``."""
    m, p = Gf.shape
    U, s, Vt = np.linalg.svd(Gf)
    smax = float(s[0]) if s.size and s[0] > 0 else 1.0
    delta = smax * 1e-12 + 1e-300
    for _ in range(RETRIES):
        P = U[:, : s.size] @ np.diag(s) @ U[:, : s.size].T + delta * np.eye(m)
        Q = Vt[: s.size].T @ np.diag(s) @ Vt[: s.size] + delta * np.eye(p)
        Pf = _matrix(to_fractions((P + P.T) / 2), (m, m))
        Qf = _matrix(to_fractions((Q + Q.T) / 2), (p, p))
        block = [Pf[i] + G[i] for i in range(m)] + [[G[i][j] for i in range(m)] + Qf[j] for j in range(p)]
        if is_positive_definite(block):
            return (sum(Pf[i][i] for i in range(m)) + sum(Qf[j][j] for j in range(p))) / 2
        delta *= 16
    raise CertificateError("could not certify an upper bound on the nuclear norm")


def norm_bounds(prob: MarginProblem, N: MarginNorm, theta: np.ndarray) -> tuple[Fraction, Fraction]:
    """``lo <= N(theta) <= hi``, exactly, for a float64 ``theta``."""
    th = to_fractions(theta)
    if N.name == "l2":
        return sqrt_bounds(dot(th, th))
    if N.name == "linf":
        v = max(abs(x) for x in th)
        return v, v
    if N.name == "l1":
        v = sum((abs(x) for x in th), Fraction(0))
        return v, v
    if N.name == "lp":
        return lp_bounds(th, N.p)
    if N.name == "group":
        ends = [sqrt_bounds(dot(th[a:e], th[a:e])) for a, e in groups(prob)]
        return (sum((w * lo for w, (lo, _) in zip(N.weights, ends)), Fraction(0)),
                sum((w * hi for w, (_, hi) in zip(N.weights, ends)), Fraction(0)))
    if N.name == "schatten":
        return _schatten_bounds(prob, N, th, np.asarray(theta, dtype=np.float64))
    Wf, bf = prob.split(np.asarray(theta, dtype=np.float64))
    W = _matrix(th[: prob.W_size], prob.W_shape)
    hi = spectral_upper(W, float(np.linalg.norm(Wf, 2)))
    lo = spectral_lower(W, Wf)
    if N.name == "spectral":
        return lo, hi
    b = max((abs(x) for x in th[prob.W_size:]), default=Fraction(0))
    return max(N.ratio * lo, b), max(N.ratio * hi, b)


SCHATTEN_REASON = "no certified bracket for Schatten-p, p not in {1, 2, inf}"


def check_certifiable(N: MarginNorm) -> None:
    """Raise :class:`CertificateError` for a norm this module cannot bound exactly."""
    if N.name == "schatten" and N.p not in (None, Fraction(1), Fraction(2)):
        raise CertificateError(SCHATTEN_REASON)


def nuclear_lower(W: list[list[Fraction]], Wf: np.ndarray) -> Fraction:
    """``<W, Y> / ||Y||_sp <= ||W||_nuc`` (Hoelder for the dual pair nuclear/spectral) at the
    float64 polar factor ``Y`` of ``W``, with a certified upper bound on ``||Y||_sp``."""
    from numeric.margin.norms import polar
    Yf = polar(Wf)
    if not np.any(Yf):
        return Fraction(0)
    Y = _matrix(to_fractions(Yf), Yf.shape)
    pair = sum((dot(a, b) for a, b in zip(W, Y)), Fraction(0))
    return max(Fraction(0), pair / spectral_upper(Y, float(np.linalg.norm(Yf, 2))))


def _schatten_bounds(prob: MarginProblem, N: MarginNorm, th: list[Fraction], theta: np.ndarray,
                     dual: bool = False) -> tuple[Fraction, Fraction]:
    """``lo <= ||(sigma(W), b)||_p <= hi`` for ``p in {1, 2, inf}`` (``dual``: the exponent ``q``;
    the upper end only is certified for the nuclear norm's dual use)."""
    check_certifiable(N)
    p = N.q_float if dual else N.p_float
    if p == 2:
        return sqrt_bounds(dot(th, th))
    Wf, _ = prob.split(theta)
    W = _matrix(th[: prob.W_size], prob.W_shape)
    b = th[prob.W_size:]
    if p == np.inf:
        bmax = max((abs(x) for x in b), default=Fraction(0))
        hi = spectral_upper(W, float(np.linalg.norm(Wf, 2)))
        return max(spectral_lower(W, Wf), bmax), max(hi, bmax)
    b1 = sum((abs(x) for x in b), Fraction(0))
    lo = Fraction(0) if dual else nuclear_lower(W, Wf)  # the dual needs the upper end only
    return lo + b1, nuclear_upper(W, Wf) + b1


def lp_bounds(v: list[Fraction], p: Fraction) -> tuple[Fraction, Fraction]:
    """``lo <= ||v||_p <= hi`` for a rational ``p > 1``: mpmath interval arithmetic at 200 bits
    (outward rounding), endpoints read back as exact rationals."""
    from mpmath import iv
    from mpmath.libmp import to_man_exp
    if not any(v):
        return Fraction(0), Fraction(0)
    old = iv.prec
    iv.prec = 200
    try:
        P = iv.mpf(p.numerator) / iv.mpf(p.denominator)
        total = iv.mpf(0)
        for x in v:
            if x:
                a = iv.mpf(abs(x.numerator)) / iv.mpf(x.denominator)
                total += iv.exp(P * iv.log(a))
        r = iv.exp(iv.log(total) / P)
        lo, hi = r._mpi_
    finally:
        iv.prec = old  # no process-wide state left changed

    def frac(m) -> Fraction:
        man, exp = to_man_exp(m)
        return Fraction(int(man)) * (Fraction(2) ** int(exp))
    return max(Fraction(0), frac(lo)), frac(hi)


def dual_norm_upper(prob: MarginProblem, N: MarginNorm, g: list[Fraction]) -> Fraction:
    """Rational ``u >= N_*(g)`` for an exact vector ``g``."""
    if N.name == "l2":
        return sqrt_bounds(dot(g, g))[1]
    if N.name == "linf":
        return sum((abs(x) for x in g), Fraction(0))
    if N.name == "l1":
        return max(abs(x) for x in g)
    if N.name == "lp":
        return lp_bounds(g, N.q)[1]
    if N.name == "group":
        return max(sqrt_bounds(dot(g[a:e], g[a:e]))[1] / w for w, (a, e) in zip(N.weights, groups(prob)))
    if N.name == "schatten":
        return _schatten_bounds(prob, N, g, np.array([float(x) for x in g]), dual=True)[1]
    Gf = np.array([float(x) for x in g[: prob.W_size]]).reshape(prob.W_shape)
    nuc = nuclear_upper(_matrix(g[: prob.W_size], prob.W_shape), Gf)
    if N.name == "spectral":
        return nuc
    return nuc / N.ratio + sum((abs(x) for x in g[prob.W_size:]), Fraction(0))


def margins_exact(prob: MarginProblem, theta: np.ndarray) -> list[Fraction]:
    """``q_j(theta)`` in exact arithmetic (``<A_j, theta>`` on a linear model)."""
    if hasattr(prob, "J_exact"):
        th = to_fractions(theta)
        return [dot(row, th) for row in prob.J_exact]
    return list(prob.margins(fraction_array(theta)))


def fraction_array(theta) -> np.ndarray:
    """A float vector as a numpy object array of exact ``Fraction`` values."""
    out = np.empty(np.size(theta), dtype=object)
    out[:] = to_fractions(theta)
    return out


def norm_power_bounds(prob, N: MarginNorm, theta: np.ndarray) -> tuple[Fraction, Fraction]:
    """``lo <= N(theta)^L <= hi`` for the model's degree ``L`` (``l2`` with even ``L``: exact)."""
    L = prob.degree
    if N.name == "l2" and L % 2 == 0:
        th = to_fractions(theta)
        v = dot(th, th) ** (L // 2)
        return v, v
    lo, hi = norm_bounds(prob, N, theta)
    return lo ** L, hi ** L


def margin_bounds(prob: MarginProblem, N: MarginNorm, theta: np.ndarray) -> tuple[Fraction, Fraction]:
    """``lo <= gamma_N(theta) = min_j q_j / N(theta)^L <= hi``, exactly (``L`` the degree)."""
    qmin = min(margins_exact(prob, theta))
    nlo, nhi = norm_power_bounds(prob, N, theta)
    if nhi == 0:
        raise CertificateError("the direction is zero")
    if qmin >= 0:
        return qmin / nhi, (qmin / nlo if nlo > 0 else qmin / nhi)
    return (qmin / nlo if nlo > 0 else qmin / nhi), qmin / nhi
