"""``--report FILE.md|FILE.html``: a written report of a ``check`` (or ``lr-study``) run.

The report holds the problem and settings, the verdict table, every claim's evidence and the
figures of :mod:`verify.report.figures`.  The PNGs are written beside the report in
``<stem>_files/`` (``out.md`` -> ``out_files/adam-residual.png``); the Markdown links to them,
the HTML embeds them as base64 ``data:`` URIs as well, so the ``.html`` file alone is
self-contained.

Safety: :func:`validate_report_path` runs before any computation and raises
:class:`InputError` (exit 2) for an unknown extension, a missing or unwritable directory or
a path that is a directory.  Everything is rendered in memory first and then written, each
file through a temporary name and ``os.replace``, so a failure leaves no half-written file.
"""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile

from numeric.errors import InputError

FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def report_format(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise InputError(f"--report {path!r}: unknown extension {ext or '(none)'!r} (use .md or .html)")
    return FORMATS[ext]


def figures_dir(path: str) -> str:
    """``out.md`` -> ``out_files`` (beside the report)."""
    return os.path.splitext(path)[0] + "_files"


def validate_report_path(path: str) -> None:
    """Raise :class:`InputError` unless the report and its figure folder can be written."""
    if os.path.isdir(path):
        raise InputError(f"--report {path!r} is a directory")
    report_format(path)
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InputError(f"--report {path!r}: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"--report {path!r}: directory {parent!r} is not writable")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise InputError(f"--report {path!r} exists and is not writable")
    fdir = figures_dir(path)
    if os.path.exists(fdir) and (not os.path.isdir(fdir) or not os.access(fdir, os.W_OK | os.X_OK)):
        raise InputError(f"--report {path!r}: figure folder {fdir!r} is not a writable directory")
    try:  # matplotlib is the `report` extra
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError("--report needs matplotlib: pip install matplotlib (or, from a clone, pip install '.[report]')") from None


def _atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_files(path: str, text: str, pngs: dict[str, bytes]) -> list[str]:
    """Write the report text and the figure files (``{file name: bytes}``: PNGs and their CSVs);
    returns the paths written."""
    written = []
    if pngs:
        fdir = figures_dir(path)
        os.makedirs(fdir, exist_ok=True)
        for fname, data in pngs.items():
            p = os.path.join(fdir, fname)
            _atomic_write(p, data)
            written.append(p)
    _atomic_write(path, text.encode("utf-8"))
    return [path] + written


# ----------------------------------------------------------------------------- rendering
FIGURE_CAPTIONS = {
    "residual": "Residual ||X W_t - Y||_F versus iteration (log scale), one line per learning rate.",
    "step": "Step norm eta ||grad K(G_t)||_F versus iteration (log scale).",
    "drift": "Null-space drift ||P_perp(W_t - W_0)||_F at t = 1, 2, 4, ... (log-log).",
    "limits": "The limit at each learning rate: ||W_inf(eta) - W_GD|| / ||W_GD - W_0|| versus eta; the "
              "coordinates of W_inf(eta) - W_GD (stems); with two learning rates, W_inf(eta) - W_inf(eta_min).",
}


def _verdict_rows(record: dict) -> list[tuple]:
    from .tables import SYMBOL, _key_evidence, _lr_names, error_bound_cell, predicted_cell
    names = _lr_names(record)
    return [(c["id"], names.get(c.get("lr"), "-") if c.get("lr") else "-", SYMBOL[c["verdict"]],
             predicted_cell(c), error_bound_cell(c), c["reason"], _key_evidence(c)) for c in record["claims"]]


_VERDICT_HEADER = ("claim", "lr", "verdict", "predicted", "error bound", "reason", "evidence")


def provenance_lines(provenance: dict | None) -> list[str]:
    """``tool version``, ``command line``, ``date`` of the run (for the top of a report)."""
    if not provenance:
        return []
    t = provenance.get("tool", {})
    return [f"tool: {t.get('name', 'dspgd-verify')} {t.get('version', '?')} (Python {provenance.get('python', '?')})",
            f"command: {provenance.get('command_line', '?')}", f"date: {provenance.get('date', '?')}"]


def csv_name(png_name: str) -> str:
    """``adam-residual.png`` -> ``adam-residual.csv`` (the figure's numbers, beside it)."""
    return os.path.splitext(png_name)[0] + ".csv"


def _header_lines(records: list[dict]) -> list[str]:
    from .tables import check_header
    return check_header(records).splitlines()


def _md_cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, records: list[dict], figures: list[dict[str, str]], status_line: str,
                    extra_md: str = "", provenance: dict | None = None) -> str:
    """Markdown text; ``figures[i]`` maps figure name -> relative PNG path for ``records[i]``
    (its data: the same path with ``.csv``)."""
    prov = provenance_lines(provenance)
    out = [f"# {title}", ""] + ([*(f"- {line}" for line in prov), ""] if prov else []) + \
        ["```", *_header_lines(records), "```", "", status_line, ""]
    if extra_md:
        out += [extra_md, ""]
    for rec, figs in zip(records, figures):
        out += [f"## {rec['preconditioner']['name']}", "", "| " + " | ".join(_VERDICT_HEADER) + " |",
                "|" + "---|" * len(_VERDICT_HEADER)]
        out += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in _verdict_rows(rec)]
        out.append("")
        for fname, rel in figs.items():
            out += [f"![{fname}]({rel})", "", f"*{FIGURE_CAPTIONS.get(fname, fname)}* Data: [{csv_name(rel)}]"
                    f"({csv_name(rel)})", ""]
        out += ["<details><summary>evidence (JSON): the whole record</summary>", "", "```json",
                json.dumps(rec, indent=1, ensure_ascii=False), "```", "", "</details>", ""]
    return "\n".join(out)


