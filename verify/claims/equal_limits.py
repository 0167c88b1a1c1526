"""When does a theorem say the DSPGD limit cannot depend on the learning rate?

``lr_dependence`` claims that limits at different learning rates differ.  Numbers that agree
below the tolerance are *not* evidence of equality (they may differ by 1e-62); only a theorem
is.  The theorem used here: for a quadratic K (``grad K(G) = H vec(G)``, H constant) every
iterate satisfies ``vec(W_t - W0) in range((I_k (x) H)-weighted X^T)``, a subspace independent of
eta, and the interpolating point of ``W0 +`` that subspace is unique, so every convergent run
has the same limit (docs/theory.md §3).  For a proved left-invariant (or isotropic) K the limit is
``W_GD`` for every eta (docs/theory.md §3.2); ``lr_dependence`` marks it not applicable unless the
invariance is hidden from the claim (the self-test's "judged on the runs alone" cases).
"""
from __future__ import annotations

from numeric.preconditioners.base import Preconditioner


def equality_theorem(pre: Preconditioner, facts: dict | None = None) -> str | None:
    """The reason the limits are equal for every eta, or None when no theorem applies.

    ``facts`` are K's symbolic facts: a *proved* left invariance (or isotropy) gives the limit
    ``W_GD`` for every eta (docs/theory.md §3.2), whatever flags the preconditioner carries."""
    for key, why in (("left_invariant", "proved left-invariant K: the limit is W_GD for every eta"),
                     ("isotropic", "proved isotropic K: the limit is W_GD for every eta")):
        fact = (facts or {}).get(key)
        if fact is not None and fact.status == "proved":
            return why
    if pre.structure == "quadratic":
        return "quadratic K: the limit is the unique interpolator in W0 + H-weighted row space, for every eta"
    sym = pre.extra.get("symbolic")
    if sym is None:
        return None
    import sympy as sp  # a user K's SymPy description: SymPy is loaded already (a catalogue check never needs it)
    if hasattr(sym, "hessian") and not getattr(sym, "expr", sp.Integer(1)).has(sp.Piecewise):
        try:
            if not sym.hessian().free_symbols:
                return "quadratic K (constant Hessian): the limit does not depend on eta"
        except (TypeError, ValueError, NotImplementedError):
            return None
        return None
    if hasattr(sym, "sides") and sym.structure == "entrywise":
        # k(g) = c g^2/2 (+ const) on the whole line: k(x) = f(x) and k(-x) = f_neg(x) for x >= 0 must
        # be the same polynomial a x^2 + const (no x term: that is a kink b|g| or an affine grad K)
        x = sym.x
        f = sym.f
        if f.has(sp.Piecewise) or not f.is_polynomial(x) or sp.degree(f, x) > 2:
            return None
        if sp.Poly(f, x).coeff_monomial(x) != 0:
            return None
        if sym.f_neg is not None and sp.expand(sym.f_neg - f) != 0:
            return None
        return "quadratic K (k(g) = c g^2/2): the limit does not depend on eta"
    return None
