"""Exact rank of a float64 matrix, certified without any floating-point tolerance.

Every float64 is a dyadic rational, so ``X = M / 2^s`` for an integer matrix ``M``.
Over a prime field, ``rank_p(M) <= rank_Q(M)``; hence if ``rank_p(M) = n`` for one prime
``p`` the rational rank is ``n`` (a certificate).  Only when two large primes both report
a deficiency do we fall back to exact integer elimination over ZZ.  With python-flint the
eliminations are flint's ``nmod_mat`` and ``fmpz_mat`` (and SymPy is not imported); without it,
SymPy's ``DomainMatrix``.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .flint_context import flint_available

_PRIMES = (2**61 - 1, 2**31 - 1)


def integer_matrix(a: np.ndarray) -> list[list[int]]:
    """Integer matrix ``M`` with ``a = M / 2^s`` exactly (row-major lists)."""
    fr = [[Fraction(float(v)) for v in row] for row in np.asarray(a, dtype=float)]
    denom = max((f.denominator for row in fr for f in row), default=1)
    return [[f.numerator * (denom // f.denominator) for f in row] for row in fr]


def exact_rank(a: np.ndarray) -> int:
    """The exact rank over the rationals of a finite float64 matrix."""
    a = np.asarray(a, dtype=float)
    shape = a.shape
    full = min(shape)
    if flint_available():  # the same certificate in C: nmod_mat over GF(p), then fmpz_mat over ZZ
        from flint import fmpz_mat, nmod_mat
        m = _scaled_integers(a)
        for p in _PRIMES:
            if nmod_mat(shape[0], shape[1], [x % p for row in m for x in row], p).rank() == full:
                return full
        return fmpz_mat(m).rank()
    m = integer_matrix(a)
    from sympy import GF, ZZ  # imported here: about 0.3 s that a run with python-flint does not pay
    from sympy.polys.matrices import DomainMatrix
    for p in _PRIMES:
        r = DomainMatrix([[x % p for x in row] for row in m], shape, GF(p)).rank()
        if r == full:
            return r
    return DomainMatrix(m, shape, ZZ).rank()


def _scaled_integers(a: np.ndarray) -> list[list[int]]:
    """An integer matrix ``2^t a`` (some integer t, so the same rank) from the float64 mantissas
    and exponents (``numpy.frexp``: ``a = f 2^e`` with ``2^53 f`` an exact integer), without a
    ``Fraction`` per entry."""
    f, e = np.frexp(a)
    mant = (f * 2.0 ** 53).astype(np.int64)  # exact: |f| < 1 has at most 53 significant bits
    ex = e.astype(np.int64)
    nonzero = mant != 0
    low = int(ex[nonzero].min()) if nonzero.any() else 0
    shift = np.where(nonzero, ex - low, 0).tolist()  # a zero stays zero
    return [[int(x) << s for x, s in zip(row, srow)] for row, srow in zip(mant.tolist(), shift)]
