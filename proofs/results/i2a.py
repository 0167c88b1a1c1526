"""I2a, the Bregman divergence in mixed primal-dual form (docs/theory.md §4.2, docs/derivations.md §4.2).

    D_K(G, G') = K*(U') - K*(U) - <G, U' - U>,   U = grad K(G),  U' = grad K(G')

for every convex differentiable K (Legendre or not: clipping included, also at ||G|| > c).

Proof: by the Fenchel-Young equality (I1), K(G) = <G, U> - K*(U) and K(G') = <G', U'> - K*(U');
substitute both into ``D_K(G, G') = K(G) - K(G') - <U', G - G'>`` and expand.

Steps: (1) that substitution, proved symbolically for a generic K (undefined function of the
entries of 2 x 2 matrices) and a generic K* (undefined function of the entries of U);
(2) the identity at 50 digits for the context's K on random pairs (G, G') whose norms are
spread around the scale of K (for ``clip``, both inside and outside the ball ||G|| <= c), with
K* evaluated structure-wise from the closed-form conjugate of the profile
(:func:`symbolic.bregman.conjugate_profile`; :func:`symbolic.bregman.numeric_conjugate` when
there is none): entrywise ``sum k*(u_ij)``, isotropic ``h*(||U||)``, spectral
``sum phi*(sigma_i(U))``, quadratic ``vec(U)^T H^{-1} vec(U)/2``.

This module also holds the structure-wise conjugate (:func:`conjugate_of`) and the pair sampler
(:func:`numeric_identity`) that I2b and I9 reuse.
"""
from __future__ import annotations

import random
from functools import lru_cache

import sympy as sp

from symbolic.bregman import Y, bregman, conjugate_profile, grad, inner, numeric_conjugate, symbol_matrix, undefined_K
from symbolic.compile import CompileError, compile_expr
from symbolic.identities import prove_identity
from symbolic.structures import ProfileK, QuadraticK

from ..core import Evidence, Result, Step, exact_rational, from_fact, numeric_evidence

SHAPE = (3, 2)  # d x k of the numeric instances (the context's K is built on this shape)
GUARD = 20  # guard digits: instances are computed at dps + GUARD, compared to 10^(10 - dps)


# ----------------------------------------------------------------------------------------------
# K* structure-wise, from the profile's conjugate


@lru_cache(maxsize=64)
def closed_conjugate(f: sp.Expr, x: sp.Symbol):
    """:func:`conjugate_profile` of ``f`` (cached: several results share it), or ``None``."""
    return conjugate_profile(f, x)


def _compile_first(exprs, sym):
    for e in exprs:
        try:
            return compile_expr(e, [sym])
        except (CompileError, TypeError, ValueError):
            continue
    return None


def _to_ctx(ctx, v):
    """An exact SymPy number (or oo) as an mpf of ``ctx``."""
    if v is sp.oo:
        return ctx.inf
    if isinstance(v, sp.Rational):
        return ctx.mpf(int(v.p)) / int(v.q)
    return ctx.mpf(str(sp.N(v, ctx.dps + 5)))


class ProfileConjugate:
    """``f*(y)`` and ``(f*)'(y)`` for ``y >= 0``, ``f`` a convex profile on ``[0, oo)``.

    Closed form when :func:`conjugate_profile` finds one (evaluated by :mod:`symbolic.compile`,
    else by ``evalf`` at the exact rational value of ``y``), ``+oo`` outside its domain (up to
    rounding at a closed right end); without a closed form the value comes from
    :func:`numeric_conjugate` and the derivative is unavailable (``None``).
    """

    def __init__(self, f: sp.Expr, x: sp.Symbol):
        self.f, self.x = f, x
        self.conj = closed_conjugate(f, x)
        if self.conj is not None:
            fs = self.conj.fstar
            d = sp.diff(fs, Y)
            self._value = _compile_first([fs, fs.rewrite(sp.log)], Y)
            self._deriv = _compile_first([d, sp.simplify(d), d.rewrite(sp.log)], Y)
            self._dexpr = d
            dom = self.conj.domain
            self._hi, self._hi_closed = dom.sup, not dom.right_open

    @property
    def text(self) -> str:
        if self.conj is None:
            return f"numeric conjugate of {self.f}"
        return f"{self.conj.fstar} on {self.conj.domain}"

    def _outside(self, ctx, y) -> bool:
        if self._hi is sp.oo:
            return False
        hi = _to_ctx(ctx, self._hi)
        if y < hi:
            return False
        if y == hi:
            return not self._hi_closed
        # beyond the right end: a closed end reached up to rounding still counts as the end
        return not (self._hi_closed and y <= hi * (1 + ctx.mpf(10) ** (12 - ctx.dps)))

    def value(self, ctx, y):
        y = abs(y)
        if self.conj is None:
            v = numeric_conjugate(self.f, self.x, exact_rational(y), dps=ctx.dps + 10)
            return ctx.inf if v is sp.oo else ctx.mpf(str(sp.N(v, ctx.dps + 10)))
        if self._outside(ctx, y):
            return ctx.inf
        if self._value is not None:
            return self._value.bind(ctx)(y)
        return ctx.mpf(str(sp.N(self.conj.fstar.xreplace({Y: exact_rational(y)}), ctx.dps + 10)))

    def deriv(self, ctx, y):
        """``(f*)'(y)`` for ``y >= 0`` (one-sided at a closed end of the domain), or ``None``."""
        if self.conj is None:
            return None
        y = abs(y)
        if self._outside(ctx, y):
            return ctx.inf
        if self._deriv is not None:
            return self._deriv.bind(ctx)(y)
        return ctx.mpf(str(sp.N(self._dexpr.xreplace({Y: exact_rational(y)}), ctx.dps + 10)))


