"""``dspgd-verify margin``: arguments, defaults and output (docs/cli.md, docs/theory.md §6).

Without ``--optimizer`` it is the paper-2 headline: ``ngd sign adam spectral muon muon-sign``
on their default models, one table.

Exit status: 0 every outcome as paper 2 predicts (the optimizer's own norm verified, the other
norms refuted); 1 an outcome against the prediction; 3 inconclusive; 2 bad input.  With
``--claim`` (or ``--strict``) the status is the strict one of the claims reported.
"""
from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

from numeric.errors import InputError
from numeric.deadline import Deadline
from numeric.margin.data import KINDS, load_margin_problem, random_margin_problem, save_margin_problem
from numeric.margin.models import NETWORK_KINDS, load_network_problem, network_problem, parse_activation
from numeric.margin.optimizers import OPTIMIZERS, make_optimizer
from numeric.margin.run import MAX_STEPS, Schedule
from numeric.params import parse_number

from ..campaign.parallel import map_jobs
from ..margin.check import MarginSettings, margin_check
from ..margin.claims import DEFAULT_MARGIN_TOL
from ..envelope import results_envelope, statuses
from ..predictions import summary_line
from ..progress import progress_for
from .args import status_line

HEADLINE = ("ngd", "sign", "adam", "spectral", "muon", "muon-sign")
HEADLINE_NETWORK = ("ngd", "sign")
DEFAULT_MODEL = {"muon-sign": "hybrid", "muon-adam": "hybrid"}
DEFAULT_SIZES = {"binary": (24, 8, 1), "multiclass": (16, 6, 4), "hybrid": (16, 3, 4),
                 "two-layer": (12, 3, 1), "diagonal": (16, 6, 1)}
DEFAULT_WIDTH = 6
DEFAULT_SEED = {"two-layer": 2}  # the default instance on which both ngd and sign separate the data
NETWORK_LR = "0.3"
CLAIM_IDS = ("margin:l2", "margin:linf", "margin:spectral", "margin:hybrid",
             "kkt:l2", "kkt:linf", "kkt:spectral", "kkt:hybrid")
MODELS = KINDS + NETWORK_KINDS


def network_alpha(L: int) -> float:
    """Default schedule exponent on a degree-``L`` network: ``1 - 0.9 / L``, inside paper 2's
    condition ``1 - 1/L < alpha <= 1`` (0.7 for the squared-ReLU network, ``L = 3``)."""
    return round(1 - 0.9 / L, 6)


