"""Symbolic facts: proofs where they exist, counterexamples where they fail, unknown otherwise."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from symbolic.catalog import X as x
from symbolic.catalog import symbolic_k
from symbolic.one_variable import prove_nonnegative
from symbolic.structures import ProfileK, QuadraticK, leading_minors_positive

CATALOG_PARAMS = {"gd": {}, "ngd": {"eps": Fraction(1, 10)}, "clip": {"c": Fraction(1)},
                  "adam": {"eps": Fraction(1, 1000)}, "sign": {"eps": Fraction(1, 100)},
                  "clipv": {"c": Fraction(1, 2)}, "muon": {"eps": Fraction(1, 10)}}


def test_catalogue_assumptions_are_proved():
    for name, params in CATALOG_PARAMS.items():
        facts = symbolic_k(name, params).facts()
        for key in ("convex", "grad_zero", "lipschitz"):
            assert facts[key].status == "proved", (name, key, facts[key].detail)


def test_structure_facts():
    assert symbolic_k("ngd", CATALOG_PARAMS["ngd"]).facts()["isotropic"].status == "proved"
    muon = symbolic_k("muon", CATALOG_PARAMS["muon"]).facts()
    assert muon["left_invariant"].status == "proved" and muon["isotropic"].status == "refuted"
    adam = symbolic_k("adam", CATALOG_PARAMS["adam"]).facts()
    assert adam["left_invariant"].status == "refuted"
    # the counterexample is real: K(e1) != K((e1 + e2)/sqrt 2)
    f = symbolic_k("adam", CATALOG_PARAMS["adam"]).f
    diff = (f.subs(x, 1) + f.subs(x, 0)) - 2 * f.subs(x, 1 / sp.sqrt(2))
    assert abs(float(diff)) > 1e-3


def test_nonconvex_profile_refuted_with_a_point():
    k = ProfileK("entrywise", x**2 / 2 - x**4 / 4, x, sp.Integer(1))
    fact = k.convexity()
    assert fact.status == "refuted"
    point = sp.Rational(fact.counterexample["x"])
    assert (1 - 3 * point**2) < 0  # f''(x) = 1 - 3x^2 really is negative there


def test_wrong_lipschitz_constant_refuted():
    k = ProfileK("entrywise", x - sp.Rational(1, 10) * sp.log(1 + 10 * x), x, sp.Integer(5))  # true L = 10
    assert k.lipschitz().status == "refuted"


def test_nonzero_gradient_at_zero_refuted():
    k = ProfileK("isotropic", x, x, sp.Integer(1))  # h(r) = r: exact normalized GD, h'(0) = 1
    assert k.gradient_at_zero().status == "refuted"


def test_kink_in_derivative_refuted():
    f = sp.Piecewise((x**2 / 2, x <= 1), (2 * x, True))  # f' jumps from 1 to 2 at x = 1
    k = ProfileK("isotropic", f, x, sp.Integer(1))
    assert k.convexity().status == "refuted"


def test_never_proves_a_falsehood_nor_refutes_a_truth():
    t = sp.Symbol("t", positive=True)
    true_fact = prove_nonnegative("probe", t - sp.sin(t), t)  # true, hard for SymPy
    assert true_fact.status in ("proved", "unknown")
    false_fact = prove_nonnegative("probe", sp.sin(sp.pi * t), t)  # false on (1, 2)
    assert false_fact.status in ("refuted", "unknown")
    if false_fact.status == "refuted":
        assert sp.sin(sp.pi * sp.Rational(false_fact.counterexample["t"])).evalf() < 0


def test_exact_positive_definiteness():
    h = np.array([[2.0, 1.0], [1.0, 2.0]])
    assert leading_minors_positive(h) == (True, None)
    assert leading_minors_positive(np.array([[1.0, 2.0], [2.0, 1.0]]))[0] is False
    # a matrix that is PD only by 2^-52: floating eigenvalue tests are unreliable, exact minors are not
    eps = 2.0**-52
    h = np.array([[1.0, 1.0 - eps], [1.0 - eps, 1.0]])
    assert leading_minors_positive(h) == (True, None)
    h = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert leading_minors_positive(h) == (False, 1)
    assert QuadraticK(np.eye(3)).facts()["isotropic"].status == "proved"
