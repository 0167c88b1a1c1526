"""Implicit bias of left-orthogonally invariant K (docs/theory.md §3.2, docs/derivations.md §6.2; our theorem).

    K(QG) = K(G) for every orthogonal Q  (equivalently K(G) = F(G^T G))
    =>  col(grad K(G)) is contained in col(G)
    =>  W_t = W_0 + X^+ (R_t - R_0) for every t   (I11: P_perp(W_t - W_0) = 0)
    =>  if W_t -> W_inf with X W_inf = Y, then W_inf = W_GD, for every eta and every loss.

Proof sketch (the reflection argument): let P_G be the orthogonal projector onto col(G) and
Q = 2 P_G - I, an orthogonal symmetric matrix with QG = G.  Differentiating K(QZ) = K(Z) at
Z = G gives Q^T grad K(QG) = Q grad K(G) = grad K(G), i.e. (I - P_G) grad K(G) = 0.  Since
G_t = X^T grad l(R_t) has its columns in range(X^T), so does grad K(G_t): every increment lies in
range(X^T), hence W_t - W_0 = X^+ X (W_t - W_0) = X^+(R_t - R_0), and the limit is the unique
interpolator in W_0 + range(X^T), W_GD (docs/derivations.md §6.1).  The class contains the isotropic K,
spectral K (muon), column-wise normalization and right preconditioning tr(G M G^T)/2
(H = I_d kron M in row-major vec); it excludes entrywise K and left preconditioning.

Steps:

1. symbolic (reflection): for a nonzero n (symbols), P = I - n n^T/(n^T n) is the orthogonal
   projector onto n^perp and Q = 2P - I is orthogonal; for a symbolic 3 x 2 G of rank 2 and
   n = g_1 x g_2 (which spans col(G)^perp), n^T G = 0 and QG = G, so P = P_G; then
   (QZ)^T (QZ) = Z^T Q^T Q Z = Z^T Z gives K(QZ) = F((QZ)^T QZ) = K(Z);
2. symbolic (differentiation): for an undefined F of the three entries of Z^T Z and a constant
   orthogonal Q, grad_Z K(QZ) = Q^T grad K(QZ) (chain rule), and at Z = G the invariance gives
   n^T grad K(G) = 0, i.e. (I - P_G) grad K(G) = 0, checked directly for the undefined F;
3. certificate: muon (eps 1/10) and the right-preconditioning quadratic H = I_d kron M
   (M = [[2, 1/2], [1/2, 1]]), built explicitly and passed as H, at two learning rates (square
   loss; muon also log-cosh), k = 2: the verification core's ``row_space_bias`` claim (limit =
   W_GD within the error bound, P_perp(W_t - W_0) = 0 at the checkpoints).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ..core import Evidence, Result, Step
from .isotropic_bias import bias_evidence
from .theorem_a import all_of, identity_evidence

G = sp.Matrix(3, 2, sp.symbols("g00 g01 g10 g11 g20 g21", real=True))
Z = sp.Matrix(3, 2, sp.symbols("z00 z01 z10 z11 z20 z21", real=True))
M_RIGHT = np.array([[2.0, 0.5], [0.5, 1.0]])


def _normal(G):
    return G[:, 0].cross(G[:, 1])


def reflection() -> Evidence:
    nv = sp.Matrix(sp.symbols("n1 n2 n3", real=True))  # any nonzero vector
    nn = (nv.T * nv)[0, 0]
    P = sp.eye(3) - nv * nv.T / nn
    Q = 2 * P - sp.eye(3)
    ns = list(nv)
    n = _normal(G)
    at = dict(zip(ns, list(n)))
    parts = [identity_evidence("P^2 = P = P^T, P n = 0 (orthogonal projector onto n^perp)",
                               sp.Matrix.vstack(P * P - P, P - P.T, (P * nv).T), sp.zeros(7, 3), ns, "n != 0"),
             identity_evidence("Q^T Q = I", Q.T * Q, sp.eye(3), ns, "n != 0"),
             identity_evidence("n^T G = 0 for n = g_1 x g_2", n.T * G, sp.zeros(1, 2), list(G)),
             identity_evidence("Q G = G for n = g_1 x g_2", (Q * G).xreplace(at), G, list(G), "rank G = 2")]
    ev = all_of(parts, "Q = 2 P_G - I with P_G = I - n n^T/|n|^2 (n = g_1 x g_2 spans col(G)^perp when rank G = 2); "
                "(QZ)^T(QZ) = Z^T Q^T Q Z = Z^T Z, so K(QZ) = F((QZ)^T QZ) = K(Z)")
    return ev


def _K_of(F, M):
    S = M.T * M
    return F(S[0, 0], S[0, 1], S[1, 1])


def differentiation() -> Evidence:
    F = sp.Function("F", real=True)
    q = sp.Matrix(3, 3, sp.symbols("q0:9", real=True))
    K_Z = _K_of(F, Z)
    grad = sp.Matrix(3, 2, [sp.diff(K_Z, z) for z in Z])
    # chain rule with a constant matrix q (no orthogonality needed for this identity)
    lhs = sp.Matrix(3, 2, [sp.diff(_K_of(F, q * Z), z) for z in Z])
    at_qz = dict(zip(list(Z), list(q * Z)))
    rhs = q.T * grad.xreplace(at_qz)
    chain = identity_evidence("grad_Z K(qZ) = q^T grad K(qZ)", lhs, rhs, list(q) + list(Z), "F differentiable")
    # the conclusion for the undefined F: n^T grad K(G) = 0 (equivalently Q grad K(G) = grad K(G))
    grad_G = grad.xreplace(dict(zip(list(Z), list(G))))
    n = _normal(G)
    col = identity_evidence("n^T grad K(G) = 0", n.T * grad_G, sp.zeros(1, 2), list(G), "F differentiable")
    return all_of([chain, col], "differentiating K(QZ) = K(Z) at Z = G, K = F(Z^T Z) with F undefined")


def _reflection(context) -> Evidence:
    return reflection()


def _differentiation(context) -> Evidence:
    return differentiation()


def right_quadratic(name, params, problem):
    from numeric.preconditioners.catalog import make_preconditioner
    H = np.kron(np.eye(problem.d), M_RIGHT)
    return make_preconditioner("quadratic", {}, shape=(problem.d, problem.k), H=H)


def _runs(context) -> Evidence:
    mu = bias_evidence((("muon", {"eps": Fraction(1, 10)}),), context, "muon (spectral) reaches W_GD",
                       problems=2, claim="row_space_bias", seeds_salt=31, k=2)
    quad = bias_evidence((("quadratic I_d kron M", {}),), context,
                         "right preconditioning H = I_d kron M reaches W_GD", problems=2, claim="row_space_bias",
                         seeds_salt=32, make=right_quadratic, k=2)
    lc = bias_evidence((("muon", {"eps": Fraction(1, 10)}),), context, "muon with the log-cosh loss reaches W_GD",
                       problems=1, claim="row_space_bias", losses=("logcosh",), seeds_salt=33, k=2)
    return all_of([mu, quad, lc], "DSPGD limits of left-invariant K")


RESULT = Result(
    id="left_invariant_bias",
    title="left-orthogonally invariant K: the limit is the minimum-norm interpolator",
    latex=r"K(QG) = K(G)\ \forall Q \in O(d) \implies \operatorname{col}\nabla K(G) \subseteq \operatorname{col} G"
          r" \implies W_t = W_0 + X^+(R_t - R_0) \implies W_\infty = W_{GD}",
    text="K(QG) = K(G) for all orthogonal Q implies col(grad K(G)) in col(G), hence W_t = W0 + X^+(R_t - R_0) for "
         "every t and the limit is W_GD for every learning rate and loss",
    hypotheses=("K(QG) = K(G) for every orthogonal Q (K = F(G^T G)), K differentiable",
                "DSPGD converges to an interpolator (Theorems A, B)", "X has full row rank n < d"),
    steps=(Step("reflection Q = 2 P_G - I: orthogonal, QG = G, and K(QZ) = K(Z) for K = F(Z^T Z)", "symbolic",
                _reflection),
           Step("differentiate K(QZ) = K(Z) at G: (I - P_G) grad K(G) = 0 (generic F, 3 x 2)", "symbolic",
                _differentiation),
           Step("muon and right preconditioning I_d kron M: row_space_bias verified (limit W_GD, no null-space "
                "drift)", "certificate", _runs)),
)
