"""The ``dspgd-verify`` command line (the contract of docs/cli.md and docs/json.md).

Exit status: 0 every applicable claim verified; 1 some claim refuted; 3 inconclusive;
2 bad input (one line on stderr, no traceback).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace

import numpy as np

from numeric.catalog import CATALOG, make_preconditioner
from numeric.errors import InputError
from numeric.losses import LOSSES, make_loss
from numeric.params import check_tolerance, parse_assignments, parse_number, parse_timeout
from numeric.precision import MAX_DPS, MIN_DPS
from numeric.problem import Problem, load_arrays, load_problem, random_problem

from .check import Settings, UserClaim, check, check_by_name, stopped
from . import margin_cli
from .custom import build_custom
from .norms import NORMS
from .report import catalog_table, check_header, claims_table, proofs_table, refutation_notes
from .parallel import map_jobs
from .runs import LearningRate
from .library_check import LIBRARY, library_backend, library_preconditioner
from .sweep import add_parser as add_sweep_parser
from .sweep import cmd_sweep
from .verdict import DEFAULT_TOL, exit_status

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 4


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.endswith("expected one argument"):
            message += " (a value that starts with '-' is written --OPTION=VALUE, e.g. --K=-r**2)"
        raise InputError(message)


def _int_in(lo: int, hi: int, what: str):
    """argparse type: an integer in ``[lo, hi]`` (ArgumentTypeError keeps the message)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} outside [{lo}, {hi}]")
        return v
    parse.__name__ = what
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dspgd-verify", description="Verify claims about dual space preconditioned gradient descent.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    c = sub.add_parser("check", help="run DSPGD and judge the claims of the DSPGD paper")
    c.add_argument("--preconditioner", choices=None, metavar="NAME",
                   help=f"catalogue entry ({', '.join(CATALOG)}), or torch-adam (the update computed by torch); "
                        "default: all catalogue entries")
    c.add_argument("--param", action="append", metavar="KEY=VALUE", help="preconditioner parameter, e.g. eps=0.001")
    c.add_argument("--K", dest="K", metavar="EXPR", help="your own K, in the variable of --structure")
    c.add_argument("--update", metavar="EXPR", help="your own update map U(G) (entrywise in G, or a nested list)")
    c.add_argument("--structure", metavar="S", help="entrywise (g), isotropic (r), spectral (s) or general (G_i_j)")
    c.add_argument("--loss", default="square", metavar="NAME", help=f"loss ({'|'.join(LOSSES)}); a sum over entries")
    c.add_argument("--loss-delta", metavar="DELTA", help="delta of the pseudo-Huber loss (default 1)")
    c.add_argument("--n", type=_int_in(1, 10**6, "--n"), default=None)
    c.add_argument("--d", type=_int_in(1, 10**7, "--d"), default=None)
    c.add_argument("--k", type=_int_in(1, 10**6, "--k"), default=None)
    c.add_argument("--seed", type=_int_in(0, 2**32 - 1, "--seed"), default=None)
    c.add_argument("--w0", default=None, metavar="zero|random", help="W0 of a generated problem (default zero)")
    c.add_argument("--problem", metavar="FILE.npz", help="arrays X, Y and optional W0 (and H for quadratic)")
    c.add_argument("--lr", action="append", metavar="ETA", help="absolute learning rate (repeatable)")
    c.add_argument("--lr-frac", action="append", metavar="F",
                   help="eta = F * 2/(beta L sigma_max^2), F in (0, 1) (repeatable); default 0.45 and 0.9")
    c.add_argument("--dps", type=_int_in(MIN_DPS, MAX_DPS, "--dps"), default=50, help="decimal digits (default 50)")
    c.add_argument("--backend", default="auto", metavar="auto|mpmath|flint|float64",
                   help="arithmetic of the DSPGD loop: flint (python-flint, fast), mpmath (reference), "
                        "float64 (numpy, campaigns; claims to 1e-8); default auto: flint when python-flint is installed")
    c.add_argument("--claim", action="append", metavar="CLAIM",
                   help="extra claim: limit=gd, limit=minnorm:fro|l1|linf|spectral|nuclear|hinv, bound:c=V")
    c.add_argument("--tol", default=None, metavar="TOL",
                   help=f"relative tolerance of equality claims ({DEFAULT_TOL}; 1e-8 with --backend float64)")
    c.add_argument("--max-iter", type=_int_in(1, 10**8, "--max-iter"), default=200_000)
    c.add_argument("--timeout", metavar="SECONDS", help="time budget per run (seconds)")
    c.add_argument("--solver", default="CLARABEL", metavar="NAME", help="cvxpy solver (CLARABEL)")
    c.add_argument("--jobs", type=_int_in(1, 64, "--jobs"), default=None, help="parallel processes (headline run)")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    c.add_argument("--report", metavar="FILE.md|FILE.html",
                   help="also write a report with figures (PNGs in FILE_files/); needs the report extra")
    from .lr_study_cli import add_lr_study_parser
    add_lr_study_parser(sub, _int_in)
    pr = sub.add_parser("proofs", help="check the papers' identities, lemmas and theorems")
    pr.add_argument("--only", action="append", metavar="ID", help="run only this result (repeatable)")
    pr.add_argument("--preconditioner", metavar="NAME", help="run per-preconditioner steps for this entry")
    pr.add_argument("--param", action="append", metavar="KEY=VALUE")
    pr.add_argument("--K", dest="K", metavar="EXPR", help="run per-preconditioner steps for your own K")
    pr.add_argument("--structure", metavar="S", help="structure of --K")
    pr.add_argument("--examples", type=_int_in(1, 100_000, "--examples"), default=20,
                    help="instances per numeric step (default 20)")
    pr.add_argument("--seed", type=_int_in(0, 2**32 - 1, "--seed"), default=0)
    pr.add_argument("--out", default=".", metavar="DIR", help="where probes save counterexample instances")
    pr.add_argument("--json", action="store_true")
    margin_cli.add_parser(sub, _int_in)
    st = sub.add_parser("selftest", help="planted false claims must be refuted, true controls verified")
    st.add_argument("--only", action="append", metavar="ID", help="run only this case (repeatable)")
    st.add_argument("--list", action="store_true", help="list the cases and exit")
    st.add_argument("--mutation", action="store_true",
                    help="also run the false claims with the re-checks disabled (shows they are load-bearing)")
    st.add_argument("--json", action="store_true")
    k = sub.add_parser("catalog", help="list the preconditioner catalogue")
    k.add_argument("--json", action="store_true")
    add_sweep_parser(sub)
    return p


