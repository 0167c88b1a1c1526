"""Results of the public API: verdicts by id, exit status, JSON, a table, figures, notebook HTML.

:class:`Result` wraps the records of ``check``, ``margin`` or ``lr-study`` (the same JSON as
``--json``); :class:`ProofResult` the outcomes of ``prove``.
"""
from __future__ import annotations

import html
from fractions import Fraction
from typing import Any

from numeric.errors import InputError

from ..envelope import envelope, results_envelope, statuses
from ..predictions import as_predicted, summary_line


def _float(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


class Result:
    """The outcome of :func:`verify.check`, :func:`verify.margin` or :func:`verify.lr_study`.

    ``records``: one JSON record per preconditioner / optimizer (docs/json.md); ``histories``:
    the iteration histories behind the figures (check only); ``study``: the lr-study object.
    """

    def __init__(self, command: str, records: list[dict], histories: list[dict] | None = None, *,
                 strict: bool = False, study: Any = None) -> None:
        self.command = command
        self.records = records
        self.histories = histories or [{} for _ in records]
        self.strict = strict
        self.study = study

    # ----------------------------------------------------------------- verdicts and status
    @property
    def claims(self) -> list[dict]:
        """Every claim of every record (each with ``who``: the preconditioner or optimizer)."""
        return [{**c, "who": self._who(r)} for r in self.records for c in r.get("claims", [])]

    @staticmethod
    def _who(r: dict) -> str:
        return (r.get("preconditioner") or r.get("optimizer") or {}).get("name", "")

    def verdict(self, id: str, lr: Any = None, who: str | None = None) -> str:
        """The verdict of claim ``id``; ``lr`` picks a learning rate by its label (``"0.0195"``) or
        fraction (``0.45``, ``"9/10"``, ``Fraction(9, 10)``); ``who`` a preconditioner or optimizer
        when there are several.  ValueError when none or several claims match."""
        found = [c for c in self.claims if c["id"] == id and (who is None or c["who"] == who)]
        if lr is not None:
            found = [c for c in found if self._lr_matches(c, lr)]
        if len(found) != 1:
            choices = sorted({(c["who"], c["id"], c.get("lr_fraction") or c.get("lr") or "-") for c in self.claims
                              if c["id"] == id})
            what = "no claim" if not found else f"{len(found)} claims"
            raise ValueError(f"{what} match id={id!r}, lr={lr!r}, who={who!r}; "
                             f"choose among (who, id, lr): {choices[:12]}")
        return found[0]["verdict"]

    @staticmethod
    def _lr_matches(c: dict, lr: Any) -> bool:
        if c.get("lr") is None:
            return False
        if isinstance(lr, str) and lr == c["lr"]:
            return True
        try:
            want = Fraction(lr) if not isinstance(lr, float) else Fraction(str(lr))
        except (TypeError, ValueError):
            return False
        frac = c.get("lr_fraction")
        return (frac is not None and Fraction(frac) == want) or Fraction(c["lr"]) == want

    @property
    def exit_status(self) -> int:
        """As the command line's: 0 every outcome as the papers predict, 1 one against its
        prediction (or a refuted claim nothing predicts), 3 inconclusive (strict with
        ``strict=True``); lr-study: 0 a slope was fitted (or none is defined), 3 otherwise."""
        if self.command == "lr-study":
            rec = self.records[0]
            return 0 if (rec["preconditioner"]["row_space_preserving"] or rec.get("fit")) else 3
        return statuses(self.records, self.strict)[0]

    @property
    def strict_exit_status(self) -> int:
        return statuses(self.records, True)[0] if self.command != "lr-study" else self.exit_status

    @property
    def summary(self) -> str:
        """The headline's last line (every outcome as the papers predict, or what is not)."""
        return summary_line(self.records) if self.command != "lr-study" else ""

    # ----------------------------------------------------------------- outputs
    def to_json(self) -> dict:
        """The command line's ``--json`` object (validates against ``dspgd-verify schema``)."""
        if self.command == "lr-study":
            return envelope("lr-study", self.records[0], self.exit_status)
        shared = ("problem", "settings") if self.command == "check" else ()
        return results_envelope(self.command, self.records, self.exit_status, self.strict_exit_status,
                                None, shared=shared)

    def rows(self) -> list[dict]:
        """One row per claim (lr-study: one per learning rate), numbers as floats."""
        if self.command == "lr-study":
            return [{"fraction": _float(p["fraction"]), "eta": _float(p["eta"]), "distance": _float(p["distance"]),
                     "error_bound": _float(p["error_bound"]), "iterations": p["iterations"],
                     "stop_reason": p["stop_reason"], "resolved": p["resolved"]} for p in self.records[0]["points"]]
        rows = []
        for c in self.claims:
            p = c.get("prediction") or {}
            rows.append({"who": c["who"], "claim": c["id"], "lr": _float(c.get("lr")),
                         "lr_fraction": _float(c.get("lr_fraction")), "verdict": c["verdict"],
                         "error_bound": _float(c.get("error_bound")), "exact": bool(c.get("exact")),
                         "predicted": p.get("expected"), "as_predicted": as_predicted(c), "reason": c["reason"]})
        return rows

    def to_dataframe(self):
        """A pandas DataFrame of :meth:`rows` (numeric columns are float dtype)."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("to_dataframe needs pandas: pip install pandas") from None
        df = pd.DataFrame(self.rows())
        for col in ("lr", "lr_fraction", "error_bound", "fraction", "eta", "distance"):
            if col in df:
                df[col] = pd.to_numeric(df[col]).astype(float)
        return df

    def plot(self):
        """The figures as matplotlib Figures: check, ``{who: {name: Figure}}``; lr-study, one Figure."""
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError("plot needs matplotlib: pip install matplotlib") from None
        if self.command == "lr-study":
            from ..lr_study import lr_study_figure
            return lr_study_figure(self.study, as_figure=True)
        if self.command != "check":
            raise InputError("plot: margin results have no figures yet")
        from ..report.figures import check_figures
        return {self._who(r): check_figures(r, h, as_figures=True) for r, h in zip(self.records, self.histories)}

    def _repr_html_(self) -> str:
        e = html.escape
        head = f"<p><b>dspgd-verify {e(self.command)}</b>: exit status {self.exit_status}"
        if self.summary:
            head += f" &mdash; {e(self.summary)}"
        head += "</p>"
        rows = self.rows()
        if not rows:
            return head
        cols = list(rows[0])
        colour = {"verified": "#e6f4ea", "refuted": "#fce8e6", "inconclusive": "#fef7e0"}
        body = "".join(
            f"<tr style='background:{colour.get(r.get('verdict'), 'none')}'>"
            + "".join(f"<td>{e('' if r[c] is None else (f'{r[c]:.3g}' if isinstance(r[c], float) else str(r[c])))}"
                      "</td>" for c in cols) + "</tr>" for r in rows)
        return (head + "<table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr></thead><tbody>"
                + body + "</tbody></table>")

    def __repr__(self) -> str:
        return f"<verify.Result {self.command}: {len(self.claims)} claims, exit status {self.exit_status}>"


class ProofResult:
    """The outcome of :func:`verify.prove`: one status per result (proved, verified, failed, unknown)."""

    def __init__(self, outcomes: list, preconditioner: str) -> None:
        self.outcomes = outcomes
        self.preconditioner = preconditioner

    def verdict(self, id: str, lr: Any = None) -> str:
        """The status of result ``id`` (``lr`` is not used by proofs)."""
        for o in self.outcomes:
            if o.result.id == id:
                return o.status
        raise ValueError(f"no result {id!r}; ran: {', '.join(o.result.id for o in self.outcomes)}")

    @property
    def exit_status(self) -> int:
        return 1 if any(o.status == "failed" for o in self.outcomes) else 0

    def to_json(self) -> dict:
        return envelope("proofs", {"preconditioner": self.preconditioner,
                                   "results": [o.to_json() for o in self.outcomes]}, self.exit_status)

    def rows(self) -> list[dict]:
        return [{"id": o.result.id, "status": o.status, "method": o.method, "seconds": round(o.seconds, 3),
                 "statement": o.result.text} for o in self.outcomes]

    def to_dataframe(self):
        import pandas as pd
        return pd.DataFrame(self.rows())

    def plot(self):
        raise InputError("proof results have no figures")

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td>{e(r['id'])}</td><td>{e(r['status'])}</td><td>{e(r['method'])}</td>"
                       f"<td>{r['seconds']}</td><td>{e(r['statement'])}</td></tr>" for r in self.rows())
        return (f"<p><b>dspgd-verify proofs</b> (K: {e(str(self.preconditioner))}): exit status {self.exit_status}</p>"
                "<table><thead><tr><th>id</th><th>status</th><th>method</th><th>seconds</th><th>statement</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>")

    def __repr__(self) -> str:
        return f"<verify.ProofResult: {len(self.outcomes)} results, exit status {self.exit_status}>"