class StructuredConjugate:
    """K* of a structured K (docs/theory.md §2): ``value(ctx, cols)`` and ``grad(ctx, cols)`` (or ``None``)."""

    def __init__(self, sym):
        self.sym = sym
        self.structure = sym.structure
        if isinstance(sym, QuadraticK):
            self.pos, self.neg = None, None
            self.text = "K*(U) = vec(U)^T H^{-1} vec(U)/2"
        else:
            self.pos = ProfileConjugate(sym.f, sym.x)
            self.neg = ProfileConjugate(sym.f_neg, sym.x) if sym.f_neg is not None else None
            desc = {"entrywise": "K*(U) = sum_ij k*(u_ij)", "isotropic": "K*(U) = h*(||U||)",
                    "spectral": "K*(U) = sum_i phi*(sigma_i(U))"}[self.structure]
            self.text = f"{desc}, profile conjugate {self.pos.text}"

    @property
    def has_grad(self) -> bool:
        if self.pos is None:
            return True
        return self.pos.conj is not None and (self.neg is None or self.neg.conj is not None)

    # quadratic ---------------------------------------------------------------------------------
    def _hinv(self, ctx):
        import numpy as np
        H = np.asarray(self.sym.H)
        return ctx.inverse(ctx.matrix([[ctx.mpf(float(v)) for v in row] for row in H]))

    @staticmethod
    def _flat(cols):
        d, k = len(cols[0]), len(cols)
        return [cols[j][i] for i in range(d) for j in range(k)]

    # entrywise side ------------------------------------------------------------------------------
    def _side(self, u):
        return self.neg if (u < 0 and self.neg is not None) else self.pos

    def value(self, ctx, cols):
        from numeric.matrices import fro_norm, singular_values
        if self.structure == "quadratic":
            v = self._flat(cols)
            hi = self._hinv(ctx)
            m = len(v)
            return ctx.fsum(v[a] * hi[a, b] * v[b] for a in range(m) for b in range(m)) / 2
        if self.structure == "entrywise":
            return ctx.fsum(self._side(u).value(ctx, u) for c in cols for u in c)
        if self.structure == "isotropic":
            return self.pos.value(ctx, fro_norm(ctx, cols))
        return ctx.fsum(self.pos.value(ctx, s) for s in singular_values(ctx, cols))

    def grad(self, ctx, cols):
        """``grad K*(U)`` (columns) from the derivative of the profile conjugate, or ``None``."""
        from numeric.matrices import fro_norm, gram
        if not self.has_grad:
            return None
        d, k = len(cols[0]), len(cols)
        if self.structure == "quadratic":
            v = self._flat(cols)
            hi = self._hinv(ctx)
            m = len(v)
            out = [ctx.fsum(hi[a, b] * v[b] for b in range(m)) for a in range(m)]
            return [[out[i * k + j] for i in range(d)] for j in range(k)]
        if self.structure == "entrywise":
            out = []
            for c in cols:
                col = []
                for u in c:
                    dv = self._side(u).deriv(ctx, u)
                    col.append(ctx.zero if u == 0 else (dv if u > 0 else -dv))
                out.append(col)
            return out
        if self.structure == "isotropic":
            s = fro_norm(ctx, cols)
            if s == 0:
                return [[ctx.zero] * d for _ in range(k)]
            q = self.pos.deriv(ctx, s) / s
            return [[q * u for u in c] for c in cols]
        # spectral: U V diag((phi*)'(s)/s) V^T with U^T U = V diag(s^2) V^T
        lam, V = ctx.eigsy(ctx.matrix(gram(ctx, cols)))
        sig = [ctx.sqrt(max(ctx.zero, lam[i])) for i in range(k)]
        q = [self.pos.deriv(ctx, s) / s if s > 0 else ctx.zero for s in sig]
        C = [[ctx.fsum(V[a, i] * q[i] * V[b, i] for i in range(k)) for b in range(k)] for a in range(k)]
        return [[ctx.fsum(cols[a][i] * C[a][b] for a in range(k)) for i in range(d)] for b in range(k)]


