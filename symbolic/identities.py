"""An identity prover: symbolic proof first, then a 50-digit search for counterexamples (docs/theory.md §4.4).

``prove_identity(name, lhs, rhs, symbols)`` decides ``lhs = rhs`` (expressions or matrices of
equal shape, entrywise) as follows.

1. **Symbolic.**  Each entry of ``lhs - rhs`` is brought to ``0`` by one of a fixed list of
   equivalence transformations: ``doit`` (evaluates derivatives of concrete functions),
   canonical partial derivatives (below), ``expand``, ``cancel(together(.))``, ``simplify``,
   ``trigsimp``, ``powsimp``, ``expand_log``, rewriting hyperbolic/inverse-hyperbolic functions
   through ``exp``/``log``, cancelling ``atanh(tanh z) = z`` and ``asinh(sinh z) = z`` for real
   ``z``, and ``piecewise_fold`` followed by proving every branch ``0`` (sufficient).  Success
   gives ``status = "proved"``, ``method = "symbolic"``.  With undefined functions (e.g.
   :func:`bregman.undefined_K`) a proof holds for every differentiable K.  Transformations
   aimed at function families absent from the expression are skipped, and when the cheap
   ones (``expand``, ``cancel``) fail and the sides can be evaluated, a quick numeric probe
   at the first 6 points runs before the expensive ones: a false identity is then refuted
   at once (it has no proof to find), a true one goes on to ``simplify`` and the rest.
2. **Numeric.**  Otherwise ``lhs - rhs`` is evaluated at 60 significant digits (``xreplace`` with
   exact rationals, then ``evalf``) at random rational points and at a deterministic grid.  A
   difference ``|lhs - rhs| > 1e-40 max(1, |lhs|, |rhs|)`` is a counterexample:
   ``status = "refuted"`` with the point.  Else ``status = "unknown"`` with the number of points
   and the worst difference: numbers never prove.  Points where a side is not a finite real
   number (outside the domain) are skipped and counted.

Undefined functions are replaced for the numeric part by the caller's ``concrete`` mapping
(``{F: Lambda((u1, ..., um), expr)}`` or ``{F: callable}``); without one the search is skipped.

**Canonical partial derivatives.**  SymPy writes the partial derivative ``d_i F`` at a point in
several ways (``Derivative(F(a, b), a)``, ``Subs(Derivative(F(u, b), u), u, a)``,
``Subs(Derivative(F(u, v), u), (u, v), (a, b))``, chain-rule terms ...).  We rewrite each
``Derivative(F(args), v...)`` with every ``v`` occurring as exactly one bare argument slot ``i``
(and nowhere else) into a new undefined function ``F_d{i}(args)``, and then perform the
``Subs``.  This only renames the same mathematical object, so it is sound (mixed partials are
assumed symmetric, i.e. ``F`` is ``C^2`` where second derivatives occur).

Intervals: ``domains={s: (a, b)}`` states the hypothesis ``s in (a, b)``.  The symbolic stage
substitutes ``s = a + (b - a) t/(1 + t)`` (``s = a + t`` when ``b = oo``) with ``t > 0`` so that
SymPy's assumptions know the sign of ``b - s`` and ``s - a``; the numeric stage samples inside.

The :class:`IdentityRegistry` lets a user register identities (builders of both sides and the
hypotheses) and check them with the same machinery; :func:`standard_registry` returns one
holding the docs/theory.md §4.2 identities that are stated for a generic K (I3, I4, I8, I9a, D_{K,L}).
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import Callable, Iterable

import sympy as sp
from sympy.core.function import AppliedUndef

from . import bregman as br
from .facts import Fact

DPS = 50
_EVAL_DPS = DPS + 10
_REL_TOL = sp.Rational(1, 10**40)


# ----------------------------------------------------------------------------------------------
# symbolic stage


def _partial_name(F, slots: list[int]) -> str:
    return f"{F.__name__}_d{'_'.join(str(s + 1) for s in sorted(slots))}"


def canonical_partials(expr: sp.Expr) -> sp.Expr:
    """Rewrite partial derivatives of undefined functions as ``F_d{i}(point)`` (see module doc)."""
    if not expr.has(sp.Derivative, sp.Subs):
        return expr
    return _canon(expr)


def _canon(e):
    if isinstance(e, sp.Derivative):
        inner = e.expr
        if isinstance(inner, AppliedUndef):
            slots: list[int] = []
            for v, cnt in e.variable_count:
                idx = [i for i, a in enumerate(inner.args) if a == v]
                clash = [a for a in inner.args if a != v and a.has(v)]
                if len(idx) != 1 or clash:
                    return e
                slots += [idx[0]] * int(cnt)
            return sp.Function(_partial_name(inner.func, slots), real=True)(*inner.args)
        return e
    if isinstance(e, sp.Subs):
        inner = _canon(e.expr)
        pts = [_canon(p) for p in e.point]
        if not inner.has(sp.Derivative, sp.Subs):
            return inner.xreplace(dict(zip(e.variables, pts)))
        return sp.Subs(inner, e.variables, pts)
    if e.args and not isinstance(e, (sp.Lambda,)):
        new = [_canon(a) for a in e.args]
        if any(n is not o for n, o in zip(new, e.args)):
            return e.func(*new)
    return e


def _cancel_inverses(e: sp.Expr) -> sp.Expr:
    """``atanh(tanh z) -> z``, ``asinh(sinh z) -> z`` for real z (bijections of the reals)."""
    def fix(f):
        arg = f.args[0]
        if not isinstance(arg, (sp.tanh, sp.sinh)):
            arg = sp.trigsimp(arg)
        if isinstance(f, sp.atanh) and isinstance(arg, sp.tanh) and arg.args[0].is_real:
            return arg.args[0]
        if isinstance(f, sp.asinh) and isinstance(arg, sp.sinh) and arg.args[0].is_real:
            return arg.args[0]
        return f
    return e.replace(lambda f: isinstance(f, (sp.atanh, sp.asinh)), fix)


def _trigsimp_atomized(e: sp.Expr) -> sp.Expr:
    """``trigsimp`` with the common argument ``z`` of all (hyperbolic) trig functions replaced
    by a fresh symbol ``u`` (so ``1 - tanh(3x/2)^2 -> cosh(u)^-2`` and not half-angle forms);
    only when ``e`` depends on its symbols through those functions alone; ``u -> z`` after."""
    fs = [f for f in e.atoms(sp.Function) if isinstance(f, _HYPERBOLIC + _TRIG)]
    zs = {f.args[0] for f in fs}
    if len(zs) != 1:
        return sp.trigsimp(e)
    z = zs.pop()
    u = sp.Dummy("u", real=True) if z.is_real else sp.Dummy("u")
    a = e.xreplace({f: f.func(u) for f in fs})
    if a.has(*z.free_symbols):
        return sp.trigsimp(e)
    return sp.trigsimp(a).xreplace({u: z})


_HYPERBOLIC = (sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch)
_TRIG = (sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc)
_INVERSE = (sp.atanh, sp.asinh, sp.acosh, sp.atan, sp.asin, sp.acos)


def _kinds(e: sp.Expr) -> set[str]:
    """Which families of functions occur in ``e`` (decides which transformations are worth trying)."""
    kinds = set()
    for f in e.atoms(sp.Function):
        if isinstance(f, AppliedUndef):
            continue
        kinds.add("elementary")
        if isinstance(f, _HYPERBOLIC + _TRIG):
            kinds.add("trig")
        if isinstance(f, _INVERSE):
            kinds.add("inverse")
        if isinstance(f, (sp.log, sp.exp)):
            kinds.add("log")
    if any(not p.exp.is_Integer for p in e.atoms(sp.Pow)):
        kinds.add("elementary")
        kinds.add("pow")
    if e.has(sp.Piecewise):
        kinds.add("elementary")
    return kinds


# (label, transformation, families that make it worth trying; empty: always)
_TRANSFORMS: list[tuple[str, Callable[[sp.Expr], sp.Expr], frozenset]] = [
    ("expand", sp.expand, frozenset()),
    ("together/cancel", lambda z: sp.cancel(sp.together(sp.expand(z))), frozenset()),
    ("simplify", sp.simplify, frozenset({"elementary"})),
    ("inverse functions + simplify", lambda z: sp.simplify(_cancel_inverses(z)), frozenset({"inverse"})),
    ("trigsimp inside log + expand_log",
     lambda z: sp.simplify(sp.expand_log(_cancel_inverses(z).replace(
         lambda f: isinstance(f, sp.log), lambda f: sp.log(_trigsimp_atomized(f.args[0]))))), frozenset({"log"})),
    ("trigsimp", lambda z: sp.trigsimp(z), frozenset({"trig"})),
    ("trigsimp + inverse functions + expand_log",
     lambda z: sp.simplify(sp.expand_log(_cancel_inverses(sp.trigsimp(z)))), frozenset({"trig"})),
    ("powsimp", lambda z: sp.simplify(sp.powsimp(sp.expand(z), force=False)), frozenset({"pow"})),
    ("expand_log + simplify", lambda z: sp.simplify(sp.expand_log(sp.expand(z))), frozenset({"log"})),
    ("rewrite(exp) + simplify", lambda z: sp.simplify(_cancel_inverses(z).rewrite(sp.exp)),
     frozenset({"trig", "inverse"})),
    ("rewrite(log) + expand_log + simplify",
     lambda z: sp.simplify(sp.expand_log(sp.factor_terms(_cancel_inverses(z).rewrite(sp.log)))),
     frozenset({"inverse", "log"})),
]


def _is_zero(z) -> bool:
    return z == 0 or (isinstance(z, sp.Expr) and z.is_zero is True)


def prove_zero(e: sp.Expr, cheap: bool = False) -> str | None:
    """The name of the first transformation that brings ``e`` to 0, or ``None``.

    ``cheap=True`` tries only ``doit``, canonical partials, ``expand`` and ``cancel``.
    """
    if _is_zero(e):
        return "as is"
    bases = [("", e)]
    d = e.doit() if e.has(sp.Derivative, sp.Subs) else e
    c = canonical_partials(d)
    if c is not e:
        if _is_zero(c):
            return "doit/canonical partials"
        bases = [("canonical partials, ", c)]
    for prefix, base in bases:
        kinds = _kinds(base)
        for label, tr, needs in _TRANSFORMS:
            if needs and (cheap or not (needs & kinds)):
                continue
            try:
                z = tr(base)
            except (NotImplementedError, TypeError, ValueError, AttributeError, RecursionError):
                continue
            if _is_zero(z):
                return prefix + label
        if base.has(sp.Piecewise) and not cheap:
            folded = sp.piecewise_fold(base)
            if isinstance(folded, sp.Piecewise):
                labels = []
                for branch, _cond in folded.args:
                    lab = prove_zero(branch) if branch.is_finite is not False else None
                    if lab is None:
                        break
                    labels.append(lab)
                else:
                    return prefix + "piecewise branches: " + "; ".join(labels)
    return None


def _reparametrize(exprs: list[sp.Expr], domains: dict) -> list[sp.Expr]:
    subs = {}
    for s, (a, b) in domains.items():
        t = sp.Dummy(f"t_{s}", positive=True)
        subs[s] = a + t if b is sp.oo else a + (b - a) * t / (1 + t)
    return [e.xreplace(subs) for e in exprs] if subs else exprs


# ----------------------------------------------------------------------------------------------
# numeric stage


@dataclass(frozen=True)
class SearchResult:
    """Outcome of :func:`numeric_search`: worst ``|lhs - rhs|`` (relative to the scale)."""

    n_points: int
    n_skipped: int
    worst: sp.Expr
    counterexample: dict


def _rand_rational(rng: random.Random, lo, hi) -> sp.Rational:
    q = rng.choice([1, 2, 3, 4, 5, 7, 8, 10, 16, 97])
    lo_n, hi_n = sp.ceiling(lo * q), sp.floor(hi * q)
    return sp.Rational(rng.randint(int(lo_n), int(hi_n)), q)


def _symbol_range(s: sp.Symbol, domains: dict):
    """``(lo, hi, open)``: where the default sampler draws ``s``."""
    if s in domains:
        a, b = domains[s]
        return a, (a + 3 if b is sp.oo else b), True
    if s.is_positive:
        return sp.Integer(0), sp.Integer(3), True
    if s.is_nonnegative:
        return sp.Integer(0), sp.Integer(3), False
    return sp.Integer(-3), sp.Integer(3), False


def default_points(symbols: list[sp.Symbol], n_random: int = 40, seed: int = 0,
                   domains: dict | None = None) -> list[dict]:
    """Random rationals (``[-3, 3]``; ``(0, 3]`` positive; ``[0, 3]`` nonnegative; inside
    ``domains``) and a deterministic grid, as ``{symbol: Rational}`` dicts."""
    domains = domains or {}
    rng = random.Random(seed)
    pts = []
    grid = [sp.Rational(p, q) for p, q in ((1, 2), (1, 1), (-1, 1), (2, 1), (-1, 3), (3, 2), (0, 1), (-2, 1),
                                           (5, 7), (3, 1), (-5, 4), (1, 10))]
    unit = [sp.Rational(p, q) for p, q in ((1, 2), (1, 3), (2, 3), (1, 10), (9, 10), (1, 4), (3, 4), (1, 7),
                                           (6, 7), (1, 100))]
    for i in range(12):
        p = {}
        for j, s in enumerate(symbols):
            lo, hi, is_open = _symbol_range(s, domains)
            if s in domains or s.is_positive:
                u = unit[(i + 3 * j + i * j) % len(unit)]
                p[s] = lo + (hi - lo) * u
            else:
                v = grid[(i + 5 * j + i * j) % len(grid)]
                if s.is_nonnegative:
                    v = abs(v)
                p[s] = v
        pts.append(p)
    for _ in range(n_random):
        p = {}
        for s in symbols:
            lo, hi, is_open = _symbol_range(s, domains)
            v = _rand_rational(rng, lo, hi)
            while is_open and (v <= lo or v >= hi):
                v = _rand_rational(rng, lo, hi)
            p[s] = v
        pts.append(p)
    return pts


def _apply_concrete(e: sp.Expr, concrete: dict | None) -> sp.Expr:
    if concrete:
        for F, G in concrete.items():
            fn = G if not isinstance(G, sp.Lambda) else (lambda *a, _G=G: _G(*a))
            e = e.replace(F, fn)
    if e.has(sp.Derivative, sp.Subs):
        e = e.doit()
    return e


def _has_undefined(e: sp.Expr) -> bool:
    return bool(e.atoms(AppliedUndef)) or e.has(sp.Derivative)


def _finite_real(v) -> bool:
    return bool(v.is_Number and v.is_finite and v.is_real)


def numeric_search(lhs: list[sp.Expr], rhs: list[sp.Expr], points: Iterable[dict],
                   dps: int = DPS) -> SearchResult:
    """Evaluate ``lhs[i] - rhs[i]`` at each point (``xreplace`` + ``evalf(dps + 10)``).

    A point where ``|lhs - rhs| > 1e-40 max(1, |lhs|, |rhs|)`` is returned as the
    counterexample (the search stops there); points where a side is not a finite real number
    are skipped.
    """
    n = skipped = 0
    worst = sp.Float(0, dps)
    for p in points:
        n += 1
        bad = False
        for idx, (l, r) in enumerate(zip(lhs, rhs)):
            lv = l.xreplace(p).evalf(dps + 10)
            rv = r.xreplace(p).evalf(dps + 10)
            if not (_finite_real(lv) and _finite_real(rv)):
                bad = True
                break
            diff = (lv - rv).evalf(dps + 10)
            scale = max(sp.Float(1), abs(lv), abs(rv))
            rel = abs(diff) / scale
            if rel > worst:
                worst = rel
            if rel > _REL_TOL:
                ce = {str(s): str(v) for s, v in p.items()}
                ce.update({"entry": idx, "lhs": str(sp.N(lv, 25)), "rhs": str(sp.N(rv, 25)),
                           "lhs - rhs": str(sp.N(diff, 25))})
                return SearchResult(n, skipped, worst, ce)
        if bad:
            skipped += 1
    return SearchResult(n, skipped, worst, {})


# ----------------------------------------------------------------------------------------------
# the prover


def _entries(v) -> list[sp.Expr]:
    if isinstance(v, sp.MatrixBase):
        return list(v)
    return [sp.Rational(v) if isinstance(v, (int, float)) else v]


def _refuted(name: str, statement: str, res: SearchResult, note: str) -> Fact:
    return Fact(name, statement, "refuted", "numeric",
                note + f"lhs - rhs = {res.counterexample['lhs - rhs']} at the point in counterexample "
                f"(relative difference {sp.N(res.worst, 5)} > 1e-40)", res.counterexample)


def prove_identity(name: str, lhs, rhs, symbols: list[sp.Symbol] | None = None, sampler=None,
                   hypotheses: str = "", concrete: dict | None = None, domains: dict | None = None,
                   statement: str | None = None, n_random: int = 40, seed: int | None = None,
                   symbolic: bool = True) -> Fact:
    """Decide ``lhs = rhs`` (see the module docstring).

    ``sampler``: a callable returning one ``{symbol: Rational}`` dict per call (called
    ``n_random`` times), or an iterable of such dicts.  It replaces the default points (the
    deterministic grid and ``n_random`` random rationals), so a sampler can encode hypotheses
    (e.g. ``||G|| > c``) that the default points would violate.
    ``seed`` defaults to a hash of ``name``, so runs are reproducible.
    ``symbolic=False`` skips the symbolic stage (a known-false or piecewise-heavy identity).
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        lhs, rhs = sp.Matrix(lhs), sp.Matrix(rhs)
        if lhs.shape != rhs.shape:
            raise ValueError(f"{name}: shapes {lhs.shape} and {rhs.shape} differ")
    L, R = _entries(lhs), _entries(rhs)
    domains = dict(domains or {})
    if symbols is None:
        symbols = sorted(set().union(*[(l - r).free_symbols for l, r in zip(L, R)]), key=str)
    symbols = list(symbols)
    if statement is None:
        text = f"{lhs} = {rhs}"
        statement = text if len(text) <= 300 else f"{name}: lhs = rhs"
    if hypotheses:
        statement = f"{statement} [{hypotheses}]"

    Ln = [_apply_concrete(e, concrete) for e in L]
    Rn = [_apply_concrete(e, concrete) for e in R]
    numeric_ok = not any(_has_undefined(e) for e in Ln + Rn)
    seed = zlib.crc32(name.encode()) if seed is None else seed
    if sampler is None:
        pts = default_points(symbols, n_random, seed, domains)  # the grid, then random points
    elif callable(sampler):
        pts = [sampler() for _ in range(n_random)]
    else:
        pts = list(sampler)

    if symbolic:
        diffs = _reparametrize([l - r for l, r in zip(L, R)], domains)
        methods = [prove_zero(dexpr, cheap=True) for dexpr in diffs]
        if None in methods and numeric_ok:
            # a quick probe: a false identity is refuted before the expensive transformations
            res = numeric_search(Ln, Rn, pts[:6])
            if res.counterexample:
                return _refuted(name, statement, res, "refuted by the numeric probe before the "
                                "expensive symbolic transformations; ")
        methods = [m if m is not None else prove_zero(dexpr) for m, dexpr in zip(methods, diffs)]
        if None not in methods:
            how = sorted(set(methods))
            return Fact(name, statement, "proved", "symbolic",
                        f"simplified lhs - rhs to 0 ({len(diffs)} entr{'y' if len(diffs) == 1 else 'ies'}; "
                        f"by {', '.join(how)})")
    note = "symbolic simplification did not reach 0; " if symbolic else ""
    if not numeric_ok:
        return Fact(name, statement, "unknown", "symbolic",
                    note + "undefined functions without a concrete substitute: numeric search skipped")
    res = numeric_search(Ln, Rn, pts)
    if res.counterexample:
        return _refuted(name, statement, res, note)
    return Fact(name, statement, "unknown", "numeric",
                note + f"no counterexample in {res.n_points - res.n_skipped} points "
                f"({res.n_skipped} skipped outside the domain), worst |lhs - rhs| = {sp.N(res.worst, 5)} "
                f"(relative, at {DPS} digits)")


