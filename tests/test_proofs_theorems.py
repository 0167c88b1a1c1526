"""The theorems of docs/theory.md §3 as proof modules (group C): Theorems A/B, the implicit-bias theorems,
the quadratic limit and its sharp constant, the single-sample constants C2/C3, the O(eta)
learning-rate dependence, and the C5 probe.

Each module reaches its expected status in the default context (adam, eps = 1/10, 20 examples);
and each kind of check is shown able to fail: the isotropic-bias check applied to adam, a wrong
sharp constant (symbolic and at 50 digits), a wrong slope target, a too-large learning rate in the
J4/J5 check, a wrong quadratic closed form, and a C5 "violation" of a deliberately wrong bound,
saved as an npz instance.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from proofs.context import ProofContext
from proofs.core import run_result
from proofs.results import (c5, entrywise_single_sample, isotropic_bias, left_invariant_bias, lr_dependence,
                            quadratic_limit, quadratic_sharp, single_sample, theorem_a, theorem_b)

CHECKED = {"proved", "verified"}


@pytest.fixture(scope="module")
def default_context():
    return ProofContext().ensure()


@pytest.mark.parametrize("module, rid, expected", [
    (theorem_a, "ThmA", {"verified"}),
    (theorem_b, "ThmB", {"verified"}),
    (isotropic_bias, "isotropic_bias", CHECKED),
    (left_invariant_bias, "left_invariant_bias", CHECKED),
    (quadratic_limit, "quadratic_limit", {"proved"}),
    (quadratic_sharp, "quadratic_sharp", {"verified"}),  # a numeric step: verified, not proved
    (single_sample, "C2", {"verified"}),
    (entrywise_single_sample, "C3", {"verified"}),
    (lr_dependence, "lr_dependence", {"verified"}),
])
def test_default_context_status(default_context, module, rid, expected):
    out = run_result(module.RESULT, default_context)
    assert module.RESULT.id == rid
    assert out.status in expected, out.detail
    assert module.RESULT.latex and module.RESULT.text and module.RESULT.hypotheses and module.__doc__
    for step, ev, _ in out.steps:
        if step.method == "numeric":
            assert ev.worst is not None, step.text  # numeric steps report their worst value


def test_per_preconditioner_flags():
    assert all(m.RESULT.per_preconditioner for m in (theorem_a, theorem_b, single_sample))
    assert not any(m.RESULT.per_preconditioner for m in (isotropic_bias, left_invariant_bias, quadratic_limit,
                                                         quadratic_sharp, entrywise_single_sample, lr_dependence, c5))


def test_quadratic_limit_is_symbolic_and_its_cross_check_agrees(default_context):
    assert all(s.method == "symbolic" for s in quadratic_limit.RESULT.steps)
    ev = quadratic_limit.CROSS_CHECK.check(default_context)
    assert ev.status == "verified", ev.detail
    assert float(ev.worst) < 1e-20


def test_quadratic_sharp_numbers(default_context):
    ev = quadratic_sharp.attained(default_context)
    assert ev.status == "verified" and float(ev.worst) < 1e-40, ev.detail
    assert "1.25" in ev.detail and "5.05" in ev.detail


def test_c5_default_is_unknown_or_a_saved_counterexample(tmp_path):
    ctx = ProofContext(out_dir=str(tmp_path)).ensure()
    out = run_result(c5.RESULT, ctx)
    ev = out.steps[0][1]
    assert out.status in ("unknown", "failed"), out.detail
    if out.status == "failed":
        path = ev.counterexample["path"]
        with np.load(path) as data:
            assert {"X", "Y", "W0", "Q", "params"} <= set(data.files)
    else:
        assert ev.worst is not None and 1 / 1.25 - 1e-9 <= float(ev.worst) <= 1  # c >= 1 gives ratio >= 1/bound
    assert out.seconds < 90


# ----------------------------------------------------------------------------- checks that can fail
def test_isotropic_bias_check_refutes_adam(default_context):
    ev = isotropic_bias.bias_evidence((("adam", {"eps": Fraction(1, 10)}),), default_context, "adam reaches W_GD",
                                      problems=1)
    assert ev.status == "failed", ev.detail
    assert float(ev.counterexample["distance_to_W_GD"]) > 1e-6


def test_wrong_sharp_constant_is_refuted_symbolically():
    L, mu = quadratic_sharp.Lsym, quadratic_sharp.MU
    half_excess = 1 + (L - mu) ** 2 / (8 * L * mu)  # smaller than (L + mu)^2/(4 L mu) = 1 + (L - mu)^2/(4 L mu)
    ev = quadratic_sharp.gap_evidence(half_excess)
    assert ev.status == "failed" and ev.counterexample["kind"] == "violated", ev.detail
    assert quadratic_sharp.gap_evidence().status == "proved"
    assert quadratic_sharp.gap_evidence((L + mu) ** 2 / (4 * L * mu)).status == "proved"


def test_sqrt_kappa_is_valid_but_not_sharp():
    L, mu = quadratic_sharp.Lsym, quadratic_sharp.MU
    ev = quadratic_sharp.gap_evidence(L / mu)  # sqrt(kappa)^2: never violated, never attained
    assert ev.status == "failed" and ev.counterexample["kind"] == "not attained", ev.detail


def test_wrong_sharp_constant_is_refuted_at_50_digits(default_context):
    slightly_small = lambda k, h: (k + 1) / (2 * h.sqrt(k)) * (1 - h.mpf(10) ** -30)  # noqa: E731
    ev = quadratic_sharp.attained(default_context, kappas=(4,), constant=slightly_small)
    assert ev.status == "failed" and ev.counterexample["kappa"] == 4, ev.detail


def test_wrong_slope_target_fails(default_context):
    ev = lr_dependence.slope_evidence(default_context, target=(1.9, 2.1))
    assert ev.status == "failed", ev.detail
    assert 0.9 <= float(ev.counterexample["slope"]) <= 1.1


def test_descent_check_fails_beyond_the_step_limit():
    from numeric.preconditioners.catalog import make_preconditioner
    from numeric.problem import random_problem
    p = random_problem(2, 4, 1, seed=3, w0="random")
    smax2 = float(np.linalg.norm(p.X, 2) ** 2)
    eta = Fraction(2.4 / smax2)  # beyond 2/(L sigma_max^2) with L = 1 (gd)
    m = theorem_a.descent_margins(p, make_preconditioner("gd"), eta, max_steps=60)
    assert m["slack_J4"] > 0 and m["max_increase_L"] > 0
    row = {"problem": theorem_a.describe_problem(p), "lr": str(float(eta)), "margins": m}
    assert theorem_a.monotone_evidence([row], "gd beyond the limit").status == "failed"


def test_wrong_quadratic_closed_form_fails_kkt():
    x, Xk, w0, y, _ = quadratic_limit._kron_instance()
    W_gd, lam = quadratic_limit.closed_form(sp.eye(4), Xk, w0, y)  # the Frobenius min-norm point, not H^-1
    H = quadratic_limit.H_EXPL
    ev = theorem_a.identity_evidence("H^-1 (W_GD - W0) in range", H.inv() * (W_gd - w0), Xk.T * lam)
    assert ev.status == "failed" and ev.counterexample


def test_left_invariance_argument_fails_for_an_entrywise_K():
    """n^T grad K(G) = 0 is special to K = F(G^T G): an entrywise K breaks it (a point is found)."""
    G = left_invariant_bias.G
    n = left_invariant_bias._normal(G)
    grad = sp.Matrix(3, 2, [g**3 for g in G])  # grad of sum g^4/4
    ev = theorem_a.identity_evidence("n^T grad K(G) = 0 for an entrywise K", n.T * grad, sp.zeros(1, 2), list(G))
    assert ev.status == "failed"


def test_c5_records_a_violation_of_a_wrong_bound(tmp_path):
    """With the bound 1 (wrong: c > 1 for most instances) the probe confirms a violation and saves it."""
    ctx = ProofContext(examples=2, out_dir=str(tmp_path)).ensure()
    plan = {"n_random": 8, "n_starts": 0, "maxfev": 1, "deadline": None, "long": False}
    ev = c5.probe(ctx, bound=lambda k: 1, kappas=(25,), plan=plan)
    assert ev.status == "failed", ev.detail
    path = ev.counterexample["path"]
    assert path.startswith(str(tmp_path))
    with np.load(path) as data:
        assert {"X", "Y", "W0", "Q", "params"} <= set(data.files)
        assert data["X"].shape == (2, 3) and data["Q"].shape == (3, 3)
        # the saved instance reproduces the violation at 50 digits
        inst = {"X": data["X"], "y": data["Y"][:, 0], "Q": data["Q"], "s": float(data["params"][3]),
                "frac": float(data["params"][4])}
    chk = c5.recheck(inst, 25, 50, bound=lambda k: 1)
    assert chk["ok"] and chk["violated"]


def test_c2_and_theorem_a_for_other_preconditioners():
    for name, params in (("sign", {"eps": Fraction(1, 10)}), ("quadratic", {"kappa": Fraction(9)})):
        ctx = ProofContext(name=name, params=params, examples=4).ensure()
        assert run_result(single_sample.RESULT, ctx).status == "verified"
        assert run_result(theorem_a.RESULT, ctx).status == "verified"


# ----------------------------------------------------------------------------- long campaigns
@pytest.mark.campaign
def test_c5_long_search(tmp_path):
    ctx = ProofContext(examples=200, out_dir=str(tmp_path)).ensure()
    out = run_result(c5.RESULT, ctx)
    assert out.status in ("unknown", "failed"), out.detail
    if out.status == "failed":
        with np.load(out.steps[0][1].counterexample["path"]) as data:
            assert {"X", "Y", "W0", "Q", "params"} <= set(data.files)


@pytest.mark.campaign
@pytest.mark.parametrize("name, params", [("adam", {"eps": Fraction(1, 100)}), ("ngd", {"eps": Fraction(1, 10)}),
                                          ("muon", {"eps": Fraction(1, 10)}), ("clip", {"c": Fraction(1, 2)})])
def test_theorems_campaign(name, params):
    ctx = ProofContext(name=name, params=params, examples=60, seed=7).ensure()
    for module in (theorem_a, theorem_b, single_sample):
        out = run_result(module.RESULT, ctx)
        assert out.status == "verified", out.detail
