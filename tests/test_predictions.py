"""Exit statuses that compare outcomes with the papers' predictions (verify/predictions.py).

The headline runs now exit 0 (deliberate change from 1): ``quadratic``'s ``lr_dependence`` is
refuted as the toolkit's theorem predicts (a planted counterexample to paper 1's Claim D), and
in ``margin`` the norms paper 2 does not predict are refuted.  ``--strict`` and ``--claim`` keep
the strict status.
"""
from __future__ import annotations

import json

from verify.cli import main
from verify.predictions import as_predicted, check_prediction, predicted_exit_status, summary_line

SMALL = ["--n", "2", "--d", "4", "--k", "1", "--dps", "30"]


def _claim(cid, verdict, expected=None, kind="paper", **ev):
    p = None if expected is None else {"kind": kind, "paper": "paper 1", "statement": "Claim X: ...",
                                       "expected": expected, "why": ""}
    return {"id": cid, "lr": None, "verdict": verdict, "prediction": p, "evidence": ev, "reason": ""}


def test_predicted_exit_status_rules():
    assert predicted_exit_status([_claim("a", "verified", "verified"), _claim("b", "refuted", "refuted")]) == 0
    assert predicted_exit_status([_claim("a", "refuted", "verified")]) == 1       # against the paper
    assert predicted_exit_status([_claim("a", "verified", "refuted")]) == 1       # a counterexample failed
    assert predicted_exit_status([_claim("a", "inconclusive", "verified")]) == 3  # undecided is never "as predicted"
    assert predicted_exit_status([_claim("a", "refuted")]) == 1                   # nothing predicts it: strict
    assert predicted_exit_status([_claim("a", "not_applicable"), _claim("b", "verified")]) == 0
    assert predicted_exit_status([_claim("a", "inconclusive", "verified"), _claim("b", "refuted", "verified")]) == 1


def test_quadratic_lr_dependence_is_the_only_planted_counterexample():
    rec = {"preconditioner": {"name": "quadratic"}, "claims": []}
    p = check_prediction({"id": "lr_dependence", "verdict": "refuted"}, rec)
    assert p["kind"] == "counterexample" and p["expected"] == "refuted"
    p = check_prediction({"id": "lr_dependence", "verdict": "verified"}, {"preconditioner": {"name": "adam"}})
    assert p["kind"] == "paper" and p["expected"] == "verified"
    assert check_prediction({"id": "claim:limit=gd", "verdict": "refuted"}, rec) is None
    assert check_prediction({"id": "isotropic_bias", "verdict": "not_applicable"}, rec) is None
    custom = {"preconditioner": {"name": "custom"}, "claims": [{"id": "assumptions", "verdict": "inconclusive"}]}
    assert check_prediction({"id": "convergence", "verdict": "verified"}, custom) is None


def test_summary_line_names_the_failed_claim_and_paper():
    rec = {"preconditioner": {"name": "adam"}, "claims": [_claim("lr_dependence", "refuted", "verified")]}
    line = summary_line([rec])
    assert line.startswith("NOT as the papers predict") and "adam lr_dependence" in line and "Claim X" in line
    ok = {"preconditioner": {"name": "quadratic"},
          "claims": [_claim("lr_dependence", "refuted", "refuted", kind="counterexample")]}
    assert summary_line([ok]) == "every outcome as the papers predict (including 1 planted counterexample to a paper's claim)"


def test_margin_indistinguishable_norms_count_as_predicted():
    c = {"id": "margin:linf", "verdict": "verified", "evidence": {"indistinguishable_from": {"l2": "1e-4"}},
         "prediction": {"kind": "paper", "paper": "paper 2", "expected": "refuted", "why": "",
                        "statement": "ngd converges in direction to the max-margin solution of the l2 norm"}}
    assert as_predicted(c) is True
    c["evidence"] = {}
    assert as_predicted(c) is False


