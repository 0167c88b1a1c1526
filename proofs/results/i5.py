"""I5, the primal descent identity of DSPGD (docs/theory.md §4.2, docs/derivations.md §4.2).

    L(W_{t+1}) = L(W_t) - eta (K(G_t) + K*(U_t)) + D_l(R_{t+1}, R_t),

with ``G_t = X^T grad l(R_t)``, ``U_t = grad K(G_t)``, ``W_{t+1} = W_t - eta U_t``,
``R = XW - Y`` and ``L(W) = l(XW - Y)``, for every convex differentiable K and every
differentiable loss l.

Proof (two symbolic steps, both for a GENERIC K and a GENERIC l):

1. Fenchel-Young equality ``K(G) + K*(U) = <G, U>`` for ``U = grad K(G)``:
   for every V, ``(<G, U> - K(G)) - (<V, U> - K(V)) = D_K(V, G)``, an identity proved with K an
   undefined function of the entries of 2 x 2 matrices; for convex K, ``D_K(V, G) >= 0`` (the
   first-order characterization of convexity) and ``D_K(G, G) = 0``, so
   ``K*(U) = sup_V <V, U> - K(V)`` is attained at ``V = G`` and equals ``<G, U> - K(G)``.
2. ``L(W+) = L(W) - eta <G, U> + D_l(R+, R)`` with ``R+ = X W+ - Y = R - eta X U``: expand
   ``D_l(R+, R) = l(R+) - l(R) - <grad l(R), R+ - R>`` and use ``<grad l(R), X U> = <G, U>``.
   Proved with K undefined on 2 x 2 matrices, l undefined on 1 x 2 residuals, X, W, R matrices
   of real symbols and ``Y = X W - R`` (n = 1, d = 2, k = 2), eta a positive symbol.

:func:`descent_sides` builds both sides of step 2 (optionally without the ``D_l`` term, a
false identity that :func:`prove_descent` refutes at a point with concrete K and l), so the
checks can be seen to fail.
"""
from __future__ import annotations

import sympy as sp

from symbolic.bregman import bregman, grad, inner, symbol_matrix, undefined_K
from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact
from .i6 import symbolic_run

SHAPE = (1, 2, 2)  # n, d, k of the symbolic instance


def descent_sides(shape=SHAPE, drop_bregman: bool = False):
    """``(lhs, rhs, concrete)`` of ``L(W+) = L(W) - eta <G, U> + D_l(R+, R)`` for generic K, l.

    One step of :func:`proofs.results.i6.symbolic_run` (``Y = X W - R`` with W, R symbolic:
    a change of variables, so every W, Y is covered).  ``drop_bregman=True`` leaves out
    ``D_l(R+, R)`` (a false identity, for tests).
    """
    run = symbolic_run(shape, 1)
    l, eta, R, G, U = run.l, run.eta, run.R, run.G, run.U
    lhs = l(R[1])
    rhs = l(R[0]) - eta * inner(G[0], U[0])
    if not drop_bregman:
        rhs = rhs + bregman(l, R[1], R[0])
    return lhs, rhs, run.concrete()


def prove_descent(shape=SHAPE, drop_bregman: bool = False, refute: bool = False):
    """Run the identity prover on :func:`descent_sides` (returns a :class:`symbolic.facts.Fact`).

    ``refute=True`` gives the prover concrete K and l for its numeric stage, so a false
    variant is refuted at a point (a true one is still proved symbolically).
    """
    lhs, rhs, concrete = descent_sides(shape, drop_bregman)
    name = "I5 (without D_l)" if drop_bregman else "I5 with <G, U>"
    return prove_identity(name, lhs, rhs, concrete=concrete if refute else None,
                          hypotheses="K, l differentiable",
                          statement="l(R+) = l(R) - eta <G, U>" + ("" if drop_bregman else " + D_l(R+, R)"))


def fenchel_young_gap(shape=(2, 2)):
    """Fact: ``(<G, U> - K(G)) - (<V, U> - K(V)) = D_K(V, G)`` for generic K, with ``U = grad K(G)``."""
    K = undefined_K(shape, "K")
    G = symbol_matrix("g", shape)
    V = symbol_matrix("v", shape)
    U = grad(K, G)
    lhs = (inner(G, U) - K(G)) - (inner(V, U) - K(V))
    return prove_identity("Fenchel-Young gap", lhs, bregman(K, V, G), hypotheses="K differentiable",
                          statement="(<G, U> - K(G)) - (<V, U> - K(V)) = D_K(V, G), U = grad K(G)")


def _fenchel_young(context) -> Evidence:
    fact = fenchel_young_gap()
    if fact.status != "proved":
        return from_fact(fact)
    K = undefined_K((2, 2), "K")
    G = symbol_matrix("g", (2, 2))
    if sp.expand(bregman(K, G, G)) != 0:
        return Evidence("unknown", "D_K(G, G) did not simplify to 0")
    return Evidence("proved", f"{fact.detail}; D_K(V, G) >= 0 for convex K and D_K(G, G) = 0, so the sup "
                    "defining K*(U) is attained at V = G: K(G) + K*(U) = <G, U> (generic K, 2 x 2)")


def _descent(context) -> Evidence:
    fact = prove_descent()
    ev = from_fact(fact)
    if ev.status == "proved":
        n, d, k = SHAPE
        return Evidence("proved", f"{fact.detail}; generic K on {d} x {k}, generic l on {n} x {k}, "
                        "X, W symbolic, Y = X W - R with R symbolic")
    return ev


RESULT = Result(
    id="I5",
    title="primal descent identity",
    latex=r"L(W_{t+1}) = L(W_t) - \eta\,(K(G_t) + K^*(U_t)) + D_\ell(R_{t+1}, R_t)",
    text="L(W_{t+1}) = L(W_t) - eta (K(G_t) + K*(U_t)) + D_l(R_{t+1}, R_t)",
    hypotheses=("K convex and differentiable", "l differentiable", "W_{t+1} = W_t - eta grad K(G_t)"),
    steps=(Step("Fenchel-Young: K(G) + K*(grad K(G)) = <G, grad K(G)> (generic convex K)", "symbolic",
                _fenchel_young),
           Step("L(W+) = L(W) - eta <G, U> + D_l(R+, R), R+ = R - eta X U (generic K and l)", "symbolic",
                _descent)),
)
