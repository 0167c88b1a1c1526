"""``dspgd-verify selftest [--only ID]... [--list] [--mutation] [--json]``.

Runs the planted claims of :mod:`verify.selftest.planted` and prints one line per case, then

    false claims refuted N/N
    true controls verified M/M

Exit status 0 only if every false claim is refuted (with its counterexample) and every true
control is verified (with its precision); 1 otherwise.  ``--mutation`` also runs the false
claims with the certificate re-checks switched off and lists those that then slip through
(exit 1 if none does: the re-checks would not be shown to be load-bearing).
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the planted cases load SymPy and the identity prover: only when the command runs
    from ..selftest import planted as S
from ..envelope import envelope
from ..progress import progress_for


def add_parser(sub) -> None:
    """The ``selftest`` subcommand."""
    st = sub.add_parser("selftest", help="planted false claims must be refuted, true controls verified")
    st.add_argument("--only", action="append", metavar="ID", help="run only this case (repeatable)")
    st.add_argument("--list", action="store_true", help="list the cases and exit")
    st.add_argument("--mutation", action="store_true",
                    help="also run the false claims with the re-checks disabled (shows they are load-bearing)")
    st.add_argument("--json", action="store_true")


def _line(r, mark: str | None = None) -> str:
    """One line of the table for a ``verify.selftest.planted.CaseResult``."""
    mark = mark or ("pending" if r.pending else ("ok" if r.behaves else "FAIL"))
    reason = " ".join(r.outcome.reason.split())
    return (f"{mark:7s} {r.case.id:40s} expect {r.case.expect:8s} got {r.outcome.verdict:13s} "
            f"{r.seconds:6.2f}s  {reason[:110]}")


def cmd_selftest(args) -> int:
    from ..selftest import planted as S  # SymPy: imported when the command runs, not at start-up
    cases = S.select(args.only)
    if args.list:
        for c in cases:
            print(f"{c.id:40s} {c.expect:8s} {c.statement}  [{c.source}]")
        return 0
    t0 = time.perf_counter()
    results = []
    with progress_for(args, "selftest", len(cases)) as bar:
        for c in cases:  # S.run_all, one case at a time for the progress bar
            bar.start(c.id)
            results.append(S.run_case(c))
            bar.done(c.id, [f"{results[-1].outcome.verdict} (expected {c.expect})"])
    summ = S.summary(results)
    mutation = S.mutation_check(cases) if args.mutation else None
    slipped = [r for r in mutation or [] if r.outcome.verdict != "refuted"]
    ok = summ["all_behave"] and (mutation is None or bool(slipped))
    seconds = round(time.perf_counter() - t0, 2)
    if args.json:
        out = {"summary": summ, "seconds": seconds, "cases": [r.to_json() for r in results], "exit_status": 0 if ok else 1}
        if mutation is not None:
            out["mutation"] = {"rechecks": "disabled (rerun at P + 20 digits, tail bound, solver polishing and duality)",
                               "slipped_through": [r.to_json() for r in slipped],
                               "still_refuted": sum(r.outcome.verdict == "refuted" for r in mutation)}
        print(json.dumps(envelope("selftest", out, 0 if ok else 1, getattr(args, "argv", None)), indent=2))
        return 0 if ok else 1
    for r in results:
        print(_line(r))
    print()
    print(f"false claims refuted {summ['false_refuted']}/{summ['false_total']}")
    print(f"true controls verified {summ['true_verified']}/{summ['true_total']}")
    if summ["false_verified"]:
        print(f"WARNING: {summ['false_verified']} false claim(s) came out verified")
    if summ["pending"]:
        print(f"pending (not counted): {', '.join(summ['pending'])}")
    if mutation is not None:
        print(f"\nmutation check (re-checks disabled): {len(slipped)}/{len(mutation)} false claims no longer refuted")
        for r in slipped:
            print("  " + _line(r, "slipped"))
    print(f"\n{seconds} s; exit status {0 if ok else 1}")
    return 0 if ok else 1
