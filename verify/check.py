"""``check``: run DSPGD for one preconditioner at each learning rate and judge every claim.

Flow (docs/theory.md §7): symbolic facts about K -> DSPGD at P digits per learning rate -> rerun at
P + extra digits for the same number of steps -> tail bounds -> characterizations
(closed forms or cvxpy, re-checked at high precision) -> verdicts.  The result is the JSON
record of docs/json.md.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction

from numeric.preconditioners.catalog import make_preconditioner
from numeric.backends.mpmath_loop import DEFAULT_MAX_ITER
from numeric.errors import InputError
from numeric.backends.float64_loop import TOLERANCE as FLOAT64_TOL
from numeric.deadline import Deadline
from numeric.interpolation import w0_interpolates
from numeric.exact_problem import ExactProblem
from numeric.matrices import fro_distance
from numeric.precision import to_decimal_string as dec
from numeric.precision import working_precision
from numeric.preconditioners.base import Preconditioner, _fraction_str
from numeric.problem import Problem
from symbolic.facts import Fact
from symbolic.facts_cache import cached_facts, key_of
from symbolic.timebox import CommandTimeout, command_within

from .claims import judge as C
from .characterization import characterize
from .claims.equal_limits import equality_theorem
from .envelope import complete_check_record, tool
from .runs import LearningRate, run_at
from .verdict import DEFAULT_TOL, Verdict, exit_status

DEFAULT_FRACTIONS = (Fraction(45, 100), Fraction(9, 10))
RERUN_EXTRA_DIGITS = 20
FLOAT64_MIN_EVAL_DPS = 30  # the exact float64 iterates need >= 64-bit mpf contexts


@dataclass(frozen=True)
class UserClaim:
    """A parsed ``--claim``: ``limit=gd``, ``limit=minnorm:N`` or ``bound:c=V``."""

    text: str
    kind: str  # "limit" | "bound"
    norm: str | None = None
    value: Fraction | None = None


@dataclass(frozen=True)
class Settings:
    dps: int = 50
    lrs: tuple = tuple(LearningRate("frac", f) for f in DEFAULT_FRACTIONS)
    tol: str | None = None  # None: DEFAULT_TOL (1e-20), or FLOAT64_TOL (1e-8) under the float64 backend
    max_iter: int = DEFAULT_MAX_ITER
    timeout: float | None = None  # seconds of each run, and of each rerun
    solver: str = "CLARABEL"
    solver_options: tuple = ()  # (name, value) pairs passed to the cvxpy solver (API only, not the CLI)
    claims: tuple = ()
    backend: str = "mpmath"
    rerun_extra_digits: int = RERUN_EXTRA_DIGITS
    deadline: Deadline | None = None  # the command's --timeout: every run and rerun together (numeric/deadline.py)

    def tolerance(self) -> str:
        """The relative tolerance of equality claims: as given, else the backend's default."""
        if self.tol is not None:
            return self.tol
        return FLOAT64_TOL if self.backend == "float64" else DEFAULT_TOL


@dataclass
class CheckResult:
    """The JSON ``record`` (docs/json.md), the verdicts, and the run histories for plots.

    ``histories`` (not part of the JSON record, which stays small) maps each learning-rate
    label to ``{"eta", "residual", "step", "drift", "W_inf"}``: ``residual`` and ``step`` are
    ``(t, value)`` pairs (every iteration up to 4000, else a log-plus-linear subsample),
    ``drift`` the checkpoints ``(t, ||P_perp(W_t - W0)||_F)`` and ``W_inf`` the limit as a d x k
    list of floats; the key ``"_problem"`` holds ``W_GD`` and ``||W_GD - W0||_F``.
    """

    record: dict
    verdicts: list[Verdict] = field(default_factory=list)
    histories: dict = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        return exit_status(self.verdicts)


def _facts(pre: Preconditioner) -> dict:
    """The symbolic facts of K: the catalogue's SymPy description, or the user's K."""
    if "symbolic" in pre.extra:
        facts = dict(pre.extra.get("facts") or pre.extra["symbolic"].facts())
    elif pre.extra.get("H") is None:
        facts = dict(_catalogue_facts(pre.name, tuple(sorted(pre.params.items()))))
    else:
        from symbolic.catalog import catalogue_facts
        facts = catalogue_facts(pre.name, dict(pre.params), pre.extra.get("H"))
    return facts