# ----------------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True)
class RegisteredIdentity:
    """``lhs_builder(**kw) = rhs_builder(**kw)`` under ``hypotheses``."""

    name: str
    lhs_builder: Callable
    rhs_builder: Callable
    hypotheses: str = ""
    statement: str = ""


_PROVER_OPTIONS = ("sampler", "concrete", "symbols", "domains", "n_random", "seed", "symbolic")


class IdentityRegistry:
    """A dictionary of named identities, checked with :func:`prove_identity`."""

    def __init__(self) -> None:
        self._items: dict[str, RegisteredIdentity] = {}

    def register(self, name: str, lhs_builder: Callable, rhs_builder: Callable, hypotheses: str = "",
                 statement: str = "", replace: bool = False) -> RegisteredIdentity:
        if name in self._items and not replace:
            raise KeyError(f"identity {name!r} is already registered")
        item = RegisteredIdentity(name, lhs_builder, rhs_builder, hypotheses, statement)
        self._items[name] = item
        return item

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __getitem__(self, name: str) -> RegisteredIdentity:
        return self._items[name]

    def check(self, name: str, **kwargs) -> Fact:
        """Build both sides with the non-prover ``kwargs`` and run :func:`prove_identity`.

        Prover options (``sampler``, ``concrete``, ``symbols``, ``domains``, ``n_random``,
        ``seed``, ``symbolic``) are passed to the prover; the rest go to both builders.
        """
        item = self._items[name]
        opts = {k: kwargs.pop(k) for k in _PROVER_OPTIONS if k in kwargs}
        lhs = item.lhs_builder(**kwargs)
        rhs = item.rhs_builder(**kwargs)
        return prove_identity(name, lhs, rhs, hypotheses=item.hypotheses,
                              statement=item.statement or None, **opts)


