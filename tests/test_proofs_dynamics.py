"""Group B results (docs/theory.md §4.2-§4.3): the DSPGD identities I5-I7, I10-I12 and the inequalities J1-J5.

Each result runs through :func:`proofs.core.run_result` in the default context (adam, eps 1/10,
20 examples) and, for the per-preconditioner numeric ones, in a second context.  The last tests
show that the same checks fail on false statements: a descent identity without its Bregman
term, J5's monotonicity above the step-size threshold, and I11's drift check on Adam.
"""
from __future__ import annotations

import pytest

from proofs.context import ProofContext
from proofs.core import from_fact, run_result
from proofs.results import i5, i6, i7, i10, i11, i12, j1, j2, j3, j3p, j4, j5


@pytest.fixture(scope="module")
def default_context():
    return ProofContext().ensure()


_OUTCOMES: dict = {}


def outcome(module, context):
    """``run_result`` once per (result, context) in this file."""
    key = (module.RESULT.id, id(context))
    if key not in _OUTCOMES:
        _OUTCOMES[key] = run_result(module.RESULT, context)
    return _OUTCOMES[key]


@pytest.fixture(scope="module")
def second_context():
    return ProofContext(name="ngd", params={}, examples=6).ensure()


@pytest.mark.parametrize("module", [i5, i6, i7], ids=lambda m: m.RESULT.id)
def test_generic_identities_are_proved(module, default_context):
    out = outcome(module, default_context)
    assert out.status == "proved", out.detail
    assert all(step.method == "symbolic" for step in module.RESULT.steps)


NUMERIC = [i10, i11, i12, j1, j2, j3, j3p, j4, j5]


@pytest.mark.parametrize("module", NUMERIC, ids=lambda m: m.RESULT.id)
def test_numeric_results_hold_in_the_default_context(module, default_context):
    out = outcome(module, default_context)
    assert out.status in ("proved", "verified"), out.detail
    for step, ev, _ in out.steps:
        if step.method == "numeric":
            assert ev.worst is not None and "over" in ev.detail, ev.detail


@pytest.mark.parametrize("module", [i10, j1, j2, j3, j4, j5], ids=lambda m: m.RESULT.id)
def test_numeric_results_hold_for_another_K(module, second_context):
    out = run_result(module.RESULT, second_context)
    assert out.status in ("proved", "verified"), out.detail
    assert "ngd" in out.detail


def test_symbolic_steps_of_mixed_results_are_proved(default_context):
    for module in (i10, i12, j3):
        out = outcome(module, default_context)
        symbolic = [ev.status for step, ev, _ in out.steps if step.method == "symbolic"]
        assert symbolic and all(s == "proved" for s in symbolic), out.detail


def test_identity_checks_are_tight_at_50_digits(default_context):
    out = outcome(i10, default_context)
    worst = float(out.steps[-1][1].worst)
    assert worst < 1e-45  # the telescoped sum reproduces K(G_T) - K(G_0) to ~1e-50


# ---------------------------------------------------------------------------------- can fail


def test_I5_without_the_bregman_term_is_refuted():
    fact = i5.prove_descent(drop_bregman=True, refute=True)
    assert fact.status == "refuted" and fact.counterexample
    assert from_fact(fact).status == "failed"
    # the true identity still goes through the same helper (with the concrete K and l present)
    assert i5.prove_descent(refute=True).status == "proved"


def test_I5_without_the_bregman_term_is_not_proved_symbolically():
    assert i5.prove_descent(drop_bregman=True).status != "proved"


def test_I6_without_the_bregman_term_is_refuted():
    fact = i6.prove_dual_descent((1, 2, 1), drop_bregman=True, refute=True)
    assert fact.status == "refuted"
    assert from_fact(fact).status == "failed"


@pytest.mark.parametrize("name", ["gd", "adam"])
def test_J5_monotonicity_fails_above_the_step_size_threshold(name):
    ctx = ProofContext(name=name, params={}, examples=4).ensure()
    assert j5.check(ctx, "monotone").status == "verified"
    bad = j5.check(ctx, "monotone", frac=1.5)
    assert bad.status == "failed" and bad.counterexample["frac"] == "1.5"
    # the inequality itself holds for every eta > 0 (its coefficient just turns negative)
    assert j5.check(ctx, "inequality", frac=1.5).status == "verified"


def test_adam_has_a_large_null_space_drift(default_context):
    from numeric.preconditioners.catalog import make_preconditioner
    adam = make_preconditioner("adam", {})
    worst, count, where = i11.null_space_drift(default_context, adam, count=3)
    assert count == 3 and worst > 1e-3, worst  # not left-invariant: I11 does not apply
    ev = i11.check(ProofContext(examples=4).ensure(), [adam])  # the I11 check itself fails on Adam
    assert ev.status == "failed" and ev.counterexample["preconditioner"] == "adam"
    gd = make_preconditioner("gd", {})
    assert i11.check(ProofContext(examples=4).ensure(), [gd]).status == "verified"


def test_J3p_uses_the_catalogue_when_K_is_not_entrywise():
    ctx = ProofContext(name="ngd", params={}, examples=4).ensure()
    out = run_result(j3p.RESULT, ctx)
    assert out.status == "verified" and all(n in out.detail for n in ("adam", "sign", "clipv"))


def test_I12_check_detects_a_wrong_metric(default_context):
    """Without H^{-1} (plain W_t - W_0), the quadratic K's iterates do drift out of range(X^T)."""
    from numeric.matrices import fro_norm
    pre = i12._quadratic_pre(default_context)
    drift = 0
    for run in i10.run_instances(default_context, pre=pre, count=2, salt="test"):
        xp = run.xp
        dW = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(run.W[-1], xp.W0)]
        drift = max(drift, float(fro_norm(run.ctx, xp.project_null_space(dW)) / fro_norm(run.ctx, dW)))
    assert drift > 1e-3
