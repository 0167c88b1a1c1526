"""The testing kit: ``verify.strategies``, the property-test example of docs/python-api.md (run verbatim) and
the ``--campaign`` pytest plugin."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.exact_rank import exact_rank
from numeric.preconditioners.base import Preconditioner
from numeric.problem import Problem
from symbolic.parser import parse_expression
from verify.campaign import strategies as vs

README = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "python-api.md")


def readme_example() -> str:
    text = open(README, encoding="utf-8").read()
    m = re.search(r"<!-- example: property-test[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert m, "the property-test example block of docs/python-api.md is missing"
    return m.group(1)


def test_readme_property_test_runs_verbatim():
    namespace: dict = {}
    exec(compile(readme_example(), "docs/python-api.md:property-test", "exec"), namespace)  # our own docs, not user input
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 1
    tests[0]()


@settings(max_examples=25)
@given(problem=vs.problems(n=st.integers(1, 4), extra_columns=st.integers(1, 3), k=st.integers(1, 3)))
def test_problems_are_overparameterized_with_full_row_rank(problem):
    assert problem.n < problem.d
    assert exact_rank(problem.X) == problem.n
    assert problem.W0.shape == (problem.d, problem.k) and problem.Y.shape == (problem.n, problem.k)


@settings(max_examples=15)
@given(problem=vs.problems(exact=True))
def test_exact_problems_are_dyadic_rationals(problem):
    for a in (problem.X, problem.Y, problem.W0 * 4):
        assert np.all(a * 8 == np.round(a * 8))  # m / 2^q with q <= 3
    assert "dyadic" in problem.source


@settings(max_examples=10)
@given(problem=st.from_type(Problem), pre=st.from_type(Preconditioner))
def test_types_are_registered(problem, pre):
    assert isinstance(problem, Problem) and problem.n < problem.d
    assert isinstance(pre, Preconditioner) and pre.name != "quadratic"


@settings(max_examples=10)
@given(pre=vs.catalog_preconditioners(names=["quadratic", "adam"], shape=(3, 2)))
def test_catalog_preconditioners_with_shape(pre):
    assert pre.name in ("quadratic", "adam")
    if pre.name == "adam":
        assert 0 < pre.params["eps"] <= 1


@settings(max_examples=40)
@given(gk=vs.convex_k_expressions())
def test_grammar_sentences_parse_and_are_convex_at_sample_points(gk):
    """Every sentence goes through the safe parser; its profile has nonnegative second differences
    (a numeric spot check; the symbolic proof is the campaign test below)."""
    x = sp.Symbol({"entrywise": "g", "isotropic": "r", "spectral": "s"}[gk.structure], real=True)
    expr = parse_expression(gk.expr, {x.name: x})
    assert expr.free_symbols <= {x}
    f = lambda v: sp.N(expr.subs(x, v), 30)  # noqa: E731
    assert abs(f(0)) < 1e-25  # K(0) = 0
    h = sp.Rational(1, 1000)
    for v in (-3, -sp.Rational(1, 2), 0, sp.Rational(1, 3), 2):
        assert f(v + h) - 2 * f(v) + f(v - h) >= -1e-25
        assert abs(f(v) - f(-v)) < 1e-25  # even


@settings(max_examples=2)
@given(pre=vs.convex_preconditioners(shape=(3, 1), structure=st.just("entrywise"), max_terms=1))
def test_grammar_preconditioners_are_proved_convex(pre):
    facts = pre.extra["facts"]
    assert facts["convex"].status == "proved" and facts["grad_zero"].status == "proved"


@pytest.mark.campaign
@settings(max_examples=60)
@given(pre=vs.convex_preconditioners(shape=(3, 2)))
def test_campaign_grammar_preconditioners_never_refuted(pre):
    facts = pre.extra["facts"]
    assert facts["convex"].status != "refuted" and facts["grad_zero"].status != "refuted"


@settings(max_examples=30)
@given(f=vs.lr_fractions())
def test_lr_fractions_in_range(f):
    assert vs.Fraction(1, 20) <= f <= vs.Fraction(19, 20)


PLUGIN_PROBE = textwrap.dedent('''
    import pytest
    from hypothesis import settings

    @pytest.mark.campaign
    def test_long():
        print("PROFILE", settings.default.max_examples)

    def test_quick():
        pass
''')


@pytest.mark.parametrize("flag, selected, profile", [(None, "test_quick", None), ("--campaign", "test_long", "2000")])
def test_campaign_option_selects_campaign_tests(tmp_path, flag, selected, profile):
    (tmp_path / "test_probe.py").write_text(PLUGIN_PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -m 'not campaign'\n")
    cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path)] + ([flag] if flag else [])
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
    assert "1 passed, 1 deselected" in out, out
    if profile:
        assert f"PROFILE {profile}" in out
    else:
        assert "PROFILE" not in out
