"""Bregman divergences and the identity prover (docs/theory.md §4): proofs for a generic K, conjugates of the
catalogue profiles, and counterexamples where an identity is false."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symbolic import bregman as br
from symbolic.catalog import X as x
from symbolic.catalog import profile
from symbolic.identities import (IdentityRegistry, canonical_partials, check_composite_gradient, numeric_search,
                                 prove_identity, standard_registry)

SETTINGS = settings(deadline=None, derandomize=True, max_examples=20)
X23 = sp.Matrix([[1, 2, -1], [0, sp.Rational(1, 2), 3]])
y = br.Y


def logcosh_K(M):
    return sp.Add(*[sp.log(sp.cosh(m)) for m in M])


def sqnorm(M):
    return sp.Add(*[m**2 for m in M])


# ---------------------------------------------------------------------------------------------
# the basic tools

def test_grad_inner_and_placeholders():
    a = br.symbol_matrix("a", (2, 2))
    assert br.inner(a, sp.eye(2)) == a[0, 0] + a[1, 1]
    quartic = lambda M: sp.Add(*[m**4 for m in M])  # noqa: E731
    B = sp.Matrix([[1, -2], [sp.Rational(1, 2), 0]])
    assert br.grad(quartic, B) == B.applyfunc(lambda v: 4 * v**3)
    # a matrix expression: differentiate at placeholders, then substitute (not d/d(a+b))
    C = sp.Matrix([[a[0, 0] + a[0, 1], 0], [0, 1]])
    assert sp.expand(br.grad(quartic, C)[0, 0] - 4 * (a[0, 0] + a[0, 1])**3) == 0
    K = br.undefined_K((2, 1))
    g0 = br.grad(K, sp.zeros(2, 1))
    assert all(e.has(sp.Derivative) for e in g0)
    assert br.grad(K, sp.zeros(2, 1)) == g0  # deterministic placeholders
    # the different SymPy spellings of d_1 K at a point share one canonical form
    u, v = sp.symbols("u v", real=True)
    p, q = sp.symbols("p q", real=True)
    F = K.func
    forms = [sp.Derivative(F(p, q), p), sp.Subs(sp.Derivative(F(u, q), u), u, p),
             sp.Subs(sp.Derivative(F(u, v), u), (u, v), (p, q))]
    canon = {canonical_partials(f) for f in forms}
    assert len(canon) == 1 and not next(iter(canon)).has(sp.Derivative)
    assert canonical_partials(sp.Derivative(F(p, q), q)) not in canon


@pytest.mark.parametrize("shape", [(2, 1), (2, 2)])
def test_I3_three_point_identity_proved_for_generic_K(shape):
    fact = standard_registry().check("I3", shape=shape)
    assert fact.status == "proved" and fact.method == "symbolic", fact.detail


def test_I3_with_the_wrong_sign_is_not_proved_and_is_refuted_for_a_concrete_K():
    K = br.undefined_K((2, 1))
    A, B, C = (br.symbol_matrix(n, (2, 1)) for n in "abc")
    lhs = br.bregman(K, A, B) + br.bregman(K, B, C) - br.bregman(K, A, C)
    wrong = br.inner(br.grad(K, B) - br.grad(K, C), A - B)
    fact = prove_identity("I3 wrong sign", lhs, wrong)
    assert fact.status == "unknown" and "skipped" in fact.detail
    fact = prove_identity("I3 wrong sign", lhs, wrong, concrete=K.concrete(logcosh_K))
    assert fact.status == "refuted" and fact.counterexample


def test_I4_proved_for_generic_K():
    reg = standard_registry()
    assert reg.check("I4").status == "proved"
    assert reg.check("I4", shape=(2, 2)).status == "proved"


def test_I9_first_half_uses_its_hypotheses():
    """D_K(G, 0) = K(G) is proved given K(0) = 0, grad K(0) = 0, and false without them."""
    assert standard_registry().check("I9a").status == "proved"
    K = br.undefined_K((2, 1))
    G = br.symbol_matrix("g", (2, 1))
    raw = br.bregman(K, G, sp.zeros(2, 1))
    assert prove_identity("I9a no hyp", raw, K(G)).status == "unknown"
    cosh_K = lambda M: sp.Add(*[sp.cosh(m) for m in M])  # noqa: E731  (K(0) = 2)
    fact = prove_identity("I9a no hyp", raw, K(G), concrete=K.concrete(cosh_K))
    assert fact.status == "refuted"


@pytest.mark.parametrize("X", [X23, br.symbol_matrix("x", (2, 3))], ids=["rational", "symbolic"])
def test_I8_composite_gradient(X):
    K = br.undefined_K((3, 1))
    fact = check_composite_gradient(K, X)
    assert fact.status == "proved", fact.detail
    assert standard_registry().check("I8", X=X).status == "proved"


def test_I8_is_not_proved_for_a_wrong_chain_rule():
    K = br.undefined_K((3, 1))
    A = br.symbol_matrix("a", (2, 1))
    lhs, _ = br.composite_gradient_sides(K, X23, A)
    wrong = (2 * X23) * br.grad(K, X23.T * A)  # the factor 2 is wrong
    assert prove_identity("I8 wrong", lhs, wrong).status == "unknown"
    fact = prove_identity("I8 wrong", lhs, wrong, concrete=K.concrete(logcosh_K))
    assert fact.status == "refuted"


def test_residual_and_gradient_space_divergences():
    """I8b D_{K o X^T}(A, B) = D_K(X^T A, X^T B), and D_{K,L}(W', W) = D_{K o X^T}(R', R) for
    the square loss (docs/theory.md §4.1; the right side uses grad (K o X^T) obtained by differentiation)."""
    reg = standard_registry()
    assert reg.check("I8b", X=X23).status == "proved"
    fact = reg.check("DKL_square", X=X23)
    assert fact.status == "proved", fact.detail
    # and with an explicit call: D_{K,L} equals residual_divergence at the residuals
    K = br.undefined_K((3, 1))
    W1, W2, Y = br.symbol_matrix("w", (3, 1)), br.symbol_matrix("v", (3, 1)), br.symbol_matrix("y", (2, 1))
    gL = lambda W: X23.T * (X23 * W - Y)  # noqa: E731
    lhs = br.gradient_space_divergence(K, gL, W1, W2)
    rhs = br.residual_divergence(K, X23, X23 * W1 - Y, X23 * W2 - Y)
    assert prove_identity("DKL", lhs, rhs).status == "proved"
    # a different loss gradient is a different divergence
    bad = br.residual_divergence(K, X23, 2 * (X23 * W1 - Y), X23 * W2 - Y)
    assert prove_identity("DKL bad", lhs, bad, concrete=K.concrete(logcosh_K)).status == "refuted"


# ---------------------------------------------------------------------------------------------
# conjugates of the catalogue profiles

def _table(name, e):
    """The closed forms of docs/theory.md §2 / docs/derivations.md §3 (Huber: on [0, c] only)."""
    if name in ("gd", "clip"):
        return y**2 / 2
    if name == "ngd":
        return e * (-y - sp.log(1 - y))
    return e / 2 * ((1 + y) * sp.log(1 + y) + (1 - y) * sp.log(1 - y))


@pytest.mark.parametrize("name,eps", [("gd", None), ("ngd", Fraction(1, 10)), ("ngd", Fraction(3, 7)),
                                      ("adam", Fraction(1, 1000)), ("sign", Fraction(1, 10)),
                                      ("sign", Fraction(2, 3))])
def test_S1_fenchel_young_for_catalogue_profiles(name, eps):
    """S1: ``h(r) + h*(h'(r)) = r h'(r)`` and ``(h*)'(h'(r)) = r``, and h* is the table's closed form."""
    params = {"eps": eps} if eps is not None else {}
    f = profile(name, params).f
    e = sp.Rational(eps.numerator, eps.denominator) if eps is not None else None
    conj = br.conjugate_profile(f, x)
    assert conj is not None
    expected_domain = sp.Interval(0, sp.oo) if name == "gd" else (
        sp.Interval.Ropen(0, 1) if name in ("ngd", "adam") else sp.Interval(0, 1))
    assert conj.domain == expected_domain
    table = _table("ngd" if name == "adam" else name, e)
    same = prove_identity(f"{name} conjugate = table", conj.fstar, table, [y],
                          domains={y: (0, conj.domain.sup)})
    assert same.status == "proved", same.detail
    d = sp.diff(f, x)
    s1 = prove_identity(f"S1 {name}", f + conj.fstar.xreplace({y: d}), x * d, [x])
    assert s1.status == "proved", s1.detail
    s1b = prove_identity(f"S1' {name}", sp.diff(conj.fstar, y).xreplace({y: d}), x, [x])
    assert s1b.status == "proved", s1b.detail
    # the check can fail: a conjugate off by a factor is refuted
    wrong = prove_identity(f"S1 wrong {name}", f + 2 * conj.fstar.xreplace({y: d}), x * d, [x])
    assert wrong.status == "refuted"


