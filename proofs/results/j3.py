"""J3, the angle bound between grad K(G) and G (docs/theory.md §4.3, docs/derivations.md §4.3).

    <grad K(G), G>  >=  (2 sqrt(L mu) / (L + mu)) ||grad K(G)|| ||G||,

with L the smoothness constant of K and mu a lower bound on its Hessian on the segment [0, G]
(here: on the natural ball of radius ||G||, which contains it), ``grad K(0) = 0``.

Proof: ``grad K(G) = H G`` with ``H = int_0^1 Hess K(sG) ds`` symmetric, spectrum in [mu, L].
(1) ``(H - mu)(L - H) >= 0`` gives ``||HG||^2 + L mu ||G||^2 <= (L + mu) <HG, G>``;
(2) AM-GM, ``||HG||^2 + L mu ||G||^2 >= 2 sqrt(L mu) ||HG|| ||G||``, turns it into the cosine bound.

Steps:

1. (symbolic) step (1) for a symmetric 2 x 2 ``H = Q diag(h1, h2) Q^T`` (Q a rotation by a
   symbolic angle: eigen-coordinates ``c = Q^T G``):
   ``(L + mu)<HG, G> - ||HG||^2 - L mu ||G||^2 = sum_i c_i^2 (h_i - mu)(L - h_i)``, and each term is
   a product of nonnegative factors when ``mu <= h_i <= L`` (SymPy's sign inference after
   ``h_i = mu + a_i``, ``L = h_i + b_i`` with ``a_i, b_i >= 0``);
2. (symbolic) AM-GM: ``p^2 + L mu q^2 - 2 sqrt(L mu) p q = (p - sqrt(L mu) q)^2 >= 0``;
3. (numeric) the inequality at 50 digits (20 guard digits) for the context's K on random d x k
   matrices (3 x 2) at scales 1e-2 to 10; reported: the worst ratio
   ``(2 sqrt(L mu)/(L + mu)) ||grad K(G)|| ||G|| / <grad K(G), G>`` (<= 1; = 1 for GD).
"""
from __future__ import annotations

import random

import sympy as sp

from numeric.backends.mpmath_loop import natural_norm
from numeric.matrices import inner
from numeric.precision import working_precision
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact
from .i10 import TOL_DIGITS, context_shape
from .j1 import GUARD, ratio_evidence, sample_matrices, to_list


def spectral_sides():
    """``(lhs, terms, symbols)`` of step 1: ``lhs = (L + mu)<HG, G> - ||HG||^2 - L mu ||G||^2`` and
    the eigen-coordinate terms ``c_i^2 (h_i - mu)(L - h_i)``."""
    L, mu = sp.symbols("L mu", positive=True)
    h1, h2, g1, g2, th = sp.symbols("h1 h2 g1 g2 theta", real=True)
    Q = sp.Matrix([[sp.cos(th), -sp.sin(th)], [sp.sin(th), sp.cos(th)]])
    H = Q * sp.diag(h1, h2) * Q.T
    G = sp.Matrix([g1, g2])
    HG = H * G
    lhs = (L + mu) * HG.dot(G) - HG.dot(HG) - L * mu * G.dot(G)
    c = Q.T * G
    terms = [c[i] ** 2 * (h - mu) * (L - h) for i, h in enumerate((h1, h2))]
    return lhs, terms, (L, mu, (h1, h2))


