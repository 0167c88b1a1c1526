"""Structured convex K reduced to one-variable facts (docs/theory.md §2), proved with SymPy.

Entrywise, isotropic and spectral K are all built from one profile ``f`` on ``[0, oo)``:

* entrywise ``K(G) = sum_ij f(|g_ij|)``; Hessian ``diag(f''(|g_ij|))``;
* isotropic ``K(G) = f(||G||_F)``; Hessian eigenvalues ``f'(r)/r`` and ``f''(r)``;
* spectral ``K(G) = sum_i f(sigma_i(G))``; Hessian eigenvalues ``f''(s_i)``, ``f'(s_i)/s_i``
  and divided differences of ``f'`` (Lewis' theorem: convex iff the even extension of f is).

In each case K is convex and C^1 with ``grad K(0) = 0`` iff ``f'' >= 0`` on every piece of
``(0, oo)``, ``f`` and ``f'`` are continuous at the pieces' joins, ``f(0+) = 0`` and
``f'(0+) = 0`` (then ``f' >= 0``, so f is nondecreasing and its even extension convex).  The
pieces are cut at every suspicious point (joins, kinks of abs/sign/Max/Min, zeros of
denominators, branch points: :mod:`symbolic.singular_points`); derivatives are taken only on the
smooth form of each open piece, and continuity at the points is decided by one-sided limits.
An independent 50-digit search on K itself (:mod:`symbolic.convexity_search`) backs the proof.  ``grad K`` is L-Lipschitz iff the
Hessian eigenvalues are ``<= L``: ``f'' <= L`` (entrywise), and also ``f'(r)/r <= L``
(isotropic, spectral; divided differences of ``f'`` are then ``<= L`` too).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .facts import Fact, combine
from .one_variable import prove_nonnegative, prove_zero_limit
from .singular_points import interior_point, smooth_form, suspicious_points


def _same(u: sp.Expr, v: sp.Expr) -> bool | None:
    """Exact equality of two numbers when decidable (a difference of 6e-62 is a difference)."""
    if u.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or v.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None
    diff = sp.simplify(u - v)
    if diff == 0:
        return True
    if diff.is_number and diff.is_zero is False:
        return False
    return None


def _less(u: sp.Expr, v: sp.Expr) -> bool:
    d = sp.N(u - v, 50)
    return bool(d.is_number and d.is_real and d < 0)

STRUCTURES = ("entrywise", "isotropic", "spectral", "quadratic")


def pieces(f: sp.Expr, x: sp.Symbol) -> list[tuple[sp.Expr, object, object]]:
    """``[(expr, a, b), ...]``: f on consecutive open intervals ``(a, b)`` covering ``(0, oo)``."""
    if isinstance(f, sp.Piecewise):
        out = []
        for expr, s in f.as_expr_set_pairs(sp.Interval(0, sp.oo)):
            if isinstance(s, sp.Interval) and s.measure != 0:
                out.append((expr, s.start, s.end))
            elif s.measure != 0:
                raise ValueError(f"piece domain {s} is not an interval")
        return sorted(out, key=lambda p: p[1])
    return [(f, sp.Integer(0), sp.oo)]


@dataclass(frozen=True)
class ProfileK:
    """K built from a one-variable profile ``f(x)``, ``x >= 0``, with a given structure.

    For an entrywise K whose scalar function ``k`` is not even, ``f`` is ``k`` on ``x >= 0``
    and ``f_neg(x) = k(-x)`` describes the negative half-line; every obligation is then
    proved on both sides (``k'(0-) = k'(0+) = 0`` makes the two halves join C^1).
    ``L`` is the candidate smoothness constant; :meth:`derive_L` proposes one when absent.
    """

    structure: str
    f: sp.Expr
    x: sp.Symbol
    L: sp.Expr | None = None
    params: dict = field(default_factory=dict)
    f_neg: sp.Expr | None = None
    source: str = ""

    def K_text(self) -> str:
        if self.source:
            return self.source
        body = str(self.f)
        return {"entrywise": f"sum_ij f(|g_ij|), f(x) = {body}",
                "isotropic": f"f(||G||_F), f(x) = {body}",
                "spectral": f"sum_i f(sigma_i(G)), f(x) = {body}"}[self.structure]

    def sides(self) -> list[tuple[str, sp.Expr]]:
        """``[("x >= 0", f)]`` plus ``("x <= 0", k(-x))`` for a non-even entrywise k."""
        out = [("positive side", self.f)]
        if self.f_neg is not None:
            out.append(("negative side (k(-x))", self.f_neg))
        return out

    def _pieces(self, f=None):
        return pieces(self.f if f is None else f, self.x)

    def second_derivatives(self) -> list[sp.Expr]:
        """``f''`` of each side: its infimum on ``[0, rho]`` bounds mu(rho) and its supremum L."""
        return [sp.diff(f, self.x, 2) for _, f in self.sides()]

    def hessian_eigenvalues(self) -> dict[str, str]:
        """The Hessian eigenvalue expressions of docs/theory.md §2, in terms of the profile."""
        x = self.x
        f1, f2 = sp.diff(self.f, x), sp.diff(self.f, x, 2)
        if self.structure == "entrywise":
            return {"k''(g_ij) (g_ij >= 0)": str(sp.simplify(f2))}
        q = sp.simplify(f1 / x)
        if self.structure == "isotropic":
            return {"h''(r) (multiplicity 1)": str(sp.simplify(f2)), "h'(r)/r (multiplicity dk - 1)": str(q)}
        return {"phi''(s_i)": str(sp.simplify(f2)), "phi'(s_i)/s_i": str(q),
                "(phi'(s_i) - phi'(s_j))/(s_i - s_j)": "divided difference of phi'",
                "(phi'(s_i) + phi'(s_j))/(s_i + s_j)": "between phi'(s_i)/s_i and phi'(s_j)/s_j"}

    def smooth_pieces(self, f=None) -> list[tuple[sp.Expr, object, object]] | None:
        """``[(expr, a, b), ...]`` covering ``(0, oo)``, each ``expr`` analytic on its open interval:
        the Piecewise pieces cut again at every suspicious point (:mod:`symbolic.singular_points`),
        kink functions replaced by their branch.  None when a suspicious point cannot be decided."""
        out = []
        for expr, a, b in self._pieces(f):
            pts = suspicious_points(expr, self.x, a, b)
            if pts is None:
                return None
            bounds = [a, *pts, b]
            for lo, hi in zip(bounds, bounds[1:]):
                sm = smooth_form(expr, self.x, interior_point(lo, hi))
                if sm is None:
                    return None
                out.append((sm, lo, hi))
        return out

    def _join(self, f: sp.Expr, e1: sp.Expr, e2: sp.Expr, p) -> list[Fact]:
        """Continuity of ``f`` and ``f'`` at ``p`` from both sides, by one-sided limits of the
        smooth forms (never by differentiating through the join)."""
        x = self.x
        out = []
        for order, what in ((0, "f"), (1, "f'")):
            try:
                v1 = sp.limit(sp.diff(e1, x, order), x, p, "-")
                v2 = sp.limit(sp.diff(e2, x, order), x, p, "+")
            except (NotImplementedError, ValueError, TypeError):
                out.append(Fact(f"{what} continuous at {p}", f"{what}({p}-) = {what}({p}+)", "unknown", "symbolic",
                                "one-sided limit not computable"))
                break
            same = _same(v1, v2)
            if order == 0 and same:
                at = f.subs(x, p)
                if at.is_number and at.is_finite and _same(at, v1) is False:
                    same, v2 = False, at
            stmt = f"{what}({p}-) = {what}({p}+)"
            if same is None:
                out.append(Fact(f"{what} continuous at {p}", stmt, "unknown", "symbolic", f"{v1} vs {v2} undecided"))
                break
            if same is False:
                kind = ("f jumps: K is not continuous, hence not convex" if order == 0 else
                        "f' jumps: grad K is not continuous" + (" and f' decreases (not convex)"
                                                                 if _less(v2, v1) else ""))
                out.append(Fact(f"{what} continuous at {p}", stmt, "refuted", "symbolic",
                                f"{what}({p}-) = {v1} but {what}({p}+) = {v2}: {kind}",
                                {str(x): str(p), "left": str(v1), "right": str(v2)}))
                break
            out.append(Fact(f"{what} continuous at {p}", stmt, "proved", "symbolic", f"both one-sided limits {v1}"))
        return out

    def convexity(self) -> Fact:
        x = self.x
        parts = []
        for side, f in self.sides():
            ps = self.smooth_pieces(f)
            if ps is None:
                parts.append(Fact(f"smooth pieces, {side}", "f is smooth between finitely many known points",
                                  "unknown", "symbolic", f"could not locate the non-smooth points of {f}"))
                continue
            for expr, a, b in ps:
                f2 = sp.diff(expr, x, 2)
                if f2.has(sp.DiracDelta, sp.Heaviside, sp.sign):  # never handed to solveset
                    parts.append(Fact(f"f''>=0 on ({a},{b}), {side}", f"f'' >= 0 on ({a}, {b})", "unknown",
                                      "symbolic", "f'' still has kink terms"))
                    continue
                parts.append(prove_nonnegative(f"f''>=0 on ({a},{b}), {side}", f2, x, a, b))
            try:
                at0 = sp.limit(ps[0][0], x, ps[0][1], "+")
            except (NotImplementedError, ValueError, TypeError):
                at0 = None
            same0 = None if at0 is None else _same(at0, sp.Integer(0))
            parts.append(Fact(f"f(0+) = 0, {side}", "f(0+) = f(0) = 0",
                              {True: "proved", False: "refuted", None: "unknown"}[same0], "symbolic",
                              f"lim f(0+) = {at0}", {} if same0 is not False else {str(x): "0+", "limit": str(at0)}))
            for (e1, _, b1), (e2, a2, _) in zip(ps, ps[1:]):
                parts += self._join(f, e1, e2, b1)
        parts.append(self.gradient_at_zero())
        what = {"entrywise": "sum_ij k(g_ij)", "isotropic": "h(||G||_F), h convex nondecreasing",
                "spectral": "sum_i phi(sigma_i(G)) (Lewis)"}
        return combine("convex", f"K = {what[self.structure]} is convex and C^1", parts)

    def gradient_at_zero(self) -> Fact:
        facts = []
        for side, f in self.sides():
            ps = self.smooth_pieces(f) or self._pieces(f)
            expr, a, _ = ps[0]
            facts.append(prove_zero_limit(f"f'(0+) = 0, {side}", sp.diff(expr, self.x), self.x, a))
        fact = combine("grad K(0) = 0", "grad K(0) = 0", facts)
        return Fact("grad K(0) = 0", "grad K(0) = 0, i.e. f'(0+) = 0", fact.status,
                    "symbolic", fact.detail, fact.counterexample)

    def line_function(self) -> tuple[sp.Expr, sp.Symbol, list]:
        """``k(t)``, K along one entry (entrywise) or one direction through 0, on the whole line,
        with its suspicious points (both signs): the input of the independent search."""
        t = sp.Symbol("t", real=True)
        neg = self.f_neg if self.f_neg is not None else self.f
        k = sp.Piecewise((self.f.subs(self.x, t), t >= 0), (neg.subs(self.x, -t), True))
        pts = set()
        for _, f in self.sides():
            ps = self.smooth_pieces(f) or self._pieces(f)
            pts.update(b for _, _, b in ps[:-1])
        return k, t, sorted(pts, key=lambda p: float(p))

    def derive_L(self) -> sp.Expr | None:
        """A candidate global L: ``sup f''`` taken at 0 when ``f''`` is largest there, or a
        finite limit at infinity; ``None`` when ``f''`` is unbounded (locally Lipschitz only)."""
        x = self.x
        cands = []
        for _, f in self.sides():
            ps = self.smooth_pieces(f) or self._pieces(f)
            try:
                at0 = sp.limit(sp.diff(ps[0][0], x, 2), x, ps[0][1], "+")
                at_inf = sp.limit(sp.diff(ps[-1][0], x, 2), x, sp.oo)
            except (NotImplementedError, ValueError, TypeError):  # TypeError: comparisons with zoo
                return None
            if at_inf in (sp.oo, -sp.oo) or not at0.is_finite:
                return None
            for c in (at0, at_inf):
                if not (c.is_number and c.is_real and c.is_finite):  # e.g. AccumBounds(-1, 1) for sin
                    return None
                cands.append(c)
        if not cands:
            return None
        best = max(cands, key=lambda c: float(c))
        return sp.nsimplify(best) if best.is_number else None

    def lipschitz(self) -> Fact:
        L = self.L if self.L is not None else self.derive_L()
        if L is None:
            return Fact("lipschitz", "grad K is globally Lipschitz", "unknown", "symbolic",
                        "no finite candidate L (f'' unbounded or undecided): locally Lipschitz at best; "
                        "L is then taken on the ball the iterates visit")
        x = self.x
        parts = []
        for side, f in self.sides():
            for expr, a, b in (self.smooth_pieces(f) or self._pieces(f)):
                parts.append(prove_nonnegative(f"L - f'' >= 0 on ({a},{b}), {side}", L - sp.diff(expr, x, 2), x, a, b))
        fact = combine("lipschitz", f"grad K is L-Lipschitz with L = {L}", parts)
        if fact.status == "refuted" and self.L is None:  # only our own candidate failed
            return Fact("lipschitz", "grad K is globally Lipschitz", "unknown", "symbolic",
                        f"candidate L = {L} fails ({fact.detail}); sup f'' not found")
        return fact

    def smoothness_constant(self) -> sp.Expr | None:
        """The proved global L, or ``None`` (then only local constants on balls are used)."""
        L = self.L if self.L is not None else self.derive_L()
        if L is None:
            return None
        return L if self.lipschitz().status == "proved" else None

    def isotropy(self) -> Fact:
        if self.structure == "isotropic":
            return Fact("isotropic", "K(G) = h(||G||_F)", "proved", "structure", "isotropic by construction")
        return self._invariance_probe("isotropic", "K(G) = h(||G||_F)")

    def left_invariance(self) -> Fact:
        if self.structure in ("isotropic", "spectral"):
            return Fact("left_invariant", "K(QG) = K(G) for orthogonal Q", "proved", "structure",
                        f"{self.structure} K depends on G only through G^T G")
        return self._invariance_probe("left_invariant", "K(QG) = K(G) for orthogonal Q")

    def _invariance_probe(self, name: str, statement: str) -> Fact:
        """Compare K at two points of equal Frobenius norm.

        Entrywise: ``G = e1`` and its 45-degree rotation ``Q e1 = (e1 + e2)/sqrt 2`` (d x 1), a
        counterexample to left invariance and isotropy.  Spectral: ``diag(1, 0)`` and
        ``diag(1, 1)/sqrt 2`` (needs min(d, k) >= 2), a counterexample to isotropy only.
        In both cases ``K = f(1) + f(0)`` against ``2 f(1/sqrt 2)``.
        """
        f = self.f
        x = self.x
        a = f.subs(x, 1) + f.subs(x, 0)
        b = 2 * f.subs(x, 1 / sp.sqrt(2))
        # 50-digit evaluation (evalf raises its working precision through cancellation), no
        # simplify: with extreme parameters (eps = 1e12) simplify's logcombine builds powers
        # with 10^12-digit exponents and never returns.
        diff, va, vb = sp.N(a - b, 50), sp.N(a, 50), sp.N(b, 50)
        if not all(v.is_number and v.is_real and v.is_finite for v in (diff, va, vb)):
            return Fact(name, statement, "unknown", "symbolic", "K is not finite at the probe points")
        scale = max(sp.Float(1), abs(va), abs(vb))
        if abs(diff) > sp.Float("1e-40") * scale:
            if self.structure == "spectral":
                pts = {"G": "[[1, 0], [0, 0]]", "G2": "[[1/sqrt(2), 0], [0, 1/sqrt(2)]]",
                       "note": "equal Frobenius norms; needs min(d, k) >= 2"}
                what = "K(diag(1,0)) - K(diag(1,1)/sqrt 2)"
            else:
                pts = {"G": "[[1], [0]]", "QG": "[[1/sqrt(2)], [1/sqrt(2)]]"}
                what = "K(e1) - K(Q e1) for Q the 45-degree rotation"
            return Fact(name, statement, "refuted", "symbolic", f"{what} = {sp.N(diff, 10)}",
                        {**pts, "difference": str(sp.N(diff, 20))})
        return Fact(name, statement, "unknown", "symbolic", "no counterexample at the probe point")

    def facts(self) -> dict[str, Fact]:
        """Every fact, each decided within :data:`symbolic.timebox.FACT_SECONDS` (else unknown)."""
        from .convexity_search import reconcile, search_one_variable
        from .timebox import fact_within
        convex = fact_within("convex", "K is convex and C^1", self.convexity)
        if convex.status != "refuted":  # the independent search on K itself
            def search() -> Fact:
                k, t, pts = self.line_function()
                return search_one_variable(k, t, pts) or Fact("convex", "", "unknown", "numeric search", "")
            found = fact_within("convex", "K is convex and C^1", search)
            convex = reconcile(convex, found,
                               "convexity inequality and gradient monotonicity on both sides of every "
                               "suspicious point and at random scales, 50 digits")
        return {"convex": convex,
                "grad_zero": fact_within("grad K(0) = 0", "grad K(0) = 0", self.gradient_at_zero),
                "lipschitz": fact_within("lipschitz", "grad K is globally Lipschitz", self.lipschitz),
                "isotropic": fact_within("isotropic", "K(G) = h(||G||_F)", self.isotropy),
                "left_invariant": fact_within("left_invariant", "K(QG) = K(G) for orthogonal Q",
                                              self.left_invariance)}


def leading_minors_positive(H) -> tuple[bool, int | None]:
    """Exact positive definiteness of a symmetric float64 matrix by Sylvester's criterion.

    Fraction-free Gaussian elimination (Bareiss) on the exact integer matrix ``2^s H``: the
    k-th pivot equals the k-th leading principal minor, so H is PD iff all pivots are > 0.
    Written by hand (a dozen lines) because SymPy's LU pivots rows and flint is optional.
    Returns ``(True, None)`` or ``(False, index of the first non-positive minor)``.
    """
    from fractions import Fraction
    rows = [[Fraction(float(v)) for v in r] for r in H]
    den = max((v.denominator for r in rows for v in r), default=1)
    m = [[int(v * den) for v in r] for r in rows]
    n = len(m)
    prev = 1
    for k in range(n):
        if m[k][k] <= 0:
            return False, k
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) // prev
        prev = m[k][k]
    return True, None


@dataclass(frozen=True)
class QuadraticK:
    """``K = vec(G)^T H vec(G)/2`` with H symmetric (given as a float64 array)."""

    H: object
    structure: str = "quadratic"

    def K_text(self) -> str:
        return f"vec(G)^T H vec(G)/2, H {self.H.shape[0]}x{self.H.shape[1]}"

    def facts(self) -> dict[str, Fact]:
        import numpy as np
        H = np.asarray(self.H)
        pd, where = leading_minors_positive(H)
        convex = Fact("convex", "H is positive definite", "proved" if pd else "refuted", "exact",
                      "all leading principal minors > 0 (exact rational arithmetic)" if pd
                      else f"leading principal minor {where + 1} <= 0",
                      {} if pd else {"minor": where + 1})
        m = H.shape[0]
        iso = bool(np.all(H == H[0, 0] * np.eye(m)))
        return {
            "convex": convex,
            "grad_zero": Fact("grad K(0) = 0", "H 0 = 0", "proved", "symbolic", "grad K is linear"),
            "lipschitz": Fact("lipschitz", "grad K is L-Lipschitz with L = lambda_max(H)", "proved", "symbolic",
                              "linear map, L = lambda_max(H)"),
            "isotropic": Fact("isotropic", "H = cI", "proved" if iso else "refuted", "exact",
                              "H is a multiple of I" if iso else "H is not a multiple of the identity"),
        }
