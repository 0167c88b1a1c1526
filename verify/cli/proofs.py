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
                    help="bound on the symbolic preparation of --K (default 300)")
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
    context = ProofContext(examples=args.examples, seed=args.seed, out_dir=args.out)
    if args.K is not None:
        from ..custom import build_custom
        if args.structure is None:
            raise InputError("--K needs --structure")
        budget = Budget(parse_timeout(args.timeout))
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
    elif args.timeout is not None:
        raise InputError("--timeout bounds the symbolic preparation of --K: give --K")
    return context


def cmd_proofs(args) -> int:
    """``dspgd-verify proofs``: a table (id, statement, method, status, time); exit 0 unless a result
    failed (1); 3 when the symbolic preparation of ``--K`` ran out of time."""
    try:
        context = prepare_context(args)
    except PreparationTimeout as exc:
        print(f"dspgd-verify: proofs: {exc}", file=sys.stderr)
        return 3
    outcomes = run_proofs(args, context)
    failed = any(o.status == "failed" for o in outcomes)
    if args.json:
        print(json.dumps(envelope("proofs", {"preconditioner": context.name, "results": [o.to_json() for o in outcomes]},
                                  1 if failed else 0, getattr(args, "argv", None)), indent=2))
    else:
        print(proofs_table(outcomes))
        for o in outcomes:
            if o.status == "failed":
                for step, ev, _ in o.steps:
                    if ev.status == "failed":
                        print(f"\n{o.result.id} FAILED at '{step.text}': {ev.detail}\n  counterexample: {ev.counterexample}")
        counts = {s: sum(o.status == s for o in outcomes) for s in ("proved", "verified", "failed", "unknown")}
        print("\n" + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; K for per-preconditioner steps: {context.name}")
    return 1 if failed else 0
