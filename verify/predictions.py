"""What the papers predict for each claim, and the exit status that compares outcomes with it.

A claim's *prediction* says which outcome a theorem expects, and whose theorem it is:

* ``kind = "paper"``: a claim of paper 1 (DSPGD, docs/theory.md §3) or paper 2 (margins,
  docs/theory.md §6) expected to come out ``verified`` (or, for the norms paper 2 does *not*
  predict, ``refuted``: the run's direction maximizes its own norm's margin, not theirs);
* ``kind = "counterexample"``: an outcome the toolkit's own theorem expects *against* a paper's
  general statement.  The one such case: for ``quadratic`` K, ``grad K(G) = H vec(G)`` is linear,
  the limit is the ``H^{-1}``-weighted minimum-norm interpolator for every eta (docs/theory.md
  §3.3), so ``lr_dependence`` is expected ``refuted``: a planted counterexample to paper 1's
  Claim D ("for general K the limit depends on the learning rate");
* ``kind = "extension"``: paper 2's conclusion applied to a run outside its hypotheses (a margin
  claim with ``scope = "outside_theorem"``, e.g. a constant learning rate, where paper 2 needs
  ``eta_t = o(t^(1/L - 1))``).  The outcome is compared with it like a paper's prediction, and the
  summary line says how many outcomes were judged against such an extension, never that the
  paper predicted them;
* ``None``: nothing predicts it (a user's ``--claim``, the ``assumptions`` of a user's K, a claim
  that is not applicable, an optimizer the theory does not cover): its verdict counts strictly.

Exit status with predictions (:func:`predicted_exit_status`), over every claim:
``1`` if an outcome contradicts its prediction (``verified`` where ``refuted`` was expected or
the reverse) or an unpredicted claim is ``refuted``; else ``3`` if any claim is
``inconclusive`` (an undecided claim is never "as predicted"); else ``0``.  The strict status
(:func:`verify.verdict.exit_status`) ignores predictions.
"""
from __future__ import annotations

from .verdict import exit_status as strict_exit_status

PAPER1 = "paper 1 (arXiv 2603.10485)"
PAPER2 = "paper 2 (arXiv 2602.16340)"

#: paper 1's claim behind each check claim id (docs/theory.md §3.4)
PAPER1_CLAIMS = {
    "convergence": "Claim A: DSPGD converges to an interpolator (docs/theory.md §3.1)",
    "isotropic_bias": "Claim B: isotropic K find the minimum-distance interpolator (docs/theory.md §3.2)",
    "row_space_bias": "Claim B, extended: left-invariant K find the minimum-distance interpolator (docs/theory.md §3.2)",
    "general_bound": "Claim C: ||W_inf - W0|| <= c ||W_GD - W0|| (docs/theory.md §3.3)",
    "lr_dependence": "Claim D: for general K the limit depends on the learning rate (docs/theory.md §3.3)",
    "assumptions": "the standing assumptions: K convex, grad K(0) = 0, grad K Lipschitz (docs/theory.md §1)",
}
#: models on which paper 2 promises KKT points only (the margin problem is not convex)
NETWORK_KINDS = ("two-layer", "diagonal")
QUADRATIC_WHY = ("quadratic K has a linear grad K: the limit is the H^-1-weighted minimum-norm interpolator for "
                 "every eta (docs/theory.md §3.3), a counterexample to paper 1's Claim D as stated")


def prediction(kind: str, paper: str, statement: str, expected: str, why: str = "") -> dict:
    """The JSON form of one prediction."""
    return {"kind": kind, "paper": paper, "statement": statement, "expected": expected, "why": why}


def check_prediction(claim: dict, record: dict) -> dict | None:
    """The prediction for one claim of a ``check`` record (None: nothing predicts it).

    Catalogue and library entries satisfy the standing assumptions by construction, so every
    applicable claim is predicted; for a user's K the paper predicts the other claims only once
    its ``assumptions`` are verified, and nothing predicts the assumptions themselves.
    """
    cid, verdict = claim["id"], claim["verdict"]
    if cid not in PAPER1_CLAIMS or verdict == "not_applicable":
        return None
    pre = record.get("preconditioner", {})
    custom = pre.get("name") == "custom"
    if custom:
        assumed = [c for c in record.get("claims", []) if c["id"] == "assumptions"]
        if cid == "assumptions" or not assumed or assumed[0]["verdict"] != "verified":
            return None
    if cid == "lr_dependence" and pre.get("name") == "quadratic":
        return prediction("counterexample", PAPER1, PAPER1_CLAIMS[cid], "refuted", QUADRATIC_WHY)
    return prediction("paper", PAPER1, PAPER1_CLAIMS[cid], "verified")


