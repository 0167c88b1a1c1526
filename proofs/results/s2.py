"""S2, gradient and Hessian of an isotropic K(G) = h(||G||) (docs/theory.md §2 and §4.2, docs/derivations.md §3).

    grad h(||G||) = (h'(r)/r) G,
    Hess h(||G||) = (h'(r)/r) I + (h''(r) - h'(r)/r) u u^T,     r = ||G||_F > 0,  u = vec(G)/r,

so the Hessian has the eigenvalue h''(r) on G and h'(r)/r (multiplicity dk - 1) on the
orthogonal complement of G.  Hence K is convex iff h is convex and nondecreasing on [0, oo).

Proof: the chain rule with dr/dg_ij = g_ij/r gives the gradient; differentiating
(h'(r)/r) g_ij once more gives (h'(r)/r) delta + (h''(r)/r^2 - h'(r)/r^3) g g^T.

Proved symbolically for a generic h (an undefined SymPy function) on an explicit 2 x 2 G with
real symbol entries, r = sqrt(sum g_ij^2); the Hessian is the 4 x 4 matrix of second
partials in row-major vec(G).  The eigen-decomposition is proved on G itself and on the three
vectors (g01, -g00, 0, 0), (g10, 0, -g00, 0), (g11, 0, 0, -g00), which span G's orthogonal
complement when g00 != 0.
"""
from __future__ import annotations

import sympy as sp

from symbolic.identities import prove_identity

from ..core import Evidence, Result, Step, from_fact

G = sp.Matrix(2, 2, sp.symbols("g00 g01 g10 g11", real=True))
VEC = list(G)  # row-major vec(G)
R = sp.sqrt(sum(v**2 for v in VEC))


def _h(h):
    return h if h is not None else sp.Function("h", real=True)


def _derivative(h, order: int):
    """``h^(order)(r)`` as a derivative of ``h`` evaluated at ``r`` (a ``Subs`` for undefined h)."""
    t = sp.Dummy("t", real=True)
    return sp.Derivative(h(t), (t, order)).subs(t, R)


def gradient_sides(h=None):
    h = _h(h)
    K = h(R)
    lhs = sp.Matrix([sp.diff(K, v) for v in VEC])
    rhs = (_derivative(h, 1) / R) * sp.Matrix(VEC)
    return lhs, rhs


def hessian_sides(h=None):
    h = _h(h)
    K = h(R)
    lhs = sp.hessian(K, VEC)
    h1, h2 = _derivative(h, 1), _derivative(h, 2)
    u = sp.Matrix(VEC) / R
    rhs = (h1 / R) * sp.eye(len(VEC)) + (h2 - h1 / R) * (u * u.T)
    return lhs, rhs


def eigen_sides(h=None):
    """``[H g, H v1, H v2, H v3]`` against ``[h'' g, (h'/r) v1, ...]`` (stacked)."""
    h = _h(h)
    H = sp.hessian(h(R), VEC)
    h1, h2 = _derivative(h, 1), _derivative(h, 2)
    g = sp.Matrix(VEC)
    a = VEC[0]
    perp = [sp.Matrix([VEC[i] if j == 0 else (-a if j == i else 0) for j in range(4)]) for i in (1, 2, 3)]
    lhs = sp.Matrix.vstack(H * g, *[H * v for v in perp])
    rhs = sp.Matrix.vstack(h2 * g, *[(h1 / R) * v for v in perp])
    return lhs, rhs


def check(name: str, lhs, rhs, concrete=None) -> Evidence:
    """Prove ``lhs = rhs`` entrywise (``concrete``: ``{h: Lambda}`` to let the numeric search run)."""
    return from_fact(prove_identity(name, lhs, rhs, symbols=VEC, hypotheses="h twice differentiable, G != 0",
                                    concrete=concrete))


def _gradient(context) -> Evidence:
    return check("S2 gradient", *gradient_sides())


def _hessian(context) -> Evidence:
    return check("S2 Hessian", *hessian_sides())


def _eigen(context) -> Evidence:
    return check("S2 Hessian eigenvalues", *eigen_sides())


RESULT = Result(
    id="S2",
    title="gradient and Hessian of an isotropic K",
    latex=r"\nabla h(\|G\|) = \frac{h'(r)}{r} G,\quad \nabla^2 h(\|G\|) = \frac{h'(r)}{r} I + "
          r"\Big(h''(r) - \frac{h'(r)}{r}\Big) u u^\top,\quad r = \|G\|_F,\ u = G/r",
    text="grad h(||G||) = (h'(r)/r) G; Hess h(||G||) = (h'(r)/r) I + (h''(r) - h'(r)/r) u u^T, r = ||G||, u = G/r",
    hypotheses=("h twice differentiable on (0, oo)", "G != 0"),
    steps=(Step("gradient of h(||G||), generic h, 2 x 2 G", "symbolic", _gradient),
           Step("Hessian of h(||G||) (4 x 4 on vec G), generic h", "symbolic", _hessian),
           Step("eigenvalues: h'' on G, h'/r on three vectors spanning G's orthogonal complement", "symbolic",
                _eigen)),
)
