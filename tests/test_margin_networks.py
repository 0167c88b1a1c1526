"""Paper 2 on smooth homogeneous networks: the two-layer and diagonal models, certified ``kkt:``
claims, the hypotheses of each run, and reasons read off the data (docs/theory.md §6).

The quick cases run by default; the "Done when" runs of the full default budget are under the
``campaign`` marker (tests/test_margin_networks.py::test_campaign_*).  These are finite float64
runs of a continuous-time theory that assumes directional convergence (docs/theory.md §6.8).
"""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from numeric.errors import InputError
from numeric.margin.data import random_margin_problem
from numeric.margin.models import _fractions, network_problem, parse_activation
from numeric.margin.norms import MarginNorm, normalized_margin
from numeric.margin.optimizers import make_optimizer
from numeric.margin.run import Schedule
from verify.cli.app import main
from verify.margin.check import MarginSettings, fit_hybrid_ratio, margin_check
from verify.margin.kkt import alignment, certified_alignment
from verify.margin.reference import solve_reference
from verify.margin.trend import fit_trend

TWO = network_problem("two-layer", 12, 3, 1, 6, "sqrelu", 2)  # the default two-layer instance


def verdicts(res) -> dict:
    return {c["id"]: c["verdict"] for c in res.record["claims"]}


# ----------------------------------------------------------------------------- the models
@pytest.mark.parametrize("kind,k,act", [("two-layer", 1, "sqrelu"), ("two-layer", 3, "relu-power:3"),
                                        ("two-layer", 1, "quadratic"), ("diagonal", 1, "sqrelu"),
                                        ("diagonal", 3, "sqrelu")])
def test_euler_identity_exact_and_gradients_match_finite_differences(kind, k, act):
    """``<grad q_j(theta), theta> = L q_j(theta)`` exactly (rationals); gradients against central
    differences; the fused log-scale gradient equals the per-constraint one."""
    prob = network_problem(kind, 10, 3, k, 4, act, seed=1)
    rng = np.random.default_rng(0)
    th = prob.init + 0.3 * rng.standard_normal(prob.n_params)
    te = _fractions(th)
    q, J = prob.margins(te), prob.jacobian(te)
    assert all(sum(J[j] * te) == prob.degree * q[j] for j in range(len(q)))
    Jf = prob.jacobian(th)
    for i in range(0, prob.n_params, 5):
        e = np.zeros(prob.n_params)
        e[i] = 1e-6
        fd = (prob.margins(th + e) - prob.margins(th - e)) / 2e-6
        assert np.allclose(fd, Jf[:, i], rtol=1e-5, atol=1e-6)
    g, s = prob.evaluator(np.float64)(th)
    qf = prob.margins(th)
    assert s == -qf.min()
    assert np.allclose(g, -Jf.T @ np.exp(qf.min() - qf), rtol=1e-12, atol=1e-12)


def test_homogeneity_degree():
    th = TWO.init
    for c in (0.5, 2.0):
        assert np.allclose(TWO.margins(c * th), c ** 3 * TWO.margins(th), rtol=1e-12)
    diag = network_problem("diagonal", 8, 4, seed=0)
    assert diag.degree == 2 and network_problem("two-layer", 8, 2, width=3, activation="relu-power:4").degree == 5


@pytest.mark.parametrize("text", ["relu", "relu-power:0", "relu-power:x", "relu-power:9", "tanh"])
def test_bad_activations_are_refused(text):
    with pytest.raises(InputError, match="--activation"):
        parse_activation(text)


# ----------------------------------------------------------------------------- KKT alignment
def test_certified_kkt_bracket_contains_the_solver_value_and_is_one_at_a_max_margin_point():
    prob = random_margin_problem("multiclass", 16, 6, 4, 0)
    for name in ("l2", "linf"):
        N = MarginNorm(name)
        ref = solve_reference(prob, N)
        row = certified_alignment(prob, N, ref.point, 0.01)
        assert row["lo"] <= Fraction(row["a"]) * (1 + Fraction(1, 10**6)) and row["lo"] <= row["hi"] <= 1
        assert row["lo"] > Fraction(99, 100)  # an optimum is a KKT point
    # the other norm's optimum is not a KKT point of this one (this instance separates the norms)
    other = certified_alignment(prob, MarginNorm("linf"), solve_reference(prob, MarginNorm("l2")).point, 0.01)
    assert other["hi"] < Fraction(99, 100)


