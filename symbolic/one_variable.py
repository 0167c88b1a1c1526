"""Sign of a one-variable expression on an interval, proved with SymPy or refuted at a point.

``prove_nonnegative(f, x, a, b)`` decides ``f(x) >= 0`` for ``x in (a, b)`` (``b`` may be
``oo``) by, in order:

1. reparametrizing the interval by a positive symbol ``t`` (``x = a + t`` on ``(a, oo)``,
   ``x = a + (b - a) t/(1 + t)`` on ``(a, b)``) and asking SymPy's assumption system whether
   ``f`` is nonnegative, on the expression and on a few normal forms of it
   (``simplify``, ``factor(together(.))``, ``cancel``);
2. ``solveset(f < 0, x, Interval.open(a, b))`` returning the empty set (a non-empty set gives a
   candidate point, re-evaluated at 50 digits before it is a counterexample); an ``f`` with
   ``DiracDelta``, ``Heaviside`` or ``sign`` terms is never handed to solveset;
3. failing both, a search for a counterexample at 50 digits on a log-spaced grid.

Only 1 and 2 prove; 3 can only refute.  Anything else is ``unknown``.
"""
from __future__ import annotations

import sympy as sp

from .facts import Fact

_GRID = [sp.Rational(1, 10**6), sp.Rational(1, 1000), sp.Rational(1, 100), sp.Rational(1, 10),
         sp.Rational(1, 3), sp.Rational(1, 2), sp.Integer(1), sp.Integer(2), sp.Integer(3),
         sp.Integer(10), sp.Integer(100), sp.Integer(1000)]


def _reparametrize(f: sp.Expr, x: sp.Symbol, a, b) -> tuple[sp.Expr, sp.Symbol]:
    t = sp.Dummy("t", positive=True)
    if b is sp.oo:
        return f.subs(x, a + t), t
    return f.subs(x, a + (b - a) * t / (1 + t)), t


def _forms(e: sp.Expr):
    yield e
    yield sp.simplify(e)
    yield sp.factor(sp.together(e))
    yield sp.cancel(e)


def prove_nonnegative(name: str, f: sp.Expr, x: sp.Symbol, a=sp.Integer(0), b=sp.oo,
                      statement: str | None = None) -> Fact:
    """Decide ``f(x) >= 0`` on the open interval ``(a, b)``."""
    statement = statement or f"{f} >= 0 for {x} in ({a}, {b})"
    g, t = _reparametrize(sp.sympify(f), x, a, b)
    for form in _forms(g):
        if form.is_nonnegative:
            return Fact(name, statement, "proved", "symbolic",
                        f"nonnegative by SymPy's assumptions on {x} in ({a}, {b})")
    f = sp.sympify(f)
    kinks = f.has(sp.DiracDelta, sp.Heaviside, sp.sign)  # kinks are compared by one-sided limits, never solved
    try:
        bad = None if kinks else sp.solveset(f < 0, x, sp.Interval.open(a, b))
    except (NotImplementedError, TypeError, ValueError):
        bad = None
    if bad is sp.S.EmptySet:
        return Fact(name, statement, "proved", "symbolic", f"solveset({f} < 0) on ({a}, {b}) is empty")
    witness = _witness(f, x, bad)
    if witness is not None:
        xv, val = witness
        return Fact(name, statement, "refuted", "numeric",
                    f"{f} = {sp.N(val, 8)} < 0 at {x} = {xv} (a point of solveset's set {bad} where f < 0, "
                    "re-evaluated at 50 digits)", {str(x): str(xv), "value": str(sp.N(val, 20))})
    for tv in _GRID:
        val = g.subs(t, tv).evalf(50)
        # a number only: at a kink f'' may evaluate to DiracDelta(0) terms, which have no sign
        if isinstance(val, sp.Number) and val.is_real and val < -sp.Rational(1, 10**40):
            xv = (a + tv) if b is sp.oo else a + (b - a) * tv / (1 + tv)
            return Fact(name, statement, "refuted", "numeric",
                        f"{f} = {sp.N(val, 8)} < 0 at {x} = {xv}", {str(x): str(xv), "value": str(sp.N(val, 20))})
    return Fact(name, statement, "unknown", "symbolic", f"could not decide the sign of {f} on ({a}, {b})")


def _witness(f: sp.Expr, x: sp.Symbol, bad) -> tuple | None:
    """A point of the set ``bad`` (from solveset) where ``f < 0`` holds at 50 digits, or None.

    solveset's answer is never trusted by itself: the point is re-evaluated."""
    if bad is None or bad is sp.S.EmptySet:
        return None
    sets = bad.args if isinstance(bad, sp.Union) else (bad,)
    for s in sets:
        if isinstance(s, sp.Interval) and s.measure.is_positive:
            lo, hi = s.start, s.end
            pts = [lo + 1] if hi is sp.oo else [(lo + hi) / 2]
        elif isinstance(s, sp.FiniteSet):
            pts = list(s)
        else:
            continue
        for p in pts:
            p = sp.nsimplify(p) if p.is_Float else p
            val = sp.N(f.subs(x, p), 50)
            if isinstance(val, sp.Number) and val.is_real and val < -sp.Rational(1, 10**40):
                return p, val
    return None


def prove_zero_limit(name: str, f: sp.Expr, x: sp.Symbol, at=sp.Integer(0)) -> Fact:
    """Decide ``lim_{x -> at+} f(x) = 0``."""
    statement = f"lim {x}->{at}+ of {f} = 0"
    try:
        lim = sp.limit(f, x, at, "+")
    except (NotImplementedError, ValueError):
        return Fact(name, statement, "unknown", "symbolic", "limit not computable")
    if lim == 0:
        return Fact(name, statement, "proved", "symbolic", "limit is 0")
    if lim.is_number and lim != 0:
        return Fact(name, statement, "refuted", "symbolic", f"limit is {lim}", {str(x): str(at), "limit": str(lim)})
    return Fact(name, statement, "unknown", "symbolic", f"limit {lim} undecided")
