"""S1, the one-variable Fenchel-Young equality and inverse relation (docs/theory.md §4.2).

For a convex profile h on [0, oo) with conjugate h*:

    h(r) + h*(h'(r)) = r h'(r)           (every convex differentiable h)
    (h*)'(h'(r)) = r                     (h Legendre: h' strictly increasing, so (h*)' = (h')^{-1})

for r > 0.  These are the one-variable facts behind I1 and I2b for entrywise, isotropic and
spectral K (``K* = sum k*(u_ij)``, ``h*(||U||)``, ``sum phi*(sigma_i(U))``).

Proof: h*(y) = x(y) y - h(x(y)) with h'(x(y)) = y; put y = h'(r) (then x(y) = r when h' is
injective).  Proved symbolically with the closed-form conjugate of
:func:`symbolic.bregman.conjugate_profile` for the catalogue profiles of ``gd``
(h = r^2/2), ``ngd`` (eps = 1/10; also adam's and muon's profile) and ``sign`` (eps = 1/10),
and for the profile of the context's K when it has a closed-form conjugate.  The second
identity needs strict convexity: for the Huber profile of ``clip`` (h* = y^2/2 on [0, c],
+oo beyond) it fails at every r > c, since (h*)'(h'(r)) = c there; that is reported as a
failure with the point.  For a quadratic K the step checks the matrix analogue
``K(G) + K*(HG) = <G, HG>``, ``H^{-1}(HG) = G`` exactly.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from symbolic.bregman import Y, conjugate_profile
from symbolic.catalog import profile
from symbolic.facts import Fact, combine
from symbolic.identities import prove_identity
from symbolic.structures import ProfileK, QuadraticK

from ..core import Evidence, Result, Step, from_fact

CATALOGUE = (("gd", {}), ("ngd", {"eps": Fraction(1, 10)}), ("sign", {"eps": Fraction(1, 10)}))


def profile_facts(f: sp.Expr, x: sp.Symbol, label: str, fstar: sp.Expr | None = None,
                  which: tuple[str, ...] = ("fenchel-young", "inverse")) -> list[Fact]:
    """The S1 identities named in ``which`` for the profile ``f`` (``fstar``: the conjugate in
    ``Y``, default the closed form of :func:`conjugate_profile`), for ``x`` in ``(0, oo)``."""
    if fstar is None:
        conj = conjugate_profile(f, x)
        if conj is None:
            return [Fact(f"S1 {label}", f"conjugate of {f}", "unknown", "symbolic",
                         f"no closed-form conjugate of {f}")]
        fstar = conj.fstar
    f1 = sp.diff(f, x)
    at = {Y: f1}
    out = []
    if "fenchel-young" in which:
        out.append(_prove(f"S1 Fenchel-Young {label}", f + fstar.xreplace(at), x * f1, x,
                          f"h(r) + h*(h'(r)) = r h'(r) for h = {f}, h* = {fstar}"))
    if "inverse" in which:
        out.append(_prove(f"S1 inverse {label}", sp.diff(fstar, Y).xreplace(at), x, x,
                          f"(h*)'(h'(r)) = r for h = {f}, h* = {fstar}"))
    return out


BIG = 150  # operation count of lhs - rhs above which SymPy's simplification is not attempted


def _prove(name: str, lhs, rhs, x, statement: str) -> Fact:
    """:func:`prove_identity` for ``x > 0``; on very large expressions (e.g. Cardano's formula
    for the inverse of a cubic h') only the 50-digit search runs, so the answer is at best
    ``unknown`` (numbers never prove) but comes back in bounded time."""
    big = sp.count_ops(lhs - rhs) > BIG
    fact = prove_identity(name, lhs, rhs, symbols=[x], domains={x: (sp.Integer(0), sp.oo)}, hypotheses="r > 0",
                          statement=statement, symbolic=not big)
    if big:
        return Fact(fact.name, fact.statement, fact.status, fact.method,
                    f"expression too large for simplification (> {BIG} operations); " + fact.detail,
                    fact.counterexample)
    return fact


def _evidence(label: str, facts: list[Fact]) -> Evidence:
    fact = combine(f"S1 {label}", f"S1 for {label}", facts)
    if fact.status == "proved":
        detail = "; ".join(f"{p.statement}: proved ({p.detail})" for p in facts)
    elif fact.status == "refuted":
        bad = next(p for p in facts if p.status == "refuted")
        detail = f"{bad.statement}: FAILS ({bad.detail})"
    else:
        detail = "; ".join(f"{p.statement}: {p.status} ({p.detail})" for p in facts)
    return from_fact(Fact(fact.name, fact.statement, fact.status, "symbolic", detail, fact.counterexample))


def check_profile(f: sp.Expr, x: sp.Symbol, label: str, fstar: sp.Expr | None = None) -> Evidence:
    """S1 for one profile as step evidence (``fstar`` overrides the conjugate)."""
    return _evidence(label, profile_facts(f, x, label, fstar))


def _catalogue_step(name: str, params: dict):
    def check(context) -> Evidence:
        prof = profile(name, params)
        return check_profile(prof.f, prof.x, f"{name} {dict((k, str(v)) for k, v in params.items())}")
    return check


def quadratic_facts(H) -> list[Fact]:
    """``H^{-1} H = I`` exactly (H's float64 entries as rationals): then ``grad K*(grad K(G)) = G``
    and ``K(G) + K*(HG) = G^T H G/2 + G^T H H^{-1} H G/2 = <G, HG>``."""
    import numpy as np
    H = np.asarray(H)
    m = H.shape[0]
    M = sp.Matrix(m, m, [sp.Rational(float(v)) for v in H.flat])
    ok = M.inv() * M == sp.eye(m)
    return [Fact("S1 quadratic", "H^{-1} H = I (exact), hence K(G) + K*(HG) = <G, HG> and H^{-1}(HG) = G",
                 "proved" if ok else "refuted", "symbolic", "exact rational inverse" if ok else "H^{-1} H != I",
                 {} if ok else {"H": str(H.tolist())})]


def _context_step(context) -> Evidence:
    sym = context.symbolic
    if isinstance(sym, QuadraticK):
        return _evidence("quadratic K", quadratic_facts(sym.H))
    if not isinstance(sym, ProfileK):
        return Evidence("unknown", "the context's K has no one-variable profile")
    facts = []
    for side, f in sym.sides():
        facts += profile_facts(f, sym.x, f"{context.name} ({side})")
    return _evidence(f"{context.name}", facts)


RESULT = Result(
    id="S1",
    title="one-variable Fenchel-Young equality and inverse relation",
    latex=r"h(r) + h^*(h'(r)) = r\,h'(r),\qquad (h^*)'(h'(r)) = r \quad (r > 0)",
    text="h(r) + h*(h'(r)) = r h'(r) and (h*)'(h'(r)) = r for r > 0",
    hypotheses=("h convex, differentiable on [0, oo), h(0) = h'(0) = 0",
                "second identity: h Legendre (h' strictly increasing), false for Huber at r > c"),
    steps=tuple(Step(f"closed-form conjugate of the {n} profile; both identities simplify to 0", "symbolic",
                     _catalogue_step(n, p)) for n, p in CATALOGUE)
    + (Step("both identities for the profile of the context's K (closed-form conjugate)", "symbolic",
            _context_step),),
    per_preconditioner=True,
)