@lru_cache(maxsize=64)
def _catalogue_facts(name: str, params: tuple) -> dict:
    """The symbolic facts of a catalogue K depend only on its name and parameters: proved once per
    process (a campaign checks the same K on thousands of problems) and kept in the disk cache of
    :mod:`symbolic.facts_cache` between processes.  Facts are immutable."""
    def prove() -> dict:
        from symbolic.catalog import catalogue_facts  # SymPy (0.3 s of imports) only on a cache miss
        return catalogue_facts(name, dict(params), None)
    return cached_facts(key_of("catalogue", name, params), prove)


def local_lipschitz(pre: Preconditioner, runs: list, hctx) -> Fact | None:
    """For K with no proved global L: ``grad K`` is L-Lipschitz on the natural ball of radius
    ``rho`` that every visited gradient stayed inside (checked after each run), with L a
    rigorous interval-arithmetic bound on ``f''`` over ``[0, rho]`` (docs/theory.md §3.1, locally Lipschitz)."""
    balls = [r.lipschitz_ball for r in runs if r.lipschitz_ball is not None]
    if not balls or pre.L_ball is None:
        return None
    rho = max(balls)
    visited = max(hctx.mpf(r.traj.max_grad_natural) for r in runs)
    if visited > rho:
        return Fact("lipschitz", "grad K is Lipschitz on the visited region", "unknown", "interval",
                    f"the iterates left the ball of radius {dec(rho, 6)} (max ||G_t|| = {dec(visited, 6)})")
    L = pre.L_ball(hctx, rho)
    if not hctx.isfinite(L):
        return None
    return Fact("lipschitz", f"grad K is L-Lipschitz on the ball of radius {dec(rho, 8)} that holds every visited "
                f"gradient (max ||G_t|| = {dec(visited, 8)})", "proved", "interval",
                f"L = {dec(L, 10)} by interval arithmetic on f'' over [0, rho]; not globally Lipschitz")


