"""Planted false claims must be refuted, true controls verified (issue 8), and the certificate
re-checks must be what catches some of them (mutation check).

The table is :data:`verify.selftest.PLANTED`, the same one ``dspgd-verify selftest`` runs.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from verify.selftest import planted as S
from verify._recheck_hook import rechecks_disabled, rechecks_enabled
from verify.cli.app import main

RUNNABLE = [c for c in S.PLANTED if not isinstance(c.run, S.Pending)]
FALSE = [c for c in RUNNABLE if c.expect == "refuted"]
TRUE = [c for c in RUNNABLE if c.expect == "verified"]


def test_table_is_large_enough_and_ids_unique():
    ids = [c.id for c in S.PLANTED]
    assert len(ids) == len(set(ids))
    assert len(FALSE) >= 25
    assert len(TRUE) >= 10


def test_no_case_is_pending():
    """The paper-2 case waited for ``margin`` (issue 6); it runs now."""
    assert not [c.id for c in S.PLANTED if isinstance(c.run, S.Pending)]
    assert S.run_case(S.Planted("p", "p", "-", "refuted", S.Pending("later"))).pending


@pytest.mark.parametrize("case", FALSE, ids=[c.id for c in FALSE])
def test_false_claim_is_refuted_with_a_reason(case):
    r = S.run_case(case)
    assert r.outcome.verdict != "verified", f"FALSE CLAIM VERIFIED: {case.statement}: {r.outcome.reason}"
    assert r.outcome.verdict == "refuted", (r.outcome.verdict, r.outcome.reason)
    assert r.behaves and r.outcome.reason.strip()


@pytest.mark.parametrize("case", TRUE, ids=[c.id for c in TRUE])
def test_true_control_is_verified_and_states_its_precision(case):
    r = S.run_case(case)
    assert r.outcome.verdict == "verified", (r.outcome.verdict, r.outcome.reason)
    assert S.states_precision(r.outcome), r.outcome.precision
    assert r.behaves


def test_states_precision_rejects_a_verdict_without_dps_or_bound():
    bare = S.Outcome("verified", "x", {"verdicts": [{"error_bound": "1e-30", "dps": None, "rerun_dps": None}]})
    assert not S.states_precision(bare)
    nobound = S.Outcome("verified", "x", {"verdicts": [{"error_bound": None, "dps": 30, "rerun_dps": 50}]})
    assert not S.states_precision(nobound)
    assert S.states_precision(S.Outcome("verified", "x", {"verdicts": [{"error_bound": "1e-30", "dps": 30,
                                                                        "rerun_dps": 50}]}))


def test_a_crashing_case_is_an_error_never_a_pass():
    def boom():
        raise RuntimeError("planted crash")
    bad = S.Planted("crash", "crashes", "test", "refuted", boom)
    r = S.run_case(bad)
    assert r.outcome.verdict == "error" and not r.behaves


# ----------------------------------------------------------------------------- mutation check
LOAD_BEARING = ("quadratic-limit-depends-on-eta", "ngd-limit-depends-on-eta")


def test_mutation_rechecks_are_load_bearing():
    """With the rerun at P + 20 digits and the tail bound switched off, two limits that differ
    only by rounding noise (about 1e-25 at 30 digits) look like a certified difference, so the
    false "the limit depends on eta" claims of a quadratic and an isotropic K come out
    *verified*.  With the hook off again they are refuted."""
    cases = [c for c in FALSE if c.id in LOAD_BEARING]
    assert rechecks_enabled()
    with rechecks_disabled():
        assert not rechecks_enabled()
        mutated = [S.run_case(c) for c in cases]
    assert rechecks_enabled()
    slipped = [r for r in mutated if r.outcome.verdict != "refuted"]
    assert slipped, [(r.case.id, r.outcome.verdict) for r in mutated]
    assert any(r.outcome.verdict == "verified" for r in slipped)
    again = [S.run_case(c) for c in cases]
    assert all(r.outcome.verdict == "refuted" for r in again), [(r.case.id, r.outcome.reason) for r in again]


def test_mutation_check_over_the_table_finds_the_slips():
    slipped = {r.case.id for r in S.mutation_check() if r.outcome.verdict != "refuted"}
    assert set(LOAD_BEARING) <= slipped
    assert rechecks_enabled()


def test_hook_is_reset_after_an_exception():
    with pytest.raises(ValueError):
        with rechecks_disabled():
            raise ValueError("inside")
    assert rechecks_enabled()


def test_hook_is_not_on_the_cli_path():
    """Only the selftest module imports the hook's switch; the CLI and the check never enter it."""
    root = Path(__file__).resolve().parents[1]
    users = []
    for path in list((root / "verify").rglob("*.py")) + list((root / "numeric").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "rechecks_disabled":
                users.append(path.name)
    assert set(users) <= {"_recheck_hook.py", "planted.py"}, users


# ----------------------------------------------------------------------------- the command
def test_selftest_command_prints_the_counts(capsys):
    rc = main(["selftest", "--only", "adam-limit-is-gd", "--only", "gd-limit-is-gd",
               "--only", "nonsymmetric-linear-map-is-gradient", "--only", "four-point-identity"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "false claims refuted 2/2" in out
    assert "true controls verified 2/2" in out


def test_selftest_command_fails_when_a_case_misbehaves(monkeypatch, capsys):
    """A 'false' claim that is in fact true (GD's limit is W_GD) cannot be refuted: exit 1."""
    wrong = replace(next(c for c in S.PLANTED if c.id == "gd-limit-is-gd"), id="planted-wrongly", expect="refuted")
    monkeypatch.setattr(S, "PLANTED", (wrong,))
    rc = main(["selftest"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "false claims refuted 0/1" in out and "WARNING: 1 false claim(s) came out verified" in out


def test_selftest_unknown_case_is_bad_input(capsys):
    rc = main(["selftest", "--only", "no-such-case"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "unknown case" in err
