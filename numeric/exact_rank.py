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
    m = integer_matrix(a)
    shape = a.shape
    full = min(shape)
    if flint_available():  # the same certificate in C: nmod_mat over GF(p), then fmpz_mat over ZZ
        from flint import fmpz_mat, nmod_mat
        for p in _PRIMES:
            if nmod_mat(shape[0], shape[1], [x % p for row in m for x in row], p).rank() == full:
                return full
        return fmpz_mat(m).rank()
    from sympy import GF, ZZ  # imported here: about 0.3 s that a run with python-flint does not pay
    from sympy.polys.matrices import DomainMatrix
    for p in _PRIMES:
        r = DomainMatrix([[x % p for x in row] for row in m], shape, GF(p)).rank()
        if r == full:
            return r
    return DomainMatrix(m, shape, ZZ).rank()
