"""A :class:`~numeric.preconditioners.base.Preconditioner` built from a symbolic K (``symbolic/``).

The vetted SymPy expressions are compiled by :mod:`symbolic.compile` (no ``lambdify``):

* entrywise ``K = sum k(g_ij)``: ``grad K = k'(G)`` entrywise;
* isotropic ``K = h(||G||)``: ``grad K = q(r) G`` with ``q(r) = h'(r)/r`` simplified;
* spectral ``K = sum phi(sigma_i)``: ``grad K = G V diag(q(sigma)) V^T`` from the k x k
  eigenproblem ``G^T G = V diag(sigma^2) V^T``, ``q(s) = phi'(s)/s``;
* general: each ``dK/dG_ij`` (or the update map itself).

Constants, all from the profile's second derivative ``f''`` (by the mean value theorem,
with ``f'(0) = 0``, every Hessian eigenvalue of docs/theory.md §2 lies between ``inf f''`` and
``sup f''`` on ``[0, rho]``):

* ``L``: the symbolically proved global constant, else ``inf``;
* ``L_ball(ctx, rho)``, ``mu(ctx, rho)``: rigorous upper and lower bounds of ``f''`` on
  ``[0, rho]`` by interval arithmetic (mpmath's interval context, 16 subintervals);
  ``mu`` is clamped at 0 when no positive lower bound is certified.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from symbolic.compile import CompileError, compile_expr
from symbolic.general import GeneralK
from symbolic.structures import ProfileK

from ..matrices import fro_norm, gram
from .base import Preconditioner

SUBINTERVALS = 16


@dataclass(frozen=True)
class CompiledGrad:
    """The compiled pieces of ``grad K`` that the fast loops bind to their own arithmetic
    (``numeric.backends.flint_user``): ``k'`` on each half-line (entrywise), ``q(r) = f'(r)/r``
    with its value ``q0`` at 0 when rational (isotropic, spectral), or every ``dK/dG_ij`` (general,
    ``grads[i][j]`` of the row-major flat entries, ``shape = (d, k)``)."""

    structure: str
    d_pos: object = None
    d_neg: object = None
    q: object = None
    q0: Fraction | None = None
    grads: list | None = None
    shape: tuple | None = None

    def parts(self) -> list:
        """Every compiled expression (to ask whether a target implements all of them)."""
        if self.grads is not None:
            return [g for row in self.grads for g in row]
        return [c for c in (self.d_pos, self.d_neg, self.q) if c is not None]


def _iv_context(ctx):
    iv = mpmath.ctx_iv.MPIntervalContext()
    iv.prec = ctx.prec + 30
    return iv


def interval_forms(expr: sp.Expr, x: sp.Symbol) -> list:
    """Equivalent forms of ``expr`` compiled for interval evaluation.

    Every form gives a valid enclosure, so their intersection is valid too; different forms
    suffer differently from the dependency problem (``1 - sinh^2/cosh^2`` versus ``1/cosh^2``).
    """
    forms, seen = [], set()
    for candidate in (expr, sp.simplify(expr), sp.trigsimp(expr), sp.factor(sp.together(expr))):
        key = sp.srepr(candidate)
        if key in seen:
            continue
        seen.add(key)
        try:
            forms.append(compile_expr(candidate, [x]))
        except CompileError:
            continue
    if not forms:
        raise CompileError(f"no form of {expr} can be evaluated")
    return forms


def _interval_bounds(forms, ctx, rho):
    """``(lower, upper)`` of a one-variable expression on ``[0, rho]`` (intersection over its
    forms, union over 16 subintervals); None if no form can be evaluated."""
    iv = _iv_context(ctx)
    step = iv.mpf(rho) / SUBINTERVALS
    lo, hi = None, None
    for i in range(SUBINTERVALS):
        piece = iv.mpf([(step * i).a, (step * (i + 1)).b])
        best = None
        for form in forms:
            try:
                v = form.bind(iv)(piece)
            except (CompileError, ZeroDivisionError, ValueError, TypeError, ArithmeticError):
                continue
            best = (v.a, v.b) if best is None else (max(best[0], v.a), min(best[1], v.b))
        if best is None:
            return None
        lo = best[0] if lo is None else min(lo, best[0])
        hi = best[1] if hi is None else max(hi, best[1])
    return ctx.mpf(lo), ctx.mpf(hi)


def _removable_limit(q: sp.Expr, x: sp.Symbol):
    try:
        v = sp.limit(q, x, 0, "+")
    except (NotImplementedError, ValueError):
        return None
    return v if v.is_finite else None


def from_profile(prof: ProfileK, name: str = "custom") -> Preconditioner:
    """Compile a :class:`~symbolic.structures.ProfileK` into a numeric preconditioner."""
    x = prof.x
    f = prof.f
    f1 = sp.diff(f, x)
    f_neg = prof.f_neg
    val_pos = compile_expr(f, [x])
    val_neg = compile_expr(f_neg, [x]) if f_neg is not None else val_pos
    d_pos = compile_expr(f1, [x], fast=True)
    d_neg = compile_expr(sp.diff(f_neg, x), [x], fast=True) if f_neg is not None else d_pos
    second = [interval_forms(e, x) for e in prof.second_derivatives()]
    L_sym = prof.smoothness_constant()
    structure = prof.structure
    q_expr = sp.cancel(sp.simplify(f1 / x)) if structure != "entrywise" else None
    q = compile_expr(q_expr, [x], fast=True) if q_expr is not None else None
    q0 = _removable_limit(q_expr, x) if q_expr is not None else None
    q0_value = Fraction(int(sp.Rational(q0).p), int(sp.Rational(q0).q)) if q0 is not None and q0.is_Rational else None

    def kprime(ctx):
        fp, fn = d_pos.bind(ctx), d_neg.bind(ctx)
        return lambda g: fp(g) if g >= 0 else -fn(-g)

    def q_at(ctx):
        fq = q.bind(ctx)

        def value(s):
            if s == 0:
                return ctx.mpf(q0_value.numerator) / q0_value.denominator if q0_value is not None else ctx.zero
            return fq(s)
        return value

    if structure == "entrywise":
        def grad(ctx, g):
            u = kprime(ctx)
            return [[u(v) for v in c] for c in g]

        def value(ctx, g):
            fp, fn = val_pos.bind(ctx), val_neg.bind(ctx)
            return ctx.fsum(fp(v) if v >= 0 else fn(-v) for c in g for v in c)
        natural = "max"
    elif structure == "isotropic":
        def grad(ctx, g):
            r = fro_norm(ctx, g)
            if r == 0:
                return [[ctx.zero] * len(c) for c in g]
            s = q_at(ctx)(r)
            return [[s * v for v in c] for c in g]

        def value(ctx, g):
            return val_pos.bind(ctx)(fro_norm(ctx, g))
        natural = "fro"
    else:
        def grad(ctx, g):
            k = len(g)
            lam, V = ctx.eigsy(ctx.matrix(gram(ctx, g)))
            qs = q_at(ctx)
            w = [qs(ctx.sqrt(max(ctx.zero, lam[i]))) for i in range(k)]
            C = [[ctx.fsum(V[a, i] * w[i] * V[b, i] for i in range(k)) for b in range(k)] for a in range(k)]
            d = len(g[0])
            return [[ctx.fdot([g[a][i] for a in range(k)], [C[a][b] for a in range(k)]) for i in range(d)]
                    for b in range(k)]

        def value(ctx, g):
            lam = ctx.eigsy(ctx.matrix(gram(ctx, g)), eigvals_only=True)
            fp = val_pos.bind(ctx)
            return ctx.fsum(fp(ctx.sqrt(max(ctx.zero, lam[i]))) for i in range(len(g)))
        natural = "spectral"

    def L(ctx):
        if L_sym is None:
            return ctx.inf
        return _sym_to_mpf(ctx, L_sym)

    def L_ball(ctx, rho):
        ups = [_interval_bounds(c, ctx, rho) for c in second]
        if any(u is None for u in ups):
            return ctx.inf
        return max(u[1] for u in ups)

    def mu(ctx, rho):
        lows = [_interval_bounds(c, ctx, rho) for c in second]
        if any(v is None for v in lows):
            return ctx.zero
        return max(ctx.zero, min(v[0] for v in lows))

    facts_iso = structure == "isotropic"
    return Preconditioner(
        name, dict(prof.params), structure, grad=grad, value=value, L=L, mu=mu, natural_norm=natural,
        isotropic=facts_iso, left_invariant=structure in ("isotropic", "spectral"),
        formula=prof.K_text(), grad_formula=_grad_text(prof, q_expr),
        extra={"symbolic": prof, "compiled": CompiledGrad(structure, d_pos, d_neg, q, q0_value)},
        L_ball=L_ball)


def _grad_text(prof: ProfileK, q_expr) -> str:
    if prof.structure == "entrywise":
        return f"k'(G) entrywise, k'(x) = {sp.diff(prof.f, prof.x)} (x >= 0)"
    if prof.structure == "isotropic":
        return f"q(||G||) G, q(r) = {q_expr.subs(prof.x, sp.Symbol('r'))}"
    return f"G V diag(q(sigma)) V^T, q(s) = {q_expr.subs(prof.x, sp.Symbol('s'))}"


def _sym_to_mpf(ctx, value: sp.Expr):
    if value.is_Rational:
        return ctx.mpf(int(value.p)) / int(value.q)
    return ctx.mpf(str(sp.N(value, ctx.dps + 15)))


def from_general(gk: GeneralK, name: str = "custom") -> Preconditioner:
    """Compile a :class:`~symbolic.general.GeneralK` (or an integrable update map)."""
    flat = gk.flat
    d, k = gk.d, gk.k
    grads = [[compile_expr(gk.gradient()[i, j], flat) for j in range(k)] for i in range(d)]
    val = compile_expr(gk.expr, flat)
    reconstructed = not (gk.grad_override is not None and gk.expr == 0)
    L_sym = gk.smoothness_constant()
    mu_sym = gk.constant_mu()

    def args(g):
        return [g[j][i] for i in range(d) for j in range(k)]

    def grad(ctx, g):
        a = args(g)
        return [[grads[i][j].bind(ctx)(*a) for i in range(d)] for j in range(k)]

    def value(ctx, g):
        if reconstructed:
            return val.bind(ctx)(*args(g))
        # K(G) = integral_0^1 <U(tG), G> dt (docs/theory.md §5) by quadrature when SymPy could not integrate
        a = args(g)
        flat_grads = [grads[i][j].bind(ctx) for i in range(d) for j in range(k)]
        return ctx.quad(lambda t: ctx.fsum(f(*[t * v for v in a]) * v for f, v in zip(flat_grads, a)), [0, 1])

    return Preconditioner(
        name, dict(gk.params), "general", grad=grad, value=value,
        L=lambda ctx: _sym_to_mpf(ctx, L_sym) if L_sym is not None else ctx.inf,
        mu=lambda ctx, rho: max(ctx.zero, _sym_to_mpf(ctx, mu_sym)) if mu_sym is not None else ctx.zero,
        natural_norm="fro", isotropic=False, left_invariant=False, formula=gk.K_text(),
        grad_formula=str(gk.gradient().tolist()),
        extra={"symbolic": gk, "compiled": CompiledGrad("general", grads=grads, shape=(d, k))})
