"""The CLI on real (small) runs: the JSON contract of docs/json.md and the exit statuses."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli.app import main

SMALL = ["--n", "3", "--d", "6", "--k", "1", "--dps", "30"]


def run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_and_exit_0(capsys):
    code, out, err = run(capsys, ["check", "--preconditioner", "gd", *SMALL, "--json"])
    assert code == 0, err
    rec = json.loads(out)
    assert rec["tool"]["name"] == "dspgd-verify"
    pre = rec["preconditioner"]
    for key in ("name", "params", "structure", "K", "isotropic", "row_space_preserving", "convex", "L", "mu0"):
        assert key in pre
    assert pre["convex"] == "proved" and pre["isotropic"] is True
    assert {k: rec["problem"][k] for k in ("n", "d", "k", "loss", "seed")} == \
        {"n": 3, "d": 6, "k": 1, "loss": "square", "seed": 0}
    from numeric.backends.flint_loop import available  # --backend auto: flint when python-flint is installed
    assert rec["settings"]["dps"] == 30 and rec["settings"]["backend"] == ("flint" if available() else "mpmath")
    assert len(rec["settings"]["lrs"]) == 2
    ids = {c["id"] for c in rec["claims"]}
    assert ids == {"convergence", "isotropic_bias", "row_space_bias", "general_bound", "lr_dependence", "assumptions"}
    for c in rec["claims"]:
        assert c["verdict"] in ("verified", "refuted", "inconclusive", "not_applicable")
        assert isinstance(c["evidence"], dict) and "reason" in c
        if c["id"] == "convergence":
            float(c["error_bound"])  # decimal strings
            assert isinstance(c["evidence"]["residual"], str)


def test_refuted_claim_exits_1(capsys):
    code, out, _ = run(capsys, ["check", "--preconditioner", "adam", *SMALL, "--lr-frac", "0.9",
                                "--claim", "limit=gd", "--json"])
    assert code == 1
    rec = json.loads(out)
    assert [c["verdict"] for c in rec["claims"] if c["id"] == "claim:limit=gd"] == ["refuted"]


def test_budget_too_small_is_inconclusive_exit_3(capsys):
    code, out, _ = run(capsys, ["check", "--preconditioner", "ngd", *SMALL, "--max-iter", "3", "--json"])
    assert code == 3
    conv = [c for c in json.loads(out)["claims"] if c["id"] == "convergence"]
    assert all(c["verdict"] == "inconclusive" and c["evidence"]["stop_reason"] == "max_iter" for c in conv)


def test_learning_rate_above_stable_range_is_refuted(capsys):
    # GD with eta = 10 / 1 far above 2/sigma_max^2: the residual blows up, a concrete counterexample
    code, out, _ = run(capsys, ["check", "--preconditioner", "gd", *SMALL, "--lr", "10", "--json"])
    assert code == 1
    conv = [c for c in json.loads(out)["claims"] if c["id"] == "convergence"][0]
    assert conv["verdict"] == "refuted" and conv["evidence"]["stop_reason"] == "diverged"
    hist = [float(v) for _, v in conv["evidence"]["residual_history"]]
    assert hist[-1] > 1e20 * hist[0]


def test_user_bound_claim(capsys):
    code, out, _ = run(capsys, ["check", "--preconditioner", "sign", *SMALL, "--lr-frac", "0.9",
                                "--claim", "bound:c=1", "--claim", "bound:c=100", "--json"])
    claims = {c["id"]: c for c in json.loads(out)["claims"]}
    c_emp = float(claims["claim:bound:c=1"]["evidence"]["c_empirical"])
    assert c_emp > 1  # entrywise K leaves the row space on a random problem
    assert claims["claim:bound:c=1"]["verdict"] == "refuted"
    assert claims["claim:bound:c=100"]["verdict"] == "verified"


def test_catalog(capsys):
    code, out, _ = run(capsys, ["catalog", "--json"])
    assert code == 0
    names = [e["name"] for e in json.loads(out)["catalog"]]
    assert names == ["gd", "ngd", "clip", "adam", "sign", "muon", "clipv", "quadratic"]
    code, out, _ = run(capsys, ["catalog"])
    assert code == 0 and "quadratic" in out


def test_headline_run_through_the_console_script():
    """`dspgd-verify check` with no arguments: every catalogue entry, all claims, a table."""
    beside = Path(sys.executable).with_name("dspgd-verify")  # the venv's script, activated or not
    exe = str(beside) if beside.exists() else "dspgd-verify"
    proc = subprocess.run([exe, "check"], capture_output=True, text=True, timeout=600)
    # deliberate change (issue 16): every outcome is as the papers predict -> exit 0, not 1
    # (quadratic's lr_dependence is refuted, the planted counterexample to paper 1's Claim D)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith("every outcome as the papers predict")
    assert proc.stderr == ""
    for name in ("gd", "ngd", "clip", "adam", "sign", "muon", "clipv", "quadratic"):
        assert f"\n{name} " in proc.stdout
    assert "exit status" in proc.stdout
    assert "Traceback" not in proc.stdout
