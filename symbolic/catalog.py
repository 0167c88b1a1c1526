"""SymPy descriptions of the catalogue preconditioners (docs/theory.md §2), by name.

Each entry is a profile ``f`` on ``[0, oo)`` with its structure and smoothness constant L
(see :mod:`symbolic.structures`); parameters are exact rationals.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from functools import lru_cache

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


# Entries whose profile is a rescaling of the eps = 1 profile: f_eps(x) = eps f_1(x/eps).
SCALED_BY_EPS = ("ngd", "adam", "muon", "sign")


@lru_cache(maxsize=None)
def _unit_facts(name: str) -> dict:
    return profile(name, {"eps": Fraction(1)}).facts()


def catalogue_facts(name: str, params: dict[str, Fraction], H=None) -> dict:
    """The facts of a catalogue entry.  For ``ngd adam muon sign`` they are proved once at
    eps = 1 and carried to every eps > 0 by the scaling ``f_eps(x) = eps f_1(x/eps)``:
    ``f_eps'(x) = f_1'(x/eps)`` and ``f_eps''(x) = f_1''(x/eps)/eps``, so convexity and
    ``f'(0+) = 0`` are the same statements, the Lipschitz constant is ``L_1/eps`` (also for the
    ``f'(x)/x`` eigenvalues), and ``K_eps(G) = eps K_1(G/eps)`` keeps every invariance (a
    counterexample point G at eps = 1 becomes eps G).  SymPy's ``simplify`` on the profile with
    an extreme rational eps (``sign`` with eps = 1e-8) does not return in minutes; the scaled
    proof takes a fraction of a second."""
    if name not in SCALED_BY_EPS:
        return symbolic_k(name, params, H).facts()
    e = _q(params["eps"])
    note = f" [proved at eps = 1 and scaled to eps = {e} by f_eps(x) = eps f_1(x/eps)]"
    out = {}
    for key, fact in _unit_facts(name).items():
        statement = fact.statement
        if key == "lipschitz":
            statement = f"grad K is L-Lipschitz with L = {1 / e} (= L_1/eps, L_1 = 1)"
        out[key] = replace(fact, statement=statement, detail=fact.detail + note)
    return out
