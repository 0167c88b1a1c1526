"""S3, K depending on G only through G^T G has gradient G M(G), M symmetric (docs/theory.md §4.2, I11).

    K(G) = F(G^T G)   implies   grad K(G) = G M(G),   M(G) = 2 grad_S F(G^T G) = M(G)^T,

where grad_S F is the symmetric matrix of partials of F with respect to the entries of the
symmetric k x k matrix S = G^T G, each off-diagonal partial split in halves:
for k = 2, with F = F(s11, s12, s22),  M = [[2 F_1, F_2], [F_2, 2 F_3]].
Consequence: col(grad K(G)) is contained in col(G), so for G in S = {X^T A} the update never
leaves the row space of X (P_perp grad K(G) = 0): the mechanism of I11 for isotropic, spectral
and other left-orthogonally invariant K (K(QG) = K(G) for all orthogonal Q iff K = F(G^T G)).

Proof: d s_ab / d g_ij = delta_aj g_ib + delta_bj g_ia, so dK/dg_ij = sum_ab F_ab (...) =
(G M)_ij.  Proved symbolically with F an undefined function of the 3 independent entries of
G^T G, for a 3 x 2 G of real symbols (d = 3, k = 2); the consequence is proved on the normal
n = g_1 x g_2 of col(G) (which spans col(G)^perp when G has rank 2): n^T grad K(G) = 0.
"""
from __future__ import annotations

import sympy as sp

from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact

D, K_COLS = 3, 2
G = sp.Matrix(D, K_COLS, sp.symbols("g00 g01 g10 g11 g20 g21", real=True))
S = G.T * G
ENTRIES = (S[0, 0], S[0, 1], S[1, 1])  # the 3 independent entries of the symmetric G^T G


def _F(F):
    return F if F is not None else sp.Function("F", real=True)


def _partials(F):
    """``(F_1, F_2, F_3)`` at ``(s11, s12, s22)`` (``Subs`` objects for an undefined F)."""
    a, b, c = sp.Dummy("a", real=True), sp.Dummy("b", real=True), sp.Dummy("c", real=True)
    at = {a: ENTRIES[0], b: ENTRIES[1], c: ENTRIES[2]}
    return [sp.Derivative(F(a, b, c), v).subs(at) for v in (a, b, c)]


def M_of(F=None, factor=2):
    """``M(G) = factor * grad_S F``; ``grad_S F = [[F_1, F_2/2], [F_2/2, F_3]]`` (factor 2 is right)."""
    F1, F2, F3 = _partials(_F(F))
    return factor * sp.Matrix([[F1, F2 / 2], [F2 / 2, F3]])


def grad_K(F=None):
    K = _F(F)(*ENTRIES)
    return sp.Matrix(D, K_COLS, [sp.diff(K, g) for g in G])


def gradient_sides(F=None, factor=2):
    """``[grad K; M - M^T]`` against ``[G M; 0]``."""
    M = M_of(F, factor)
    lhs = sp.Matrix.vstack(grad_K(F), M - M.T)
    rhs = sp.Matrix.vstack(G * M, sp.zeros(K_COLS, K_COLS))
    return lhs, rhs


def column_space_sides(F=None):
    """``n^T grad K(G)`` with ``n = g_1 x g_2`` (normal to col(G)), against 0."""
    n = G[:, 0].cross(G[:, 1])
    return n.T * grad_K(F), sp.zeros(1, K_COLS)


def check(name: str, lhs, rhs, concrete=None) -> Evidence:
    return from_fact(prove_identity(name, lhs, rhs, symbols=list(G), hypotheses="F differentiable",
                                    concrete=concrete))


def _gradient(context) -> Evidence:
    return check("S3 gradient", *gradient_sides())


def _column_space(context) -> Evidence:
    return check("S3 column space", *column_space_sides())


RESULT = Result(
    id="S3",
    title="K = F(G^T G) has gradient G M(G) with M symmetric",
    latex=r"K(G) = F(G^\top G) \implies \nabla K(G) = G\,M(G),\ M(G) = 2\nabla_S F(G^\top G) = M(G)^\top,"
          r"\ \operatorname{col}\nabla K(G) \subseteq \operatorname{col} G",
    text="K(G) = F(G^T G) implies grad K(G) = G M(G) with M(G) = 2 grad_S F(G^T G) symmetric; "
         "hence col(grad K(G)) is contained in col(G)",
    hypotheses=("F differentiable on symmetric k x k matrices",),
    steps=(Step("grad K = G M with M = [[2F_1, F_2], [F_2, 2F_3]] = M^T, generic F, 3 x 2 G", "symbolic",
                _gradient),
           Step("consequence: (g_1 x g_2)^T grad K(G) = 0, i.e. col(grad K) in col(G) (rank 2)", "symbolic",
                _column_space)),
)
