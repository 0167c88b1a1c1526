"""Precision is private to each run, and too little precision yields `inconclusive`."""
from __future__ import annotations

from fractions import Fraction

import mpmath

from numeric.precision import working_precision
from numeric.problem import random_problem
from verify.check import Settings, check_by_name
from verify.runs import LearningRate


def test_global_mpmath_precision_untouched():
    before = (mpmath.mp.prec, mpmath.mp.dps)
    with working_precision(80) as ctx:
        assert ctx.dps == 80
        assert mpmath.mp.dps == before[1]
    problem = random_problem(2, 4, 1, seed=3)
    check_by_name(problem, "adam", {}, Settings(dps=40, lrs=(LearningRate("frac", Fraction(9, 10)),)))
    assert (mpmath.mp.prec, mpmath.mp.dps) == before


def test_low_precision_gives_inconclusive_not_verified():
    """At dps 15 the error bound (about 1e-9) cannot resolve the 1e-20 tolerance of W_inf = W_GD."""
    problem = random_problem(3, 6, 1, seed=1)
    rec = check_by_name(problem, "ngd", {}, Settings(dps=15, lrs=(LearningRate("frac", Fraction(9, 10)),))).record
    bias = [c for c in rec["claims"] if c["id"] == "isotropic_bias"]
    assert [c["verdict"] for c in bias] == ["inconclusive"]
    assert float(bias[0]["error_bound"]) > 1e-20
    rec = check_by_name(problem, "ngd", {}, Settings(dps=40, lrs=(LearningRate("frac", Fraction(9, 10)),))).record
    assert [c["verdict"] for c in rec["claims"] if c["id"] == "isotropic_bias"] == ["verified"]


def test_rerun_precision_is_reported():
    problem = random_problem(2, 4, 1, seed=0)
    rec = check_by_name(problem, "gd", {}, Settings(dps=30, lrs=(LearningRate("frac", Fraction(1, 2)),))).record
    conv = next(c for c in rec["claims"] if c["id"] == "convergence")
    assert conv["evidence"]["dps"] == 30 and conv["evidence"]["rerun_dps"] == 50
    assert float(conv["evidence"]["rounding_difference"]) < 1e-25


# ----------------------------------------------------------------------------- issue 8: rounding
import json  # noqa: E402

import pytest  # noqa: E402

from numeric.backends.mpmath_loop import run_dspgd  # noqa: E402
from verify import runs as runs_module  # noqa: E402
from verify.cli.app import main  # noqa: E402

SMALL_ARGS = ["--n", "2", "--d", "5", "--k", "1", "--lr-frac", "0.9", "--json"]


def _claims(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr().out
    return rc, json.loads(out)["claims"]


def test_cli_dps_15_on_a_claim_needing_1e_20_is_inconclusive(capsys):
    """``--dps 15``: the error bound (about 1e-9) cannot resolve ``--tol 1e-20``, so the true
    claim ``limit=gd`` for GD is ``inconclusive`` (exit 3), never ``verified``; at 30 digits it
    is verified."""
    rc, claims = _claims(capsys, ["check", "--preconditioner", "gd", "--claim", "limit=gd", "--dps", "15",
                                  *SMALL_ARGS])
    limit = [c for c in claims if c["id"] == "claim:limit=gd"]
    assert [c["verdict"] for c in limit] == ["inconclusive"]
    assert float(limit[0]["error_bound"]) > 1e-20
    assert "exceeds the tolerance" in limit[0]["reason"]
    equalities = [c for c in claims if c["id"] in ("isotropic_bias", "row_space_bias", "general_bound")]
    assert equalities and all(c["verdict"] == "inconclusive" for c in equalities), equalities
    assert rc == 3
    rc, claims = _claims(capsys, ["check", "--preconditioner", "gd", "--claim", "limit=gd", "--dps", "30",
                                  *SMALL_ARGS])
    assert [c["verdict"] for c in claims if c["id"] == "claim:limit=gd"] == ["verified"]
    assert rc == 0


@pytest.mark.parametrize("name", ["gd", "adam", "muon", "quadratic"])
def test_every_verified_states_its_precision_and_the_rerun_agrees(name, capsys):
    """Every ``verified`` carries ``error_bound`` and (unless exact) ``dps`` < ``rerun_dps``;
    the rerun at P + 20 digits agrees with the P-digit run to within the error bound."""
    argv = ["check", "--preconditioner", name, "--n", "2", "--d", "4", "--k", "2", "--dps", "30",
            "--lr-frac", "0.45", "--lr-frac", "0.9", "--claim", "limit=gd", "--json"]
    rc, claims = _claims(capsys, argv)
    verified = [c for c in claims if c["verdict"] == "verified"]
    assert verified
    for c in verified:
        assert c["error_bound"] is not None, c
        if c["exact"]:
            assert c["id"] == "assumptions" and c["error_bound"] == "0"
            continue
        ev = c["evidence"]
        assert ev["dps"] == 30 and ev["rerun_dps"] == 50, c
    for c in claims:
        if c["id"] == "convergence" and c["verdict"] == "verified":
            ev = c["evidence"]
            assert float(ev["rounding_difference"]) <= float(ev["absolute_error_bound"])


def test_rerun_disagreement_makes_verdicts_inconclusive(monkeypatch):
    """If the rerun at P + 20 digits disagrees (here: its last iterate is perturbed by 1e-12, as
    a precision-sensitive computation would), no limit claim may be ``verified``: the rounding
    difference enters the error bound, and ``convergence`` reports the disagreement."""
    def perturbed(xp, pre, eta, **kw):
        traj = run_dspgd(xp, pre, eta, **kw)
        if kw.get("iterations") is not None:
            traj.W[0][0] += xp.ctx.mpf("1e-12")
        return traj
    monkeypatch.setattr(runs_module, "run_dspgd", perturbed)
    problem = random_problem(2, 5, 1, seed=0)
    rec = check_by_name(problem, "ngd", {}, Settings(dps=30, lrs=(LearningRate("frac", Fraction(9, 10)),),
                                                      backend="mpmath")).record
    by_id = {c["id"]: c for c in rec["claims"]}
    assert by_id["convergence"]["verdict"] == "inconclusive"
    assert "disagrees" in by_id["convergence"]["reason"]
    assert by_id["isotropic_bias"]["verdict"] == "inconclusive"
    assert float(by_id["isotropic_bias"]["error_bound"]) > 1e-13
