"""I2b, the Bregman divergence of K equals that of K* with the arguments swapped (docs/theory.md §4.2).

    D_K(G, G') = D_{K*}(U', U),   U = grad K(G),  U' = grad K(G')

for Legendre K (K* differentiable at U, U' with grad K* = (grad K)^{-1}).

Proof: D_{K*}(U', U) = K*(U') - K*(U) - <grad K*(U), U' - U>; with grad K*(U) = G this is the
right-hand side of I2a, which equals D_K(G, G').

The hypothesis matters.  For ``clip`` (Huber profile with threshold c) the conjugate is
``||U||^2/2`` on the ball ``||U|| <= c`` and ``+oo`` outside, so grad K* is the identity on the
ball: at ``||G|| > c``, ``grad K*(U) = U = cG/||G|| != G`` and the two sides differ by
``<G - U, U' - U>``.  The checks below then fail, with the point.

Steps: (1) symbolic, generic K* (undefined function of a 2 x 2 U): with grad K*(U) = G,
D_{K*}(U', U) equals the right-hand side of I2a; (2) symbolic, the Legendre hypothesis for the
context's K: ``(h*)'(h'(r)) = r`` for its profile (S1; when the closed-form inverse does not
simplify, ``h'' > 0`` on (0, oo), which implies it; ``H^{-1} H = I`` for a quadratic K);
(3) the identity at 50 digits for the context's K on random (G, G') (norms around the scale of
K, ``||G|| > c`` included for clipping), with K* and grad K* structure-wise from the closed-form
profile conjugate: isotropic ``grad K*(U) = (h*)'(||U||) U/||U||``, entrywise ``(k*)'(u_ij)``,
spectral ``U V diag((phi*)'(s_i)/s_i) V^T`` from ``U^T U = V diag(s^2) V^T``.
"""
from __future__ import annotations

import sympy as sp

from symbolic.bregman import bregman, grad, inner, symbol_matrix, undefined_K
from symbolic.facts import Fact
from symbolic.identities import prove_identity
from symbolic.structures import ProfileK, QuadraticK, pieces

from ..core import Evidence, Result, Step, from_fact
from .i2a import NO_CONJUGATE, conjugate_of, norms_info, numeric_identity
from .s1 import profile_facts, quadratic_facts


def generic_sides(shape=(2, 2)):
    """``D_{K*}(U', U)`` with ``grad K*(U) -> G`` substituted, and the right-hand side of I2a."""
    Kstar = undefined_K(shape, "Kstar")
    U, U2, G = symbol_matrix("u", shape), symbol_matrix("v", shape), symbol_matrix("g", shape)
    legendre = dict(zip(list(grad(Kstar, U)), list(G)))  # the hypothesis grad K*(U) = G
    lhs = bregman(Kstar, U2, U).xreplace(legendre)
    rhs = Kstar(U2) - Kstar(U) - inner(G, U2 - U)
    return lhs, rhs


def _symbolic(context) -> Evidence:
    lhs, rhs = generic_sides()
    return from_fact(prove_identity("I2b", lhs, rhs, hypotheses="grad K*(U) = G (K Legendre)",
                                    statement="D_{K*}(U', U) = K*(U') - K*(U) - <G, U' - U> (= D_K(G, G') by I2a)"))


def strictly_convex(f: sp.Expr, x: sp.Symbol, label: str) -> Fact:
    """``f'' > 0`` on every piece of ``(0, oo)`` (SymPy's assumptions on ``x = t > 0``).

    Then f' is strictly increasing, the sup defining f* is attained at the unique ``x(y)`` with
    ``f'(x(y)) = y``, and ``(f*)'(y) = x(y)``: ``(f*)'(f'(r)) = r`` for r > 0 (the Legendre property
    of the even extension, used when the closed-form inverse does not simplify).
    """
    t = sp.Dummy("t", positive=True)
    for expr, a, b in pieces(f, x):
        f2 = sp.diff(expr, x, 2)
        g = f2.subs(x, a + t) if b is sp.oo else f2.subs(x, a + (b - a) * t / (1 + t))
        if not any(form.is_positive for form in (g, sp.factor(sp.together(g)), sp.simplify(g))):
            return Fact(f"S1 strict convexity {label}", f"f'' > 0 on ({a}, {b})", "unknown", "symbolic",
                        f"could not show {f2} > 0 on ({a}, {b})")
    return Fact(f"S1 strict convexity {label}", f"h'' > 0 on (0, oo) for h = {f}, so (h*)'(h'(r)) = r",
                "proved", "symbolic", "positive by SymPy's assumptions on every piece")