def register_identity(name: str, lhs_builder: Callable, rhs_builder: Callable, hypotheses: str = "",
                      statement: str = "", registry: IdentityRegistry | None = None) -> RegisteredIdentity:
    """Register in ``registry`` (default: :data:`DEFAULT_REGISTRY`)."""
    return (registry or DEFAULT_REGISTRY).register(name, lhs_builder, rhs_builder, hypotheses, statement)


def check_composite_gradient(K, X: sp.Matrix, A: sp.Matrix | None = None, k: int = 1, **prove_kwargs):
    """Prove identity I8 ``grad (K o X^T)(A) = X grad K(X^T A)`` with :func:`prove_identity`.

    ``A`` defaults to an ``n x k`` matrix of real symbols.  Returns a :class:`facts.Fact`.
    """
    X = sp.Matrix(X)
    if A is None:
        A = br.symbol_matrix("a", (X.rows, k))
    lhs, rhs = br.composite_gradient_sides(K, X, A)
    syms = prove_kwargs.pop("symbols", None)
    if syms is None:
        syms = sorted((lhs - rhs).free_symbols, key=str)
    return prove_identity("I8", lhs, rhs, syms, hypotheses="K differentiable",
                          statement="grad (K o X^T)(A) = X grad K(X^T A)", **prove_kwargs)


