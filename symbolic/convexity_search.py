"""The second, independent line of defence: search for violations of convexity on K itself.

The symbolic proofs (:mod:`symbolic.structures`, :mod:`symbolic.general`) work on derivatives,
which SymPy may simplify wrongly (a jump hidden in ``atan(1/(r-1)) + atan(r-1)`` differentiates
to 0).  This module evaluates K itself at 50 digits and looks for

* a violation of the convexity inequality ``K(tA + (1-t)B) <= t K(A) + (1-t) K(B)``;
* a violation of gradient monotonicity ``<grad K(A) - grad K(B), A - B> >= 0``;
* (general K) a negative Hessian eigenvalue (``mpmath.eigsy``, symmetric, at 50 digits).

Points are placed on both sides of every suspicious point of the profile (joins, kinks, zeros
of denominators; :mod:`symbolic.singular_points`) at several offsets, and at random scales
``10^u``, ``u in [-4, 4]`` (a fixed seed: the search is reproducible).  A violation larger than
``10^-30`` relative to the values involved is a counterexample; the search can refute, never
prove.  A symbolic ``proved`` that the search contradicts raises :class:`ProofContradicted`
(a bug of the tool, reported as an internal error, never turned into a verdict).
"""
from __future__ import annotations

import random

import mpmath
import sympy as sp

from .facts import Fact

DPS = 50
THRESHOLD = sp.Float("1e-30", DPS)
OFFSETS = (sp.Rational(1, 10), sp.Rational(1, 1000), sp.Rational(1, 10**6))
SEED = 20260312


class ProofContradicted(RuntimeError):
    """A symbolic proof of convexity contradicted by a numeric counterexample (a tool bug)."""


def _value(expr: sp.Expr, subs: dict):
    """``expr`` at an exact point, at 50 digits; None where it is undefined (0/0, atan(zoo), ...)."""
    try:
        exact = expr.xreplace(subs)
        if exact.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return None
        v = sp.N(exact, DPS)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if (v.is_number and v.is_real and v.is_finite) else None


def _scales(rng: random.Random, count: int) -> list[sp.Expr]:
    return [sp.Rational(rng.randint(1, 999), 100) * sp.Rational(10) ** rng.randint(-4, 3) for _ in range(count)]


def one_variable_points(suspicious: list, count: int = 24, seed: int = SEED) -> list[sp.Expr]:
    """Both sides of each suspicious point (and of 0) at every offset, plus random scales, both signs."""
    rng = random.Random(seed)
    pts = set()
    for p in [sp.Integer(0), *suspicious]:
        for o in OFFSETS:
            h = o * max(sp.Integer(1), abs(p))
            for q in (p - h, p + h):
                pts.update({q, -q})
    for s in _scales(rng, count):
        pts.update({s, -s})
    return sorted(pts, key=lambda v: float(v))


def search_one_variable(k: sp.Expr, t: sp.Symbol, suspicious: list, what: str = "k") -> Fact | None:
    """A refuted ``convex`` fact when ``k`` (a function on the real line) fails convexity, else None.

    ``k`` restricted to a line is what K is along one entry (entrywise) or one direction through 0
    (isotropic, spectral), so a violation for ``k`` is a violation for K."""
    stmt = "K is convex and C^1"
    pts = one_variable_points(suspicious)
    vals = {}
    for p in pts:
        v = _value(k, {t: p})
        if v is not None:
            vals[p] = v
    dk = sp.diff(k, t)
    pairs = []
    for p in suspicious:  # straddle each suspicious point
        for o in OFFSETS:
            h = o * max(sp.Integer(1), abs(p))
            pairs += [(p - h, p + h), (-p - h, -p + h)]
    keys = list(vals)
    rng = random.Random(SEED + 1)
    pairs += [tuple(rng.sample(keys, 2)) for _ in range(min(60, len(keys) * 2))] if len(keys) >= 2 else []
    for A, B in pairs:
        if A not in vals or B not in vals or A == B:
            continue
        for w in (sp.Rational(1, 2), sp.Rational(1, 3)):
            mid = w * A + (1 - w) * B
            km = _value(k, {t: mid})
            if km is None:
                continue
            gap = km - (w * vals[A] + (1 - w) * vals[B])
            scale = max(sp.Integer(1), abs(vals[A]), abs(vals[B]))
            if gap > THRESHOLD * scale:
                return Fact("convex", stmt, "refuted", "numeric search",
                            f"{what}({sp.N(mid, 12)}) = {sp.N(km, 15)} exceeds the chord "
                            f"{w}*{what}({sp.N(A, 12)}) + {1 - w}*{what}({sp.N(B, 12)}) = "
                            f"{sp.N(km - gap, 15)} by {sp.N(gap, 6)} (50 digits)",
                            {"A": str(A), "B": str(B), "t": str(w), f"{what}(A)": str(sp.N(vals[A], 20)),
                             f"{what}(B)": str(sp.N(vals[B], 20)), f"{what}(tA+(1-t)B)": str(sp.N(km, 20)),
                             "violation": str(sp.N(gap, 6))})
        if dk.has(sp.DiracDelta):
            continue
        dA, dB = _value(dk, {t: A}), _value(dk, {t: B})
        if dA is None or dB is None:
            continue
        mono = (dA - dB) * (A - B)
        if mono < -THRESHOLD * max(sp.Integer(1), abs(dA), abs(dB)) * abs(A - B):
            return Fact("convex", stmt, "refuted", "numeric search",
                        f"gradient not monotone: ({what}'({sp.N(A, 12)}) - {what}'({sp.N(B, 12)}))"
                        f"({sp.N(A - B, 12)}) = {sp.N(mono, 8)} < 0 (50 digits)",
                        {"A": str(A), "B": str(B), f"{what}'(A)": str(sp.N(dA, 20)), f"{what}'(B)": str(sp.N(dB, 20))})
    return None