def _legendre(context) -> Evidence:
    sym = context.symbolic
    if isinstance(sym, QuadraticK):
        facts = quadratic_facts(sym.H)
    elif isinstance(sym, ProfileK):
        facts = []
        for side, f in sym.sides():
            inv = profile_facts(f, sym.x, f"{context.name} ({side})", which=("inverse",))
            if all(p.status == "unknown" for p in inv):
                strict = strictly_convex(f, sym.x, f"{context.name} ({side})")
                inv = [strict] if strict.status == "proved" else inv
            facts += inv
    else:
        return Evidence("unknown", "the context's K has no profile: grad K* = (grad K)^{-1} not decided")
    for p in facts:
        if p.status == "refuted":
            return Evidence("failed", f"K is not Legendre: {p.statement} fails ({p.detail}); grad K* is not the "
                            "inverse of grad K", None, p.counterexample)
    if all(p.status == "proved" for p in facts):
        return Evidence("proved", "; ".join(f"{p.statement}: {p.detail}" for p in facts))
    return Evidence("unknown", "; ".join(f"{p.statement}: {p.status} ({p.detail})" for p in facts))


def numeric_check(context, conj=None) -> Evidence:
    """I2b at 50 digits for the context's K (``conj`` overrides the structure-wise K*)."""
    pre = context.preconditioner
    conj = conj if conj is not None else conjugate_of(context)
    if conj is None:
        return NO_CONJUGATE
    if not conj.has_grad:
        return Evidence("unknown", f"no closed-form conjugate ({conj.text}): grad K* not available")
    from numeric.matrices import inner as minner

    def diff(a, b):
        return [[x - y for x, y in zip(c, e)] for c, e in zip(a, b)]

    def sides(ctx, G, H):
        U, U2 = pre.grad(ctx, G), pre.grad(ctx, H)
        lhs = pre.value(ctx, G) - pre.value(ctx, H) - minner(ctx, U2, diff(G, H))
        gstar = conj.grad(ctx, U)
        rhs = conj.value(ctx, U2) - conj.value(ctx, U) - minner(ctx, gstar, diff(U2, U))
        info = norms_info(ctx, G, H)
        info["||grad K*(U) - G||"] = ctx.nstr(ctx.sqrt(minner(ctx, diff(gstar, G), diff(gstar, G))), 15)
        return lhs, rhs, info

    ev = numeric_identity(context, f"D_K(G,G') - D_K*(U',U) for {context.name}", sides, salt=2)
    return Evidence(ev.status, ev.detail + f"; {conj.text}", ev.worst, ev.counterexample)


RESULT = Result(
    id="I2b",
    title="divergence duality",
    latex=r"D_K(G,G') = D_{K^*}(\nabla K(G'), \nabla K(G)) \quad (K \text{ Legendre})",
    text="D_K(G, G') = D_{K*}(U', U), U = grad K(G), U' = grad K(G') [K Legendre]",
    hypotheses=("K Legendre: K* differentiable at U, U' and grad K* = (grad K)^{-1}",
                "fails for clip (not Legendre) at ||G|| > c"),
    steps=(Step("with grad K*(U) = G, D_{K*}(U', U) is the right-hand side of I2a (generic K*, 2 x 2)", "symbolic",
                _symbolic),
           Step("Legendre hypothesis for the context's K: (h*)'(h'(r)) = r for its profile", "symbolic", _legendre),
           Step("50 digits for the context's K on random (G, G'), K* and grad K* structure-wise from the profile "
                "conjugate (||G|| > c included for clipping)", "numeric", numeric_check)),
    per_preconditioner=True,
)
