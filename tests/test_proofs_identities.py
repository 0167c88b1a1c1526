"""Identities of docs/theory.md §4.2 as proof modules (I2a, I2b, I4, I6b, I8, I9, S1, S2, S3).

Each module is run in the default context (adam, eps = 1/10) and must reach its expected
status; hypotheses are exercised (I2b fails for clip at ||G|| > c, with the point); and each
family is shown to be able to fail: a deliberately wrong right-hand side, a wrong conjugate or
a wrong Hessian fed through the same check gives ``failed`` with a counterexample.
"""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from proofs.context import ProofContext
from proofs.core import run_result
from proofs.results import i2a, i2b, i4, i6b, i8, i9, s1, s2, s3

PROVED = {"proved"}
CHECKED = {"proved", "verified"}


@pytest.fixture(scope="module")
def default_context():
    return ProofContext().ensure()


@pytest.fixture(scope="module")
def clip_context():
    return ProofContext(name="clip", params={"c": Fraction(1)}).ensure()


@pytest.mark.parametrize("module, expected, rid", [
    (i2a, CHECKED, "I2a"), (i2b, CHECKED, "I2b"), (i4, PROVED, "I4"), (i6b, PROVED, "I6b"),
    (i8, PROVED, "I8"), (i9, CHECKED, "I9"), (s1, PROVED, "S1"), (s2, PROVED, "S2"), (s3, PROVED, "S3"),
])
def test_default_context_status(default_context, module, expected, rid):
    out = run_result(module.RESULT, default_context)
    assert module.RESULT.id == rid
    assert out.status in expected, out.detail
    assert module.RESULT.latex and module.RESULT.text and module.RESULT.hypotheses and module.__doc__


def test_per_preconditioner_flags():
    assert all(m.RESULT.per_preconditioner for m in (i2a, i2b, i9, s1))
    assert not any(m.RESULT.per_preconditioner for m in (i4, i6b, i8, s2, s3))


def test_i2b_fails_for_clip_outside_the_ball(clip_context):
    out = run_result(i2b.RESULT, clip_context)
    assert out.status == "failed"
    failed = [(s, e) for s, e, _ in out.steps if e.status == "failed"]
    assert failed and all(e.counterexample for _, e in failed)
    numeric = [e for s, e, _ in out.steps if s.method == "numeric"][0]
    assert numeric.status == "failed"
    assert float(numeric.counterexample["||G||"]) > 1  # outside the ball ||G|| <= c
    assert abs(float(numeric.counterexample["lhs - rhs"])) > 1e-3


@pytest.mark.parametrize("name, params", [("ngd", {"eps": Fraction(1, 10)}), ("gd", {}),
                                          ("sign", {"eps": Fraction(1, 10)}), ("muon", {"eps": Fraction(1, 10)})])
def test_i2b_holds_for_legendre_K(name, params):
    out = run_result(i2b.RESULT, ProofContext(name=name, params=params).ensure())
    assert out.status in CHECKED, out.detail


def test_i2a_and_i9_hold_for_clip_including_outside_the_ball(clip_context):
    for module in (i2a, i9):
        out = run_result(module.RESULT, clip_context)
        assert out.status in CHECKED, out.detail
    pairs = i2a.sample_pairs(clip_context, 8)
    assert any(sum(v * v for c in G for v in c) ** 0.5 > 1.5 for G, _ in pairs)


def test_s1_second_identity_fails_for_huber(clip_context):
    out = run_result(s1.RESULT, clip_context)
    assert out.status == "failed"
    ev = out.steps[-1][1]
    assert ev.status == "failed" and sp.Rational(ev.counterexample["x"]) > 1  # r > c


# ------------------------------------------------------------------ the checks can fail


class _Scaled:
    """A deliberately wrong conjugate: ``s K*`` (gradient scaled the same way)."""

    def __init__(self, conj, s):
        self.conj, self.s, self.text, self.has_grad = conj, s, "scaled " + conj.text, conj.has_grad

    def value(self, ctx, cols):
        return self.conj.value(ctx, cols) * self.s

    def grad(self, ctx, cols):
        return [[v * self.s for v in c] for c in self.conj.grad(ctx, cols)]


@pytest.mark.parametrize("module", [i2a, i2b, i9])
def test_numeric_steps_fail_with_a_wrong_conjugate(default_context, module):
    wrong = _Scaled(i2a.conjugate_of(default_context), 1 + sp.Rational(1, 1000))
    ev = module.numeric_check(default_context, conj=wrong)
    assert ev.status == "failed" and ev.counterexample["G"], ev.detail
    assert module.numeric_check(default_context).status == "verified"


