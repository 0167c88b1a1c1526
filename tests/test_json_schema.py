"""Every command's ``--json`` validates against the shipped JSON Schema (``dspgd-verify schema``).

The schema is read from the package (``verify/schema/output.schema.json``) through the
``schema`` command itself; negative controls show the validator rejects a claim with the old
``"exact"`` error bound, a missing ``lr_fraction`` and a missing envelope key.
"""
from __future__ import annotations

import copy
import json

import pytest

jsonschema = pytest.importorskip("jsonschema")

from verify.cli import main  # noqa: E402

SMALL = ["--n", "2", "--d", "4", "--k", "1", "--dps", "30"]


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(scope="module")
def validator():
    import io
    import contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["schema"]) == 0
    schema = json.loads(buf.getvalue())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _valid(validator, obj) -> None:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


def test_check_headline_validates_and_every_claim_has_the_same_keys(validator, headline_small):
    code, out = headline_small
    _valid(validator, out)
    assert out["command"] == "check" and out["schema_version"] == "2.0" and out["exit_status"] == code
    assert out["tool"]["name"] == "dspgd-verify" and out["argv"][0] == "check"
    keys = {tuple(sorted(c)) for r in out["results"] for c in r["claims"]}
    assert len(keys) == 1
    for r in out["results"]:
        for c in r["claims"]:
            if c["id"] == "convergence":
                assert c["lr_fraction"] in ("0.45", "0.9") and float(c["error_bound"]) > 0
            if c["id"] == "assumptions":
                assert c["exact"] is True and c["error_bound"] == "0" and c["lr"] is None


def test_check_single_and_stopped_records_validate(validator, capsys):
    code, out = _run(capsys, ["check", "--preconditioner", "quadratic", *SMALL, "--json"])
    _valid(validator, out)
    assert "results" not in out and out["preconditioner"]["name"] == "quadratic"
    code, out = _run(capsys, ["check", "--K", "-log(1 + r**2)", "--structure", "isotropic", *SMALL, "--json"])
    _valid(validator, out)
    assert "stopped" in out and code == 1


def test_margin_single_and_headline_validate(validator, capsys):
    code, out = _run(capsys, ["margin", "--optimizer", "ngd", "--steps", "300", "--json"])
    _valid(validator, out)
    assert out["command"] == "margin" and out["claims"][0]["lr"] is None and out["claims"][0]["lr_fraction"] is None
    code, out = _run(capsys, ["margin", "--steps", "300", "--json"])
    _valid(validator, out)
    assert len(out["results"]) == 6


def test_lr_study_proofs_catalog_selftest_sweep_validate(validator, capsys, tmp_path):
    for argv in (["lr-study", "--preconditioner", "adam", "--n", "1", "--d", "3", "--k", "1", "--dps", "20",
                  "--fractions", "0.2,0.4", "--json"],
                 ["proofs", "--only", "I1", "--json"],
                 ["catalog", "--json"],
                 ["selftest", "--only", "adam-limit-is-gd", "--json"],
                 ["sweep", "--preconditioners", "gd", "--sizes", "2x4x1", "--seeds", "0", "--jobs", "1",
                  "--out", str(tmp_path / "s.csv"), "--json"]):
        code, out = _run(capsys, argv)
        _valid(validator, out)
        assert out["command"] == argv[0] and out["exit_status"] == code


def test_the_schema_rejects_the_old_shapes(validator, headline_small):
    _, out = headline_small
    rec = out["results"][0]
    bad = copy.deepcopy(out)
    bad["results"][0]["claims"][-1]["error_bound"] = "exact"  # the old mixed column
    assert not validator.is_valid(bad)
    bad = copy.deepcopy(out)
    del bad["results"][0]["claims"][0]["lr_fraction"]
    assert not validator.is_valid(bad)
    bad = copy.deepcopy(out)
    del bad["exit_status"]
    assert not validator.is_valid(bad)
    assert validator.is_valid(out) and rec["claims"]


def test_a_stopped_lr_study_validates_against_the_schema():
    """lr-study whose --K preparation ran out of --timeout: the envelope with ``stopped`` and exit 3."""
    import jsonschema

    from verify.envelope import envelope, schema
    out = envelope("lr-study", {"stopped": "SymPy did not finish within the 5 s of --timeout"}, 3, ["lr-study"])
    jsonschema.validate(out, schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**out, "exit_status": 0}, schema())
