"""SymPy descriptions of the catalogue preconditioners (SPEC 2), by name.

Each entry is a profile ``f`` on ``[0, oo)`` with its structure and smoothness constant L
(see :mod:`symbolic.structures`); parameters are exact rationals.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .structures import ProfileK, QuadraticK

X = sp.Symbol("x", nonnegative=True)


def _q(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


def profile(name: str, params: dict[str, Fraction]) -> ProfileK:
    """The :class:`ProfileK` of a non-quadratic catalogue entry."""
    x = X
    if name == "gd":
        return ProfileK("isotropic", x**2 / 2, x, sp.Integer(1))
    if name in ("ngd", "adam", "muon"):
        e = _q(params["eps"])
        structure = {"ngd": "isotropic", "adam": "entrywise", "muon": "spectral"}[name]
        return ProfileK(structure, x - e * sp.log(1 + x / e), x, 1 / e, {"eps": e})
    if name == "sign":
        e = _q(params["eps"])
        return ProfileK("entrywise", e * sp.log(sp.cosh(x / e)), x, 1 / e, {"eps": e})
    if name in ("clip", "clipv"):
        c = _q(params["c"])
        huber = sp.Piecewise((x**2 / 2, x <= c), (c * x - c**2 / 2, True))
        return ProfileK("isotropic" if name == "clip" else "entrywise", huber, x, sp.Integer(1), {"c": c})
    raise KeyError(name)


def symbolic_k(name: str, params: dict[str, Fraction], H=None):
    """The symbolic K of a catalogue entry (``QuadraticK`` for ``quadratic``)."""
    if name == "quadratic":
        return QuadraticK(H)
    return profile(name, params)
