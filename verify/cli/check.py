"""``dspgd-verify check``: run DSPGD and judge the claims of the DSPGD paper (paper 1).

Exit status (docs/cli.md): 0 every outcome as the papers predict (a planted counterexample refuted, every
other applicable claim verified); 1 an outcome against a prediction, or an unpredicted claim (``--claim``)
refuted; 3 inconclusive; 2 bad input.  ``--strict``: from the verdicts alone.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

import numpy as np

from numeric.errors import InputError
from numeric.losses import LOSSES, make_loss
from numeric.params import check_tolerance, parse_assignments, parse_number, parse_timeout
from numeric.precision import MAX_DPS, MIN_DPS
from numeric.preconditioners.catalog import CATALOG, make_preconditioner
from numeric.problem import Problem, load_arrays, problem_from_arrays, random_problem
from symbolic.timebox import CommandTimeout

from ..campaign.parallel import map_jobs
from ..characterization import DEFAULT_SOLVER
from ..check import Settings, check, check_by_name, out_of_time, stopped
from ..claims.parse import parse_claim
from ..library_check import LIBRARY, library_backend, library_preconditioner
from ..report.tables import check_header, claims_table, refutation_notes
from ..runs import LearningRate
from ..envelope import results_envelope, statuses
from ..predictions import summary_line
from ..progress import progress_for
from ..verdict import DEFAULT_TOL
from .args import provenance, resolve_backend, status_line
from .limits import Budget


def add_parser(sub, int_in) -> None:
    """The ``check`` subcommand."""
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
    c.add_argument("--n", type=int_in(1, 10**6, "--n"), default=None)
    c.add_argument("--d", type=int_in(1, 10**7, "--d"), default=None)
    c.add_argument("--k", type=int_in(1, 10**6, "--k"), default=None)
    c.add_argument("--seed", type=int_in(0, 2**32 - 1, "--seed"), default=None)
    c.add_argument("--w0", default=None, metavar="zero|random", help="W0 of a generated problem (default zero)")
    c.add_argument("--problem", metavar="FILE.npz", help="arrays X, Y and optional W0 (and H for quadratic)")
    c.add_argument("--lr", action="append", metavar="ETA", help="absolute learning rate (repeatable)")
    c.add_argument("--lr-frac", action="append", metavar="F",
                   help="eta = F * 2/(beta L sigma_max^2), F in (0, 1) (repeatable); default 0.45 and 0.9")
    c.add_argument("--dps", type=int_in(MIN_DPS, MAX_DPS, "--dps"), default=50, help="decimal digits (default 50)")
    c.add_argument("--backend", default="auto", metavar="auto|mpmath|flint|float64",
                   help="arithmetic of the DSPGD loop: flint (python-flint, fast), mpmath (reference), "
                        "float64 (numpy, campaigns; claims to 1e-8); default auto: flint when python-flint is installed")
    c.add_argument("--claim", action="append", metavar="CLAIM",
                   help="extra claim: limit=gd, limit=minnorm:fro|l1|linf|spectral|nuclear|hinv, bound:c=V")
    c.add_argument("--tol", default=None, metavar="TOL",
                   help=f"relative tolerance of equality claims ({DEFAULT_TOL}; 1e-8 with --backend float64)")
    c.add_argument("--max-iter", type=int_in(1, 10**8, "--max-iter"), default=200_000)
    c.add_argument("--timeout", metavar="SECONDS",
                   help="time budget of the whole command (seconds): preparation, every run and its rerun")
    c.add_argument("--solver", default=None, metavar="NAME",
                   help="cvxpy solver of --claim limit=... (CLARABEL); cvxpy is imported only when one is needed")
    c.add_argument("--jobs", type=int_in(1, 64, "--jobs"), default=None, help="parallel processes (headline run)")
    c.add_argument("--strict", action="store_true",
                   help="exit status from the verdicts alone (1 on any refutation), ignoring the papers' predictions")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    c.add_argument("--report", metavar="FILE.md|FILE.html",
                   help="also write a report with figures (PNGs in FILE_files/); needs the report extra")


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


DEFAULT_SIZE = (6, 24, 2)  # n, d, k of the generated problem
CHECK_BACKENDS = ("auto", "mpmath", "flint", "float64")


def make_problem(args, loss=None, arrays: dict | None = None) -> tuple[Problem, np.ndarray | None]:
    """The problem of ``--problem`` (its ``arrays`` when already read) or of ``--n --d --k --seed``."""
    if loss is None:
        delta = parse_number(args.loss_delta, "--loss-delta") if args.loss_delta is not None else None
        loss = make_loss(args.loss, delta)
    if args.problem:
        if any(v is not None for v in (args.n, args.d, args.k, args.seed, args.w0)):
            raise InputError("--problem excludes --n/--d/--k/--seed/--w0 (put W0 in the file)")
        if arrays is None:
            arrays = load_arrays(args.problem, required=("X", "Y"), optional=("W0", "H"))
        prob = problem_from_arrays(arrays, args.problem, loss)
        return prob, arrays.get("H")
    n = args.n if args.n is not None else DEFAULT_SIZE[0]
    d = args.d if args.d is not None else DEFAULT_SIZE[1]
    k = args.k if args.k is not None else DEFAULT_SIZE[2]
    return random_problem(n, d, k, seed=args.seed or 0, w0=args.w0 or "zero", loss=loss), None


def _check_worker(job):
    problem, name, params, settings, H = job
    result = check_by_name(problem, name, params, settings, H)
    return result.record, result.histories


def cmd_check(args) -> int:
    records, histories = run_check(args)
    return _print_records(args, records, histories)


def run_check(args) -> tuple[list[dict], list[dict]]:
    """Validate ``args`` (InputError on bad input), run every check: ``(records, histories)``."""
    if args.report is not None:
        from ..report.files import validate_report_path
        validate_report_path(args.report)
    if args.preconditioner in LIBRARY and args.backend in CHECK_BACKENDS:
        args.backend = library_backend(args.preconditioner, args.backend)
    args.backend = resolve_backend(args.backend, CHECK_BACKENDS)
    params = getattr(args, "param_values", None) or parse_assignments(args.param)
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
    budget = Budget(parse_timeout(args.timeout))
    lrs = parse_lrs(args)
    loss = make_loss(args.loss, parse_number(args.loss_delta, "--loss-delta") if args.loss_delta is not None else None)
    if args.problem and any(v is not None for v in (args.n, args.d, args.k, args.seed, args.w0)):
        raise InputError("--problem excludes --n/--d/--k/--seed/--w0 (put W0 in the file)")
    if args.w0 not in (None, "zero", "random"):
        raise InputError(f"--w0 must be 'zero' or 'random', got {args.w0!r}")
    # the file and the expression are read before any expensive import or the exact rank
    arrays = load_arrays(args.problem, required=("X", "Y"), optional=("W0", "H")) if args.problem else None
    given = getattr(args, "problem_value", None)  # the Python API passes a built problem
    if custom:
        if given is not None:
            shape = (given[0].d, given[0].k)
        elif arrays is not None:
            shape = (arrays["X"].shape[1], arrays["Y"].shape[1] if arrays["Y"].ndim == 2 else 1)
        else:
            shape = (args.d or DEFAULT_SIZE[1], args.k or DEFAULT_SIZE[2])
        from .expressions import parse_expressions_early  # SymPy: only for a user's expression
        parse_expressions_early(args.K, args.update, args.structure, params, shape)
    # cvxpy (about 1 s to import) only when a claim solves something or a solver was named
    if args.solver is not None or any(c.kind == "limit" for c in claims):
        _validate_solver(args.solver or DEFAULT_SOLVER)
    args.solver = args.solver or DEFAULT_SOLVER
    problem, H = (given if given is not None else make_problem(args, loss, arrays))
    # --timeout bounds the whole command: every run and rerun gets what is left of one deadline
    settings = Settings(dps=args.dps, tol=args.tol, max_iter=args.max_iter, deadline=budget.deadline(),
                        solver=args.solver, claims=claims, backend=args.backend, **({"lrs": lrs} if lrs else {}))
    if custom:
        record, histories = _check_custom(args, problem, params, settings, budget)
        return [record], [histories]
    if args.preconditioner in LIBRARY:
        pre = library_preconditioner(args.preconditioner, params, (problem.d, problem.k))
        with progress_for(args, "check", 1) as bar:
            result = check(problem, pre, settings)
            bar.done(args.preconditioner, verbose_lines(result.record))
        return [result.record], [result.histories]
    for name in names:  # validate parameters before any long computation
        make_preconditioner(name, params, shape=(problem.d, problem.k), seed=problem.seed or 0, H=H)
    jobs = [(problem, name, params, settings, H) for name in names]
    with progress_for(args, "check", len(jobs)) as bar:
        results = map_jobs(_check_worker, jobs, args.jobs,
                           on_done=lambda r: bar.done(r[0]["preconditioner"]["name"], verbose_lines(r[0])))
    return [r for r, _ in results], [h for _, h in results]


def verbose_lines(record: dict) -> list[str]:
    """``-v``: one line per learning-rate run (iterations, how it stopped, seconds)."""
    out = []
    for c in record.get("claims", []):
        if c["id"] == "convergence":
            ev = c.get("evidence", {})
            frac = f" (fraction {c['lr_fraction']})" if c.get("lr_fraction") else ""
            out.append(f"lr {c['lr']}{frac}: {ev.get('iterations')} iterations, stopped by {ev.get('stop_reason')}, "
                       f"{ev.get('seconds')} s; convergence {c['verdict']}")
    return out


def _validate_solver(name: str) -> None:
    """``name`` must be an installed cvxpy solver (imports cvxpy)."""
    import cvxpy
    if name not in cvxpy.installed_solvers():
        raise InputError(f"--solver {name!r} is not an installed cvxpy solver "
                         f"(installed: {', '.join(cvxpy.installed_solvers())})")


def _check_custom(args, problem, params, settings, budget: Budget) -> tuple[dict, dict]:
    from ..custom import build_custom  # SymPy: imported only for a user K
    desc = {"name": "custom", "params": {k: str(v) for k, v in params.items()},
            "structure": args.structure or "entrywise", "K": args.K or f"from update {args.update}"}
    try:
        with budget.symbolic():
            built = build_custom(args.K, args.update, args.structure, params, (problem.d, problem.k))
    except CommandTimeout:
        reason = budget.symbolic_reason("preparing this K (its facts and its gradient)")
        return out_of_time(problem, {**desc, "reconstruction": ""}, settings, reason).record, {}
    desc["reconstruction"] = built.reconstruction
    histories: dict = {}
    if built.pre is None:
        record = stopped(problem, desc, built.facts, settings).record
    else:
        pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
        with progress_for(args, "check", 1) as bar:
            result = check(problem, pre, settings)
            bar.done("custom K", verbose_lines(result.record))
        record, histories = result.record, result.histories
        record["preconditioner"]["source"] = built.source
        if built.reconstruction:
            record["preconditioner"]["reconstruction"] = built.reconstruction
    return record, histories


def _print_records(args, records: list[dict], histories: list[dict] | None = None) -> int:
    status, strict = statuses(records, strict=getattr(args, "strict", False))
    summary = summary_line(records)
    if getattr(args, "report", None):
        from ..report.files import write_check_report
        written = write_check_report(args.report, records, histories or [{} for _ in records],
                                     f"{status_line(status, strict, getattr(args, 'strict', False))}; {summary}",
                                     provenance=provenance(args))
        pngs = [w for w in written if w.endswith(".png")]
        where = f"with their data (CSV) in {os.path.dirname(written[-1]) or '.'}" if pngs else "(no iteration was run)"
        print(f"report: {written[0]} ({len(pngs)} figures {where})", file=sys.stderr)
    if args.json:
        print(json.dumps(results_envelope("check", records, status, strict, getattr(args, "argv", None),
                                          shared=("problem", "settings")), indent=2))
    else:
        print(check_header(records))
        print()
        print(claims_table(records))
        notes = refutation_notes(records)
        if notes:
            print("\nrefuted / inconclusive, with reasons:")
            print(notes)
        print("\n" + status_line(status, strict, getattr(args, "strict", False)))
        print(summary)
    return status
