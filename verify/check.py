"""``check``: run DSPGD for one preconditioner at each learning rate and judge every claim.

Flow (SPEC 7): symbolic facts about K -> DSPGD at P digits per learning rate -> rerun at
P + extra digits for the same number of steps -> tail bounds -> characterizations
(closed forms or cvxpy, re-checked at high precision) -> verdicts.  The result is the JSON
record of the DESIGN contract.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

from numeric.catalog import make_preconditioner
from numeric.dspgd import DEFAULT_MAX_ITER
from numeric.exact_problem import ExactProblem
from numeric.matrices import fro_norm, sub
from numeric.precision import to_decimal_string as dec
from numeric.precision import working_precision
from numeric.preconditioner import Preconditioner, _fraction_str
from numeric.problem import Problem
from symbolic.catalog import catalogue_facts
from symbolic.facts import Fact

from . import claims as C
from .characterization import characterize
from .runs import LearningRate, run_at
from .verdict import DEFAULT_TOL, Verdict, exit_status

DEFAULT_FRACTIONS = (Fraction(45, 100), Fraction(9, 10))
RERUN_EXTRA_DIGITS = 20


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
    tol: str = DEFAULT_TOL
    max_iter: int = DEFAULT_MAX_ITER
    timeout: float | None = None
    solver: str = "CLARABEL"
    solver_options: tuple = ()  # (name, value) pairs passed to the cvxpy solver (API only, not the CLI)
    claims: tuple = ()
    backend: str = "mpmath"
    rerun_extra_digits: int = RERUN_EXTRA_DIGITS


@dataclass
class CheckResult:
    record: dict
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return exit_status(self.verdicts)


def _facts(pre: Preconditioner) -> dict:
    """The symbolic facts of K: the catalogue's SymPy description, or the user's K."""
    if "symbolic" in pre.extra:
        facts = dict(pre.extra.get("facts") or pre.extra["symbolic"].facts())
    else:
        facts = catalogue_facts(pre.name, dict(pre.params), pre.extra.get("H"))
    return facts


def local_lipschitz(pre: Preconditioner, runs: list, hctx) -> Fact | None:
    """For K with no proved global L: ``grad K`` is L-Lipschitz on the natural ball of radius
    ``rho`` that every visited gradient stayed inside (checked after each run), with L a
    rigorous interval-arithmetic bound on ``f''`` over ``[0, rho]`` (SPEC 3.1, locally Lipschitz)."""
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


def check(problem: Problem, pre: Preconditioner, settings: Settings) -> CheckResult:
    """Judge every SPEC 3.4 claim (and the user's claims) for ``pre`` on ``problem``."""
    t0 = time.perf_counter()
    facts = _facts(pre)
    p = problem
    proved = lambda key: key in facts and facts[key].status == "proved"  # noqa: E731
    isotropic = pre.isotropic or (pre.structure == "spectral" and min(p.d, p.k) == 1) or \
        (pre.structure == "general" and proved("isotropic"))
    left_inv = pre.left_invariant or (pre.structure == "general" and proved("left_invariant"))
    dps = settings.dps
    with working_precision(dps) as ctx, working_precision(dps + settings.rerun_extra_digits) as hctx:
        xp = ExactProblem.build(ctx, p)
        xph = ExactProblem.build(hctx, p)
        backend = settings.backend
        if backend == "flint":  # the record states the loop actually run: mpmath for a K without a fast path
            from numeric.flint_backend import supported
            backend = "flint" if supported(xp, pre) else "mpmath"
        runs = [run_at(lr, pre, xp, xph, settings.max_iter, settings.timeout, backend) for lr in settings.lrs]
        if facts.get("lipschitz") is not None and facts["lipschitz"].status != "proved":
            local = local_lipschitz(pre, runs, hctx)
            if local is not None:
                facts["lipschitz"] = local
        w_gd = xph.w_gd()
        scale = fro_norm(hctx, sub(w_gd, xph.W0))
        if scale == 0:
            scale = hctx.one  # W0 already interpolates: distances become absolute
        tol = hctx.mpf(settings.tol)
        ci = C.ClaimInputs(pre, xph, runs, w_gd, scale, tol, facts, isotropic, left_inv, settings.solver)
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
            "tool": {"name": "dspgd-verify", "version": _version()},
            "preconditioner": {**pre.describe(), "convex": facts["convex"].status,
                               **_hessian(pre),
                               "isotropic": isotropic, "row_space_preserving": left_inv,
                               "L": dec(L, 12), "mu0": dec(mu0, 12),
                               "facts": {k: f.status for k, f in facts.items()}},
            "problem": {**p.describe(), "sigma_min": dec(xph.sigma_min, 12), "sigma_max": dec(xph.sigma_max, 12),
                        "minnorm_distance": dec(scale, 12)},
            "settings": {"dps": dps, "rerun_dps": dps + settings.rerun_extra_digits, "backend": backend,
                         "lrs": [r.label for r in runs],
                         "lr_fractions": [_fraction_str(lr.value) if lr.kind == "frac" else None for lr in settings.lrs],
                         "tolerance": settings.tol, "max_iter": settings.max_iter, "solver": settings.solver,
                         "loss_convention": "sum over entries"},
            "claims": [v.to_json() for v in verdicts],
            "seconds": round(time.perf_counter() - t0, 3),
        }
    return CheckResult(record, verdicts)


def stopped(problem: Problem, description: dict, facts: dict, settings: Settings) -> CheckResult:
    """The record of a K that failed its assumptions: no iteration is run (exit status 1)."""
    verdict = C.assumptions_from_facts(facts)
    record = {
        "tool": {"name": "dspgd-verify", "version": _version()},
        "preconditioner": {**description, "facts": {k: f.status for k, f in facts.items()},
                           "convex": facts["convex"].status if "convex" in facts else "unknown"},
        "problem": problem.describe(),
        "settings": {"dps": settings.dps, "backend": settings.backend, "lrs": [], "lr_fractions": [],
                     "tolerance": settings.tol, "loss_convention": "sum over entries"},
        "stopped": "assumptions refuted before any iteration: " + verdict.reason,
        "claims": [verdict.to_json()],
        "seconds": 0.0,
    }
    return CheckResult(record, [verdict])


def _hessian(pre: Preconditioner) -> dict:
    sym = pre.extra.get("symbolic")
    if sym is not None and hasattr(sym, "hessian_eigenvalues"):
        return {"hessian_eigenvalues": sym.hessian_eigenvalues()}
    return {}


def check_by_name(problem: Problem, name: str, params: dict, settings: Settings, H=None) -> CheckResult:
    """Build the catalogue preconditioner ``name`` for ``problem``'s shape and check it."""
    pre = make_preconditioner(name, params, shape=(problem.d, problem.k), seed=problem.seed or 0, H=H)
    return check(problem, pre, settings)


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("dspgd-verify")
    except Exception:  # not installed (running from a source tree)
        return "0.1.0"
