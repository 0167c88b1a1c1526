"""``dspgd-verify margin``: the verdicts of paper 2's claims on the default instances.

The default suite runs the quicker cases; the whole "what it must show" list of issue 6
(adam, spectral, muon, muon-sign at three ratios, the Muon-Adam ratio shift) runs under the
opt-in ``campaign`` marker.  These are finite float64 runs judged against certified brackets:
the theory itself is about continuous-time limits (docs/theory.md §6).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from numeric.margin.data import random_margin_problem
from numeric.margin.optimizers import make_optimizer
from numeric.margin.run import Schedule
from verify.margin.check import MarginSettings, margin_check

MULTI = random_margin_problem("multiclass", 16, 6, 4, 0)
HYB = random_margin_problem("hybrid", 16, 3, 4, 0)
ALL = ("margin:l2", "margin:linf", "margin:spectral", "margin:hybrid")


def verdicts(result) -> dict:
    return {c["id"]: c["verdict"] for c in result.record["claims"]}


def run(prob, name, ratio=Fraction(1), **kw):
    s = MarginSettings(ratio=ratio, fit_ratio=kw.pop("fit_ratio", False), **kw)
    return margin_check(prob, make_optimizer(name, prob, ratio), s)


@pytest.mark.parametrize("name,own", [("ngd", "margin:l2"), ("sign", "margin:linf")])
def test_default_runs_verify_their_own_norm_only(name, own):
    res = run(MULTI, name)
    v = verdicts(res)
    assert v[own] == "verified"
    assert all(v[c] == "refuted" for c in ("margin:l2", "margin:linf", "margin:spectral") if c != own)
    assert v["margin:hybrid"] == "not_applicable"
    assert res.exit_status == 1
    ev = next(c for c in res.record["claims"] if c["id"] == own)["evidence"]
    lo, hi = (Fraction(x) for x in ev["gamma_star_certified"])
    assert 0 < lo <= hi and (hi - lo) / lo < Fraction(1, 10**6)
    assert float(ev["rounding_longdouble"]) < 1e-4 and ev["kkt_alignment"]["tau99"] is not None


def test_muon_sign_verifies_its_own_ratio_and_refutes_the_others():
    res = run(HYB, "muon-sign", Fraction(4), steps=50_000, schedule=Schedule(0.02),
              extra_ratios=(Fraction(1, 4), Fraction(1)))
    v = verdicts(res)
    assert v["margin:hybrid"] == "verified"
    assert v["margin:hybrid:0.25"] == "refuted" and v["margin:hybrid:1"] == "refuted"
    assert v["margin:spectral"] == "not_applicable"


def test_plain_gd_is_inconclusive_and_says_why():
    res = run(MULTI, "gd", steps=3000, schedule=Schedule(1.0))
    for c in res.record["claims"]:
        if c["verdict"] != "not_applicable":
            assert c["verdict"] == "inconclusive"
    l2 = next(c for c in res.record["claims"] if c["id"] == "margin:l2")
    assert "1/log t" in l2["reason"]


def test_a_short_budget_is_inconclusive_not_verified():
    res = run(MULTI, "ngd", steps=200)
    assert set(verdicts(res).values()) <= {"inconclusive", "not_applicable"}
    assert "still improving" in next(c for c in res.record["claims"] if c["id"] == "margin:l2")["reason"]


def test_a_timeout_stops_the_run_and_is_reported():
    res = run(MULTI, "gd", steps=5_000_000, timeout=0.5)
    assert res.record["run"]["stopped"] == "timeout" and res.record["run"]["steps"] < 5_000_000
    l2 = next(c for c in res.record["claims"] if c["id"] == "margin:l2")
    assert l2["verdict"] == "inconclusive" and "stopped early (timeout)" in l2["reason"]
    assert str(res.record["run"]["steps"]) in l2["evidence"]["gap_history"]


def test_newton_schulz_muon_is_labelled_not_covered():
    res = run(MULTI, "muon-ns", steps=2000)
    assert res.record["optimizer"]["covered_by_theory"] is False
    assert "not covered" in res.record["optimizer"]["note"]


# ----------------------------------------------------------------------------- the full list
@pytest.mark.campaign
@pytest.mark.parametrize("name,own", [("adam", "margin:linf"), ("spectral", "margin:spectral"),
                                      ("muon", "margin:spectral"), ("signum", "margin:linf")])
def test_campaign_default_runs_verify_their_own_norm_only(name, own):
    v = verdicts(run(MULTI, name))
    assert v[own] == "verified"
    assert all(v[c] == "refuted" for c in ("margin:l2", "margin:linf", "margin:spectral") if c != own)


@pytest.mark.campaign
@pytest.mark.parametrize("ratio", [Fraction(1, 4), Fraction(1), Fraction(4)])
def test_campaign_muon_sign_each_ratio(ratio):
    others = tuple(r for r in (Fraction(1, 4), Fraction(1), Fraction(4)) if r != ratio)
    v = verdicts(run(HYB, "muon-sign", ratio, extra_ratios=others))
    assert v["margin:hybrid"] == "verified"
    assert all(v[k] == "refuted" for k in v if k.startswith("margin:hybrid:"))


@pytest.mark.campaign
def test_campaign_constant_lr_muon_adam_moves_the_ratio_to_kappa_r():
    """docs/theory.md §6: with a constant rate Adam's steps shrink by kappa, the bias moves to hybrid(kappa r)."""
    res = run(HYB, "muon-adam", schedule=Schedule(0.02), fit_ratio=True)
    fit = res.record["hybrid_ratio_fit"]
    best, kr = float(fit["best_fitting_ratio"]), float(fit["kappa_times_r"])
    assert kr < 0.8 and abs(best - kr) / kr < 0.05
    assert verdicts(res)["margin:hybrid"] != "verified"