def test_huber_conjugate_is_not_essentially_smooth():
    """Huber_1: h* = y^2/2 on [0, 1] (+oo beyond).  S1 holds, but (h*)'(h'(r)) = r fails for r > 1."""
    f = profile("clip", {"c": Fraction(1)}).f
    conj = br.conjugate_profile(f, x)
    assert conj.fstar == y**2 / 2 and conj.domain == sp.Interval(0, 1)
    d = sp.diff(f, x)
    assert prove_identity("S1 huber", f + conj.fstar.xreplace({y: d}), x * d, [x]).status == "proved"
    inv = prove_identity("S1' huber", sp.diff(conj.fstar, y).xreplace({y: d}), x, [x])
    assert inv.status == "refuted" and sp.Rational(inv.counterexample["x"]) > 1


def test_conjugate_profile_returns_none_when_it_cannot_invert():
    # f'(x) = x + x^2 + exp(x) - 1 + 2x/(1 + x^2) = y has no closed-form solution in SymPy
    f = x**2 / 2 + x**3 / 3 + sp.exp(x) - x - 1 + sp.log(1 + x**2)
    assert br.conjugate_profile(f, x) is None


@SETTINGS
@given(st.fractions(min_value=Fraction(-99, 100), max_value=Fraction(99, 100), max_denominator=1000))
def test_numeric_conjugate_matches_closed_forms_at_50_digits(u):
    t = sp.Rational(abs(u).numerator, abs(u).denominator)
    e = sp.Rational(1, 10)
    for name, params in (("gd", {}), ("ngd", {"eps": Fraction(1, 10)}), ("sign", {"eps": Fraction(1, 10)}),
                         ("clip", {"c": Fraction(1)})):
        f = profile(name, params).f
        num = br.numeric_conjugate(f, x, u)
        closed = _table(name, e).xreplace({y: t}).evalf(60)
        assert abs(num - closed) < sp.Rational(1, 10**45), (name, u, num, closed)