def add_parser(sub, int_in) -> None:
    m = sub.add_parser("margin", help="paper 2: does an optimizer maximize the margin of its own norm?")
    m.add_argument("--optimizer", metavar="NAME", help=f"{'|'.join(OPTIMIZERS)}; default: {' '.join(HEADLINE)}")
    m.add_argument("--update", metavar="EXPR", help="your own entrywise update phi(g), applied to the gradient "
                   "scaled to max-abs 1 (e.g. 'sign(g)*abs(g)**0.5'); replaces --optimizer")
    m.add_argument("--norm", action="append", metavar="NORM", help="your own norm: lp:P (l_P, 1 < P <= 64), "
                   "schatten:P (Schatten-P of diag(W, diag(b)), 1 <= P <= 64 or inf; certified for P in 1, 2, inf) "
                   "or group:W1,W2,... (sum_g W_g ||theta_g||_2 over the rows of W, then b); adds the claims "
                   "margin:NORM and kkt:NORM, certified like the others")
    m.add_argument("--fit-norm", action="store_true", help="linear models: fit which l_p norm (1 <= p <= inf) "
                   "the run maximizes (always on with --update)")
    m.add_argument("--ratio", metavar="R", help="hybrid ratio r = eta_A/eta_M of muon-sign/muon-adam (default 1)")
    m.add_argument("--model", metavar="KIND", help=f"{'|'.join(MODELS)} (default: multiclass; hybrid for "
                   f"muon-sign/muon-adam; two-layer and diagonal are homogeneous networks of degree L)")
    m.add_argument("--activation", metavar="ACT", help="two-layer: sqrelu|relu-power:Q|quadratic (default sqrelu, L = 3)")
    m.add_argument("--width", type=int_in(1, 100, "--width"), default=None,
                   help=f"two-layer: hidden units M (default {DEFAULT_WIDTH})")
    m.add_argument("--n", type=int_in(2, 500, "--n"), default=None,
                   help="samples (default 16; 24 for binary; 12 for two-layer)")
    m.add_argument("--d", type=int_in(1, 100, "--d"), default=None,
                   help="features (multiclass 6, binary 8, two-layer 3, diagonal 6) or the side of the square "
                        "Z_i (hybrid, default 3)")
    m.add_argument("--k", type=int_in(1, 50, "--k"), default=None,
                   help="classes (multiclass, default 4; networks: 1 = binary, the default) or the size of the "
                        "vector block (hybrid, default 4)")
    m.add_argument("--seed", type=int_in(0, 2**32 - 1, "--seed"), default=None)
    m.add_argument("--problem", metavar="FILE.npz", help="X, y (binary, multiclass, networks; networks may add "
                   "theta0) or Z, z, y (hybrid)")
    m.add_argument("--save-problem", metavar="FILE.npz", help="write the run's data (and a network's theta0) "
                   "to FILE.npz, readable by --problem")
    m.add_argument("--steps", type=int_in(1, MAX_STEPS, "--steps"), default=100_000, help="iterations T (default 100000)")
    m.add_argument("--lr", default=None, metavar="ETA0",
                   help=f"eta_0 of eta_t = eta_0 (t+1)^-alpha (default 0.01; {NETWORK_LR} on networks)")
    m.add_argument("--alpha", default=None, metavar="A",
                   help="schedule exponent in [0, 1] (default 0: constant; networks: 1 - 0.9/L, inside paper 2's "
                        "condition 1 - 1/L < alpha <= 1)")
    m.add_argument("--beta1", metavar="B", help="momentum (default 0; 0.9 for signum, adam, muon*; refused for gd)")
    m.add_argument("--beta2", metavar="B", help="Adam's second-moment rate (default 0.95; adam, muon-adam only)")
    m.add_argument("--eps", metavar="EPS", help="Adam's eps (default 0, as paper 2 assumes; adam, muon-adam only)")
    m.add_argument("--tol", default=DEFAULT_MARGIN_TOL, metavar="TOL",
                   help=f"tolerance on the relative margin gap (default {DEFAULT_MARGIN_TOL})")
    m.add_argument("--claim", action="append", metavar="CLAIM",
                   help="report only these claims: margin:l2|linf|spectral|hybrid, kkt:l2|linf|spectral|hybrid, "
                        "or margin:hybrid:R / kkt:hybrid:R (the hybrid norm at another ratio R)")
    m.add_argument("--solver", default="CLARABEL", metavar="NAME", help="cvxpy solver (CLARABEL)")
    m.add_argument("--timeout", metavar="SECONDS",
                   help="time budget of the whole command (seconds): every run and its rerun")
    m.add_argument("--jobs", type=int_in(1, 64, "--jobs"), default=None, help="parallel processes (headline)")
    m.add_argument("--strict", action="store_true",
                   help="exit status from the verdicts alone, ignoring paper 2's predictions")
    m.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _fraction(text: str, what: str, lo=None, hi=None, open_lo=True) -> Fraction:
    v = parse_number(text, what)
    if lo is not None and (v < lo or (open_lo and v == lo)):
        raise InputError(f"{what} must be {'>' if open_lo else '>='} {lo}, got {text}")
    if hi is not None and v > hi:
        raise InputError(f"{what} must be <= {hi}, got {text}")
    return v


MAX_GROUP_WEIGHTS = 100
USER_NORMS = "lp:P (1 < P <= 64), schatten:P (1 <= P <= 64 or inf) or group:W1,W2,... (weights > 0)"


