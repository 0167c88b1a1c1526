"""Points where a one-variable profile may fail to be smooth, and its smooth form between them.

Before any derivative is trusted, :func:`suspicious_points` collects on ``(a, b)`` the zeros of

* the arguments of ``Abs``, ``sign``, ``Heaviside``, ``DiracDelta``;
* the pairwise differences of the arguments of ``Max`` and ``Min``;
* the two sides of the conditions of a nested ``Piecewise``;
* the bases of negative or fractional powers (denominators, ``sqrt``: this catches
  ``atan(1/(r-1))``) and the arguments of ``log``; ``asin``/``acos`` at ``u = +-1``;

each solved by ``solveset`` on the open interval, plus SymPy's ``singularities``.  Anything
that is not a finite set (a floor, an equation SymPy cannot solve) makes the answer ``None``:
the caller reports ``unknown``.

Between consecutive suspicious points every such function has a constant branch, so
:func:`smooth_form` replaces it by that branch (``|u| -> +-u``, ``sign(u) -> +-1``,
``Heaviside(u) -> 0 or 1``, ``DiracDelta(u) -> 0``, ``Max``/``Min`` -> the argument that wins,
a nested ``Piecewise`` -> the branch whose condition holds), chosen at an interior point at 50
digits.  The result is analytic on the open sub-interval, so its derivatives are the true ones
there; what happens *at* the points is decided separately, by one-sided limits.
"""
from __future__ import annotations

import sympy as sp

_KINKS = (sp.Abs, sp.sign, sp.Heaviside, sp.DiracDelta)
_UNSOLVABLE = (sp.floor, sp.ceiling, sp.frac)


def _candidates(e: sp.Expr, x: sp.Symbol) -> list[sp.Expr] | None:
    out: list[sp.Expr] = []
    for node in sp.preorder_traversal(e):
        if not getattr(node, "free_symbols", None) or x not in node.free_symbols:
            continue
        if isinstance(node, _UNSOLVABLE):
            return None
        if isinstance(node, _KINKS):
            out.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            out += [u - v for i, u in enumerate(node.args) for v in node.args[i + 1:]]
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                for rel in cond.atoms(sp.Rel):
                    out.append(rel.lhs - rel.rhs)
        elif isinstance(node, sp.Pow) and not (node.exp.is_Integer and node.exp >= 0):
            out.append(node.base)
        elif isinstance(node, sp.log):
            out.append(node.args[0])
        elif isinstance(node, (sp.asin, sp.acos)):
            out += [node.args[0] - 1, node.args[0] + 1]
    return out


def suspicious_points(e: sp.Expr, x: sp.Symbol, a, b) -> list[sp.Expr] | None:
    """Sorted exact points of ``(a, b)`` where ``e`` may be non-smooth, or None (undecidable)."""
    cands = _candidates(e, x)
    if cands is None:
        return None
    dom = sp.Interval.open(a, b)
    pts: set = set()
    for u in cands:
        if not u.has(x):
            continue
        try:
            sol = sp.solveset(sp.Eq(u, 0), x, dom)
        except (NotImplementedError, TypeError, ValueError):
            return None
        if sol is sp.S.EmptySet:
            continue
        if not isinstance(sol, sp.FiniteSet):
            return None
        pts.update(sol)
    try:
        sing = sp.singularities(e, x, dom)
        if isinstance(sing, sp.FiniteSet):
            pts.update(sing)
    except (NotImplementedError, TypeError, ValueError, AttributeError):
        pass
    real = [p for p in pts if p.is_real]
    if len(real) != len(pts):
        return None
    return sorted(real, key=lambda p: float(p))


def _sign_at(u: sp.Expr, x: sp.Symbol, m) -> int | None:
    v = sp.N(u.subs(x, m), 50)
    if not (v.is_number and v.is_real):
        return None
    if v == 0:
        return 0
    return 1 if v > 0 else -1


def smooth_form(e: sp.Expr, x: sp.Symbol, m) -> sp.Expr | None:
    """``e`` with every kink function replaced by its branch at the interior point ``m``."""
    if not e.args or x not in e.free_symbols:
        return e
    if isinstance(e, sp.Piecewise):
        for expr, cond in e.args:
            c = cond.subs(x, m)
            if c is sp.true or c == True:  # noqa: E712 - SymPy booleans
                return smooth_form(expr, x, m)
            if c is not sp.false and c != False:  # noqa: E712
                return None
        return None
    if isinstance(e, (sp.Max, sp.Min)):
        vals = [(sp.N(u.subs(x, m), 50), u) for u in e.args]
        if not all(v.is_number and v.is_real for v, _ in vals):
            return None
        pick = max(vals, key=lambda vu: vu[0]) if isinstance(e, sp.Max) else min(vals, key=lambda vu: vu[0])
        return smooth_form(pick[1], x, m)
    args = []
    for arg in e.args:
        r = smooth_form(arg, x, m) if isinstance(arg, sp.Basic) and not isinstance(arg, sp.logic.boolalg.Boolean) else arg
        if r is None:
            return None
        args.append(r)
    if isinstance(e, _KINKS):
        s = _sign_at(args[0], x, m)
        if s is None:
            return None
        if isinstance(e, sp.Abs):
            return s * args[0]
        if isinstance(e, sp.sign):
            return sp.Integer(s)
        if isinstance(e, sp.Heaviside):
            return sp.Integer(1 if s > 0 else 0) if s != 0 else None
        return sp.Integer(0) if s != 0 else None  # DiracDelta off its support
    return e.func(*args)


def interior_point(a, b):
    """A rational point of ``(a, b)`` (``b`` may be oo)."""
    if b is sp.oo:
        return a + 1
    return (a + b) / 2