# standard identities (docs/theory.md §4.2) for a generic K; builders take K (default: undefined K on
# ``shape``) and optional matrices (default: real symbol matrices)

def _K(K, shape):
    return K if K is not None else br.undefined_K(shape)


def _m(M, name, shape):
    return M if M is not None else br.symbol_matrix(name, shape)


def _i3(side):
    def build(K=None, A=None, B=None, C=None, shape=(2, 1)):
        K, A, B, C = _K(K, shape), _m(A, "a", shape), _m(B, "b", shape), _m(C, "c", shape)
        if side == "lhs":
            return br.bregman(K, A, B) + br.bregman(K, B, C) - br.bregman(K, A, C)
        return br.inner(br.grad(K, C) - br.grad(K, B), A - B)
    return build


def _i4(side):
    def build(K=None, G=None, G2=None, shape=(2, 1)):
        K, G, G2 = _K(K, shape), _m(G, "g", shape), _m(G2, "h", shape)
        if side == "lhs":
            return br.bregman(K, G, G2) + br.bregman(K, G2, G)
        return br.inner(br.grad(K, G) - br.grad(K, G2), G - G2)
    return build


def _i9a(side):
    def build(K=None, G=None, shape=(2, 1)):
        K, G = _K(K, shape), _m(G, "g", shape)
        if side == "lhs":
            return br.bregman(K, G, sp.zeros(*shape)).subs(br.zero_normalization(K, shape))
        return K(G)
    return build