def test_numeric_conjugate_at_and_beyond_the_domain_end():
    import mpmath
    dps_before = mpmath.mp.dps
    e = Fraction(1, 10)
    assert br.numeric_conjugate(profile("ngd", {"eps": e}).f, x, 1) == sp.oo
    assert br.numeric_conjugate(profile("clip", {"c": Fraction(1)}).f, x, 2) == sp.oo
    assert abs(br.numeric_conjugate(profile("clip", {"c": Fraction(1)}).f, x, 1) - sp.Rational(1, 2)) < 1e-45
    # sign: f*(1) = eps log 2 (finite: the domain is closed)
    val = br.numeric_conjugate(profile("sign", {"eps": e}).f, x, 1)
    assert abs(val - (sp.log(2) / 10).evalf(60)) < sp.Rational(1, 10**45)
    assert mpmath.mp.dps == dps_before  # a private context: the global one is untouched


# ---------------------------------------------------------------------------------------------
# refutations

def test_bregman_divergence_is_not_symmetric():
    A, B = br.symbol_matrix("a", (2, 1)), br.symbol_matrix("b", (2, 1))
    fact = prove_identity("D symmetric", br.bregman(logcosh_K, A, B), br.bregman(logcosh_K, B, A))
    assert fact.status == "refuted", fact.detail
    pt = {s: sp.Rational(fact.counterexample[str(s)]) for s in (*A, *B)}
    gap = (br.bregman(logcosh_K, A, B) - br.bregman(logcosh_K, B, A)).xreplace(pt).evalf(50)
    assert abs(gap) > sp.Rational(1, 10**30)
    # for a quadratic K it is symmetric (and proved)
    assert prove_identity("D symmetric quad", br.bregman(sqnorm, A, B), br.bregman(sqnorm, B, A)).status == "proved"


_NGD_CONJ = br.conjugate_profile(profile("ngd", {"eps": Fraction(1, 10)}).f, x)


def _isotropic(h):
    return lambda M: h.xreplace({x: sp.sqrt(sqnorm(M))})


def _I2b_sides(name, G, G2):
    """``D_K(G, G')`` and ``D_{K*}(grad K(G'), grad K(G))`` for isotropic K = h(||G||) (2 x 1);
    for clip, K* is taken as ||U||^2/2 with grad K* = identity (its form inside the ball)."""
    if name == "clip":
        h = profile("clip", {"c": Fraction(1)}).f
        Kstar = lambda V: sqnorm(V) / 2  # noqa: E731
    else:
        h = profile("ngd", {"eps": Fraction(1, 10)}).f
        hstar = _NGD_CONJ.fstar
        Kstar = lambda V: hstar.xreplace({y: sp.sqrt(sqnorm(V))})  # noqa: E731
    K = _isotropic(h)
    U, U2 = br.grad(K, G), br.grad(K, G2)
    return br.bregman(K, G, G2), br.bregman(Kstar, U2, U)


coord = st.fractions(min_value=-3, max_value=3, max_denominator=20)


