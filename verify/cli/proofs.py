"""``dspgd-verify proofs``: check the papers' identities, lemmas and theorems (:mod:`proofs`)."""
from __future__ import annotations

import json
import os
import sys

from numeric.errors import InputError
from numeric.params import parse_assignments, parse_timeout
from numeric.preconditioners.catalog import CATALOG, make_preconditioner

from symbolic.timebox import CommandTimeout

from ..envelope import envelope
from ..progress import progress_for
from ..report.tables import proofs_table
from .limits import Budget


def add_parser(sub, int_in) -> None:
    """The ``proofs`` subcommand."""
    pr = sub.add_parser("proofs", help="check the papers' identities, lemmas and theorems")
    pr.add_argument("--only", action="append", metavar="ID", help="run only this result (repeatable)")
    pr.add_argument("--preconditioner", metavar="NAME", help="run per-preconditioner steps for this entry")
    pr.add_argument("--param", action="append", metavar="KEY=VALUE")
    pr.add_argument("--K", dest="K", metavar="EXPR", help="run per-preconditioner steps for your own K")
    pr.add_argument("--structure", metavar="S", help="structure of --K")
    pr.add_argument("--examples", type=int_in(1, 100_000, "--examples"), default=20,
                    help="instances per numeric step (default 20)")
    pr.add_argument("--seed", type=int_in(0, 2**32 - 1, "--seed"), default=0)
    pr.add_argument("--out", default=".", metavar="DIR", help="where probes save counterexample instances")
    pr.add_argument("--timeout", metavar="SECONDS",
                    help="time budget of the whole command (seconds): the preparation of --K (default 300 s) "
                         "and every step; a step cut short is unknown and the exit status 3")
    pr.add_argument("--json", action="store_true")


def run_proofs(args, context) -> list:
    """Run the chosen results one at a time (progress on stderr); InputError for an unknown id."""
    from proofs import all_results, run
    ids = list(args.only) if args.only else list(all_results())
    unknown = [i for i in ids if i not in all_results()]
    if unknown:
        raise InputError(f"unknown result id(s) {', '.join(unknown)} (known: {', '.join(all_results())})")
    outcomes = []
    with progress_for(args, "proofs", len(ids)) as bar:
        for rid in ids:
            bar.start(rid)
            outcomes += run([rid], context)
            o = outcomes[-1]
            bar.done(rid, [f"{o.status} ({o.method}) in {o.seconds:.2f} s"])
    return outcomes


class PreparationTimeout(Exception):
    """The symbolic preparation of ``--K`` ran out of ``--timeout`` (the message says how far it got)."""


def prepare_context(args):
    """The :class:`proofs.ProofContext` of the arguments (InputError on bad input;
    :class:`PreparationTimeout` when the symbolic preparation of ``--K`` runs out of ``--timeout``)."""
    from proofs import ProofContext
    params = parse_assignments(args.param)
    if args.K is not None and args.preconditioner:
        raise InputError("--K excludes --preconditioner")
    if not os.path.isdir(args.out) or not os.access(args.out, os.W_OK):
        raise InputError(f"--out {args.out!r} is not a writable directory")
    budget = Budget(parse_timeout(args.timeout))  # --timeout bounds the whole command
    context = ProofContext(examples=args.examples, seed=args.seed, out_dir=args.out, deadline=budget.deadline())
    if args.K is not None:
        from ..custom import build_custom
        if args.structure is None:
            raise InputError("--K needs --structure")
        from .expressions import parse_expressions_early  # SymPy: only for a user's expression
        parse_expressions_early(args.K, None, args.structure, params, (3, 2))
        try:
            with budget.symbolic():
                built = build_custom(args.K, None, args.structure, params, (3, 2))
        except CommandTimeout:
            raise PreparationTimeout(budget.symbolic_reason("preparing --K (its facts and its gradient)")) from None
        if built.pre is None:
            raise InputError(f"--K is not a convex K with grad K(0) = 0: {built.facts['convex'].detail}")
        context.preconditioner, context.symbolic, context.name = built.pre, built.symbolic, "custom"
    elif args.preconditioner:
        if args.preconditioner not in CATALOG:
            raise InputError(f"unknown preconditioner {args.preconditioner!r} (choose from {', '.join(CATALOG)})")
        context.name = args.preconditioner
        context.params = params
        make_preconditioner(args.preconditioner, params, shape=(3, 2))  # validate parameters
    elif params:
        raise InputError("--param needs --preconditioner")
    return context


def cmd_proofs(args) -> int:
    """``dspgd-verify proofs``: a table (id, statement, method, status, time); exit 0 unless a result
    failed (1); 3 when ``--timeout`` ran out (in the symbolic preparation of ``--K``, or before every
    step was decided) and nothing failed."""
    try:
        context = prepare_context(args)
    except PreparationTimeout as exc:
        print(f"dspgd-verify: proofs: {exc}", file=sys.stderr)
        return 3
    outcomes = run_proofs(args, context)
    from proofs.core import OUT_OF_TIME
    failed = any(o.status == "failed" for o in outcomes)
    cut = any(OUT_OF_TIME in ev.detail for o in outcomes for _, ev, _ in o.steps)
    status = 1 if failed else 3 if cut else 0
    if args.json:
        print(json.dumps(envelope("proofs", {"preconditioner": context.name, "results": [o.to_json() for o in outcomes]},
                                  status, getattr(args, "argv", None)), indent=2))
    else:
        print(proofs_table(outcomes))
        for o in outcomes:
            if o.status == "failed":
                for step, ev, _ in o.steps:
                    if ev.status == "failed":
                        print(f"\n{o.result.id} FAILED at '{step.text}': {ev.detail}\n  counterexample: {ev.counterexample}")
        counts = {s: sum(o.status == s for o in outcomes) for s in ("proved", "verified", "failed", "unknown")}
        print("\n" + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; K for per-preconditioner steps: {context.name}")
        if cut:
            print(f"{OUT_OF_TIME} before every step was decided: exit status 3")
    return status