def check(problem: Problem, pre: Preconditioner, settings: Settings, *, histories: bool = True) -> CheckResult:
    """Judge every docs/theory.md §3.4 claim (and the user's claims) for ``pre`` on ``problem``.

    ``histories=False`` leaves :attr:`CheckResult.histories` empty (a sweep keeps the record only).

    Under ``settings.deadline`` (the command's ``--timeout``) the symbolic facts of K and every run
    and rerun share what is left: a check whose time is gone before its runs is
    :func:`out_of_time`."""
    t0 = time.perf_counter()
    if settings.deadline is not None and settings.deadline.expired():
        return out_of_time(problem, pre.describe(), settings, ran_out(settings.deadline, "before this check started"))
    try:
        with command_within(settings.deadline):
            facts = _facts(pre)
    except CommandTimeout:
        return out_of_time(problem, pre.describe(), settings,
                           ran_out(settings.deadline, "while SymPy proved the facts of K"))
    p = problem
    proved = lambda key: key in facts and facts[key].status == "proved"  # noqa: E731
    isotropic = pre.isotropic or (pre.structure == "spectral" and min(p.d, p.k) == 1) or \
        (pre.structure == "general" and proved("isotropic"))
    left_inv = pre.left_invariant or (pre.structure == "general" and proved("left_invariant"))
    dps = settings.dps
    if settings.backend == "float64":
        dps = max(dps, FLOAT64_MIN_EVAL_DPS)  # evaluation precision; the loop itself is float64
    with working_precision(dps) as ctx, working_precision(dps + settings.rerun_extra_digits) as hctx:
        if settings.backend == "float64":  # the float64 loop reads xp's sigma and (X X^T)^-1 only
            xp, xph = ExactProblem.build_pair(ctx, hctx, p)
        else:
            xp, xph = ExactProblem.build(ctx, p), ExactProblem.build(hctx, p)
        backend = settings.backend
        if backend == "flint":  # the record states the loop actually run: mpmath for a K without a fast path
            from numeric.backends.flint_loop import supported
            backend = "flint" if supported(xp, pre) else "mpmath"
        if "float64_step" in pre.extra and backend != "float64":
            raise InputError(f"{pre.name} computes its update in float64: it runs only with the float64 backend")
        if backend == "float64":
            from numeric.backends.float64_loop import supported as float64_supported
            if not float64_supported(xp, pre):
                if "float64_step" in pre.extra:
                    raise InputError(f"{pre.name}: no float64 loop for this problem (loss {p.loss.name})")
                from numeric.backends.flint_loop import supported  # a user K: the exact loop, flint when it has a kernel
                xp = ExactProblem.build(ctx, p)  # the exact loop's own build, as for --backend mpmath/flint
                backend = "flint" if supported(xp, pre) else "mpmath"
        runs = [run_at(lr, pre, xp, xph, settings.max_iter, settings.timeout, backend, settings.deadline)
                for lr in settings.lrs]
        if facts.get("lipschitz") is not None and facts["lipschitz"].status != "proved":
            local = local_lipschitz(pre, runs, hctx)
            if local is not None:
                facts["lipschitz"] = local
        w_gd = xph.w_gd()
        scale = fro_distance(hctx, w_gd, xph.W0)
        degenerate = scale == 0 and w0_interpolates(p)
        if scale == 0:
            scale = hctx.one  # W0 already interpolates: distances become absolute
        tol_text = settings.tolerance() if backend == settings.backend else (settings.tol or DEFAULT_TOL)
        tol = hctx.mpf(tol_text)
        ci = C.ClaimInputs(pre, xph, runs, w_gd, scale, tol, facts, isotropic, left_inv, settings.solver,
                           degenerate=degenerate, equality_theorem=equality_theorem(pre, facts))
        verdicts: list[Verdict] = []
        for run in runs:
            verdicts += [C.convergence(ci, run), C.isotropic_bias(ci, run), C.row_space_bias(ci, run),
                         C.general_bound(ci, run)]
        verdicts.append(C.lr_dependence(ci))
        verdicts.append(C.assumptions(ci))
        certs: dict = {}
        for uc in settings.claims:
            for run in runs:
                if uc.kind == "bound":
                    verdicts.append(C.user_bound(ci, run, uc.value, uc.text))
                    continue
                if uc.norm not in certs:
                    certs[uc.norm] = characterize(xph, uc.norm, pre, settings.solver,
                                                  solver_options=dict(settings.solver_options))
                verdicts.append(C.limit_claim(ci, run, uc.norm, uc.text, certs[uc.norm]))
        L = pre.L(hctx)
        mu0 = pre.mu(hctx, hctx.zero)
        record = {
            "tool": tool(),
            "preconditioner": {**pre.describe(), "convex": facts["convex"].status,
                               **_hessian(pre),
                               "isotropic": isotropic, "row_space_preserving": left_inv,
                               "L": dec(L, 12), "mu0": dec(mu0, 12),
                               "facts": {k: f.status for k, f in facts.items()}},
            "problem": {**p.describe(), "sigma_min": dec(xph.sigma_min, 12), "sigma_max": dec(xph.sigma_max, 12),
                        "minnorm_distance": dec(scale, 12)},
            "settings": {"dps": dps, "rerun_dps": dps + settings.rerun_extra_digits, "backend": backend,
                         **_arithmetic(runs, dps),
                         "lrs": [r.label for r in runs],
                         "lr_fractions": [_fraction_str(lr.value) if lr.kind == "frac" else None for lr in settings.lrs],
                         "tolerance": tol_text, "max_iter": settings.max_iter, "solver": settings.solver,
                         "loss_convention": "sum over entries"},
            "claims": [v.to_json() for v in verdicts],
            "seconds": round(time.perf_counter() - t0, 3),
        }
        plots = run_histories(runs, w_gd, scale) if histories else {}
    if "library" in pre.extra:
        record["preconditioner"]["update_computed_by"] = pre.extra["library"]
    return CheckResult(complete_check_record(record), verdicts, plots)


def run_histories(runs: list, w_gd, scale) -> dict:
    """The plotting data of :class:`CheckResult` (floats only, picklable)."""
    out: dict = {"_problem": {"W_GD": _as_floats(w_gd), "minnorm_distance": float(scale)}}
    for r in runs:
        tr = r.traj
        out[r.label] = {"eta": float(r.eta), "fraction": (float(r.lr.value) if r.lr.kind == "frac" else None),
                        "residual": subsample(tr.residual_history), "step": subsample(tr.step_history, start=1),
                        "drift": [(t, v) for t, v in tr.drift_checkpoints], "W_inf": _as_floats(r.W),
                        "stop_reason": tr.stop_reason, "iterations": tr.iterations}
    return out


