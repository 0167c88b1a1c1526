"""``dspgd-verify margin``: arguments, defaults and output (docs/cli.md, docs/theory.md §6).

Without ``--optimizer`` it is the paper-2 headline: ``ngd sign adam spectral muon muon-sign``
on their default models, one table.
"""
from __future__ import annotations

import json
from fractions import Fraction

from numeric.errors import InputError
from numeric.margin.data import KINDS, load_margin_problem, random_margin_problem
from numeric.margin.optimizers import OPTIMIZERS, make_optimizer
from numeric.margin.run import MAX_STEPS, Schedule
from numeric.params import parse_number

from ..campaign.parallel import map_jobs
from ..margin.check import MarginSettings, margin_check
from ..margin.claims import DEFAULT_MARGIN_TOL
from ..verdict import exit_status

HEADLINE = ("ngd", "sign", "adam", "spectral", "muon", "muon-sign")
DEFAULT_MODEL = {"muon-sign": "hybrid", "muon-adam": "hybrid"}
DEFAULT_SIZES = {"binary": (24, 8, 1), "multiclass": (16, 6, 4), "hybrid": (16, 3, 4)}
CLAIM_IDS = ("margin:l2", "margin:linf", "margin:spectral", "margin:hybrid")


def add_parser(sub, int_in) -> None:
    m = sub.add_parser("margin", help="paper 2: does an optimizer maximize the margin of its own norm?")
    m.add_argument("--optimizer", metavar="NAME", help=f"{'|'.join(OPTIMIZERS)}; default: {' '.join(HEADLINE)}")
    m.add_argument("--ratio", metavar="R", help="hybrid ratio r = eta_A/eta_M of muon-sign/muon-adam (default 1)")
    m.add_argument("--model", metavar="KIND", help=f"{'|'.join(KINDS)} (default: multiclass; hybrid for muon-sign/muon-adam)")
    m.add_argument("--n", type=int_in(2, 500, "--n"), default=None, help="samples (default 16; 24 for binary)")
    m.add_argument("--d", type=int_in(1, 100, "--d"), default=None,
                   help="features (multiclass, default 6; binary, default 8) or the side of the square Z_i (hybrid, default 3)")
    m.add_argument("--k", type=int_in(1, 50, "--k"), default=None,
                   help="classes (multiclass, default 4) or the size of the vector block (hybrid, default 4)")
    m.add_argument("--seed", type=int_in(0, 2**32 - 1, "--seed"), default=None)
    m.add_argument("--problem", metavar="FILE.npz", help="X, y (binary, multiclass) or Z, z, y (hybrid)")
    m.add_argument("--steps", type=int_in(1, MAX_STEPS, "--steps"), default=100_000, help="iterations T (default 100000)")
    m.add_argument("--lr", default="0.01", metavar="ETA0", help="eta_0 of eta_t = eta_0 (t+1)^-alpha (default 0.01)")
    m.add_argument("--alpha", default="0", metavar="A", help="schedule exponent in [0, 1] (default 0: constant)")
    m.add_argument("--beta1", metavar="B", help="momentum (default 0; 0.9 for signum, adam, muon*)")
    m.add_argument("--beta2", metavar="B", help="Adam's second-moment rate (default 0.95)")
    m.add_argument("--tol", default=DEFAULT_MARGIN_TOL, metavar="TOL",
                   help=f"tolerance on the relative margin gap (default {DEFAULT_MARGIN_TOL})")
    m.add_argument("--claim", action="append", metavar="CLAIM",
                   help="report only these claims: margin:l2|linf|spectral|hybrid, or margin:hybrid:R "
                        "(the hybrid norm at another ratio R)")
    m.add_argument("--solver", default="CLARABEL", metavar="NAME", help="cvxpy solver (CLARABEL)")
    m.add_argument("--timeout", metavar="SECONDS", help="time budget of the run (seconds)")
    m.add_argument("--jobs", type=int_in(1, 64, "--jobs"), default=None, help="parallel processes (headline)")
    m.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _fraction(text: str, what: str, lo=None, hi=None, open_lo=True) -> Fraction:
    v = parse_number(text, what)
    if lo is not None and (v < lo or (open_lo and v == lo)):
        raise InputError(f"{what} must be {'>' if open_lo else '>='} {lo}, got {text}")
    if hi is not None and v > hi:
        raise InputError(f"{what} must be <= {hi}, got {text}")
    return v


def _claims(texts) -> tuple[tuple | None, tuple]:
    if not texts:
        return None, ()
    ids, ratios = [], []
    for t in dict.fromkeys(x.strip() for x in texts):
        if t in CLAIM_IDS:
            ids.append(t)
        elif t.startswith("margin:hybrid:"):
            label = t.split(":", 2)[2]
            ratios.append((label, _fraction(label, f"--claim {t!r}: the ratio", lo=0)))
            ids.append(t)
        else:
            raise InputError(f"--claim {t!r}: expected margin:l2, margin:linf, margin:spectral, margin:hybrid "
                             f"or margin:hybrid:R")
    return tuple(ids), tuple(ratios)