def test_quadratic_check_exits_0_with_the_line_and_strict_keeps_1(capsys):
    assert main(["check", "--preconditioner", "quadratic", *SMALL]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == \
        "every outcome as the papers predict (including 1 planted counterexample to a paper's claim)"
    assert "strict status 1" in out
    assert main(["check", "--preconditioner", "quadratic", *SMALL, "--strict", "--json"]) == 1
    rec = json.loads(capsys.readouterr().out)
    (c,) = [c for c in rec["claims"] if c["id"] == "lr_dependence"]
    assert c["verdict"] == "refuted" and c["prediction"]["kind"] == "counterexample"
    assert rec["exit_status"] == 1 and rec["strict_exit_status"] == 1


def test_headline_check_small_exits_0(headline_small):
    """Deliberate change: the headline (every catalogue entry) exits 0, not 1."""
    code, out = headline_small
    assert code == 0 and out["exit_status"] == 0 and out["strict_exit_status"] == 1
    assert out["summary"].startswith("every outcome as the papers predict")


def test_a_user_claim_keeps_the_strict_status(capsys):
    code = main(["check", "--preconditioner", "quadratic", *SMALL, "--claim", "limit=gd", "--json"])
    rec = json.loads(capsys.readouterr().out)
    mine = [c for c in rec["claims"] if c["id"] == "claim:limit=gd"]  # one per learning rate
    assert mine and all(c["prediction"] is None and c["verdict"] == "refuted" for c in mine) and code == 1
    assert rec["summary"].startswith("refuted, and no paper predicts it: quadratic claim:limit=gd")


def test_margin_predictions_follow_paper_2(capsys):
    code = main(["margin", "--optimizer", "ngd", "--steps", "300", "--json"])
    rec = json.loads(capsys.readouterr().out)
    pred = {c["id"]: (c["prediction"] or {}).get("expected") for c in rec["claims"]}
    assert pred == {"margin:l2": "verified", "margin:linf": "refuted", "margin:spectral": "refuted",
                    "margin:hybrid": None}
    assert code == rec["exit_status"]


def _margin_record(kind="multiclass", scope="theorem"):
    hyps = [{"name": "learning-rate schedule (LR)", "status": "violated" if scope == "outside_theorem" else "holds",
             "detail": ""}]
    return {"optimizer": {"name": "ngd", "predicted_norm": "l2", "covered_by_theory": True},
            "problem": {"kind": kind}, "hypotheses": hyps, "claims": []}


def test_a_run_outside_paper_2s_hypotheses_is_judged_against_an_extension_never_the_paper():
    from verify.predictions import margin_prediction
    inside = margin_prediction({"id": "margin:l2", "verdict": "verified", "evidence": {"norm": "l2"},
                                "scope": "theorem"}, _margin_record())
    assert inside["kind"] == "paper" and inside["expected"] == "verified"
    out = margin_prediction({"id": "margin:linf", "verdict": "refuted", "evidence": {"norm": "linf"},
                             "scope": "outside_theorem"}, _margin_record(scope="outside_theorem"))
    assert out["kind"] == "extension" and out["expected"] == "refuted"
    assert "outside paper 2's hypotheses (learning-rate schedule (LR))" in out["why"]
    rec = {"optimizer": {"name": "ngd"}, "claims": [
        {"id": "margin:linf", "lr": None, "verdict": "refuted", "evidence": {}, "prediction": out}]}
    line = summary_line([rec])
    assert line.startswith("every outcome as predicted (") and "outside the theorem" in line
    assert not line.startswith("every outcome as the papers predict")


def test_network_margin_claims_have_no_prediction_kkt_claims_do():
    from verify.predictions import margin_prediction
    rec = _margin_record(kind="two-layer")
    assert margin_prediction({"id": "margin:l2", "verdict": "inconclusive", "evidence": {"norm": "l2"},
                              "scope": "theorem"}, rec) is None
    p = margin_prediction({"id": "kkt:l2", "verdict": "verified", "evidence": {"norm": "l2"}, "scope": "theorem"}, rec)
    assert p["kind"] == "paper" and p["expected"] == "verified" and "KKT direction" in p["statement"]


def test_a_direction_that_is_kkt_for_two_norms_is_not_a_contradiction(tmp_path, capsys):
    """Collinear data: the max-margin direction is (1, 1)/norm in every norm, so ngd's direction is
    a KKT direction of the l2 and the l-infinity problems alike; both kkt: claims verified is what
    the instance allows, not 'NOT as the papers predict' (found in review)."""
    import numpy as np
    path = tmp_path / "collinear.npz"
    np.savez(path, X=np.array([[1.0, 1.0], [2.0, 2.0]]), y=np.array([1.0, 1.0]))
    code = main(["margin", "--model", "binary", "--problem", str(path), "--optimizer", "ngd", "--claim", "kkt:l2",
                 "--claim", "kkt:linf", "--steps", "3000", "-q", "--json"])
    rec = json.loads(capsys.readouterr().out)
    by_id = {c["id"]: c for c in rec["claims"]}
    assert by_id["kkt:l2"]["verdict"] == by_id["kkt:linf"]["verdict"] == "verified" and code == 0
    assert by_id["kkt:linf"]["evidence"]["indistinguishable_from"] == {"l2": "both KKT claims verified"}
    assert all(c["scope"] == "outside_theorem" and c["prediction"]["kind"] == "extension" for c in rec["claims"])
    assert not rec["summary"].startswith("NOT") and predicted_exit_status(rec["claims"]) == 0
