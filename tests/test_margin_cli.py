"""``dspgd-verify margin`` on the command line: bad input exits 2 with one line; a run's
JSON follows the ``claims`` format of ``check``.

Every bad-input row carries ``--steps 50`` so a row the product wrongly accepts ends fast
and fails the test instead of running a long verification.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from verify.cli.app import main

GUARD = ("--steps", "50")


def nonseparable(tmp: Path) -> str:
    path = tmp / "ns.npz"
    np.savez(path, X=np.array([[1.0, 0.0], [1.0, 0.0]]), y=np.array([1.0, -1.0]))
    return str(path)


def wrong_arrays(tmp: Path) -> str:
    path = tmp / "w.npz"
    np.savez(path, A=np.ones(3))
    return str(path)


def with_nan(tmp: Path) -> str:
    path = tmp / "nan.npz"
    np.savez(path, X=np.array([[np.nan, 1.0], [1.0, 2.0]]), y=np.array([1.0, -1.0]))
    return str(path)


def not_npz(tmp: Path) -> str:
    path = tmp / "x.npz"
    path.write_text("not a zip")
    return str(path)


ROWS = [
    (["--optimizer", "rmsprop"], "unknown optimizer"),
    (["--optimizer", "ngd", "--ratio", "0"], "--ratio"),
    (["--optimizer", "ngd", "--ratio", "-2"], "--ratio"),
    (["--optimizer", "ngd", "--ratio", "abc"], "--ratio"),
    (["--optimizer", "ngd", "--ratio", "__import__('os')"], "--ratio"),
    (["--optimizer", "ngd", "--lr", "0"], "--lr"),
    (["--optimizer", "ngd", "--lr", "nan"], "--lr"),
    (["--optimizer", "ngd", "--lr", "inf"], "--lr"),
    (["--optimizer", "ngd", "--alpha", "2"], "--alpha"),
    (["--optimizer", "ngd", "--alpha", "-0.5"], "--alpha"),
    (["--optimizer", "adam", "--beta2", "1"], "--beta2"),
    (["--optimizer", "adam", "--beta1", "0.99", "--beta2", "0.9"], "beta1 <= beta2"),
    (["--optimizer", "signum", "--beta1", "-0.1"], "--beta1"),
    (["--optimizer", "ngd", "--tol", "0"], "--tol"),
    (["--optimizer", "ngd", "--tol", "2"], "--tol"),
    (["--optimizer", "ngd", "--steps", "0"], "--steps"),
    (["--optimizer", "ngd", "--steps", "ten"], "--steps"),
    (["--optimizer", "ngd", "--n", "1"], "--n"),
    (["--optimizer", "ngd", "--n", "100000"], "--n"),
    (["--optimizer", "ngd", "--d", "0"], "--d"),
    (["--optimizer", "ngd", "--model", "mlp"], "--model"),
    (["--optimizer", "muon", "--model", "binary"], "needs the multiclass model"),
    (["--optimizer", "muon-sign", "--model", "multiclass"], "needs the hybrid model"),
    (["--optimizer", "ngd", "--model", "multiclass", "--k", "1"], "k >= 2"),
    (["--optimizer", "ngd", "--claim", "margin:l3"], "--claim"),
    (["--optimizer", "ngd", "--claim", "margin:hybrid:0"], "ratio"),
    (["--optimizer", "ngd", "--solver", "NOPE"], "--solver"),
    (["--optimizer", "ngd", "--timeout", "-1"], "--timeout"),
    (["--optimizer", "ngd", "--model", "binary", "--problem", "@nonseparable"], "not linearly separable"),
    (["--optimizer", "ngd", "--model", "binary", "--problem", "@wrong_arrays"], "missing array"),
    (["--optimizer", "ngd", "--model", "binary", "--problem", "@with_nan"], "NaN"),
    (["--optimizer", "ngd", "--model", "binary", "--problem", "@not_npz"], "not an .npz archive"),
    (["--optimizer", "ngd", "--problem", "/nonexistent/p.npz"], "cannot read"),
    (["--optimizer", "ngd", "--problem", "@wrong_arrays", "--n", "4"], "excludes"),
    (["--problem", "@wrong_arrays"], "needs --optimizer"),
    (["--optimizer", "ngd", "--d", "100", "--k", "10"], "too large"),
]
BUILDERS = {"@nonseparable": nonseparable, "@wrong_arrays": wrong_arrays, "@with_nan": with_nan,
            "@not_npz": not_npz}


@pytest.mark.parametrize("argv,needle", ROWS, ids=[" ".join(r[0])[:60] for r in ROWS])
def test_bad_input_exits_2_with_one_line(argv, needle, tmp_path, capsys):
    argv = [BUILDERS[a](tmp_path) if a in BUILDERS else a for a in argv]
    status = main(["margin", *argv, *GUARD])
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert needle in err, err


def test_margin_json_follows_the_claims_format(capsys):
    status = main(["margin", "--optimizer", "ngd", "--steps", "300", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in rec["claims"]] == ["margin:l2", "margin:linf", "margin:spectral", "margin:hybrid"]
    for c in rec["claims"]:
        assert set(c) >= {"id", "verdict", "reason", "evidence", "error_bound"}
    assert rec["optimizer"]["predicted_norm"] == "l2" and rec["problem"]["kind"] == "multiclass"
    assert status == 3  # 300 steps: too few to tell, said so


def test_claim_restricts_the_report_and_the_exit_status(capsys):
    status = main(["margin", "--optimizer", "ngd", "--steps", "20000", "--lr", "0.05",
                   "--claim", "margin:l2", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in rec["claims"]] == ["margin:l2"]
    assert rec["claims"][0]["verdict"] == "verified" and status == 0


def test_text_table(capsys):
    main(["margin", "--optimizer", "sign", "--steps", "300"])
    out = capsys.readouterr().out
    assert "paper 2 predicts linf" in out and "margin:linf" in out and "exit status 3" in out