# ----------------------------------------------------------------------------- parsing
def parse_claim(text: str) -> UserClaim:
    t = text.strip()
    if t == "limit=gd":
        return UserClaim(t, "limit", "fro")
    if t.startswith("limit=minnorm:"):
        name = t.split(":", 1)[1]
        if name not in NORMS:
            raise InputError(f"--claim {text!r}: unknown norm {name!r} (choose from {', '.join(NORMS)})")
        return UserClaim(t, "limit", name)
    if t.startswith("bound:c="):
        v = parse_number(t.split("=", 1)[1], f"--claim {text!r}")
        if v <= 0:
            raise InputError(f"--claim {text!r}: the bound must be > 0")
        return UserClaim(t, "bound", value=v)
    raise InputError(f"--claim {text!r}: expected limit=gd, limit=minnorm:NORM or bound:c=NUMBER")


def parse_lrs(args) -> tuple:
    lrs = []
    for s in args.lr or []:
        v = parse_number(s, "--lr")
        if v <= 0:
            raise InputError(f"--lr must be > 0, got {s}")
        lrs.append(LearningRate("abs", v))
    for s in args.lr_frac or []:
        v = parse_number(s, "--lr-frac")
        if not 0 < v < 1:
            raise InputError(f"--lr-frac must lie in (0, 1), got {s}")
        lrs.append(LearningRate("frac", v))
    return tuple(lrs)


