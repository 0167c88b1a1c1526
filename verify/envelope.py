"""The one JSON shape of every command (docs/json.md): the envelope and the claim keys.

Envelope (every command's ``--json``)::

    {"schema_version": "2.0", "tool": {"name": "dspgd-verify", "version": V},
     "command": "check", "argv": [...], "exit_status": 0, ...the command's payload...}

``check`` and ``margin`` add ``strict_exit_status`` (the verdicts alone) and ``summary`` (the
headline's last line).  A claim has the same keys everywhere::

    {"id", "lr", "lr_fraction", "verdict", "error_bound", "exact", "reason", "evidence", "prediction"}

``lr`` is the absolute learning rate as a decimal string and ``lr_fraction`` the fraction of
``2/(beta L sigma_max^2)`` it was given as (null where not applicable, e.g. ``lr_dependence``);
``error_bound`` is a decimal string (``"0"`` with ``exact = true`` for a symbolic proof) or null
when there is none; ``prediction`` is :mod:`verify.predictions`' (null when nothing predicts it).
The JSON Schema is ``verify/schema/output.schema.json`` (``dspgd-verify schema``).
"""
from __future__ import annotations

from functools import lru_cache

import json
from importlib import resources

from .predictions import check_prediction, margin_prediction, predicted_exit_status, summary_line
from .verdict import exit_status as strict_exit_status

SCHEMA_VERSION = "2.0"
CLAIM_KEYS = ("id", "lr", "lr_fraction", "verdict", "error_bound", "exact", "reason", "evidence", "prediction")


@lru_cache(maxsize=1)
def tool_version() -> str:
    """The installed distribution's version, else the source tree's :data:`verify.__version__`
    (read once per process: the metadata lookup scans the installed distributions)."""
    try:
        from importlib.metadata import version
        return version("dspgd-verify")
    except Exception:  # not installed (running from a source tree)
        from ._version import __version__
        return __version__


def tool() -> dict:
    return {"name": "dspgd-verify", "version": tool_version()}


def normalize_claim(claim: dict, lr_fractions: dict | None = None) -> dict:
    """``claim`` with every key of :data:`CLAIM_KEYS` (values kept; ``"exact"`` -> ``"0"``)."""
    eb = claim.get("error_bound")
    exact = bool(claim.get("exact", False)) or eb == "exact"
    lr = claim.get("lr")
    out = {"id": claim["id"], "lr": lr,
           "lr_fraction": claim.get("lr_fraction", (lr_fractions or {}).get(lr)),
           "verdict": claim["verdict"], "error_bound": "0" if eb == "exact" else eb, "exact": exact,
           "reason": claim.get("reason", ""), "evidence": claim.get("evidence", {}),
           "prediction": claim.get("prediction")}
    if "scope" in claim:  # margin claims: inside paper 2's theorem or outside it (docs/json.md)
        out["scope"] = claim["scope"]
    return out


def complete_check_record(record: dict) -> dict:
    """A ``check`` record with normalized claims and their predictions (in place; returned)."""
    s = record.get("settings", {})
    fractions = dict(zip(s.get("lrs", []), s.get("lr_fractions", [])))
    record["claims"] = [normalize_claim(c, fractions) for c in record["claims"]]
    for c in record["claims"]:
        c["prediction"] = check_prediction(c, record)
    return record


def complete_margin_record(record: dict) -> dict:
    """A ``margin`` record with normalized claims and their predictions (in place; returned)."""
    record["claims"] = [normalize_claim(c) for c in record["claims"]]
    for c in record["claims"]:
        c["prediction"] = margin_prediction(c, record)
    return record


def claims_of(records: list[dict]) -> list[dict]:
    return [c for r in records for c in r["claims"]]


def statuses(records: list[dict], strict: bool = False) -> tuple[int, int]:
    """``(exit_status, strict_exit_status)`` of some check or margin records."""
    claims = claims_of(records)
    s = strict_exit_status(claims)
    return (s if strict else predicted_exit_status(claims)), s


def envelope(command: str, payload: dict, exit_status: int, argv: list[str] | None = None) -> dict:
    """The envelope's keys first, then the payload's (a payload's own ``tool`` is replaced)."""
    out = {"schema_version": SCHEMA_VERSION, "tool": tool(), "command": command,
           "argv": list(argv) if argv is not None else None, "exit_status": exit_status}
    out.update({k: v for k, v in payload.items() if k not in out})
    return out


def results_envelope(command: str, records: list[dict], exit_status: int, strict_status: int,
                     argv: list[str] | None = None, shared: tuple = ()) -> dict:
    """``check``/``margin``: one record is the payload itself; several go under ``results`` with
    the keys in ``shared`` (e.g. ``problem``, ``settings``) lifted from the first."""
    extra = {"strict_exit_status": strict_status, "summary": summary_line(records)}
    if len(records) == 1:
        return envelope(command, {**extra, **records[0]}, exit_status, argv)
    payload = {**extra, **{k: records[0][k] for k in shared if k in records[0]}, "results": records}
    return envelope(command, payload, exit_status, argv)


def schema() -> dict:
    """The JSON Schema every command's ``--json`` output validates against."""
    text = resources.files("verify").joinpath("schema/output.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
