"""``dspgd-verify lr-study``: the command line of :mod:`verify.lr_study`.

Exit status: 0 the study ran (a slope was fitted, or K is left-invariant and no slope is
defined); 3 no slope could be fitted (runs did not converge, distances not resolved); 2 bad
input.  The study measures; it does not turn the slope into a verdict.
"""
from __future__ import annotations

import html
import json
import os
import sys
from dataclasses import replace
from fractions import Fraction

from numeric.preconditioners.catalog import CATALOG, make_preconditioner
from numeric.errors import InputError
from numeric.losses import LOSSES, make_loss
from numeric.params import parse_assignments, parse_number, parse_timeout
from numeric.precision import MAX_DPS, MIN_DPS
from numeric.problem import random_problem
from symbolic.timebox import CommandTimeout

from .limits import Budget

from ..envelope import envelope
from .args import provenance, resolve_backend

MAX_FRACTIONS = 200
DEFAULT_FRACTIONS = "0.02,0.05,0.1,0.2,0.45,0.9"


def add_lr_study_parser(sub, int_in) -> None:
    s = sub.add_parser("lr-study", help="W_inf(eta) at many learning rates against the gradient-flow limit")
    s.add_argument("--preconditioner", metavar="NAME", help=f"catalogue entry ({', '.join(CATALOG)})")
    s.add_argument("--param", action="append", metavar="KEY=VALUE", help="preconditioner parameter, e.g. eps=0.05")
    s.add_argument("--K", dest="K", metavar="EXPR", help="your own K, in the variable of --structure")
    s.add_argument("--structure", metavar="S", help="entrywise (g), isotropic (r), spectral (s) or general (G_i_j)")
    s.add_argument("--fractions", default=DEFAULT_FRACTIONS, metavar="F1,F2,...",
                   help="learning rates as fractions of 2/(beta L sigma_max^2), each in (0, 1); "
                        "'a,b,...,c' is the progression a, b, ..., c (default " + DEFAULT_FRACTIONS + ")")
    s.add_argument("--loss", default="square", metavar="NAME", help=f"loss ({'|'.join(LOSSES)})")
    s.add_argument("--n", type=int_in(1, 10**6, "--n"), default=5)
    s.add_argument("--d", type=int_in(1, 10**7, "--d"), default=15)
    s.add_argument("--k", type=int_in(1, 10**6, "--k"), default=2)
    s.add_argument("--seed", type=int_in(0, 2**32 - 1, "--seed"), default=0)
    s.add_argument("--w0", default="zero", metavar="zero|random")
    s.add_argument("--dps", type=int_in(MIN_DPS, MAX_DPS, "--dps"), default=30, help="decimal digits (default 30)")
    s.add_argument("--backend", default="auto", metavar="auto|mpmath|flint")
    s.add_argument("--max-iter", type=int_in(1, 10**8, "--max-iter"), default=2_000_000)
    s.add_argument("--timeout", metavar="SECONDS",
                   help="time budget of the whole command (seconds): preparation, the flow, every run and its rerun")
    s.add_argument("--json", action="store_true", help="one JSON object on stdout")
    s.add_argument("--report", metavar="FILE.md|FILE.html", help="write a report with the figure")


def parse_fractions(text: str) -> list[Fraction]:
    """``"0.1,0.2,0.5"`` or the progression ``"0.01,0.02,...,0.09"``; each in (0, 1), increasing order."""
    parts = [t.strip() for t in text.split(",") if t.strip()]
    if "..." in parts:
        i = parts.index("...")
        if i < 2 or i != len(parts) - 2 or parts.count("...") != 1:
            raise InputError(f"--fractions {text!r}: write a progression as a,b,...,c")
        a, b = (parse_number(parts[i - 2], "--fractions"), parse_number(parts[i - 1], "--fractions"))
        c = parse_number(parts[-1], "--fractions")
        step = b - a
        if step <= 0 or c < b:
            raise InputError(f"--fractions {text!r}: a progression a,b,...,c needs a < b <= c")
        count = (c - b) / step
        if count.denominator != 1:
            raise InputError(f"--fractions {text!r}: c - b is not a multiple of b - a")
        if count > MAX_FRACTIONS:
            raise InputError(f"--fractions {text!r}: more than {MAX_FRACTIONS} learning rates")
        values = [parse_number(p, "--fractions") for p in parts[:i - 2]] + \
                 [a + j * step for j in range(int(count) + 2)]
    else:
        values = [parse_number(p, "--fractions") for p in parts]
    if not values:
        raise InputError("--fractions is empty")
    if len(values) > MAX_FRACTIONS:
        raise InputError(f"--fractions: more than {MAX_FRACTIONS} learning rates")
    for v in values:
        if not 0 < v < 1:
            raise InputError(f"--fractions: {v} is not in (0, 1)")
    return sorted(set(values))