def _job(args, name: str, ratio: Fraction):
    kind = args.model or DEFAULT_MODEL.get(name, "multiclass")
    if kind not in KINDS:
        raise InputError(f"--model {kind!r}: choose from {', '.join(KINDS)}")
    if args.problem:
        if any(v is not None for v in (args.n, args.d, args.k, args.seed)):
            raise InputError("--problem excludes --n/--d/--k/--seed")
        if not args.optimizer:
            raise InputError("--problem needs --optimizer")
        prob = load_margin_problem(args.problem, kind)
    else:
        n0, d0, k0 = DEFAULT_SIZES[kind]
        prob = random_margin_problem(kind, args.n or n0, args.d or d0, args.k or k0, args.seed or 0)
    beta1 = float(_fraction(args.beta1, "--beta1", lo=0, hi=Fraction(999999, 10**6), open_lo=False)) \
        if args.beta1 is not None else None
    beta2 = float(_fraction(args.beta2, "--beta2", lo=0, hi=Fraction(999999, 10**6))) if args.beta2 is not None else None
    make_optimizer(name, prob, ratio, beta1, beta2)  # validate now; workers rebuild it (closures do not pickle)
    return prob, (name, ratio, beta1, beta2)


def _settings(args, ratio: Fraction) -> MarginSettings:
    tol = _fraction(args.tol, "--tol", lo=0, hi=Fraction(1, 2))
    eta0 = float(_fraction(args.lr, "--lr", lo=0, hi=10**6))
    alpha = float(_fraction(args.alpha, "--alpha", lo=0, hi=1, open_lo=False))
    timeout = float(_fraction(args.timeout, "--timeout", lo=0)) if args.timeout is not None else None
    report, extra = _claims(args.claim)
    return MarginSettings(steps=args.steps, schedule=Schedule(eta0, alpha), tol=tol, ratio=ratio,
                          extra_ratios=extra, report=report, solver=args.solver, timeout=timeout)


def _worker(job):
    prob, (name, ratio, beta1, beta2), settings = job
    return margin_check(prob, make_optimizer(name, prob, ratio, beta1, beta2), settings).record


def cmd_margin(args) -> int:
    if args.optimizer is not None and args.optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {args.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")
    ratio = _fraction(args.ratio, "--ratio", lo=0, hi=1000) if args.ratio is not None else Fraction(1)
    settings = _settings(args, ratio)
    names = [args.optimizer] if args.optimizer else list(HEADLINE)
    jobs = [(*_job(args, name, ratio), settings) for name in names]  # validate all before running
    import cvxpy  # the expensive import, after every argument and the data were checked
    if args.solver not in cvxpy.installed_solvers():
        raise InputError(f"--solver {args.solver!r} is not an installed cvxpy solver "
                         f"(installed: {', '.join(cvxpy.installed_solvers())})")
    records = map_jobs(_worker, jobs, args.jobs)
    status = exit_status([c for r in records for c in r["claims"]])
    if args.json:
        out = records[0] if len(records) == 1 else {"tool": records[0]["tool"], "results": records,
                                                     "exit_status": status}
        print(json.dumps(out, indent=2))
    else:
        print(margin_table(records))
        print(f"\nexit status {status} ({ {0: 'all applicable claims verified', 1: 'some claim refuted', 3: 'some claim inconclusive'}[status] })")
    return status


def margin_table(records: list[dict]) -> str:
    """One block per run: header, one line per claim, the hybrid-ratio fit where there is one."""
    from ..report.tables import SYMBOL
    lines = []
    for r in records:
        o, p, s = r["optimizer"], r["problem"], r["settings"]
        note = "" if o["covered_by_theory"] else "  [not covered by the theory]"
        lines.append(f"{o['name']} ({', '.join(f'{k}={v}' for k, v in o['params'].items()) or 'no parameters'})"
                     f" -> paper 2 predicts {o['predicted_norm']}{note}")
        lines.append(f"  {p['kind']} model, {p['samples']} samples, {p['params']} parameters, seed {p['seed']}; "
                     f"eta_t = {s['lr']}, T = {r['run']['steps']} ({r['run']['seconds']} s, "
                     f"rerun {r['run']['rerun_seconds']} s), tol {s['tol']}")
        for c in r["claims"]:
            ev = c.get("evidence", {})
            gap = ev.get("relative_gap")
            kkt = ev.get("kkt_alignment", {})
            gtxt = f"gap in [{gap[0]}, {gap[1]}]" if gap else ""
            ktxt = f"tau99={kkt.get('tau99')}" if kkt else ""
            lines.append(f"  {c['id']:<22} {SYMBOL[c['verdict']]:<13} {gtxt:<36} {ktxt}")
            if c["verdict"] in ("refuted", "inconclusive") or "indistinguishable_from" in ev:
                lines.append(f"      {c['reason']}")
        fit = r.get("hybrid_ratio_fit")
        if fit:
            extra = f", kappa = {fit['kappa_final']} so kappa*r = {fit['kappa_times_r']}" if "kappa_final" in fit else ""
            lo, hi = fit["ratios_fitting_as_well"]
            lines.append(f"  best-fitting hybrid ratio r' = {fit['best_fitting_ratio']} "
                         f"(relative gap {fit['relative_gap_at_best']}; as good: r' in [{lo}, {hi}]){extra}")
        lines.append("")
    return "\n".join(lines).rstrip()