def _spectral(context) -> Evidence:
    lhs, terms, (L, mu, hs) = spectral_sides()
    fact = prove_identity("J3 step 1", lhs, sp.Add(*terms), hypotheses="H = Q diag(h1, h2) Q^T, Q a rotation",
                          statement="(L + mu)<HG, G> - ||HG||^2 - L mu ||G||^2 = sum_i c_i^2 (h_i - mu)(L - h_i)")
    if fact.status != "proved":
        return from_fact(fact)
    for i, (term, h) in enumerate(zip(terms, hs)):
        a, b = sp.symbols(f"a{i} b{i}", nonnegative=True)
        t = term.xreplace({h: mu + a}).xreplace({L: mu + a + b})
        if sp.factor(t).is_nonnegative is not True:
            return Evidence("unknown", f"could not show term {i + 1} >= 0 under mu <= h_{i + 1} <= L")
    return Evidence("proved", f"{fact.detail}; each term c_i^2 (h_i - mu)(L - h_i) >= 0 for h_i in [mu, L] "
                    "(sign inference with h_i = mu + a_i, L = h_i + b_i, a_i, b_i >= 0): "
                    "||HG||^2 + L mu ||G||^2 <= (L + mu)<HG, G> for every symmetric 2 x 2 H with spectrum in [mu, L]")


def _am_gm(context) -> Evidence:
    L, mu, p, q = sp.symbols("L mu p q", positive=True)
    s = sp.sqrt(L * mu)
    fact = prove_identity("J3 step 2", p**2 + L * mu * q**2 - 2 * s * p * q, (p - s * q) ** 2,
                          hypotheses="p = ||HG||, q = ||G||, L, mu > 0",
                          statement="p^2 + L mu q^2 - 2 sqrt(L mu) p q = (p - sqrt(L mu) q)^2")
    if fact.status != "proved":
        return from_fact(fact)
    if ((p - s * q) ** 2).is_nonnegative is not True:
        return Evidence("unknown", "could not show (p - sqrt(L mu) q)^2 >= 0")
    return Evidence("proved", f"{fact.detail}; so 2 sqrt(L mu)||HG|| ||G|| <= ||HG||^2 + L mu ||G||^2 "
                    "<= (L + mu)<HG, G>, the cosine bound")


def _numeric(context) -> Evidence:
    pre = context.preconditioner
    rng = random.Random(f"{context.seed}:J3:{pre.name}")
    worst, where, n = None, {}, 0
    with working_precision(context.dps + GUARD) as ctx:
        for G in sample_matrices(ctx, rng, context_shape(pre), 5 * context.examples):
            rho = natural_norm(ctx, pre.natural_norm, G)
            L = pre.smoothness(ctx, rho)
            mu = pre.mu(ctx, rho)
            if not ctx.isfinite(L):
                continue
            U = pre.grad(ctx, G)
            ug = inner(ctx, U, G)
            bound = 2 * ctx.sqrt(L * mu) / (L + mu) * ctx.sqrt(inner(ctx, U, U) * inner(ctx, G, G))
            ratio = bound / ug if ug > 0 else (ctx.inf if bound > 0 else ctx.zero)
            n += 1
            if worst is None or ratio > worst:
                worst, where = ratio, {"G": to_list(G), "L": str(L), "mu": str(mu), "<U, G>": str(ug)}
    return ratio_evidence(worst, TOL_DIGITS, context.dps,
                          f"(2 sqrt(L mu)/(L + mu)) ||U|| ||G|| / <U, G> for {pre.name}", n, where)


RESULT = Result(
    id="J3",
    title="angle bound under strong convexity",
    latex=r"\langle \nabla K(G), G\rangle \ge \frac{2\sqrt{L\mu}}{L + \mu}\,\|\nabla K(G)\|\,\|G\|",
    text="<grad K(G), G> >= (2 sqrt(L mu)/(L + mu)) ||grad K(G)|| ||G||, mu on the ball of radius ||G||",
    hypotheses=("K convex, C^1 with L-Lipschitz gradient, grad K(0) = 0",
                "Hessian of K >= mu on the segment [0, G] (natural ball of radius ||G||)"),
    steps=(Step("||HG||^2 + L mu ||G||^2 <= (L + mu)<HG, G> for symmetric 2 x 2 H, spectrum in [mu, L]", "symbolic",
                _spectral),
           Step("AM-GM turns it into the cosine bound", "symbolic", _am_gm),
           Step("50 digits on random G for the context's K", "numeric", _numeric)),
    per_preconditioner=True,
)
