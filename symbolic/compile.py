"""Compile a vetted SymPy expression into fast callables, without ``lambdify`` or ``eval``.

:func:`compile_expr` walks the expression tree once and returns a :class:`Compiled`
object; ``.bind(ctx)`` specializes it to a numeric context and returns a plain Python
closure ``f(*values)``:

* an ``mpmath`` context (``mpmath.MPContext``) -> arbitrary precision (constants are
  converted once per context, so the precision of the context governs everything);
* ``FLOAT`` -> float64 via the ``math`` module;
* ``FLINT`` -> python-flint ``arb`` balls at the binary precision ``flint.ctx.prec`` in force
  when it is bound (the fast DSPGD loop binds inside ``numeric.backends.flint_loop.flint_precision``).
  The result is a ball whose midpoint the loop keeps, so this is floating-point arithmetic at that
  precision, like the mpmath target: every decision (``Piecewise`` conditions, ``Max``, ``Min``,
  ``sign``, ``Heaviside``) compares the balls' midpoints, exactly as mpmath compares its rounded
  numbers.  Constants are rounded once per bind; a bind is cached per precision;
* an ``mpmath`` interval context (``mpmath.ctx_iv.MPIntervalContext``) -> rigorous
  enclosures (outward rounding).  mpmath's interval context has no hyperbolic functions:
  ``sinh``, ``tanh`` (increasing) and ``cosh``, ``sech`` (monotone on each half-line) are
  enclosed from interval evaluations of their ``exp`` formulas at the endpoints, which
  avoids the dependency blow-up of evaluating the formula on the whole interval; a
  ``Piecewise`` whose condition is undecided on the interval returns the hull of both
  branches.

Supported nodes: numbers, symbols, ``+ * **``, ``exp log sqrt cosh sinh tanh sech sin cos
atan asinh Abs sign Heaviside Max Min Piecewise`` (conditions ``< <= > >=`` and ``True``),
``pi`` and ``E``.  Anything else raises :class:`CompileError`: the caller reports the fact
as unknown rather than guessing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import sympy as sp

FLOAT = "float64"
FLINT = "flint"


class CompileError(ValueError):
    """The expression contains a node the numeric backends cannot evaluate."""


def _is_interval_ctx(ctx) -> bool:
    return type(ctx).__name__ == "MPIntervalContext"


@dataclass
class Compiled:
    """A compiled expression of the ``symbols``; bind it to a context to evaluate."""

    expr: sp.Expr
    symbols: tuple
    _bound: dict = field(default_factory=dict, repr=False)
    fast_expr: sp.Expr | None = None  # an equal expression with fewer operations, used by the FLINT target

    def bind(self, ctx) -> Callable:
        if ctx == FLINT:
            import flint
            key = (FLINT, flint.ctx.prec)
        else:
            key = FLOAT if ctx == FLOAT else id(ctx)
        if key not in self._bound:
            if len(self._bound) >= 8:
                self._bound.clear()
            expr = self.fast_expr if ctx == FLINT and self.fast_expr is not None else self.expr
            node = _build(expr, {s: i for i, s in enumerate(self.symbols)}, ctx)
            self._bound[key] = (ctx, lambda *vals: node(vals), node)
        return self._bound[key][1]

    def node(self, ctx) -> Callable:
        """The bound closure called with one tuple of values (``f((x,))``), without the
        argument packing of :meth:`bind`: for the inner loops of the fast kernels."""
        self.bind(ctx)
        if ctx == FLINT:
            import flint
            return self._bound[(FLINT, flint.ctx.prec)][2]
        return self._bound[FLOAT if ctx == FLOAT else id(ctx)][2]


    def compiles_to(self, ctx) -> bool:
        """Whether every node has an implementation in ``ctx`` (``FLINT`` needs python-flint)."""
        try:
            self.bind(ctx)
        except (CompileError, ImportError):
            return False
        return True


def compile_expr(expr: sp.Expr, symbols: Sequence[sp.Symbol], fast: bool = False) -> Compiled:
    """Check once that every node is supported (raises :class:`CompileError`) and wrap it.

    ``fast``: also look for an equal form with fewer operations for the FLINT target
    (``sympy.cancel``, an identity of rational functions: ``1 - 1/(10 x + 1)`` becomes
    ``10 x/(10 x + 1)``); the other targets keep ``expr`` as given."""
    free = set(getattr(expr, "free_symbols", set())) - set(symbols)
    if free:
        raise CompileError(f"unbound symbols {sorted(map(str, free))}")
    index = {s: i for i, s in enumerate(symbols)}
    _build(expr, index, FLOAT)  # validation pass
    return Compiled(expr, tuple(symbols), fast_expr=_fewer_operations(expr, index) if fast else None)


def _fewer_operations(expr: sp.Expr, index: dict) -> sp.Expr | None:
    if expr.has(sp.Piecewise):
        return None
    try:
        cand = sp.cancel(expr)
        if sp.count_ops(cand) >= sp.count_ops(expr):
            return None
        _build(cand, index, FLOAT)
    except (CompileError, sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return None
    return cand


# ----------------------------------------------------------------------------- builders
def _const(ctx, value: sp.Expr):
    if ctx == FLOAT:
        return float(value)
    if ctx == FLINT:
        return _flint_const(value)
    if isinstance(value, sp.Rational):
        return ctx.mpf(int(value.p)) / int(value.q)
    if value is sp.pi:
        return ctx.pi
    if value is sp.E:
        return ctx.e
    if isinstance(value, sp.Float):
        return ctx.mpf(sp.Rational(value).p) / int(sp.Rational(value).q)
    raise CompileError(f"unsupported constant {value}")


def _fn(ctx, name: str):
    if ctx == FLINT:
        from flint import arb
        return getattr(arb, name)
    if ctx == FLOAT:
        table = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "cosh": math.cosh, "sinh": math.sinh,
                 "tanh": math.tanh, "sin": math.sin, "cos": math.cos, "atan": math.atan, "asinh": math.asinh,
                 "sech": lambda x: 1 / math.cosh(x)}
        return table[name]
    if _is_interval_ctx(ctx) and name in _IV_HYPERBOLIC:
        return lambda x: _IV_HYPERBOLIC[name](ctx, x)
    if name == "sech":
        return ctx.sech
    f = getattr(ctx, name, None)
    if f is None:
        raise CompileError(f"{name} not available in {type(ctx).__name__}")
    return f


def _flint_const(value: sp.Expr):
    """An ``arb`` of ``value`` rounded at ``flint.ctx.prec`` (a Float enters as its exact binary value)."""
    from flint import arb, fmpq
    if value is sp.pi:
        return arb.pi()
    if value is sp.E:
        return arb.const_e()
    if isinstance(value, (sp.Rational, sp.Float)):
        r = sp.Rational(value)
        return arb(fmpq(int(r.p), int(r.q)))
    raise CompileError(f"unsupported constant {value}")


def _mid(x):
    """The midpoint of a flint ball (the point the decisions of the FLINT target compare)."""
    return x.mid()


def _iv_point(ctx, v, formula):
    """Enclosure of ``formula`` at the exact point ``v`` (a degenerate interval)."""
    return formula(ctx, ctx.mpf([v, v]))


def _monotone(formula, increasing_on_positive_only=False):
    """Interval extension of a function monotone on R (or even, monotone on [0, oo))."""
    def ext(ctx, x):
        a, b = x.a, x.b
        if increasing_on_positive_only:  # even function, increasing in |x|
            lo_pt = 0 if a <= 0 <= b else min(abs(a), abs(b))
            hi_pt = max(abs(a), abs(b))
            lo, hi = _iv_point(ctx, lo_pt, formula), _iv_point(ctx, hi_pt, formula)
        else:
            lo, hi = _iv_point(ctx, a, formula), _iv_point(ctx, b, formula)
        return ctx.mpf([min(lo.a, hi.a), max(lo.b, hi.b)])
    return ext


def _sinh(ctx, x):
    return (ctx.exp(x) - ctx.exp(-x)) / 2


def _cosh(ctx, x):
    return (ctx.exp(x) + ctx.exp(-x)) / 2


def _tanh(ctx, x):
    return 1 - 2 / (ctx.exp(2 * x) + 1)


def _sech(ctx, x):
    return 2 / (ctx.exp(x) + ctx.exp(-x))


def _decreasing_even(formula):
    def ext(ctx, x):  # sech: even, decreasing in |x|: swap the roles of the endpoints
        a, b = x.a, x.b
        near = 0 if a <= 0 <= b else min(abs(a), abs(b))
        far = max(abs(a), abs(b))
        hi, lo = _iv_point(ctx, near, formula), _iv_point(ctx, far, formula)
        return ctx.mpf([min(lo.a, hi.a), max(lo.b, hi.b)])
    return ext


_IV_HYPERBOLIC = {"sinh": _monotone(_sinh), "tanh": _monotone(_tanh),
                  "cosh": _monotone(_cosh, increasing_on_positive_only=True), "sech": _decreasing_even(_sech)}


def _sign(ctx, x):
    if ctx == FLINT:
        return x.mid().sgn()
    if ctx != FLOAT and _is_interval_ctx(ctx):
        lo = -1 if x.a < 0 else (0 if x.a == 0 else 1)
        hi = -1 if x.b < 0 else (0 if x.b == 0 else 1)
        return ctx.mpf([lo, hi])
    return (x > 0) - (x < 0) if ctx == FLOAT else ctx.sign(x)


def _hull(ctx, a, b):
    return ctx.mpf([min(a.a, b.a), max(a.b, b.b)])


def _decide(ctx, rel, lhs, rhs):
    """True/False, or None when undecided on intervals."""
    if ctx == FLINT:  # exact midpoints: every comparison is decided
        lhs, rhs = lhs.mid(), rhs.mid()
    if ctx != FLOAT and ctx != FLINT and _is_interval_ctx(ctx):
        d = lhs - rhs
        lo, hi = d.a, d.b
        if isinstance(rel, sp.StrictLessThan):
            return True if hi < 0 else False if lo >= 0 else None
        if isinstance(rel, sp.LessThan):
            return True if hi <= 0 else False if lo > 0 else None
        if isinstance(rel, sp.StrictGreaterThan):
            return True if lo > 0 else False if hi <= 0 else None
        if isinstance(rel, sp.GreaterThan):
            return True if lo >= 0 else False if hi < 0 else None
    else:
        if isinstance(rel, sp.StrictLessThan):
            return lhs < rhs
        if isinstance(rel, sp.LessThan):
            return lhs <= rhs
        if isinstance(rel, sp.StrictGreaterThan):
            return lhs > rhs
        if isinstance(rel, sp.GreaterThan):
            return lhs >= rhs
    raise CompileError(f"unsupported condition {rel}")


def _flint_fold(args, parts, index: dict, add: bool):
    """The sum (``add``) or product of the parts of an Add or a Mul for the FLINT target, with
    the constant parts combined exactly first and the common shapes (one or two non-constant
    terms) as single closures, so a small K costs about as many Python calls as a hand-written
    kernel."""
    is_const = [a.is_Number or a in (sp.pi, sp.E) for a in args]
    rest = [p for p, k in zip(parts, is_const) if not k]
    sym = [a for a, k in zip(args, is_const) if not k and isinstance(a, sp.Symbol)]
    consts = [a for a, k in zip(args, is_const) if k]
    c = _flint_const((sp.Add if add else sp.Mul)(*consts)) if consts else None
    if not rest:
        return lambda v: c
    if len(rest) == 1:
        a = rest[0]
        if c is None:
            return a
        if not add and consts and (sp.Mul(*consts)) == -1:
            return lambda v: -a(v)
        if sym:  # a bare variable: no call for it
            i = index[sym[0]]
            return (lambda v: v[i] + c) if add else (lambda v: v[i] * c)
        return (lambda v: a(v) + c) if add else (lambda v: a(v) * c)
    if len(rest) == 2 and c is None:
        a, b = rest
        return (lambda v: a(v) + b(v)) if add else (lambda v: a(v) * b(v))
    head = rest if c is None else [lambda v: c, *rest]

    def fold(v):
        s = head[0](v)
        for p in head[1:]:
            s = s + p(v) if add else s * p(v)
        return s
    return fold


def _build(e, index: dict, ctx):  # noqa: C901 - one branch per node type, flat
    if isinstance(e, sp.Symbol):
        if e not in index:
            raise CompileError(f"unbound symbol {e}")
        i = index[e]
        return lambda v: v[i]
    if e.is_Number or e in (sp.pi, sp.E):
        c = _const(ctx, e)
        return lambda v: c
    if isinstance(e, sp.Add):
        parts = [_build(a, index, ctx) for a in e.args]
        if ctx == FLINT:
            return _flint_fold(e.args, parts, index, add=True)
        if ctx != FLOAT and not _is_interval_ctx(ctx):
            fsum = ctx.fsum
            return lambda v: fsum(p(v) for p in parts)

        def add(v):
            s = parts[0](v)
            for p in parts[1:]:
                s = s + p(v)
            return s
        return add
    if isinstance(e, sp.Mul):
        parts = [_build(a, index, ctx) for a in e.args]
        if ctx == FLINT:
            return _flint_fold(e.args, parts, index, add=False)

        def mul(v):
            s = parts[0](v)
            for p in parts[1:]:
                s = s * p(v)
            return s
        return mul
    if isinstance(e, sp.Pow):
        base = _build(e.base, index, ctx)
        ex = e.exp
        if ex == sp.Rational(1, 2):
            f = _fn(ctx, "sqrt")
            return lambda v: f(base(v))
        if ex == -sp.Rational(1, 2):
            f = _fn(ctx, "sqrt")
            return lambda v: 1 / f(base(v))
        if ex.is_Integer:
            n = int(ex)
            if ctx == FLINT and n == -1:  # one division, not a power and a division
                if isinstance(e.base, sp.Symbol):
                    i = index[e.base]
                    return lambda v: 1 / v[i]
                return lambda v: 1 / base(v)
            if n >= 0:
                return lambda v: base(v) ** n
            return lambda v: 1 / base(v) ** (-n)
        if ex.is_Rational:
            if ctx == FLOAT:
                q = float(ex)
                return lambda v: base(v) ** q
            q = _const(ctx, ex)
            if ctx == FLINT:  # arb: 0 ** q = 0 for q > 0, as mpmath's power
                return lambda v: base(v) ** q
            if _is_interval_ctx(ctx):
                exp, log = ctx.exp, ctx.log
                return lambda v: exp(q * log(base(v)))
            return lambda v: ctx.power(base(v), q)
        raise CompileError(f"non-constant exponent in {e}")
    if isinstance(e, sp.Piecewise):
        branches = []
        for expr, cond in e.args:
            fe = _build(expr, index, ctx)
            if cond is sp.true:
                branches.append((None, fe))
            elif isinstance(cond, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
                branches.append(((cond, _build(cond.lhs, index, ctx), _build(cond.rhs, index, ctx)), fe))
            else:
                raise CompileError(f"unsupported Piecewise condition {cond}")

        def piecewise(v, start=0):
            for j in range(start, len(branches)):
                cond, fe = branches[j]
                if cond is None:
                    return fe(v)
                decided = _decide(ctx, cond[0], cond[1](v), cond[2](v))
                if decided is True:
                    return fe(v)
                if decided is None:
                    return _hull(ctx, fe(v), piecewise(v, j + 1))
            raise CompileError("Piecewise without a default branch")
        return piecewise
    if isinstance(e, (sp.Max, sp.Min)):
        parts = [_build(a, index, ctx) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        if ctx != FLOAT and _is_interval_ctx(ctx):
            def iv_pick(v):
                vals = [p(v) for p in parts]
                return ctx.mpf([pick(x.a for x in vals), pick(x.b for x in vals)])
            return iv_pick
        if ctx == FLINT:
            return lambda v: pick((p(v) for p in parts), key=_mid)
        return lambda v: pick(p(v) for p in parts)
    if isinstance(e, sp.Abs):
        a = _build(e.args[0], index, ctx)
        return lambda v: abs(a(v))
    if isinstance(e, sp.sign):
        a = _build(e.args[0], index, ctx)
        return lambda v: _sign(ctx, a(v))
    if isinstance(e, sp.Heaviside):
        a = _build(e.args[0], index, ctx)
        half = _const(ctx, sp.Rational(1, 2))

        def heaviside(v):
            s = _sign(ctx, a(v))
            return (s + 1) * half
        return heaviside
    names = {sp.exp: "exp", sp.log: "log", sp.cosh: "cosh", sp.sinh: "sinh", sp.tanh: "tanh",
             sp.sin: "sin", sp.cos: "cos", sp.atan: "atan", sp.asinh: "asinh", sp.sech: "sech"}
    for cls, name in names.items():
        if isinstance(e, cls):
            if len(e.args) != 1:
                raise CompileError(f"{name} with {len(e.args)} arguments")
            a = _build(e.args[0], index, ctx)
            f = _fn(ctx, name)
            if ctx == FLINT and isinstance(e.args[0], sp.Symbol):
                i = index[e.args[0]]
                return lambda v: f(v[i])
            return lambda v: f(a(v))
    raise CompileError(f"unsupported expression node {type(e).__name__}: {e}")