def _user_norm(text: str, what: str):
    """A researcher's norm: ``lp:P`` (``1 < P <= 64``), ``schatten:P`` (``1 <= P <= 64`` or ``inf``)
    or ``group:W1,W2,...`` (positive rational weights, one per group of
    :func:`numeric.margin.norms.groups`, checked against the model in :func:`_check_groups`)
    -> ``(text, MarginNorm)``."""
    from numeric.margin.norms import MarginNorm
    if text.startswith("lp:"):
        return text, MarginNorm("lp", p=_fraction(text[3:], f"{what} {text!r}: the exponent P", lo=1, hi=64))
    if text.startswith("schatten:"):
        if text[9:].strip() == "inf":
            return text, MarginNorm("schatten", p=None)
        return text, MarginNorm("schatten", p=_fraction(text[9:], f"{what} {text!r}: the exponent P", lo=1, hi=64,
                                                        open_lo=False))
    if text.startswith("group:"):
        parts = text[6:].split(",")
        if len(parts) > MAX_GROUP_WEIGHTS:
            raise InputError(f"{what} {text!r}: at most {MAX_GROUP_WEIGHTS} group weights")
        weights = tuple(_fraction(w, f"{what} {text!r}: the weight {w.strip()!r}", lo=0, hi=10**6) for w in parts)
        return text, MarginNorm("group", weights=weights)
    raise InputError(f"{what} {text!r}: expected {USER_NORMS} (l1, l2, linf, spectral are built in)")


def _check_groups(norms, prob, kind: str) -> None:
    """A group norm's weights must number the model's groups (exit 2 otherwise)."""
    from numeric.margin.norms import describe_groups, groups
    for label, N in norms:
        if N.name == "group" and len(N.weights) != len(groups(prob)):
            raise InputError(f"--norm {label!r}: {len(N.weights)} weights, but the {kind} model has "
                             f"{describe_groups(prob)}")


def _claims(texts) -> tuple[tuple | None, tuple, tuple, tuple]:
    if not texts:
        return None, (), (), ()
    ids, ratios, kkt_ratios, norms = [], [], [], []
    for t in dict.fromkeys(x.strip() for x in texts):
        if t in CLAIM_IDS:
            ids.append(t)
        elif t.startswith(("margin:lp:", "kkt:lp:", "margin:schatten:", "kkt:schatten:", "margin:group:",
                           "kkt:group:")):
            norms.append(_user_norm(t.split(":", 1)[1], "--claim"))
            ids.append(t)
        elif t.startswith(("margin:hybrid:", "kkt:hybrid:")):
            label = t.split(":", 2)[2]
            pair = (label, _fraction(label, f"--claim {t!r}: the ratio", lo=0))
            (ratios if t.startswith("margin:") else kkt_ratios).append(pair)
            ids.append(t)
        else:
            raise InputError(f"--claim {t!r}: expected margin:l2, margin:linf, margin:spectral, margin:hybrid, "
                             f"margin:hybrid:R, margin:lp:P, margin:schatten:P, margin:group:W1,W2,..., or the same with kkt:")
    return tuple(ids), tuple(ratios), tuple(kkt_ratios), tuple(dict.fromkeys(norms))


def _model(args, name: str) -> str:
    kind = args.model or DEFAULT_MODEL.get(name, "multiclass")
    if kind not in MODELS:
        raise InputError(f"--model {kind!r}: choose from {', '.join(MODELS)}")
    return kind


def _job(args, name: str, ratio: Fraction):
    kind = _model(args, name)
    if kind != "two-layer" and (args.activation is not None or args.width is not None):
        raise InputError(f"--activation and --width belong to the two-layer model, not {kind}")
    activation = args.activation or "sqrelu"
    parse_activation(activation)
    if args.problem:
        if any(v is not None for v in (args.n, args.d, args.k)) or (args.seed is not None and kind not in NETWORK_KINDS):
            raise InputError("--problem excludes --n/--d/--k/--seed" if kind not in NETWORK_KINDS
                             else "--problem excludes --n/--d/--k (a network's --seed draws theta0 where the file has none)")
        if not args.optimizer:
            raise InputError("--problem needs --optimizer")
        if kind in NETWORK_KINDS:
            prob = load_network_problem(args.problem, kind, args.width or DEFAULT_WIDTH, activation,
                                        args.seed if args.seed is not None else DEFAULT_SEED.get(kind, 0))
        else:
            prob = load_margin_problem(args.problem, kind)
    else:
        n0, d0, k0 = DEFAULT_SIZES[kind]
        seed = args.seed if args.seed is not None else DEFAULT_SEED.get(kind, 0)
        if kind in NETWORK_KINDS:
            prob = network_problem(kind, args.n or n0, args.d or d0, args.k or k0, args.width or DEFAULT_WIDTH,
                                   activation, seed)
        else:
            prob = random_margin_problem(kind, args.n or n0, args.d or d0, args.k or k0, seed)
    beta1 = float(_fraction(args.beta1, "--beta1", lo=0, hi=Fraction(999999, 10**6), open_lo=False)) \
        if args.beta1 is not None else None
    beta2 = float(_fraction(args.beta2, "--beta2", lo=0, hi=Fraction(999999, 10**6))) if args.beta2 is not None else None
    eps = float(_fraction(args.eps, "--eps", lo=0, hi=1, open_lo=False)) if args.eps is not None else 0.0
    make_optimizer(name, prob, ratio, beta1, beta2, eps, args.update)  # validate now; workers rebuild it
    return prob, (name, ratio, beta1, beta2, eps, args.update)