def min_eigenvalue(Hn: sp.Matrix):
    """The smallest eigenvalue of a real symmetric numeric matrix at 50 digits (mpmath.eigsy)."""
    with mpmath.workdps(DPS):
        A = mpmath.matrix([[mpmath.mpf(sp.Float(v, DPS)) for v in row] for row in Hn.tolist()])
        A = (A + A.T) / 2
        ev = mpmath.eigsy(A, eigvals_only=True)
        return sp.Float(min(ev[i] for i in range(ev.rows)), DPS)


def general_points(syms: list[sp.Symbol], count: int = 24, seed: int = SEED) -> list[dict]:
    """Random points at random scales (fixed seed), entries of mixed signs and sizes."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        s = sp.Rational(10) ** rng.randint(-3, 2)
        out.append({v: s * sp.Rational(rng.randint(-999, 999), 300) for v in syms})
    return out


def search_hessian(H: sp.Matrix, syms: list[sp.Symbol], points: list[dict]) -> Fact | None:
    """A refuted ``convex`` fact at the first point with a Hessian eigenvalue below ``-10^-30``."""
    for pt in points:
        Hn = H.xreplace(pt).evalf(DPS)
        if Hn.free_symbols or not all(v.is_number and v.is_real and v.is_finite for v in Hn):
            continue
        low = min_eigenvalue(Hn)
        if low < -THRESHOLD * max(sp.Integer(1), *[abs(v) for v in Hn]):
            where = {str(k): str(v) for k, v in pt.items()}
            return Fact("convex", "K is convex (Hessian positive semidefinite)", "refuted", "numeric",
                        f"Hessian eigenvalue {sp.N(low, 10)} < 0 at {where} (mpmath.eigsy, 50 digits)",
                        {"G": where, "hessian_min_eigenvalue": str(sp.N(low, 20))})
    return None


def search_general(K: sp.Expr, syms: list[sp.Symbol], count: int = 24) -> Fact | None:
    """Midpoint convexity of K along random lines ``G + s D`` at random scales."""
    rng = random.Random(SEED + 2)
    for pt in general_points(syms, count):
        D = {v: sp.Rational(rng.randint(-999, 999), 500) for v in syms}
        h = sp.Rational(10) ** rng.randint(-3, 1)
        A = {v: pt[v] - h * D[v] for v in syms}
        B = {v: pt[v] + h * D[v] for v in syms}
        kA, kB, km = _value(K, A), _value(K, B), _value(K, pt)
        if None in (kA, kB, km):
            continue
        gap = km - (kA + kB) / 2
        if gap > THRESHOLD * max(sp.Integer(1), abs(kA), abs(kB)):
            return Fact("convex", "K is convex (Hessian positive semidefinite)", "refuted", "numeric search",
                        f"K((A+B)/2) exceeds (K(A)+K(B))/2 by {sp.N(gap, 6)} (50 digits)",
                        {"A": {str(k): str(v) for k, v in A.items()}, "B": {str(k): str(v) for k, v in B.items()},
                         "violation": str(sp.N(gap, 6))})
    return None


NOTHING_FOUND = "numeric search"  # the method of the sentinel fact "searched, no violation"


def reconcile(symbolic: Fact, found: Fact | None, checked: str) -> Fact:
    """Combine the symbolic fact with the search: a contradiction of ``proved`` is a tool bug.

    ``found``: a refuted fact (a violation), None or an unknown fact with method
    :data:`NOTHING_FOUND` (searched, nothing found), or another unknown fact (the search did not
    finish, e.g. its time limit: then the detail says so and nothing else changes)."""
    if found is not None and found.status != "refuted" and found.method != NOTHING_FOUND:
        if symbolic.status == "refuted":
            return symbolic
        return Fact(symbolic.name, symbolic.statement, symbolic.status, symbolic.method,
                    f"{symbolic.detail}; independent search on K not completed: {found.detail}",
                    symbolic.counterexample)
    if found is not None and found.status != "refuted":
        found = None
    if found is None:
        if symbolic.status == "refuted":
            return symbolic
        return Fact(symbolic.name, symbolic.statement, symbolic.status, symbolic.method,
                    f"{symbolic.detail}; independent search on K: no violation ({checked})".lstrip("; "),
                    symbolic.counterexample)
    if symbolic.status == "proved":
        raise ProofContradicted(f"internal error: convexity was proved symbolically ({symbolic.detail[:120]}) but a "
                                f"50-digit search on K contradicts it: {found.detail[:200]}")
    if symbolic.status == "refuted":
        return symbolic
    return found
