"""A campaign's journal: the rows of every finished instance, on disk as soon as it finishes.

``sweep --out FILE`` appends each finished instance's rows to ``FILE.partial.csv`` (one
``write`` per instance, flushed and fsynced), so Ctrl-C, SIGTERM or a crash keeps them.  When
the sweep completes, all rows are written to ``FILE.tmp`` and renamed over ``FILE``
(``os.replace``: the finished table appears whole or not at all), and the journal is removed.

``--resume`` reads the rows of ``FILE.partial.csv`` when there is one (an interrupted sweep: it
starts with the rows that sweep resumed from, so it holds everything), else of ``FILE`` (a
finished table, e.g. to add seeds), and skips every instance that already has rows for all the requested
preconditioners; an instance with rows for only some of them is run again and its old rows are
dropped, so the result has no duplicates and equals an uninterrupted run's (up to timings).
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable

from numeric.errors import InputError

from .sweep import COLUMNS, Instance

_INT = ("n", "d", "k", "seed", "iterations")
_FLOAT = ("lr_fraction", "distance", "error_bound", "c_empirical", "seconds")


def journal_path(out: str) -> str:
    """Where the rows of an unfinished ``--out`` table are kept."""
    return out + ".partial.csv"


def typed(row: dict) -> dict:
    """A row read back from CSV with the types :func:`verify.campaign.sweep.rows_from_record` gives
    (empty cells are ``None``)."""
    out = {}
    for key in COLUMNS:
        v = row.get(key)
        if v is None or v == "":
            out[key] = None
        elif key in _INT:
            out[key] = int(float(v))
        elif key in _FLOAT:
            out[key] = float(v)
        else:
            out[key] = v
    return out


def _read_csv(path: str) -> list[dict]:
    with open(path, newline="") as fh:
        text = fh.read()
    if text and not text.endswith("\n"):  # a write cut short by a crash: drop the partial line
        text = text[: text.rfind("\n") + 1]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is not None and list(reader.fieldnames) != list(COLUMNS):
        raise InputError(f"--resume: {path} does not have the columns of a sweep table")
    return [typed(r) for r in reader]


def resumable_rows(out: str) -> list[dict]:
    """The rows ``--resume`` starts from (module docstring)."""
    partial = journal_path(out)
    return read_table(partial) if os.path.exists(partial) else read_table(out)


def read_table(path: str) -> list[dict]:
    """The rows of a finished table (CSV or Parquet) or of a journal; ``[]`` when there is none."""
    if not os.path.exists(path):
        return []
    try:
        if path.endswith(".parquet"):
            import pandas as pd
            df = pd.read_parquet(path)
            df = df[[c for c in df.columns if not c.startswith("param_")]]  # derived from "params"
            if list(df.columns) != list(COLUMNS):
                raise InputError(f"--resume: {path} does not have the columns of a sweep table")
            return [typed({k: (None if v != v else v) for k, v in r.items()}) for r in df.to_dict("records")]
        return _read_csv(path)
    except InputError:
        raise
    except (OSError, ValueError, csv.Error) as exc:
        raise InputError(f"--resume: cannot read {path}: {' '.join(str(exc).split())[:200]}") from None


def complete_rows(rows: Iterable[dict], names: tuple) -> tuple[list[dict], set[tuple]]:
    """The rows of the instances that have rows for every name of ``names``, and those instances
    as ``(n, d, k, seed)``."""
    by_key: dict[tuple, dict[str, list[dict]]] = {}
    for r in rows:
        key = (r["n"], r["d"], r["k"], r["seed"])
        per = by_key.setdefault(key, {})
        per.setdefault(r["preconditioner"], []).append(r)
    kept, done = [], set()
    for key, per in by_key.items():
        if all(name in per for name in names):
            done.add(key)
            for name in per:
                kept.extend(per[name])
    return kept, done


class Journal:
    """Append-only CSV of finished instances (module docstring)."""

    def __init__(self, out: str, rows: list[dict], argv: list[str] | None = None):
        self.out = out
        self.argv = argv  # the command line, kept in a Parquet table's metadata
        self.path = journal_path(out)
        tmp = self.path + ".tmp"
        with open(tmp, "w", newline="") as fh:   # the resumed rows first, atomically
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self.fh = open(self.path, "a", newline="")
        self.instances = 0

    def append(self, inst: Instance, rows: list[dict]) -> None:
        buf = io.StringIO()
        csv.DictWriter(buf, fieldnames=COLUMNS).writerows(rows)
        self.fh.write(buf.getvalue())
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.instances += 1

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()

    def finish(self, rows: list[dict], fmt: str) -> None:
        """Write the whole table atomically over ``out`` and remove the journal."""
        from .sweep import write_rows
        self.close()
        tmp = f"{self.out}.tmp{os.path.splitext(self.out)[1]}"
        write_rows(rows, tmp, fmt, self.argv)
        os.replace(tmp, self.out)
        os.remove(self.path)