def make_problem(args) -> tuple[Problem, np.ndarray | None]:
    delta = parse_number(args.loss_delta, "--loss-delta") if args.loss_delta is not None else None
    loss = make_loss(args.loss, delta)
    if args.problem:
        if any(v is not None for v in (args.n, args.d, args.k, args.seed, args.w0)):
            raise InputError("--problem excludes --n/--d/--k/--seed/--w0 (put W0 in the file)")
        prob = load_problem(args.problem, loss)
        H = load_arrays(args.problem, required=(), optional=("H",)).get("H")
        return prob, H
    n = args.n if args.n is not None else 6
    d = args.d if args.d is not None else 24
    k = args.k if args.k is not None else 2
    return random_problem(n, d, k, seed=args.seed or 0, w0=args.w0 or "zero", loss=loss), None


def _check_worker(job):
    problem, name, params, settings, H = job
    result = check_by_name(problem, name, params, settings, H)
    return result.record, result.histories


def _exit_from_records(records: list[dict]) -> int:
    return exit_status([c for r in records for c in r["claims"]])


def cmd_check(args) -> int:
    from numeric import flint_backend
    if args.report is not None:
        from .report_file import validate_report_path
        validate_report_path(args.report)
    if args.backend not in ("auto", "mpmath", "flint", "float64"):
        raise InputError(f"--backend {args.backend!r} is not available (accepted: auto, mpmath, flint, float64)")
    if args.preconditioner in LIBRARY:
        args.backend = library_backend(args.preconditioner, args.backend)
    if args.backend == "flint" and not flint_backend.available():
        raise InputError("--backend flint needs python-flint: pip install python-flint (or, from a clone, pip install '.[fast]')")
    if args.backend == "auto":
        args.backend = "flint" if flint_backend.available() else "mpmath"
    params = parse_assignments(args.param)
    custom = args.K is not None or args.update is not None
    if custom and args.preconditioner:
        raise InputError("--K/--update exclude --preconditioner")
    if args.K is not None and args.update is not None:
        raise InputError("give either --K or --update, not both")
    if args.structure is not None and not custom:
        raise InputError("--structure needs --K or --update")
    names = [args.preconditioner] if args.preconditioner else list(CATALOG)
    if args.preconditioner and args.preconditioner not in CATALOG and args.preconditioner not in LIBRARY:
        raise InputError(f"unknown preconditioner {args.preconditioner!r} (choose from {', '.join(CATALOG)})")
    if params and not args.preconditioner and not custom:
        raise InputError("--param needs --preconditioner (or --K/--update)")
    claims = tuple(parse_claim(c) for c in args.claim or [])
    if any(c.norm == "hinv" for c in claims) and (custom or names != ["quadratic"]):
        raise InputError("--claim limit=minnorm:hinv needs --preconditioner quadratic")
    check_tolerance(args.tol)
    timeout = parse_timeout(args.timeout)
    import cvxpy
    if args.solver not in cvxpy.installed_solvers():
        raise InputError(f"--solver {args.solver!r} is not an installed cvxpy solver "
                         f"(installed: {', '.join(cvxpy.installed_solvers())})")
    problem, H = make_problem(args)
    lrs = parse_lrs(args)
    settings = Settings(dps=args.dps, tol=args.tol, max_iter=args.max_iter, timeout=timeout,
                        solver=args.solver, claims=claims, backend=args.backend, **({"lrs": lrs} if lrs else {}))
    if custom:
        return _check_custom(args, problem, params, settings)
    if args.preconditioner in LIBRARY:
        pre = library_preconditioner(args.preconditioner, params, (problem.d, problem.k))
        return _print_records(args, [check(problem, pre, settings).record])
    for name in names:  # validate parameters before any long computation
        make_preconditioner(name, params, shape=(problem.d, problem.k), seed=problem.seed or 0, H=H)
    jobs = [(problem, name, params, settings, H) for name in names]
    results = map_jobs(_check_worker, jobs, args.jobs)
    return _print_records(args, [r for r, _ in results], [h for _, h in results])


def _check_custom(args, problem, params, settings) -> int:
    built = build_custom(args.K, args.update, args.structure, params, (problem.d, problem.k))
    desc = {"name": "custom", "params": {k: str(v) for k, v in params.items()},
            "structure": args.structure or "entrywise", "K": args.K or f"from update {args.update}",
            "reconstruction": built.reconstruction}
    histories: dict = {}
    if built.pre is None:
        record = stopped(problem, desc, built.facts, settings).record
    else:
        pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
        result = check(problem, pre, settings)
        record, histories = result.record, result.histories
        record["preconditioner"]["source"] = built.source
        if built.reconstruction:
            record["preconditioner"]["reconstruction"] = built.reconstruction
    return _print_records(args, [record], [histories])