def _i8(side):
    def build(X, K=None, A=None, k=1):
        X = sp.Matrix(X)
        K, A = _K(K, (X.cols, k)), _m(A, "a", (X.rows, k))
        return br.composite_gradient_sides(K, X, A)[0 if side == "lhs" else 1]
    return build


def _i8b(side):
    def build(X, K=None, A=None, B=None, k=1):
        X = sp.Matrix(X)
        K, A, B = _K(K, (X.cols, k)), _m(A, "a", (X.rows, k)), _m(B, "b", (X.rows, k))
        if side == "lhs":
            return br.bregman(br.composite(K, X), A, B)
        return br.residual_divergence(K, X, A, B)
    return build


def _dkl_square(side):
    def build(X, Y=None, K=None, W1=None, W2=None, k=1):
        X = sp.Matrix(X)
        n, d = X.shape
        K, Yv = _K(K, (d, k)), _m(Y, "y", (n, k))
        W1, W2 = _m(W1, "w", (d, k)), _m(W2, "v", (d, k))
        if side == "lhs":
            return br.gradient_space_divergence(K, lambda W: X.T * (X * W - Yv), W1, W2)
        return br.bregman(br.composite(K, X), X * W1 - Yv, X * W2 - Yv)
    return build


def standard_registry() -> IdentityRegistry:
    """A fresh registry with I3, I4, I8, I8b, I9a and D_{K,L} (square loss) for generic K."""
    reg = IdentityRegistry()
    reg.register("I3", _i3("lhs"), _i3("rhs"), "K differentiable",
                 "D_K(A,B) + D_K(B,C) - D_K(A,C) = <grad K(C) - grad K(B), A - B>")
    reg.register("I4", _i4("lhs"), _i4("rhs"), "K differentiable",
                 "D_K(G,G') + D_K(G',G) = <grad K(G) - grad K(G'), G - G'>")
    reg.register("I9a", _i9a("lhs"), _i9a("rhs"), "K differentiable, K(0) = 0, grad K(0) = 0",
                 "D_K(G, 0) = K(G)")
    reg.register("I8", _i8("lhs"), _i8("rhs"), "K differentiable",
                 "grad (K o X^T)(A) = X grad K(X^T A)")
    reg.register("I8b", _i8b("lhs"), _i8b("rhs"), "K differentiable",
                 "D_{K o X^T}(A, B) = D_K(X^T A, X^T B)")
    reg.register("DKL_square", _dkl_square("lhs"), _dkl_square("rhs"),
                 "K differentiable, L(W) = ||XW - Y||^2/2",
                 "D_{K,L}(W', W) = D_{K o X^T}(R', R), R = XW - Y")
    return reg


DEFAULT_REGISTRY = standard_registry()