def test_an_instance_that_cannot_separate_two_norms_says_so():
    """On this binary instance the l2 and linf max-margin directions coincide (cross gap ~1e-8):
    both claims hold, and each verified verdict says the data cannot tell the norms apart."""
    prob = random_margin_problem("binary", 16, 6, seed=0)
    res = run(prob, "ngd", steps=50_000, schedule=Schedule(0.02))
    v = verdicts(res)
    assert v["margin:l2"] == v["margin:linf"] == "verified"
    for c in res.record["claims"]:
        if c["verdict"] == "verified":
            assert "cannot tell them apart" in c["reason"]
            assert float(next(iter(c["evidence"]["indistinguishable_from"].values()))) < 1e-6


def test_user_ratio_claims_keep_their_label():
    res = run(HYB, "muon-sign", Fraction(1), steps=2000, extra_ratios=(("0.52", Fraction(13, 25)),),
              report=("margin:hybrid:0.52",))
    assert [c["id"] for c in res.record["claims"]] == ["margin:hybrid:0.52"]
    assert res.record["claims"][0]["evidence"]["norm"] == "hybrid(r=0.52)"


# ----------------------------------------------------------------------------- review findings
def test_a_timed_out_run_is_never_verified_or_refuted():
    """Found in review: a run cut short by --timeout was judged on an incomplete gap history."""
    res = run(MULTI, "sign", steps=5_000_000, schedule=Schedule(0.05), timeout=0.5)
    assert res.record["run"]["stopped"] == "timeout"
    for c in res.record["claims"]:
        assert c["verdict"] in ("inconclusive", "not_applicable"), c
        if c["verdict"] == "inconclusive":
            assert "stopped early (timeout)" in c["reason"]


def test_an_overflowing_run_is_inconclusive_not_a_crash():
    """Found in review: gd with lr >= 0.5 overflowed math.exp (exit 4)."""
    prob = random_margin_problem("binary", 24, 8, seed=0)
    res = run(prob, "gd", steps=50, schedule=Schedule(2.0))
    assert res.record["run"]["stopped"] == "nonfinite"
    l2 = next(c for c in res.record["claims"] if c["id"] == "margin:l2")
    assert l2["verdict"] == "inconclusive" and "non-finite" in l2["reason"]


def test_without_a_rounding_rerun_nothing_is_verified():
    """Found in review: no longdouble rerun (as on platforms where longdouble is float64) crashed."""
    res = run(MULTI, "sign", steps=20_000, schedule=Schedule(0.05), rerun=False)
    for c in res.record["claims"]:
        assert c["verdict"] in ("inconclusive", "not_applicable"), c
    assert "no rounding check" in res.record["claims"][1]["reason"]


def test_a_failed_kkt_solve_never_supports_a_refutation(monkeypatch):
    """Found in review: a failed KKT solve (None) counted as 'the KKT test fails'."""
    import verify.margin.kkt as K
    real = K.alignment
    monkeypatch.setattr(K, "alignment", lambda prob, N, theta, tau, solver="CLARABEL":
                        None if N.name == "l2" else real(prob, N, theta, tau, solver))
    res = run(MULTI, "sign", steps=20_000, schedule=Schedule(0.05))
    v = verdicts(res)
    assert v["margin:linf"] == "verified" and v["margin:spectral"] == "refuted"
    assert v["margin:l2"] == "inconclusive"


def test_the_tolerance_comparison_is_exact():
    """Found in review: gap_hi = tol + 1e-25 passed a float comparison."""
    from numeric.margin.norms import MarginNorm
    from verify.margin.claims import NormEvidence
    tol = Fraction(5, 1000)
    ev = NormEvidence(MarginNorm("l2"), True, None, gap=(Fraction(0), tol + Fraction(1, 10**25)),
                      rounding=0.0, kkt={"tau99": 0.005, "a": {}, "max_alignment": 1.0})
    assert not ev.meets_verification(tol)
    ev.gap = (Fraction(0), tol)
    assert ev.meets_verification(tol)


@pytest.mark.parametrize("scale", [1e-12, 1e-9, 1.0, 1e100])
def test_separability_does_not_depend_on_the_scale_of_the_data(scale):
    """Found in review: data scaled by 1e-9 were called 'not linearly separable'."""
    from numeric.margin.data import binary_problem
    prob0 = random_margin_problem("binary", 24, 8, seed=0)
    X = prob0.J * scale  # rows y_i x_i, labels all +1
    assert binary_problem(X, np.ones(X.shape[0])).n_params == 8