def _concrete_K(shape):
    from symbolic.bregman import undefined_K
    K = undefined_K(shape)
    return K, K.concrete(lambda M: sum(m**4 for m in M) / 4 + M[0] * M[1] + sp.log(sp.cosh(M[-1])))


def test_i4_wrong_rhs_fails():
    K, conc = _concrete_K((2, 2))
    assert i4.check_registered("I4", shape=(2, 2), K=K, concrete=conc).status == "proved"
    ev = i4.check_registered("I4", rhs_transform=lambda r: 2 * r, shape=(2, 2), K=K, concrete=conc)
    assert ev.status == "failed" and ev.counterexample


def test_i8_wrong_rhs_fails():
    K, conc = _concrete_K((3, 2))
    ev = i4.check_registered("I8", rhs_transform=lambda r: i8.X * i8.X.T * r, X=i8.X, k=2, K=K, concrete=conc)
    assert ev.status == "failed" and ev.counterexample
    ev = i4.check_registered("I8b", rhs_transform=lambda r: 2 * r, X=i8.X, k=2, K=K, concrete=conc)
    assert ev.status == "failed" and ev.counterexample


def test_i9_first_half_wrong_rhs_fails():
    K, conc = _concrete_K((2, 2))
    ev = i4.check_registered("I9a", rhs_transform=lambda r: 2 * r, shape=(2, 2), K=K, concrete=conc)
    assert ev.status == "failed" and ev.counterexample


def test_i6b_wrong_rhs_fails():
    loss = lambda M: sum(sp.log(sp.cosh(m)) for m in M)  # noqa: E731
    assert i6b.check(concrete=loss).status == "proved"
    ev = i6b.check(rhs_transform=lambda r: r / 2, concrete=loss)
    assert ev.status == "failed" and ev.counterexample


def test_generic_i2a_i2b_steps_fail_with_a_wrong_rhs():
    from symbolic.identities import prove_identity
    u = sp.Symbol("u", real=True)
    conc = {sp.Function("K", real=True): sp.Lambda(u, u**4 / 4 + u**2),
            sp.Function("Kstar", real=True): sp.Lambda(u, u**2 / 3)}
    lhs, rhs = i2a.generic_sides((1, 1))
    assert prove_identity("I2a", lhs, rhs, concrete=conc).status == "proved"
    fact = prove_identity("I2a wrong", lhs, rhs + lhs / 7, concrete=conc)
    assert fact.status == "refuted" and fact.counterexample
    lhs, rhs = i2b.generic_sides((1, 1))
    conc = {sp.Function("Kstar", real=True): sp.Lambda(u, u**4 + u)}
    assert prove_identity("I2b", lhs, rhs, concrete=conc).status == "proved"
    fact = prove_identity("I2b wrong", lhs, 2 * rhs, concrete=conc)
    assert fact.status == "refuted" and fact.counterexample


def test_s1_wrong_conjugate_fails():
    from symbolic.bregman import Y
    from symbolic.catalog import profile
    prof = profile("ngd", {"eps": Fraction(1, 10)})
    e = sp.Rational(1, 5)  # the conjugate for eps = 1/5, not 1/10
    ev = s1.check_profile(prof.f, prof.x, "ngd with a wrong h*", fstar=e * (-Y - sp.log(1 - Y)))
    assert ev.status == "failed" and ev.counterexample


def test_s2_wrong_hessian_fails():
    h = sp.Function("h", real=True)
    t = sp.Symbol("t")
    conc = {h: sp.Lambda(t, t**3 / 3 + t**2 / 2)}
    lhs, rhs = s2.hessian_sides()
    assert s2.check("S2", lhs, rhs, concrete=conc).status == "proved"
    h1, h2 = s2._derivative(h, 1), s2._derivative(h, 2)
    u = sp.Matrix(s2.VEC) / s2.R
    swapped = h2 * sp.eye(4) + (h1 / s2.R - h2) * (u * u.T)  # h'' and h'/r exchanged
    ev = s2.check("S2 wrong", lhs, swapped, concrete=conc)
    assert ev.status == "failed" and ev.counterexample
    lhs, rhs = s2.gradient_sides()
    ev = s2.check("S2 gradient wrong", lhs, rhs * s2.R, concrete=conc)
    assert ev.status == "failed" and ev.counterexample


def test_s3_wrong_factor_fails():
    F = sp.Function("F", real=True)
    a, b, c = sp.symbols("a b c")
    conc = {F: sp.Lambda((a, b, c), a**2 + a * b + sp.exp(c / 4) + b**3)}
    assert s3.check("S3", *s3.gradient_sides(), concrete=conc).status == "proved"
    ev = s3.check("S3 wrong", *s3.gradient_sides(factor=1), concrete=conc)  # M = grad_S F, missing the 2
    assert ev.status == "failed" and ev.counterexample