_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
.verified{background:#e6f4ea}.REFUTED{background:#fce8e6}.inconclusive{background:#fef7e0}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}figure{margin:1em 0}img{max-width:100%}"""


def html_figure(fname: str, png: bytes, csv_text: str | None, caption: str) -> str:
    """An embedded PNG with its caption and its data as a downloadable CSV (both ``data:`` URIs)."""
    e = html.escape
    b64 = base64.b64encode(png).decode("ascii")
    link = ""
    if csv_text is not None:
        c64 = base64.b64encode(csv_text.encode("utf-8")).decode("ascii")
        link = f" <a download='{e(csv_name(fname))}' href='data:text/csv;base64,{c64}'>data (CSV)</a>"
    return (f"<figure><img alt='{e(fname)}' src='data:image/png;base64,{b64}'>"
            f"<figcaption>{e(caption)}{link}</figcaption></figure>")


def html_head(title: str, provenance: dict | None) -> str:
    e = html.escape
    prov = "".join(f"<li>{e(line)}</li>" for line in provenance_lines(provenance))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{_CSS}</style>"
            f"</head><body><h1>{e(title)}</h1>" + (f"<ul class='provenance'>{prov}</ul>" if prov else ""))


def render_html(title: str, records: list[dict], figures: list[dict[str, bytes]], status_line: str,
                extra_html: str = "", provenance: dict | None = None, data: list[dict[str, str]] | None = None) -> str:
    """Self-contained HTML: the PNGs and their CSV data are embedded as base64 data URIs."""
    e = html.escape
    out = [html_head(title, provenance) + f"<pre>{e(chr(10).join(_header_lines(records)))}</pre>"
           f"<p><b>{e(status_line)}</b></p>", extra_html]
    for i, (rec, figs) in enumerate(zip(records, figures)):
        out.append(f"<h2>{e(rec['preconditioner']['name'])}</h2><table><tr>"
                   + "".join(f"<th>{e(h)}</th>" for h in _VERDICT_HEADER) + "</tr>")
        for row in _verdict_rows(rec):
            out.append(f"<tr class='{e(row[2])}'>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>")
        out.append("</table>")
        csvs = data[i] if data else {}
        for fname, png in figs.items():
            out.append(html_figure(fname, png, csvs.get(fname), FIGURE_CAPTIONS.get(fname, fname)))
        out.append(f"<details><summary>evidence (JSON): the whole record</summary><pre>{e(json.dumps(rec, indent=1, ensure_ascii=False))}"
                   "</pre></details>")
    out.append("</body></html>")
    return "\n".join(out)


def write_check_report(path: str, records: list[dict], histories: list[dict], status_line: str,
                       provenance: dict | None = None) -> list[str]:
    """Render the figures of every record and write the report, its PNGs and each PNG's data as
    CSV beside it (``<stem>_files/adam-residual.png`` and ``adam-residual.csv``)."""
    from .figures import check_figures, figure_data
    fmt = report_format(path)
    fdir = os.path.basename(figures_dir(path))
    files: dict[str, bytes] = {}
    per_record_bytes, per_record_paths, per_record_data = [], [], []
    for rec, hist in zip(records, histories):
        figs = check_figures(rec, hist)
        data = figure_data(rec, hist)
        stem = rec["preconditioner"]["name"]
        per_record_bytes.append(figs)
        per_record_data.append(data)
        per_record_paths.append({k: f"{fdir}/{stem}-{k}.png" for k in figs})
        for k, v in figs.items():
            files[f"{stem}-{k}.png"] = v
            if k in data:
                files[f"{stem}-{k}.csv"] = data[k].encode("utf-8")
    title = "dspgd-verify check report"
    if fmt == "md":
        text = render_markdown(title, records, per_record_paths, status_line, provenance=provenance)
    else:
        text = render_html(title, records, per_record_bytes, status_line, provenance=provenance,
                           data=per_record_data)
    return write_files(path, text, files)
