"""A researcher's K or update map, from text to a structured symbolic object.

``--K EXPR --structure S`` with EXPR in the structure's variable:

* ``entrywise``: ``g`` (one entry), ``K(G) = sum_ij k(g_ij)``;
* ``isotropic``: ``r = ||G||_F``, ``K(G) = h(r)``;
* ``spectral``: ``s`` (a singular value), ``K(G) = sum_i phi(sigma_i(G))``;
* ``general``: the entries ``G_1_1 ... G_d_k`` of the problem's d x k shape.

``--update EXPR``: entrywise in ``G`` (or ``g``), or ``general`` as a nested list literal of
expressions in ``G_i_j``.  Declared parameters (``--param eps=0.1``) are exact rationals.
K is normalized so that ``K(0) = 0``.  Text is parsed only by :mod:`symbolic.parser`.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .errors import ExpressionError
from .general import GeneralK, entry_symbols
from .parser import parse_expression, parse_matrix
from .structures import ProfileK
from .update_map import UpdateAnalysis, entrywise_update, general_update

K_STRUCTURES = ("entrywise", "isotropic", "spectral", "general")
UPDATE_STRUCTURES = ("entrywise", "general")
VARIABLE = {"entrywise": "g", "isotropic": "r", "spectral": "s"}


def _params(params: dict[str, Fraction] | None) -> dict[str, sp.Expr]:
    return {k: sp.Rational(v.numerator, v.denominator) for k, v in (params or {}).items()}


def user_K(text: str, structure: str, params: dict[str, Fraction] | None = None,
           shape: tuple[int, int] | None = None) -> ProfileK | GeneralK:
    """Parse ``K`` written in the variable of ``structure``; return its structured object."""
    if structure not in K_STRUCTURES:
        raise ExpressionError(f"--structure must be one of {', '.join(K_STRUCTURES)}, got {structure!r}")
    p = _params(params)
    if structure == "general":
        if shape is None:
            raise ExpressionError("general structure needs the problem shape (d, k)")
        G = entry_symbols(*shape)
        expr = parse_expression(text, {str(s): s for row in G for s in row}, p)
        expr = expr - expr.xreplace({s: 0 for row in G for s in row})
        return GeneralK(sp.simplify(expr), shape[0], shape[1], source=text, params=p)
    name = VARIABLE[structure]
    var = sp.Symbol(name, real=True) if structure == "entrywise" else sp.Symbol(name, nonnegative=True)
    expr = parse_expression(text, {name: var}, p)
    x = sp.Symbol("x", nonnegative=True)
    f = expr.subs(var, x)
    f = f - f.subs(x, 0)
    f_neg = None
    if structure == "entrywise":
        neg = expr.subs(var, -x)
        neg = neg - neg.subs(x, 0)
        if sp.simplify(f - neg) != 0:
            f_neg = neg
    what = {"entrywise": f"sum_ij k(g_ij), k(g) = {expr}", "isotropic": f"h(||G||_F), h(r) = {expr}",
            "spectral": f"sum_i phi(sigma_i), phi(s) = {expr}"}[structure]
    return ProfileK(structure, f, x, None, p, f_neg=f_neg, source=what)


def user_update(text: str, structure: str = "entrywise", params: dict[str, Fraction] | None = None,
                shape: tuple[int, int] | None = None) -> UpdateAnalysis:
    """Parse an update map ``U(G)`` and decide whether it is ``grad K`` of a convex K."""
    if structure not in UPDATE_STRUCTURES:
        raise ExpressionError(f"--update supports --structure {' or '.join(UPDATE_STRUCTURES)}, got {structure!r}")
    p = _params(params)
    if structure == "entrywise":
        g = sp.Symbol("g", real=True)
        u = parse_expression(text, {"G": g, "g": g}, p)
        return entrywise_update(u, g, source=text)
    if shape is None:
        raise ExpressionError("general update maps need the problem shape (d, k)")
    G = entry_symbols(*shape)
    U = parse_matrix(text, {str(s): s for row in G for s in row}, p)
    if U.shape != shape:
        raise ExpressionError(f"--update gives a {U.shape[0]}x{U.shape[1]} matrix but the problem needs "
                              f"{shape[0]}x{shape[1]} (d x k)")
    return general_update(U, shape[0], shape[1], source=text)