def test_network_kkt_bracket_is_tight_and_below_one():
    th = TWO.init + np.linspace(-1, 1, TWO.n_params)
    for tau in (0.01, 0.5):
        for name in ("l2", "linf"):
            row = certified_alignment(TWO, MarginNorm(name), th, tau)
            if row["a"] is None:
                continue  # not separating: nothing certified
            assert row["lo"] <= row["hi"] <= 1
            assert abs(float(row["lo"]) - row["a"]) < 1e-5 and alignment(TWO, MarginNorm(name), th, tau) is not None


# ----------------------------------------------------------------------------- trends
@pytest.mark.parametrize("curve,label", [
    (lambda t: 3 / t, "improving"), (lambda t: 0.5 / np.log(t), "log"), (lambda t: 0.2 + 0 * t, "settled"),
    (lambda t: 1e-3 * t ** 0.3, "growing"), (lambda t: 0.1 * t ** -0.03, "slow")])
def test_trend_labels_follow_the_data(curve, label):
    T = 100_000
    ts = [10, 100, 1000, 10_000, T // 4, T // 2, T]
    tr = fit_trend({t: float(curve(t)) for t in ts}, T, q_min=1.0)
    assert tr.label == label, (tr, label)
    if tr.slope is not None:
        assert f"{tr.slope:+.3g}" in tr.text or label in ("settled", "log")


def test_trend_says_not_separating_when_qmin_is_not_positive():
    tr = fit_trend({10: 2.0, 100: 1.5}, 100, q_min=-0.5)
    assert tr.label == "not_separating" and "not yet separating" in tr.text


# ----------------------------------------------------------------------------- runs
def test_two_layer_short_run_ngd_is_l2_kkt_not_linf():
    prob = TWO
    s = MarginSettings(steps=20_000, schedule=Schedule(0.3, 0.7), fit_ratio=False,
                       report=("kkt:l2", "kkt:linf", "margin:l2"))
    res = margin_check(prob, make_optimizer("ngd", prob), s)
    v = verdicts(res)
    assert v["kkt:l2"] == "verified" and v["kkt:linf"] != "verified"
    assert v["margin:l2"] == "not_applicable"
    assert "KKT" in next(c for c in res.record["claims"] if c["id"] == "margin:l2")["reason"]
    assert res.record["within_theorem"] is True
    assert {h["status"] for h in res.record["hypotheses"]} <= {"holds", "assumed"}
    ev = next(c for c in res.record["claims"] if c["id"] == "kkt:l2")["evidence"]
    lo, hi = (float(x) for x in ev["kkt_alignment"]["a_certified"][str(ev["kkt_alignment"]["tau99"])])
    assert 0.99 <= lo <= hi <= 1
    assert float(ev["steepest_descent_alignment_rN_final"]) == pytest.approx(1.0, abs=1e-9)  # ngd is steepest descent in l2
    assert len(res.record["final_parameters"]["theta"]) == prob.n_params


def test_constant_rate_on_a_network_is_outside_the_theorem():
    s = MarginSettings(steps=3000, schedule=Schedule(0.3, 0.0), fit_ratio=False, report=("kkt:l2",))
    res = margin_check(TWO, make_optimizer("ngd", TWO), s)
    lr = next(h for h in res.record["hypotheses"] if h["name"].startswith("learning-rate"))
    assert lr["status"] == "violated" and "constant rate" in lr["detail"]
    c = res.record["claims"][0]
    assert c["scope"] == "outside_theorem" and "outside the theorem" in c["reason"]
    assert "not a statement about paper 2" in c["reason"]


def test_linear_default_constant_rate_is_flagged_and_decaying_is_not():
    prob = random_margin_problem("multiclass", 16, 6, 4, 0)
    for alpha, within in ((0.0, False), (0.5, True)):
        res = margin_check(prob, make_optimizer("ngd", prob),
                           MarginSettings(steps=300, schedule=Schedule(0.01, alpha), fit_ratio=False))
        assert res.record["within_theorem"] is within


def test_adam_zero_feature_column_violates_a1():
    from numeric.margin.data import binary_problem
    rng = np.random.default_rng(0)
    X = np.round(rng.standard_normal((12, 4)) * 256) / 256
    X[:, 2] = 0.0
    y = np.where(X[:, 0] + X[:, 1] > 0, 1.0, -1.0)
    prob = binary_problem(X, y)
    res = margin_check(prob, make_optimizer("adam", prob),
                       MarginSettings(steps=200, schedule=Schedule(0.01, 0.5), fit_ratio=False, report=("margin:linf",)))
    a1 = next(h for h in res.record["hypotheses"] if "(A1)" in h["name"])
    assert a1["status"] == "violated" and "2" in a1["detail"]
    assert res.record["claims"][0]["scope"] == "outside_theorem"


def test_kkt_and_margin_claims_agree_on_a_linear_model():
    prob = random_margin_problem("multiclass", 16, 6, 4, 0)
    s = MarginSettings(steps=20_000, schedule=Schedule(0.05), fit_ratio=False,
                       report=("margin:l2", "margin:linf", "kkt:l2", "kkt:linf"))
    v = verdicts(margin_check(prob, make_optimizer("ngd", prob), s))
    assert v["margin:l2"] == v["kkt:l2"] == "verified"
    assert v["margin:linf"] == v["kkt:linf"] == "refuted"


def test_diagonal_margin_claims_carry_certified_brackets():
    prob = network_problem("diagonal", 16, 6, seed=0)
    s = MarginSettings(steps=5000, schedule=Schedule(0.3, 0.55), fit_ratio=False)
    res = margin_check(prob, make_optimizer("sign", prob), s)
    by = {c["id"]: c for c in res.record["claims"]}
    for cid in ("margin:l2", "margin:linf"):
        ev = by[cid]["evidence"]
        lo, hi = (Fraction(x) for x in ev["gamma_star_certified"])
        assert 0 < lo <= hi and (hi - lo) / lo < Fraction(1, 10**5)
        assert "KKT point, not a global optimum" in ev["global_reference"]
        glo, ghi = (Fraction(x) for x in ev["relative_gap"])
        assert glo <= ghi
    # gamma*_l2 of the network is the l1 max margin of the predictor: the lifted optimum attains it
    from verify.margin.diagonal import lift, predictor_norm, predictor_problem
    lin = predictor_problem(prob)
    ref = solve_reference(lin, predictor_norm(MarginNorm("l2")))
    th = lift(prob, ref.point)
    assert normalized_margin(prob, MarginNorm("l2"), th) == pytest.approx(float(ref.lo), rel=1e-6)


def test_rounding_is_an_estimate_kept_out_of_the_error_bound():
    prob = random_margin_problem("multiclass", 16, 6, 4, 0)
    res = margin_check(prob, make_optimizer("sign", prob),
                       MarginSettings(steps=5000, schedule=Schedule(0.05), fit_ratio=False, report=("margin:linf",)))
    c = res.record["claims"][0]
    lo, hi = (Fraction(x) for x in c["evidence"]["relative_gap"])
    assert float(c["error_bound"]) == pytest.approx(float(hi - lo), rel=1e-2, abs=1e-15)
    assert "estimate" in c["evidence"]["rounding_note"]


def test_hybrid_fit_prefers_the_nominal_ratio_inside_its_flat_interval():
    prob = random_margin_problem("hybrid", 16, 3, 4, 0)
    ref = solve_reference(prob, MarginNorm("hybrid", Fraction(4)))
    fit = fit_hybrid_ratio(prob, ref.point, "CLARABEL", nominal=Fraction(4))
    lo, hi = (float(x) for x in fit["flat_interval"])
    assert lo <= 4 <= hi
    assert fit["best_fitting_ratio"] == "4" and "preferred" in fit


# ----------------------------------------------------------------------------- the command line
NET = ("--model", "two-layer", "--steps", "50")


@pytest.mark.parametrize("argv,needle", [
    (["--optimizer", "gd", "--beta1", "0.9"], "--beta1"),
    (["--optimizer", "ngd", "--beta2", "0.9"], "--beta2"),
    (["--optimizer", "sign", "--eps", "1e-8"], "--eps"),
    (["--optimizer", "adam", "--eps", "-1"], "--eps"),
    (["--optimizer", "muon-adam", "--beta1", "0.99", "--beta2", "0.9"], "beta1 <= beta2"),
    (["--optimizer", "ngd", "--activation", "sqrelu"], "two-layer"),
    (["--optimizer", "ngd", "--model", "two-layer", "--activation", "tanh"], "--activation"),
    (["--optimizer", "ngd", "--model", "two-layer", "--width", "0"], "--width"),
    (["--optimizer", "ngd", "--model", "two-layer", "--claim", "kkt:l3"], "--claim"),
    (["--model", "diagonal", "--save-problem", "x.npz"], "--save-problem needs --optimizer"),
])
def test_bad_network_input_exits_2(argv, needle, capsys):
    status = main(["margin", *argv, "--steps", "50"])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1 and needle in err, err


def test_save_problem_round_trip(tmp_path, capsys):
    path = tmp_path / "p.npz"
    base = ["margin", "--optimizer", "ngd", "--model", "two-layer", "--steps", "200", "--claim", "kkt:l2", "--json"]
    main([*base, "--save-problem", str(path)])
    first = json.loads(capsys.readouterr().out)
    main([*base, "--problem", str(path)])
    second = json.loads(capsys.readouterr().out)
    assert first["final_parameters"]["theta"] == second["final_parameters"]["theta"]
    assert second["problem"]["source"] == str(path)
    with np.load(path) as f:
        assert set(f.files) == {"X", "y", "theta0"}


def test_adam_eps_reaches_the_optimizer(capsys):
    main(["margin", "--optimizer", "adam", "--model", "binary", "--steps", "200", "--eps", "1e-8",
          "--claim", "margin:linf", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert rec["optimizer"]["params"]["eps"] == "1e-08"
    eps = next(h for h in rec["hypotheses"] if h["name"] == "Adam: eps = 0")
    assert eps["status"] == "violated"


# ----------------------------------------------------------------------------- the "Done when" runs
@pytest.mark.campaign
@pytest.mark.parametrize("name,own,crossed", [("ngd", "kkt:l2", "kkt:linf"), ("sign", "kkt:linf", "kkt:l2")])
def test_campaign_two_layer_default_instance(name, own, crossed, capsys):
    status = main(["margin", "--model", "two-layer", "--activation", "sqrelu", "--optimizer", name,
                   "--claim", own, "--claim", crossed, "--json"])
    rec = json.loads(capsys.readouterr().out)
    v = {c["id"]: c["verdict"] for c in rec["claims"]}
    assert v[own] == "verified" and v[crossed] != "verified", rec["claims"]
    assert rec["within_theorem"] and status in (0, 1, 3)


# ----------------------------------------------------------------------------- the schedule signature
def _momentum_ngd(alpha: float, steps: int, rerun: bool):
    s = MarginSettings(steps=steps, schedule=Schedule(0.3, alpha), fit_ratio=False, report=("kkt:l2",), rerun=rerun)
    res = margin_check(TWO, make_optimizer("ngd", TWO, beta1=0.9), s)
    return res.record["claims"][0]


def test_l3_constant_rate_collapses_the_steepest_descent_alignment():
    """docs/theory.md §6.1: on an L = 3 model momentum tracks the gradient only under a schedule
    with eta_t = o(t^(-2/3)); at a constant rate the step stops being a steepest-descent step."""
    const, decay = _momentum_ngd(0.0, 4000, False), _momentum_ngd(0.7, 4000, False)
    assert float(const["evidence"]["steepest_descent_alignment_rN_final"]) < 0.5
    assert float(decay["evidence"]["steepest_descent_alignment_rN_final"]) > 0.999
    assert const["scope"] == "outside_theorem" and decay["scope"] == "theorem"


@pytest.mark.campaign
def test_campaign_l3_constant_rate_is_not_kkt_and_decaying_is():
    const, decay = _momentum_ngd(0.0, 20_000, True), _momentum_ngd(0.7, 20_000, True)
    assert decay["verdict"] == "verified"
    assert const["verdict"] != "verified" and const["evidence"]["kkt_alignment"]["max_alignment"] < 0.5


# ----------------------------------------------------------------------------- a researcher's own update and norm fit
def test_lp_family_fit_finds_p_at_an_lp_max_margin_point():
    import cvxpy as cp

    from verify.margin.family import fit_lp_family
    prob = random_margin_problem("binary", 24, 8, seed=0)
    w = cp.Variable(prob.n_params)
    cp.Problem(cp.Minimize(cp.norm(w, 3)), [prob.J @ w >= 1]).solve(solver="CLARABEL")
    fit = fit_lp_family(prob, np.asarray(w.value))
    assert fit["best_p"] == "3" and float(fit["relative_gap_at_best"]) < 1e-5
    lo, hi = (float(x) for x in fit["flat_interval"])
    assert lo <= 3 <= hi < 10


@pytest.mark.parametrize("argv,needle", [
    (["--update", "__import__('os')"], "--update"),
    (["--update", "1/g"], "not finite"),
    (["--update", "0*g"], "zero at every probe"),
    (["--update", "sign(g)", "--optimizer", "ngd"], "leave out --optimizer"),
    (["--update", "sign(g)", "--beta2", "0.9"], "--beta2"),
])
def test_bad_update_exits_2(argv, needle, capsys):
    status = main(["margin", *argv, "--steps", "50"])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1 and needle in err, err


def test_update_runs_and_fits_a_norm(capsys):
    status = main(["margin", "--update", "sign(g)*abs(g)**0.5", "--model", "binary", "--steps", "2000",
                   "--lr", "0.05", "--alpha", "0.5", "--claim", "margin:l2", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert rec["optimizer"]["name"] == "update" and rec["optimizer"]["predicted_norm"] is None
    assert "best_p" in rec["norm_family_fit"] and status in (1, 3)
    assert any(h["name"] == "steepest descent in a norm" and h["status"] == "assumed" for h in rec["hypotheses"])


def test_lp_bounds_bracket_numpy_and_lp_certificate_at_an_lp_optimum():
    import cvxpy as cp

    from verify.margin.exact import lp_bounds
    rng = np.random.default_rng(3)
    for p in (Fraction(3, 2), Fraction(3), Fraction(7, 2)):
        v = rng.standard_normal(7)
        lo, hi = lp_bounds([Fraction(float(x)) for x in v], p)
        assert lo <= hi and float(lo) == pytest.approx(np.linalg.norm(v, float(p)), rel=1e-14)
        assert (hi - lo) / hi < Fraction(1, 10**50)
    prob = random_margin_problem("binary", 24, 8, seed=0)
    N = MarginNorm("lp", p=Fraction(3))
    ref = solve_reference(prob, N)
    assert ref.certified and (ref.hi - ref.lo) / ref.lo < Fraction(1, 10**5)
    row = certified_alignment(prob, N, ref.point, 0.01)
    assert row["lo"] > Fraction(99, 100)


@pytest.mark.parametrize("argv,needle", [
    (["--optimizer", "ngd", "--norm", "l3"], "lp:P"),
    (["--optimizer", "ngd", "--norm", "lp:1"], "--norm"),
    (["--optimizer", "ngd", "--norm", "lp:x"], "--norm"),
    (["--optimizer", "ngd", "--claim", "margin:lp:100"], "--claim"),
])
def test_bad_norm_exits_2(argv, needle, capsys):
    status = main(["margin", *argv, "--steps", "50"])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1 and needle in err, err


def test_norm_flag_adds_certified_claims(capsys):
    main(["margin", "--optimizer", "ngd", "--model", "binary", "--steps", "300", "--norm", "lp:3",
          "--claim", "margin:l2", "--json"])
    rec = json.loads(capsys.readouterr().out)
    ids = [c["id"] for c in rec["claims"]]
    assert ids == ["margin:l2", "margin:lp:3", "kkt:lp:3"]
    ev = rec["claims"][1]["evidence"]
    assert ev["norm"] == "l3" and "gamma_star_certified" in ev


def test_a_settled_gap_above_the_threshold_never_says_it_is_below():
    """Found in review: 'gap <= 0.0582 ... below the refutation threshold 0.05'."""
    from verify.margin.claims import NormEvidence, decide
    T = 100_000
    hist = {t: (Fraction(58, 1000), Fraction(582, 10000)) for t in (10, 100, 1000, 10_000, T // 4, T // 2, T)}
    ev = NormEvidence(MarginNorm("l2"), False, None, gap=hist[T], gap_history=hist, rounding=0.0,
                      kkt={"tau99": 0.5, "a": {"0.5": 0.999, "0.005": 0.9}, "max_alignment": 0.999}, q_min=5.0)
    v = decide("margin:l2", ev, ["linf"], Fraction(5, 1000), T, "steps", "sign")
    assert v.verdict == "inconclusive" and "below the refutation threshold" not in v.reason
    assert "KKT test of this norm passes at tau = 0.5" in v.reason and "settled at gap 0.0582" in v.reason


def test_family_fit_on_a_matrix_block_reports_schatten_norms():
    from verify.margin.family import fit_lp_family
    prob = random_margin_problem("multiclass", 16, 6, 4, 0)
    ref = solve_reference(prob, MarginNorm("spectral"))
    fit = fit_lp_family(prob, ref.point)
    sch = {p: float(g) for p, g in fit["schatten"].items()}
    assert sch["inf"] < 1e-5 and min(sch["1"], sch["2"]) > 10 * sch["inf"] + 1e-3
    assert float(fit["relative_gap_at_best"]) > 1e-3  # no l_p norm is the spectral norm here