def _as_floats(W) -> list:
    """Columns of mpf -> a d x k nested list of floats."""
    return [[float(W[j][i]) for j in range(len(W))] for i in range(len(W[0]))] if W else []


def subsample(h: list, start: int = 0, keep: int = 4000) -> list:
    """``(t, h[t - start])`` pairs: all of them up to ``keep``, else ~``keep/2`` log-spaced and
    ~``keep/2`` evenly spaced indices (so both the start and the tail of a run stay visible)."""
    m = len(h)
    if m <= keep:
        return list(enumerate(h, start))
    import numpy as np
    half = keep // 2
    idx = sorted(set(np.unique(np.geomspace(1, m, half).astype(int) - 1).tolist())
                 | set(np.linspace(0, m - 1, half).astype(int).tolist()))
    return [(i + start, h[i]) for i in idx]


def stopped(problem: Problem, description: dict, facts: dict, settings: Settings,
            verdict: Verdict | None = None, why: str | None = None) -> CheckResult:
    """The record of a K that failed its assumptions: no iteration is run (exit status 1); with
    ``verdict`` and ``why``, of a check stopped for that reason (:func:`out_of_time`)."""
    verdict = verdict or C.assumptions_from_facts(facts)
    record = {
        "tool": tool(),
        "preconditioner": {**description, "facts": {k: f.status for k, f in facts.items()},
                           "convex": facts["convex"].status if "convex" in facts else "unknown"},
        "problem": problem.describe(),
        "settings": {"dps": settings.dps, "backend": settings.backend, "lrs": [], "lr_fractions": [],
                     "tolerance": settings.tolerance(), "loss_convention": "sum over entries"},
        "stopped": why or "assumptions refuted before any iteration: " + verdict.reason,
        "claims": [verdict.to_json()],
        "seconds": 0.0,
    }
    return CheckResult(complete_check_record(record), [verdict])


def out_of_time(problem: Problem, description: dict, settings: Settings, reason: str) -> CheckResult:
    """The record of a check that ``--timeout`` stopped before any run (its symbolic preparation, or
    the time left when its turn came; ``reason`` says which): nothing was decided, ``assumptions`` is
    inconclusive with the reason, exit status 3."""
    fact = Fact("convex", "K is convex and C^1", "unknown", "symbolic", reason)
    verdict = Verdict("assumptions", "inconclusive", reason, None, None, {"convex": fact.to_json()})
    return stopped(problem, description, {"convex": fact}, settings, verdict, reason)


def ran_out(deadline: Deadline, when: str) -> str:
    """The reason of :func:`out_of_time` when the command's deadline was gone ``when``."""
    return (f"the time budget (--timeout {deadline.seconds:g} s, which bounds the whole command) ran out "
            f"{when}: nothing was decided")


def _arithmetic(runs: list, dps: int) -> dict:
    """For a float64 run: the loop's and the rerun's arithmetic and digits, and the evaluation digits
    (``dps`` of the contract then means the float64 loop's 15 digits)."""
    r = runs[0] if runs else None
    if r is None or r.arithmetic is None:
        return {}
    return {"dps": r.dps, "rerun_dps": r.dps_hi, "evaluation_dps": dps,
            "arithmetic": r.arithmetic, "rerun_arithmetic": r.rerun_arithmetic}


def _hessian(pre: Preconditioner) -> dict:
    sym = pre.extra.get("symbolic")
    if sym is not None and hasattr(sym, "hessian_eigenvalues"):
        return {"hessian_eigenvalues": sym.hessian_eigenvalues()}
    return {}


def check_by_name(problem: Problem, name: str, params: dict, settings: Settings, H=None, *,
                  histories: bool = True) -> CheckResult:
    """Build the catalogue preconditioner ``name`` for ``problem``'s shape and check it (not even
    built when the command's ``--timeout`` is already gone: :func:`out_of_time`)."""
    if settings.deadline is not None and settings.deadline.expired():
        return out_of_time(problem, {"name": name, "params": {k: str(v) for k, v in params.items()}}, settings,
                           ran_out(settings.deadline, "before this check started"))
    pre = make_preconditioner(name, params, shape=(problem.d, problem.k), seed=problem.seed or 0, H=H)
    return check(problem, pre, settings, histories=histories)