#: the numeric steps' answer when the context's K has no structure-wise conjugate (a general K)
NO_CONJUGATE = Evidence("unknown", "the context's K has no profile or quadratic form: K* not available")


def conjugate_of(context):
    """The structure-wise K* of the context's K, or ``None`` (a general K has no profile)."""
    sym = context.symbolic
    if isinstance(sym, QuadraticK):
        return StructuredConjugate(sym)
    if isinstance(sym, ProfileK) and sym.structure in ("entrywise", "isotropic", "spectral"):
        return StructuredConjugate(sym)
    return None


# ----------------------------------------------------------------------------------------------
# random instances and the 50-digit comparison


def _scale(context) -> float:
    params = dict(getattr(context.preconditioner, "params", None) or context.params or {})
    c = params.get("c")
    return float(c) if c is not None else 1.0


NORMS = (0.25, 0.7, 1.6, 3.2)  # target ||G|| in units of the scale (c for clipping, else 1)


def sample_pairs(context, count: int, salt: int = 0) -> list:
    """``count`` pairs (G, G') of d x k matrices (column lists of floats, exact binary values).

    Directions are uniform on [-1, 1]^{dk}; norms cycle through ``NORMS`` times the scale of K,
    so with clipping half of the G lie outside the ball ``||G|| <= c``.
    """
    rng = random.Random(1_000_003 * context.seed + salt)
    d, k = SHAPE
    out = []

    def one(norm):
        m = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(k)]
        r = sum(v * v for c in m for v in c) ** 0.5
        return [[v * norm / r for v in c] for c in m]

    s = _scale(context)
    for i in range(count):
        out.append((one(s * NORMS[i % len(NORMS)]), one(s * NORMS[(i + 1 + i // len(NORMS)) % len(NORMS)])))
    return out


def matrix_text(cols) -> str:
    """A d x k column list as rows, each entry its exact float repr (reproducible)."""
    return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in zip(*cols)) + "]"


def numeric_identity(context, what: str, sides, count: int | None = None, salt: int = 0) -> Evidence:
    """Compare ``sides(ctx, G, G2) -> (lhs, rhs, info)`` on :func:`sample_pairs` at 50 digits.

    Computed at ``context.dps + GUARD`` digits; a relative difference
    ``|lhs - rhs| / max(1, |lhs|, |rhs|) > 10^(10 - dps)`` is a counterexample (``failed``, with
    G, G', both sides and ``info``).  Instances where a side is not finite are skipped and
    counted (``unknown`` if all are).
    """
    from numeric.precision import working_precision
    count = count if count is not None else max(4, context.examples)
    pairs = sample_pairs(context, count, salt)
    with working_precision(context.dps + GUARD) as ctx:
        tol = ctx.mpf(10) ** (10 - context.dps)
        worst, n, skipped = None, 0, 0
        for G0, H0 in pairs:
            G = [[ctx.mpf(v) for v in c] for c in G0]
            H = [[ctx.mpf(v) for v in c] for c in H0]
            lhs, rhs, info = sides(ctx, G, H)
            if not (ctx.isfinite(lhs) and ctx.isfinite(rhs)):
                skipped += 1
                continue
            n += 1
            rel = abs(lhs - rhs) / max(ctx.one, abs(lhs), abs(rhs))
            worst = rel if worst is None else max(worst, rel)
            if rel > tol:
                ce = {"G": matrix_text(G0), "G'": matrix_text(H0), "lhs": ctx.nstr(lhs, 25),
                      "rhs": ctx.nstr(rhs, 25), "lhs - rhs": ctx.nstr(lhs - rhs, 25)}
                ce.update(info)
                extra = ", ".join(f"{k} = {v}" for k, v in info.items())
                return Evidence("failed", f"{what}: lhs - rhs = {ctx.nstr(lhs - rhs, 12)} at the G, G' of the "
                                f"counterexample ({extra}); relative difference {ctx.nstr(rel, 5)} > "
                                f"{ctx.nstr(tol, 3)}", ctx.nstr(rel, 5), ce)
        ev = numeric_evidence(worst, tol, what, n)
        if skipped:
            ev = Evidence(ev.status, ev.detail + f"; {skipped} instance(s) skipped (a side not finite)", ev.worst)
        return ev


def norms_info(ctx, G, H) -> dict:
    from numeric.matrices import fro_norm
    return {"||G||": ctx.nstr(fro_norm(ctx, G), 15), "||G'||": ctx.nstr(fro_norm(ctx, H), 15)}


# ----------------------------------------------------------------------------------------------
# the steps of I2a


def fenchel_young(expr, K, Kstar, points):
    """I1 substituted into the top-level terms of ``expr``: each ``c K(P)`` (``P`` in ``points``,
    ``c = +-1``) becomes ``c (<P, grad K(P)> - K*(grad K(P)))``; derivatives of K inside other
    terms stay derivatives of K."""
    fy = {}
    for P in points:
        U = grad(K, P)
        fy[K(P)] = inner(P, U) - Kstar(*U)
        fy[-K(P)] = -(inner(P, U) - Kstar(*U))
    return sp.Add(*[fy.get(t, t) for t in sp.Add.make_args(expr)])


def generic_sides(shape=(2, 2)):
    """Both sides of I2a after the Fenchel-Young substitution, for undefined K and K*."""
    K = undefined_K(shape)
    Kstar = sp.Function("Kstar", real=True)
    G, H = symbol_matrix("g", shape), symbol_matrix("h", shape)
    U, U2 = grad(K, G), grad(K, H)
    # D_K(G, G') = K(G) - K(G') - <U', G - G'>: replace its two top-level values K(G), K(G') by
    # I1 at G and G' (the derivatives of K inside U, U' stay derivatives of K)
    lhs = fenchel_young(bregman(K, G, H), K, Kstar, (G, H))
    rhs = Kstar(*U2) - Kstar(*U) - inner(G, U2 - U)
    return lhs, rhs


def _symbolic(context) -> Evidence:
    lhs, rhs = generic_sides()
    return from_fact(prove_identity("I2a", lhs, rhs, hypotheses="I1 at G and G' (K convex, differentiable)",
                                    statement="D_K(G,G') = K*(U') - K*(U) - <G, U' - U> after K(G) = <G,U> - K*(U)"))


def numeric_check(context, conj=None) -> Evidence:
    """I2a at 50 digits for the context's K (``conj`` overrides K*, e.g. to show a failure)."""
    pre = context.preconditioner
    conj = conj if conj is not None else conjugate_of(context)
    if conj is None:
        return NO_CONJUGATE
    from numeric.matrices import inner as minner

    def sides(ctx, G, H):
        U, U2 = pre.grad(ctx, G), pre.grad(ctx, H)
        lhs = pre.value(ctx, G) - pre.value(ctx, H) - minner(ctx, U2, [[a - b for a, b in zip(c, e)]
                                                                       for c, e in zip(G, H)])
        rhs = conj.value(ctx, U2) - conj.value(ctx, U) - minner(ctx, G, [[a - b for a, b in zip(c, e)]
                                                                        for c, e in zip(U2, U)])
        return lhs, rhs, norms_info(ctx, G, H)

    ev = numeric_identity(context, f"D_K(G,G') - [K*(U') - K*(U) - <G, U' - U>] for {context.name}", sides)
    return Evidence(ev.status, ev.detail + f"; {conj.text}", ev.worst, ev.counterexample)


RESULT = Result(
    id="I2a",
    title="Bregman divergence in primal-dual form",
    latex=r"D_K(G,G') = K^*(U') - K^*(U) - \langle G, U' - U \rangle,\quad U = \nabla K(G),\ U' = \nabla K(G')",
    text="D_K(G, G') = K*(U') - K*(U) - <G, U' - U>, U = grad K(G), U' = grad K(G')",
    hypotheses=("K convex and differentiable (not necessarily Legendre: clipping included)",),
    steps=(Step("substitute Fenchel-Young K(G) = <G,U> - K*(U) at G and G' (generic K, K*; 2 x 2)", "symbolic",
                _symbolic),
           Step("50 digits for the context's K on random (G, G') (norms around the scale of K; ||G|| > c "
                "included for clipping), K* structure-wise from the profile conjugate", "numeric", numeric_check)),
    per_preconditioner=True,
)
