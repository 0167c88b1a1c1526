"""The symbolic layer reproduces the core's hand-written catalogue: gradients and second
derivatives agree exactly (SymPy) and the compiled callables agree to 45 digits."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy as sp

from numeric.preconditioners.catalog import make_preconditioner
from numeric.precision import working_precision
from numeric.preconditioners.from_symbolic import from_profile
from symbolic.catalog import X as x
from symbolic.catalog import profile

PARAMS = {"gd": {}, "ngd": {"eps": Fraction(1, 10)}, "clip": {"c": Fraction(1)}, "adam": {"eps": Fraction(1, 100)},
          "sign": {"eps": Fraction(1, 10)}, "clipv": {"c": Fraction(1, 2)}, "muon": {"eps": Fraction(1, 10)}}

# docs/theory.md §2 closed forms of the scalar part of grad K on x > 0: k'(x) (entrywise) or h'(x)/x (isotropic, spectral)
E, C = sp.Rational(1, 10), sp.Integer(1)
CLOSED = {"gd": sp.Integer(1), "ngd": 1 / (x + E), "clip": sp.Piecewise((1, x <= 1), (1 / x, True)),
          "adam": x / (x + sp.Rational(1, 100)), "sign": sp.tanh(x / E),
          "clipv": sp.Piecewise((x, x <= sp.Rational(1, 2)), (sp.Rational(1, 2), True)), "muon": 1 / (x + E)}
SECOND = {"ngd": E / (x + E) ** 2, "adam": sp.Rational(1, 100) / (x + sp.Rational(1, 100)) ** 2,
          "sign": (1 - sp.tanh(x / E) ** 2) / E, "muon": E / (x + E) ** 2, "gd": sp.Integer(1)}


@pytest.mark.parametrize("name", list(PARAMS))
def test_symbolic_gradient_equals_closed_form_exactly(name):
    prof = profile(name, PARAMS[name])
    f1 = sp.diff(prof.f, x)
    scalar = f1 if prof.structure == "entrywise" else f1 / x
    for expr, a, b in _pieces_on_grid(scalar):
        target = CLOSED[name]
        for pt in (a + (b - a) / 3 if b != sp.oo else a + 1, a + (b - a) / 2 if b != sp.oo else a + 7):
            assert sp.simplify((expr - target).subs(x, pt)) == 0, (name, pt)
    if name in SECOND:
        assert sp.simplify(sp.diff(prof.f, x, 2) - SECOND[name]) == 0


def _pieces_on_grid(expr):
    from symbolic.structures import pieces
    return pieces(sp.piecewise_fold(expr), x)


def _random_matrix(ctx, d, k, rng, scale):
    return [[ctx.mpf(rng.uniform(-scale, scale)) for _ in range(d)] for _ in range(k)]


@pytest.mark.parametrize("name", list(PARAMS))
@pytest.mark.parametrize("shape", [(4, 2), (3, 1)])
def test_compiled_gradient_matches_catalogue_to_45_digits(name, shape):
    d, k = shape
    core = make_preconditioner(name, PARAMS[name], shape=shape)
    exported = from_profile(profile(name, PARAMS[name]), name)
    rng = random.Random(hash((name, shape)) & 0xFFFF)
    with working_precision(50) as ctx:
        for scale in (0.05, 0.7, 3.0):
            G = _random_matrix(ctx, d, k, rng, scale)
            a, b = core.grad(ctx, G), exported.grad(ctx, G)
            err = max(abs(u - v) for ca, cb in zip(a, b) for u, v in zip(ca, cb))
            assert err < ctx.mpf(10) ** -45, (name, scale, err)
            assert abs(core.value(ctx, G) - exported.value(ctx, G)) < ctx.mpf(10) ** -45


@pytest.mark.parametrize("name", list(PARAMS))
def test_exported_constants_are_rigorous_bounds_of_the_catalogue(name):
    core = make_preconditioner(name, PARAMS[name], shape=(3, 2))
    exported = from_profile(profile(name, PARAMS[name]), name)
    with working_precision(50) as ctx:
        assert exported.L(ctx) == core.L(ctx)
        for rho in (ctx.mpf("1e-30"), ctx.mpf("0.3"), ctx.mpf(2)):
            mu_core, mu_exp = core.mu(ctx, rho), exported.mu(ctx, rho)
            assert mu_exp <= mu_core + ctx.mpf(10) ** -40  # interval lower bound: never above the truth
            if name not in ("clip", "clipv"):
                assert mu_exp >= mu_core * (1 - ctx.mpf("0.5"))  # and not uselessly loose
            assert exported.L_ball(ctx, rho) >= mu_core
            assert exported.L_ball(ctx, rho) <= core.L(ctx) * (1 + ctx.mpf(10) ** -30) or name in ("clip", "clipv")