def margin_prediction(claim: dict, record: dict) -> dict | None:
    """The prediction for one claim of a ``margin`` record (docs/theory.md §6.2).

    Paper 2: the optimizer's direction maximizes the margin of its own norm (expected
    ``verified``); any other standard norm's claim is then expected ``refuted``, unless this
    instance cannot tell the two norms apart (:func:`as_predicted`).  Optimizers the theory does
    not cover, and the extra ratios ``margin:hybrid:R``, are not predicted.
    """
    opt = record.get("optimizer", {})
    if claim["verdict"] == "not_applicable" or not opt.get("covered_by_theory") or opt.get("predicted_norm") is None:
        return None
    if claim["id"].count(":") != 1:
        return None
    own = claim.get("evidence", {}).get("norm")
    if own is None:
        return None
    if claim["id"].startswith("margin:") and record.get("problem", {}).get("kind") in NETWORK_KINDS:
        return None  # on a network paper 2 promises a KKT direction (kkt:), not the global max margin
    target = "a KKT direction of the max-margin problem" if claim["id"].startswith("kkt:") \
        else "the max-margin solution"
    statement = f"{opt['name']} converges in direction to {target} of the {opt['predicted_norm']} norm"
    kind, why = "paper", ""
    if claim.get("scope") == "outside_theorem":
        kind = "extension"
        why = ("the run is outside paper 2's hypotheses (" + "; ".join(
            h["name"] for h in record.get("hypotheses", []) if h.get("status") == "violated")
            + "): paper 2's conclusion is applied beyond them; ")
    if own == opt["predicted_norm"]:
        return prediction(kind, PAPER2, statement, "verified", why.rstrip("; "))
    return prediction(kind, PAPER2, statement, "refuted",
                      why + f"the direction maximizes the {opt['predicted_norm']} norm's objective, so not the "
                      f"{own} norm's (unless this instance cannot tell the two norms apart)")


def as_predicted(claim: dict) -> bool | None:
    """True/False: the outcome agrees with / contradicts its prediction; None: no prediction, or
    the claim is undecided (inconclusive)."""
    p = claim.get("prediction")
    if p is None or claim["verdict"] == "inconclusive":
        return None
    if claim["verdict"] == p["expected"]:
        return True
    indistinct = claim.get("evidence", {}).get("indistinguishable_from") or {}
    if p["expected"] == "refuted" and claim["verdict"] == "verified" and p.get("kind") in ("paper", "extension") \
            and any(f"the {n} norm" in p["statement"] for n in indistinct):
        return True  # paper 2: the predicted norm's direction is also max-margin in this one
    return False


def predicted_exit_status(claims: list[dict]) -> int:
    """0 every outcome as predicted (unpredicted: verified or not applicable); 1 an outcome
    contradicts its prediction or an unpredicted claim is refuted; 3 otherwise (inconclusive)."""
    status = 0
    for c in claims:
        if c.get("prediction") is None:
            s = strict_exit_status([c])
        else:
            ok = as_predicted(c)
            s = 0 if ok else (3 if ok is None else 1)
        if s == 1:
            return 1
        status = max(status, s)
    return status


def _who(record: dict) -> str:
    if "preconditioner" in record:
        return record["preconditioner"].get("name", "?")
    return record.get("optimizer", {}).get("name", "?")


def summary_line(records: list[dict]) -> str:
    """The headline's last line: every outcome as predicted, or which claim of which paper failed."""
    bad, undecided, strict_bad = [], [], []
    for r in records:
        for c in r["claims"]:
            p = c.get("prediction")
            where = f"{_who(r)} {c['id']}" + (f" (lr {c['lr']})" if c.get("lr") else "")
            if p is None:
                if c["verdict"] == "refuted":
                    strict_bad.append(f"{where} refuted (no paper predicts it)")
                elif c["verdict"] == "inconclusive":
                    undecided.append(where)
                continue
            ok = as_predicted(c)
            if ok is None:
                undecided.append(where)
            elif not ok:
                bad.append(f"{where}: {p['paper'].split(' (')[0]} predicts {p['expected']}, got {c['verdict']} "
                           f"[{p['statement'].split(':')[0]}]")
    if bad:
        return "NOT as the papers predict: " + "; ".join(bad + strict_bad)
    if strict_bad:
        return "refuted, and no paper predicts it: " + "; ".join(s.replace(" refuted (no paper predicts it)", "")
                                                                  for s in strict_bad)
    if undecided:
        return f"no outcome contradicts the papers, but {len(undecided)} claim(s) are inconclusive: " + \
            ", ".join(undecided[:6]) + (" ..." if len(undecided) > 6 else "")
    counter = sum(1 for r in records for c in r["claims"]
                  if (c.get("prediction") or {}).get("kind") == "counterexample")
    extended = sum(1 for r in records for c in r["claims"]
                   if (c.get("prediction") or {}).get("kind") == "extension")
    notes = []
    if counter:
        notes.append(f"including {counter} planted counterexample{'s' if counter > 1 else ''} to a paper's claim")
    if extended:  # then not every prediction is the papers': say so in the first words
        notes.append(f"{extended} of them against paper 2's conclusion extended beyond its hypotheses: "
                     f"those runs are outside the theorem")
        return "every outcome as predicted (" + "; ".join(notes) + ")"
    return "every outcome as the papers predict" + (f" ({'; '.join(notes)})" if notes else "")
