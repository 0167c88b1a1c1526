"""Terminal tables for ``check`` and ``catalog`` (plain text, fixed-width columns)."""
from __future__ import annotations

import textwrap

SYMBOL = {"verified": "verified", "refuted": "REFUTED", "inconclusive": "inconclusive",
          "not_applicable": "n/a"}


def _lr_names(record: dict) -> dict:
    s = record["settings"]
    out = {}
    for label, frac in zip(s["lrs"], s.get("lr_fractions") or [None] * len(s["lrs"])):
        out[label] = f"{frac}*eta_max" if frac is not None else f"eta={label}"
    return out


def _key_evidence(c: dict) -> str:
    ev = c.get("evidence", {})
    cid = c["id"]
    if cid == "convergence":
        return f"T={ev.get('iterations')} |R_T|={ev.get('residual')} tail={ev.get('tail_bound')}" + \
            ("" if ev.get("certified") else " (est.)")
    if cid in ("isotropic_bias", "row_space_bias") or cid.startswith("claim:limit"):
        if "limit_norm" in ev:
            return f"norm={ev['limit_norm'][:12]} certified optimum in [{ev.get('certified_lower', '')[:12]}, {ev.get('certified_upper', '')[:12]}]"
        for k, v in ev.items():
            if k.startswith("distance_to"):
                return f"dist={v}"
    if cid == "general_bound":
        return f"c_emp={ev.get('c_empirical', '')[:12]} c_bound={ev.get('c_bound', '-')}"
    if cid.startswith("claim:bound"):
        return f"c_emp={ev.get('c_empirical', '')[:12]}"
    if cid == "lr_dependence":
        return f"max dist={ev.get('max_pairwise_distance', '-')}"
    if cid == "assumptions":
        return ", ".join(f"{k}:{v['status']}" for k, v in ev.items())
    return ""


def claims_table(records: list[dict], show_reason: bool = True) -> str:
    """One row per claim (and learning rate) of every record."""
    rows = [("preconditioner", "claim", "lr", "verdict", "predicted", "error bound", "evidence")]
    for rec in records:
        names = _lr_names(rec)
        pname = rec["preconditioner"]["name"]
        for c in rec["claims"]:
            rows.append((pname, c["id"], names.get(c.get("lr"), "-") if c.get("lr") else "-",
                         SYMBOL[c["verdict"]], predicted_cell(c), error_bound_cell(c), _key_evidence(c)))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(r, widths)) + "  " + str(r[-1]))
        if j == 0:
            lines.append("-" * min(160, sum(widths) + 2 * len(widths) + 30))
    return "\n".join(lines)


def error_bound_cell(c: dict) -> str:
    """``exact`` for a symbolic proof, the bound, or ``-``."""
    return "exact" if c.get("exact") else (c.get("error_bound") or "-")


def predicted_cell(c: dict) -> str:
    """What a paper predicts (``*``: a planted counterexample to a paper's claim), or ``-``."""
    from ..predictions import as_predicted
    p = c.get("prediction")
    if p is None:
        return "-"
    mark = {True: "", False: " (NO)", None: " (?)"}[as_predicted(c)]
    return p["expected"] + ("*" if p["kind"] == "counterexample" else "") + mark


def problem_line(rec: dict) -> str:
    p, s = rec["problem"], rec["settings"]
    rerun = f" (rerun {s['rerun_dps']})" if "rerun_dps" in s else ""
    sig = f"; sigma(X) in [{p['sigma_min'][:8]}, {p['sigma_max'][:8]}]" if "sigma_min" in p else ""
    return (f"problem: n={p['n']} d={p['d']} k={p['k']} loss={p['loss']} (a sum over entries) seed={p['seed']} "
            f"source={p['source']}{sig}\n"
            f"settings: dps {s['dps']}{rerun}, tolerance {s['tolerance']} (relative to ||W_GD - W0||), "
            f"backend {s['backend']}")


def preconditioner_line(rec: dict) -> str:
    pre = rec["preconditioner"]
    if "stopped" in rec:
        what = f"K = {pre['K']} ({pre['structure']})" if "K" in pre else \
            ", ".join(f"{k}={v}" for k, v in pre.get("params", {}).items()) or "no parameters"
        lines = [f"  {pre['name']}: {what}", f"  STOPPED: {rec['stopped']}"]
        for claim in rec["claims"]:
            for fact in claim["evidence"].values():
                if fact.get("counterexample"):
                    lines.append(f"  counterexample ({fact['name']}): {fact['counterexample']}")
        return "\n".join(lines)
    params = ", ".join(f"{k}={v}" for k, v in pre["params"].items()) or "no parameters"
    iters = [c["evidence"].get("iterations") for c in rec["claims"] if c["id"] == "convergence"]
    return (f"  {pre['name']} ({params}): K = {pre['K']}; {pre['structure']}, L = {pre['L'][:10]}, "
            f"mu0 = {pre['mu0'][:10]}; iterations {iters}; {rec['seconds']} s")


def check_header(records: list[dict]) -> str:
    return "\n".join([problem_line(records[0])] + [preconditioner_line(r) for r in records])


def refutation_notes(records: list[dict]) -> str:
    """The reasons of every refuted or inconclusive claim, wrapped."""
    out = []
    for rec in records:
        names = _lr_names(rec)
        for c in rec["claims"]:
            if c["verdict"] in ("refuted", "inconclusive"):
                lr = f" at {names.get(c['lr'], c['lr'])}" if c.get("lr") else ""
                p = c.get("prediction") or {}
                why = f" [expected: {p['why']}]" if p.get("kind") == "counterexample" and c["verdict"] == p["expected"] \
                    else ""
                out.append(textwrap.fill(f"{rec['preconditioner']['name']} {c['id']}{lr}: {c['verdict']}: {c['reason']}"
                                         f"{why}", width=110, subsequent_indent="    "))
    return "\n".join(out)


def catalog_table(entries: list[dict]) -> str:
    rows = [("name", "structure", "params", "K", "grad K", "L", "row-space")]
    for e in entries:
        rows.append((e["name"], e["structure"], ", ".join(f"{k}={v}" for k, v in e["params"].items()) or "-",
                     e["K"], e["gradK"], e["L"], "yes" if e["row_space_preserving"] else "no"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


def proofs_table(outcomes) -> str:
    """id, statement, method, status, time: one row per result."""
    rows = [("id", "statement", "method", "status", "time")]
    for o in outcomes:
        text = o.result.text if len(o.result.text) <= 70 else o.result.text[:67] + "..."
        rows.append((o.result.id, text, o.method, o.status, f"{o.seconds:.2f}s"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)