def _schedule(args, prob) -> Schedule:
    network = prob.degree > 1
    eta0 = float(_fraction(args.lr if args.lr is not None else (NETWORK_LR if network else "0.01"), "--lr",
                           lo=0, hi=10**6))
    alpha = float(_fraction(args.alpha, "--alpha", lo=0, hi=1, open_lo=False)) if args.alpha is not None else \
        (network_alpha(prob.degree) if network else 0.0)
    return Schedule(eta0, alpha)


def _settings(args, ratio: Fraction) -> MarginSettings:
    tol = _fraction(args.tol, "--tol", lo=0, hi=Fraction(1, 2))
    _fraction(args.lr, "--lr", lo=0, hi=10**6) if args.lr is not None else None
    _fraction(args.alpha, "--alpha", lo=0, hi=1, open_lo=False) if args.alpha is not None else None
    timeout = float(_fraction(args.timeout, "--timeout", lo=0)) if args.timeout is not None else None
    report, extra, extra_kkt, norms = _claims(args.claim)
    norms = tuple(dict.fromkeys(norms + tuple(_user_norm(t.strip(), "--norm") for t in (args.norm or ()))))
    if report is not None and args.norm:
        report = report + tuple(f"{f}:{label}" for label, _ in norms for f in ("margin", "kkt")
                                if f"{f}:{label}" not in report)
    # --timeout bounds the whole command: every run and rerun gets what is left of one deadline
    return MarginSettings(steps=args.steps, tol=tol, ratio=ratio, extra_ratios=extra, extra_kkt_ratios=extra_kkt,
                          extra_norms=norms, report=report, solver=args.solver,
                          deadline=None if timeout is None else Deadline.after(timeout), fit_norm=args.fit_norm)


def _worker(job):
    prob, (name, ratio, beta1, beta2, eps, update), settings = job
    return margin_check(prob, make_optimizer(name, prob, ratio, beta1, beta2, eps, update), settings).record


def cmd_margin(args) -> int:
    records = run_margin(args)
    # --claim asks for the strict status of the claims it names (docs/cli.md)
    status, strict = statuses(records, strict=bool(args.claim) or getattr(args, "strict", False))
    if args.json:
        print(json.dumps(results_envelope("margin", records, status, strict, getattr(args, "argv", None)), indent=2))
    else:
        print(margin_table(records))
        print("\n" + status_line(status, strict, bool(args.claim) or getattr(args, "strict", False)))
        print(summary_line(records))
    return status


