"""Update maps: is ``U(G)`` the gradient of a convex K? (docs/theory.md §5)

``U = grad K`` for a convex K iff the Jacobian ``DU`` is symmetric (integrable) and positive
semidefinite (monotone); then, with ``K(0) = 0``,

    K(G) = integral_0^1 <U(tG), G> dt.

* Entrywise maps ``U_ij = u(g_ij)`` are always integrable (the Jacobian is diagonal):
  ``k(g) = integral_0^g u(t) dt``, monotone iff ``u' >= 0``.
* General maps on an explicit shape: symmetry of the dk x dk Jacobian is decided by
  ``simplify``; an asymmetric pair of entries refutes integrability (that pair is the
  evidence); then ``K`` is reconstructed by SymPy ``integrate``, and when that fails the
  map itself is used as ``grad K`` (K values by numerical quadrature in the numeric layer).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .facts import Fact
from .general import GeneralK
from .structures import ProfileK


@dataclass(frozen=True)
class UpdateAnalysis:
    """The verdict on an update map and, when it is a gradient, its K."""

    integrable: Fact
    K: object | None  # ProfileK or GeneralK
    reconstruction: str


def entrywise_update(u: sp.Expr, g: sp.Symbol, source: str = "") -> UpdateAnalysis:
    """``U_ij = u(g_ij)``: always integrable; ``k(g) = int_0^g u``."""
    t = sp.Dummy("t", real=True)
    integrable = Fact("integrable", "U = grad K for some K", "proved", "structure",
                      "entrywise map: diagonal Jacobian, always symmetric")
    k = sp.integrate(u.subs(g, t), (t, 0, g))
    if isinstance(k, sp.Integral) or k.has(sp.Integral):
        return UpdateAnalysis(integrable, None, f"SymPy could not integrate u = {u}")
    k = sp.simplify(k)
    x = sp.Symbol("x", nonnegative=True)
    f_pos = k.subs(g, x)
    f_neg = k.subs(g, -x)
    even = sp.simplify(f_pos - f_neg) == 0
    prof = ProfileK("entrywise", sp.simplify(f_pos), x, None, f_neg=None if even else sp.simplify(f_neg),
                    source=f"sum_ij k(g_ij), k(g) = {k}  (from U = {source or u})")
    return UpdateAnalysis(integrable, prof, f"k(g) = integral_0^g u(t) dt = {k}")


def general_update(U: sp.Matrix, d: int, k: int, source: str = "") -> UpdateAnalysis:
    """``U`` a d x k matrix of expressions in ``G_i_j``: decide integrability, reconstruct K."""
    probe = GeneralK(sp.Integer(0), d, k)
    flat = probe.flat
    u = list(U)
    J = sp.Matrix([[sp.diff(ui, s) for s in flat] for ui in u])
    asym = []
    for a in range(len(flat)):
        for b in range(a + 1, len(flat)):
            if sp.simplify(J[a, b] - J[b, a]) != 0:
                asym.append((a, b))
    stmt = "U = grad K for some K (symmetric Jacobian)"
    if asym:
        a, b = asym[0]
        name = lambda i: str(flat[i])  # noqa: E731
        detail = (f"dU[{name(a)}]/d{name(b)} = {J[a, b]} but dU[{name(b)}]/d{name(a)} = {J[b, a]}: "
                  "the Jacobian is not symmetric, so U is not a gradient")
        return UpdateAnalysis(
            Fact("integrable", stmt, "refuted", "symbolic", detail,
                 {"entry": f"d U_{name(a)} / d {name(b)}", "value": str(J[a, b]),
                  "transposed_entry": f"d U_{name(b)} / d {name(a)}", "transposed_value": str(J[b, a]),
                  "asymmetric_pairs": len(asym)}),
            None, "not a gradient")
    integrable = Fact("integrable", stmt, "proved", "symbolic", "Jacobian symmetric (simplify)")
    t = sp.Dummy("t", real=True)
    inner = sum(ui.xreplace({s: t * s for s in flat}) * s for ui, s in zip(u, flat))
    K = sp.integrate(inner, (t, 0, 1))
    if K.has(sp.Integral):
        return UpdateAnalysis(integrable, GeneralK(sp.Integer(0), d, k, source=f"from U = {source}", grad_override=U),
                              "SymPy could not integrate; U is used as grad K")
    K = sp.simplify(K)
    return UpdateAnalysis(integrable, GeneralK(K, d, k, source=f"{K}  (from U = {source or U.tolist()})", grad_override=U),
                          f"K(G) = integral_0^1 <U(tG), G> dt = {K}")