def _print_records(args, records: list[dict], histories: list[dict] | None = None) -> int:
    status = _exit_from_records(records)
    if getattr(args, "report", None):
        from .report_file import write_check_report
        meaning = {0: "all applicable claims verified", 1: "some claim refuted", 3: "some claim inconclusive"}[status]
        written = write_check_report(args.report, records, histories or [{} for _ in records],
                                     f"exit status {status} ({meaning})")
        where = f"in {os.path.dirname(written[-1]) or '.'}" if len(written) > 1 else "(no iteration was run)"
        print(f"report: {written[0]} ({len(written) - 1} figures {where})", file=sys.stderr)
    if args.json:
        if len(records) == 1:
            print(json.dumps(records[0], indent=2))
        else:
            print(json.dumps({"tool": records[0]["tool"], "problem": records[0]["problem"],
                              "settings": records[0]["settings"], "results": records,
                              "exit_status": status}, indent=2))
    else:
        print(check_header(records))
        print()
        print(claims_table(records))
        notes = refutation_notes(records)
        if notes:
            print("\nrefuted / inconclusive, with reasons:")
            print(notes)
        print(f"\nexit status {status} ({ {0: 'all applicable claims verified', 1: 'some claim refuted', 3: 'some claim inconclusive'}[status] })")
    return status


def cmd_proofs(args) -> int:
    """``dspgd-verify proofs``: a table (id, statement, method, status, time); exit 0 unless a result failed."""
    from proofs import ProofContext, run
    params = parse_assignments(args.param)
    if args.K is not None and args.preconditioner:
        raise InputError("--K excludes --preconditioner")
    if not os.path.isdir(args.out) or not os.access(args.out, os.W_OK):
        raise InputError(f"--out {args.out!r} is not a writable directory")
    context = ProofContext(examples=args.examples, seed=args.seed, out_dir=args.out)
    if args.K is not None:
        if args.structure is None:
            raise InputError("--K needs --structure")
        built = build_custom(args.K, None, args.structure, params, (3, 2))
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
    try:
        outcomes = run(args.only, context)
    except KeyError as exc:
        raise InputError(str(exc).strip("'\"")) from None
    failed = any(o.status == "failed" for o in outcomes)
    if args.json:
        print(json.dumps({"preconditioner": context.name, "results": [o.to_json() for o in outcomes]}, indent=2))
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


def cmd_catalog(args) -> int:
    import mpmath
    entries = []
    ctx = mpmath.MPContext()
    ctx.dps = 30
    for name in CATALOG:
        pre = make_preconditioner(name, {}, shape=(2, 1))
        e = pre.describe()
        e["L"] = ctx.nstr(pre.L(ctx), 15) if name != "quadratic" else "lambda_max(H)"
        e["mu0"] = ctx.nstr(pre.mu(ctx, ctx.zero), 15) if name != "quadratic" else "lambda_min(H)"
        if name == "quadratic":
            e["params"] = {"kappa": "4 (random SPD H with eigenvalues in [1, kappa]; or H from --problem)"}
        entries.append(e)
    if args.json:
        print(json.dumps({"catalog": entries}, indent=2))
    else:
        print(catalog_table(entries))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        if args.command == "check":
            return cmd_check(args)
        if args.command == "proofs":
            return cmd_proofs(args)
        if args.command == "margin":
            return margin_cli.cmd_margin(args)
        if args.command == "sweep":
            return cmd_sweep(args)
        if args.command == "lr-study":
            from .lr_study_cli import cmd_lr_study
            return cmd_lr_study(args)
        if args.command == "selftest":
            from .selftest_cli import cmd_selftest
            return cmd_selftest(args)
        return cmd_catalog(args)
    except InputError as exc:
        msg = " ".join(str(exc).split())
        print(f"dspgd-verify: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("dspgd-verify: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line, full traceback on request
        if os.environ.get("DSPGD_VERIFY_DEBUG"):
            raise
        print(f"dspgd-verify: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
              "(set DSPGD_VERIFY_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