def run_margin(args) -> list[dict]:
    """Validate ``args`` (InputError on bad input) and run every optimizer: the records."""
    if args.optimizer is not None and args.optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {args.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")
    if args.update is not None:
        if args.optimizer is not None:
            raise InputError("--update defines its own optimizer: leave out --optimizer")
        args.optimizer = "update"
    ratio = _fraction(args.ratio, "--ratio", lo=0, hi=1000) if args.ratio is not None else Fraction(1)
    settings = _settings(args, ratio)
    if args.save_problem and not args.optimizer:
        raise InputError("--save-problem needs --optimizer (one run, one problem)")
    network = (args.model or "") in NETWORK_KINDS
    names = [args.optimizer] if args.optimizer else list(HEADLINE_NETWORK if network else HEADLINE)
    jobs = []
    for name in names:  # validate all before running
        prob, opt_args = _job(args, name, ratio)
        _check_groups(settings.extra_norms, prob, prob.kind)
        jobs.append((prob, opt_args, replace(settings, schedule=_schedule(args, prob))))
    import cvxpy  # the expensive import, after every argument and the data were checked
    if args.solver not in cvxpy.installed_solvers():
        raise InputError(f"--solver {args.solver!r} is not an installed cvxpy solver "
                         f"(installed: {', '.join(cvxpy.installed_solvers())})")
    if args.save_problem:
        save_margin_problem(jobs[0][0], args.save_problem)
    with progress_for(args, "margin", len(jobs)) as bar:
        return map_jobs(_worker, jobs, args.jobs, on_done=lambda r: bar.done(r["optimizer"]["name"], _detail(r)))


def _detail(r: dict) -> list[str]:
    """``-v``: the run's steps, stop and seconds, and each claim's verdict."""
    run = r["run"]
    return [f"T = {run['steps']} ({run['stopped']}), {run['seconds']} s, rerun {run['rerun_seconds']} s"] + \
        [f"{c['id']}: {c['verdict']}" for c in r["claims"]]


def margin_table(records: list[dict]) -> str:
    """One block per run: header, one line per claim, the hybrid-ratio fit where there is one."""
    from ..report.tables import SYMBOL
    lines = []
    for r in records:
        o, p, s = r["optimizer"], r["problem"], r["settings"]
        note = "" if o["covered_by_theory"] or not o["predicted_norm"] else "  [not covered by the theory]"
        lines.append(f"{o['name']} ({', '.join(f'{k}={v}' for k, v in o['params'].items()) or 'no parameters'})"
                     + (f" -> paper 2 predicts {o['predicted_norm']}{note}" if o["predicted_norm"]
                        else " -> your own update: paper 2 predicts no norm"))
        net = f", L = {p['degree_L']}" + (f", {p['activation']}, width {p['width']}" if "width" in p else "") \
            if "degree_L" in p else ""
        lines.append(f"  {p['kind']} model{net}, {p['samples']} samples, {p['params']} parameters, seed {p['seed']}; "
                     f"eta_t = {s['lr']}, T = {r['run']['steps']} ({r['run']['seconds']} s, "
                     f"rerun {r['run']['rerun_seconds']} s), tol {s['tol']}")
        bad = [h["name"] for h in r.get("hypotheses", []) if h["status"] == "violated"]
        assumed = [h["name"] for h in r.get("hypotheses", []) if h["status"] == "assumed"]
        lines.append("  hypotheses: " + ("OUTSIDE THE THEOREM, violated: " + "; ".join(bad) if bad else "all checked ones hold")
                     + (f" (assumed: {'; '.join(assumed)})" if assumed else ""))
        for c in r["claims"]:
            ev = c.get("evidence", {})
            gap = ev.get("relative_gap")
            kkt = ev.get("kkt_alignment", {})
            gtxt = f"gap in [{gap[0]}, {gap[1]}]" if gap else ""
            if c["id"].startswith("kkt:") and kkt:
                gtxt = f"max a(tau) = {kkt.get('max_alignment'):.4f}" if kkt.get("max_alignment") is not None else ""
            ktxt = f"tau99={kkt.get('tau99')}" if kkt else ""
            lines.append(f"  {c['id']:<22} {SYMBOL[c['verdict']]:<13} {gtxt:<36} {ktxt}")
            if c["verdict"] in ("refuted", "inconclusive") or "indistinguishable_from" in ev:
                lines.append(f"      {c['reason']}")
        fam = r.get("norm_family_fit")
        if fam and "best_p" in fam:
            lo, hi = fam["flat_interval"]
            lines.append(f"  best-fitting l_p norm: p = {fam['best_p']} (relative gap {fam['relative_gap_at_best']}; "
                         f"flat interval: p in [{lo}, {hi}]; a fit, not a certificate)")
            if fam.get("schatten"):
                lines.append("  Schatten norms of W, relative gap: " +
                             ", ".join(f"S_{p} {g}" for p, g in fam["schatten"].items()))
        fit = r.get("hybrid_ratio_fit")
        if fit:
            extra = f", kappa = {fit['kappa_final']} so kappa*r = {fit['kappa_times_r']}" if "kappa_final" in fit else ""
            lo, hi = fit["flat_interval"]
            pref = " (the nominal ratio, inside the flat interval)" if "preferred" in fit else ""
            lines.append(f"  best-fitting hybrid ratio r' = {fit['best_fitting_ratio']}{pref} "
                         f"(relative gap {fit['relative_gap_at_best']}; flat interval: r' in [{lo}, {hi}]){extra}")
        lines.append("")
    return "\n".join(lines).rstrip()