@SETTINGS
@given(coord, coord, coord, coord)
def test_I2b_fails_for_clip_outside_the_ball_and_holds_for_ngd(g1, g2, h1, h2):
    G = sp.Matrix([sp.Rational(g1.numerator, g1.denominator), sp.Rational(g2.numerator, g2.denominator)])
    G2 = sp.Matrix([sp.Rational(h1.numerator, h1.denominator), sp.Rational(h2.numerator, h2.denominator)])
    assume(sqnorm(G) > 1 and sqnorm(G2) > 1)
    cos = br.inner(G, G2) / sp.sqrt(sqnorm(G) * sqnorm(G2))
    assume(1 - cos > sp.Rational(1, 100))
    # clip: lhs - rhs = (||G|| - 1)(1 - cos angle(G, G')) != 0
    lhs, rhs = _I2b_sides("clip", G, G2)
    gap = (lhs - rhs).evalf(60)
    expected = ((sp.sqrt(sqnorm(G)) - 1) * (1 - cos)).evalf(60)
    assert gap > sp.Rational(1, 1000) and abs(gap - expected) < sp.Rational(1, 10**45)
    # ngd (Legendre) at the same points: equal to 50 digits
    lhs, rhs = _I2b_sides("ngd", G, G2)
    res = numeric_search([lhs], [rhs], [{}])
    assert res.n_skipped == 0 and not res.counterexample and res.worst < sp.Rational(1, 10**45)


def _outside_ball_points(n=12):
    pts = []
    for i in range(n):
        a = sp.Rational(3 + i, 2)
        pts.append({"g": (a, sp.Rational(-1, 3 + i)), "h": (sp.Rational(1, 4 + i), -a + sp.Rational(1, 5))})
    return pts


def test_I2b_prover_refutes_clip_and_does_not_refute_ngd():
    G, G2 = br.symbol_matrix("g", (2, 1)), br.symbol_matrix("h", (2, 1))
    pts = [{G[0]: p["g"][0], G[1]: p["g"][1], G2[0]: p["h"][0], G2[1]: p["h"][1]} for p in _outside_ball_points()]
    lhs, rhs = _I2b_sides("clip", G, G2)
    clip = prove_identity("I2b clip", lhs, rhs, list(G) + list(G2), sampler=pts, symbolic=False)
    assert clip.status == "refuted"
    # the error at the counterexample is (||G|| - 1)(1 - cos angle(G, G')), clearly nonzero
    pt = {s: sp.Rational(clip.counterexample[str(s)]) for s in (*G, *G2)}
    Gv, G2v = G.xreplace(pt), G2.xreplace(pt)
    cos = br.inner(Gv, G2v) / sp.sqrt(sqnorm(Gv) * sqnorm(G2v))
    expected = ((sp.sqrt(sqnorm(Gv)) - 1) * (1 - cos)).evalf(40)
    err = sp.Float(clip.counterexample["lhs - rhs"], 25)
    assert err > sp.Rational(1, 10) and abs(err - expected) < sp.Rational(1, 10**20)
    lhs, rhs = _I2b_sides("ngd", G, G2)
    ngd = prove_identity("I2b ngd", lhs, rhs, list(G) + list(G2), sampler=pts, symbolic=False)
    assert ngd.status == "unknown" and "no counterexample" in ngd.detail  # numbers never prove


# ---------------------------------------------------------------------------------------------
# registry and module hygiene

def test_user_registry():
    reg = IdentityRegistry()
    reg.register("scaled D", lambda K, A, B: br.bregman(lambda M: 3 * K(M), A, B),
                 lambda K, A, B: 3 * br.bregman(K, A, B), "K differentiable")
    reg.register("D is K(A) - K(B)", lambda K, A, B: br.bregman(K, A, B),
                 lambda K, A, B: K(A) - K(B), "false in general")
    K = br.undefined_K((2, 1))
    A, B = br.symbol_matrix("a", (2, 1)), br.symbol_matrix("b", (2, 1))
    assert reg.check("scaled D", K=K, A=A, B=B).status == "proved"
    assert reg.check("D is K(A) - K(B)", K=K, A=A, B=B).status == "unknown"
    assert reg.check("D is K(A) - K(B)", K=K, A=A, B=B, concrete=K.concrete(logcosh_K)).status == "refuted"
    with pytest.raises(KeyError):
        reg.register("scaled D", lambda: 0, lambda: 0)
    assert "scaled D" not in standard_registry()


def test_symbolic_does_not_import_numeric_or_verify():
    code = ("import sys, symbolic.bregman, symbolic.identities; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('numeric', 'verify')]; "
            "assert not bad, bad")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
    for mod in ("bregman.py", "identities.py"):
        text = (root / "symbolic" / mod).read_text()
        assert "sympify(" not in text and "parse_expr" not in text and "lambdify" not in text