def _build(args, budget: Budget):
    """``(problem, preconditioner, left_invariant)`` from the arguments (InputError on bad input;
    :class:`~symbolic.timebox.CommandTimeout` when the symbolic build of ``--K`` runs out of time)."""
    params = getattr(args, "param_values", None) or parse_assignments(args.param)
    given = getattr(args, "problem_value", None)  # the Python API passes a built problem
    if args.K is not None:  # the expression is read before the problem's exact rank
        if args.preconditioner:
            raise InputError("--K excludes --preconditioner")
        shape = (given[0].d, given[0].k) if given is not None else (args.d, args.k)
        from .expressions import parse_expressions_early  # SymPy: only for a user's expression
        parse_expressions_early(args.K, None, args.structure, params, shape)
    problem = given[0] if given is not None else \
        random_problem(args.n, args.d, args.k, seed=args.seed, w0=args.w0, loss=make_loss(args.loss))
    if args.K is not None:
        from ..custom import build_custom
        with budget.symbolic():
            built = build_custom(args.K, None, args.structure, params, (problem.d, problem.k))
        if built.pre is None:
            raise InputError(f"--K is not a convex K with grad K(0) = 0: {built.facts['convex'].detail}")
        pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
        facts = built.facts
        left_inv = pre.left_invariant or (pre.structure == "general" and "left_invariant" in facts
                                          and facts["left_invariant"].status == "proved")
        return problem, pre, left_inv
    if args.structure is not None:
        raise InputError("--structure needs --K")
    if not args.preconditioner:
        raise InputError("lr-study needs --preconditioner NAME or --K EXPR --structure S")
    if args.preconditioner not in CATALOG:
        raise InputError(f"unknown preconditioner {args.preconditioner!r} (choose from {', '.join(CATALOG)})")
    pre = make_preconditioner(args.preconditioner, params, shape=(problem.d, problem.k), seed=problem.seed or 0)
    return problem, pre, pre.left_invariant


class StudyStopped(Exception):
    """The symbolic preparation of ``--K`` ran out of ``--timeout``: no study ran (the message says why)."""


def cmd_lr_study(args) -> int:
    try:
        study = run_lr_study(args)
    except StudyStopped as exc:
        if args.json:
            print(json.dumps(envelope("lr-study", {"stopped": str(exc)}, 3, getattr(args, "argv", None)), indent=2))
        else:
            print(f"inconclusive: {exc}\n\nexit status 3 (no slope could be fitted)")
        return 3
    status = study_status(study)
    if args.json:
        print(json.dumps(envelope("lr-study", study.record, status, getattr(args, "argv", None)), indent=2))
    else:
        from ..lr_study import summary_lines
        print("\n".join(summary_lines(study)))
    if args.report:
        written = write_lr_report(args.report, study, provenance(args))
        print(f"report: {written[0]} ({len(written) - 2} figure and its data in {os.path.dirname(written[-1]) or '.'})",
              file=sys.stderr)
    return status


def study_status(study) -> int:
    """0 a slope was fitted (or K is left-invariant: none is defined); 3 no slope."""
    return 0 if (study.record["preconditioner"]["row_space_preserving"] or study.fit is not None) else 3


def run_lr_study(args):
    """Validate ``args`` (InputError on bad input) and run the study."""
    from ..lr_study import lr_study
    if args.report is not None:
        from ..report.files import validate_report_path
        validate_report_path(args.report)
    fractions = parse_fractions(args.fractions)
    backend = resolve_backend(args.backend, ("auto", "mpmath", "flint"))
    budget = Budget(parse_timeout(args.timeout))
    try:
        problem, pre, left_inv = _build(args, budget)
    except CommandTimeout:
        raise StudyStopped(budget.symbolic_reason("preparing --K (its facts and its gradient)")) from None
    if backend == "flint":
        from numeric.backends.flint_loop import supported
        from numeric.exact_problem import ExactProblem
        from numeric.precision import working_precision
        with working_precision(args.dps) as ctx:
            backend = "flint" if supported(ExactProblem.build(ctx, problem), pre) else "mpmath"
    return lr_study(problem, pre, fractions, dps=args.dps, left_invariant=left_inv, backend=backend,
                    max_iter=args.max_iter, deadline=budget.deadline())  # --timeout bounds the whole command


def write_lr_report(path: str, study, provenance: dict | None = None) -> list[str]:
    """Markdown or self-contained HTML: provenance, the summary, the figure with its data (CSV
    beside the PNG) and the whole JSON record."""
    from ..lr_study import lr_study_figure, lr_study_data, summary_lines
    from ..report.files import (csv_name, figures_dir, html_figure, html_head, provenance_lines, report_format,
                                write_files)
    png = lr_study_figure(study)
    data = lr_study_data(study)
    name = f"{study.record['preconditioner']['name']}-lr-study.png"
    rel = f"{os.path.basename(figures_dir(path))}/{name}"
    summary = "\n".join(summary_lines(study))
    caption = ("||W_inf(eta) - W_flow|| / ||W_GD - W0|| versus eta (log-log) with the least-squares line and a "
               "slope-1 guide (docs/theory.md §3.3 predicts slope 1); right: the residuals of the fit.")
    record = json.dumps(study.record, indent=1, ensure_ascii=False)
    title = "dspgd-verify lr-study report"
    if report_format(path) == "md":
        prov = [f"- {line}" for line in provenance_lines(provenance)]
        text = "\n".join([f"# {title}", "", *prov, "", "```", summary, "```", "", f"![lr-study]({rel})", "",
                          f"*{caption}* Data: [{csv_name(rel)}]({csv_name(rel)})", "",
                          "<details><summary>the whole record (JSON)</summary>", "", "```json", record,
                          "```", "", "</details>", ""])
    else:
        e = html.escape
        text = (html_head(title, provenance) + f"<pre>{e(summary)}</pre>" + html_figure(name, png, data, caption)
                + f"<details><summary>the whole record (JSON)</summary><pre>{e(record)}</pre></details></body></html>")
    return write_files(path, text, {name: png, csv_name(name): data.encode("utf-8")})
