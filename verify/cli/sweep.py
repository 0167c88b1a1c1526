"""``dspgd-verify sweep``: arguments and output of a campaign; the engine is :mod:`verify.campaign.sweep`.

Exit status: 0 all applicable claims verified, 1 some refuted, 3 some inconclusive, 2 bad input.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from fractions import Fraction

from numeric.errors import InputError
from numeric.params import check_tolerance, parse_timeout

from ..campaign.sweep import (
    DEFAULT_PRECONDITIONERS, MAX_TASKS, Instance, check_output, parse_fractions, parse_preconditioners,
    parse_seeds, parse_sizes, run_sweep, summarize, summary_text,
)
from ..campaign.journal import Journal, complete_rows, journal_path, resumable_rows
from ..check import Settings
from ..envelope import envelope
from ..verdict import exit_status
from .args import resolve_backend


def add_parser(sub) -> None:
    """The ``sweep`` subcommand (added to the CLI's subparsers)."""
    s = sub.add_parser("sweep", help="run the checks over many random problems in parallel (joblib / Dask)")
    s.add_argument("--preconditioners", default=",".join(DEFAULT_PRECONDITIONERS), metavar="A,B,...",
                   help=f"catalogue names (default {','.join(DEFAULT_PRECONDITIONERS)})")
    s.add_argument("--sizes", default="6x24x2", metavar="NxDxK,...", help="problem sizes (default 6x24x2)")
    s.add_argument("--seeds", default="0..9", metavar="A..B|S,...", help="seeds (default 0..9)")
    s.add_argument("--fractions", metavar="F,...", help="learning-rate fractions (default 0.45,0.9)")
    s.add_argument("--backend", default="float64", metavar="float64|auto|mpmath|flint",
                   help="arithmetic of the DSPGD loop (default float64)")
    s.add_argument("--dps", default=None, metavar="DIGITS", help="digits of mpmath/flint runs (default 50)")
    s.add_argument("--tol", default=None, metavar="TOL", help="tolerance of equality claims (float64: 1e-8, else 1e-20)")
    s.add_argument("--max-iter", default="200000", metavar="N")
    s.add_argument("--timeout", default=None, metavar="SECONDS", help="time budget per run")
    s.add_argument("--out", default=None, metavar="FILE.csv|FILE.parquet", help="the results table")
    s.add_argument("--jobs", default=None, metavar="N", help="local worker processes (default: CPU count)")
    s.add_argument("--dask-scheduler", default=None, metavar="ADDRESS", help="run on a Dask cluster (tcp://HOST:PORT)")
    s.add_argument("--resume", action="store_true",
                   help="continue an interrupted sweep: skip the instances already in --out (or its .partial.csv)")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")


def _int(text, what: str, lo: int, hi: int) -> int:
    if text is None or not str(text).isdigit() or not lo <= int(text) <= hi:
        raise InputError(f"{what}: expected an integer in [{lo}, {hi}], got {text!r}")
    return int(text)


def settings_from_args(args) -> Settings:
    from numeric.precision import MAX_DPS, MIN_DPS
    backend = args.backend
    backend = resolve_backend(backend, ("float64", "auto", "mpmath", "flint"))
    dps = 50 if args.dps is None else _int(args.dps, "--dps", MIN_DPS, MAX_DPS)
    check_tolerance(args.tol)
    timeout = parse_timeout(args.timeout)
    return Settings(dps=dps, lrs=parse_fractions(args.fractions), tol=args.tol, backend=backend,
                    max_iter=_int(args.max_iter, "--max-iter", 1, 10**8), timeout=timeout)


def cmd_sweep(args) -> int:
    """``dspgd-verify sweep``: exit 0 all applicable claims verified, 1 some refuted, 3 some inconclusive."""
    names = tuple(parse_preconditioners(args.preconditioners))
    sizes = parse_sizes(args.sizes)
    seeds = parse_seeds(args.seeds)
    settings = settings_from_args(args)
    fmt = check_output(args.out)
    jobs = _int(args.jobs, "--jobs", 1, 1024) if args.jobs is not None else (os.cpu_count() or 1)
    if args.dask_scheduler is not None and args.jobs is not None:
        raise InputError("--jobs and --dask-scheduler exclude each other (the cluster sets the workers)")
    instances = [Instance(n, d, k, s) for (n, d, k) in sizes for s in seeds]
    if len(instances) * len(names) > MAX_TASKS:
        raise InputError(f"sweep too large: {len(instances) * len(names)} checks (limit {MAX_TASKS})")
    old: list[dict] = []
    if args.resume and not args.out:
        raise InputError("--resume needs --out (the table to continue)")
    if args.out:
        if args.resume:
            old, done = complete_rows(resumable_rows(args.out), names)
            before = len(instances)
            instances = [i for i in instances if (i.n, i.d, i.k, i.seed) not in done]
            print(f"sweep: resuming: {before - len(instances)} of {before} instances already done, "
                  f"{len(instances)} to run", file=sys.stderr)
        elif os.path.exists(journal_path(args.out)):
            raise InputError(f"--out {args.out}: an interrupted sweep left {journal_path(args.out)}; add --resume "
                             f"to continue it, or delete that file to start again")
    journal = Journal(args.out, old, getattr(args, "argv", None)) if args.out else None
    import io

    from ..campaign.sweep import Progress
    counter = Progress(len(instances), stream=io.StringIO()) if getattr(args, "quiet", False) else None  # -q
    t0 = time.perf_counter()
    try:
        rows = run_sweep(instances, names, settings, jobs=jobs, scheduler=args.dask_scheduler, progress=counter,
                         on_rows=journal.append if journal else None)
    except BaseException:
        if journal is not None:
            journal.close()
            print(f"sweep: stopped; the rows of {journal.instances} finished instance(s) are in {journal.path} "
                  f"(rerun with --resume to continue)", file=sys.stderr)
        raise
    seconds = time.perf_counter() - t0
    rows = old + rows
    order = {name: i for i, name in enumerate(names)}
    rows.sort(key=lambda r: (r["n"], r["d"], r["k"], r["seed"], order.get(r["preconditioner"], len(order)),
                             r["preconditioner"]))
    instances = sorted({(r["n"], r["d"], r["k"], r["seed"]) for r in rows})
    if journal is not None:
        journal.finish(rows, fmt)
    summary = summarize(rows, len(instances), seconds)
    summary.update(preconditioners=list(names), sizes=[f"{n}x{d}x{k}" for n, d, k in sizes], backend=settings.backend,
                   tolerance=settings.tolerance(), out=args.out,
                   workers=args.dask_scheduler or jobs)
    status = exit_status(rows)
    if args.json:
        print(json.dumps(envelope("sweep", json.loads(json.dumps(summary, default=_json_default)), status,
                                  getattr(args, "argv", None)), indent=2))
    else:
        print(summary_text(summary))
        if args.out:
            print(f"results: {args.out}")
        print(f"exit status {status}")
    return status


def _json_default(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, Fraction):
        return str(x)
    raise TypeError(type(x).__name__)
