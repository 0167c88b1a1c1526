"""The kinds of planted case and how each one runs through the public API.

A planted case (:class:`Planted`) pairs a claim whose truth is known from the mathematics with the
run that judges it: a catalogue check (:class:`CatalogueRun`), a custom K or update map
(:class:`CustomRun`), a symbolic identity (:class:`IdentityRun`), a margin check (:class:`MarginRun`),
and the :class:`Outcome` the run must reach.  The tables live in :mod:`verify.selftest.planted`
(catalogue and paper 2) and :mod:`verify.selftest.user_k` (a researcher's own K).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp

from numeric.preconditioners.catalog import make_preconditioner
from numeric.losses import make_loss
from numeric.problem import Problem, random_problem
from symbolic.bregman import bregman, grad, inner, symbol_matrix
from symbolic.identities import prove_identity

from ..check import Settings, UserClaim, check, stopped
from ..custom import build_custom
from ..runs import LearningRate


SELFTEST_DPS = 30
EXPECTATIONS = ("refuted", "verified")


@dataclass(frozen=True)
class Outcome:
    """What the toolkit said about one planted claim."""

    verdict: str  # verified | refuted | inconclusive | not_applicable | error
    reason: str
    precision: dict = field(default_factory=dict)  # dps / rerun_dps / error_bound of the deciding verdicts


# ----------------------------------------------------------------------------- problems
def sharp_quadratic_kappa100() -> tuple[Problem, np.ndarray]:
    """docs/theory.md §3.3's extremal instance: ``d = 2``, ``X = e1^T``, ``y = 1``, ``W0 = 0`` and
    ``H = R_theta diag(L, mu) R_theta^T`` with ``tan^2 theta = L/mu = kappa = 100``.

    With ``L = 10100``, ``mu = 101`` (``cos^2 theta = 1/101``) every entry is an integer,
    ``H = [[200, 990], [990, 10001]]``, so the instance is exact in float64 and
    ``c = ||W_inf|| / ||W_GD|| = (kappa + 1)/(2 sqrt kappa) = 101/20 = 5.05`` is attained.
    """
    X = np.array([[1.0, 0.0]])
    Y = np.array([[1.0]])
    H = np.array([[200.0, 990.0], [990.0, 10001.0]])
    return Problem(X, Y, np.zeros((2, 1)), make_loss("square"), seed=None, source="sharp quadratic kappa=100"), H


def random(n: int, d: int, k: int, seed: int = 0, loss: str = "square") -> Callable[[], tuple[Problem, None]]:
    """A Gaussian problem (``numeric.problem.random_problem``), built when the case runs."""
    return lambda: (random_problem(n, d, k, seed=seed, loss=make_loss(loss)), None)


# ----------------------------------------------------------------------------- how a case runs
def _combine(claims: list[dict], cid: str) -> Outcome:
    """One outcome from every verdict with id ``cid`` (one per learning rate): refuted if any
    is refuted, verified if all are, else the first other verdict."""
    picked = [c for c in claims if c["id"] == cid]
    if not picked:
        return Outcome("error", f"no verdict with id {cid!r} in the record")
    prec = [{"lr": c.get("lr"), "error_bound": "exact" if c.get("exact") else c.get("error_bound"),
             "dps": c.get("evidence", {}).get("dps"), "rerun_dps": c.get("evidence", {}).get("rerun_dps")}
            for c in picked]
    for c in picked:
        if c["verdict"] == "refuted":
            return Outcome("refuted", c["reason"], {"verdicts": prec})
    if all(c["verdict"] == "verified" for c in picked):
        return Outcome("verified", picked[0]["reason"], {"verdicts": prec})
    other = next(c for c in picked if c["verdict"] != "verified")
    return Outcome(other["verdict"], other["reason"], {"verdicts": prec})


@dataclass(frozen=True)
class CatalogueRun:
    """``check`` of a catalogue preconditioner; the case's verdict is claim ``claim_id``.

    ``hide_invariance``: the preconditioner is passed with its structural flags (isotropic,
    left-invariant) cleared, so that a claim the structure would declare ``not_applicable``
    (``lr_dependence`` of an isotropic K) is judged on the runs' numbers alone.
    ``lr_fracs`` may exceed 1 here (the CLI refuses that; the API does not).
    """

    name: str
    claim_id: str
    problem: Callable[[], tuple[Problem, np.ndarray | None]]
    user_claim: str | None = None
    params: tuple = ()
    lr_fracs: tuple = (Fraction(9, 10),)
    hide_invariance: bool = False
    dps: int = SELFTEST_DPS

    def __call__(self) -> Outcome:
        from ..claims.parse import parse_claim
        problem, H = self.problem()
        pre = make_preconditioner(self.name, {k: Fraction(v) for k, v in self.params},
                                  shape=(problem.d, problem.k), seed=problem.seed or 0, H=H)
        if self.hide_invariance:
            pre = replace(pre, isotropic=False, left_invariant=False)
        claims: tuple[UserClaim, ...] = (parse_claim(self.user_claim),) if self.user_claim else ()
        settings = Settings(dps=self.dps, lrs=tuple(LearningRate("frac", Fraction(f)) for f in self.lr_fracs),
                            claims=claims, backend=_backend())
        rec = check(problem, pre, settings).record
        out = _combine(rec["claims"], self.claim_id)
        return replace(out, precision={**out.precision, "settings_dps": rec["settings"]["dps"],
                                       "settings_rerun_dps": rec["settings"].get("rerun_dps")})


@dataclass(frozen=True)
class CustomRun:
    """``check --K/--update``: parse, prove the facts, run when they allow it; verdict of
    ``assumptions`` (exact: a proof, or a counterexample point)."""

    K: str | None = None
    update: str | None = None
    structure: str = "entrywise"
    shape: tuple = (1, 2, 1)  # n, d, k

    def __call__(self) -> Outcome:
        n, d, k = self.shape
        problem = random_problem(n, d, k, seed=0)
        built = build_custom(self.K, self.update, self.structure, {}, (d, k))
        settings = Settings(dps=SELFTEST_DPS, lrs=(LearningRate("frac", Fraction(9, 10)),), backend="mpmath")
        if built.pre is None:
            rec = stopped(problem, {"name": "custom"}, built.facts, settings).record
        else:
            pre = replace(built.pre, extra={**built.pre.extra, "facts": built.facts})
            rec = check(problem, pre, settings).record
        return _combine(rec["claims"], "assumptions")


@dataclass(frozen=True)
class IdentityRun:
    """``prove_identity`` on a concrete K: ``proved`` -> verified, ``refuted`` (a 50-digit
    counterexample point) -> refuted, ``unknown`` -> inconclusive."""

    name: str
    sides: Callable[[], tuple[sp.Expr, sp.Expr]]

    def __call__(self) -> Outcome:
        lhs, rhs = self.sides()
        return fact_outcome(prove_identity(self.name, lhs, rhs))


def fact_outcome(fact) -> Outcome:
    """A symbolic fact as an outcome: proved -> verified (exact), refuted -> refuted (the point),
    unknown -> inconclusive."""
    verdict = {"proved": "verified", "refuted": "refuted"}.get(fact.status, "inconclusive")
    return Outcome(verdict, fact.detail, {"error_bound": "exact" if fact.status == "proved" else None,
                                          "counterexample": fact.counterexample})


@dataclass(frozen=True)
class Pending:
    """A planted claim whose command is not in this tree yet (it is skipped, not counted)."""

    note: str

    def __call__(self) -> Outcome:
        return Outcome("pending", self.note)


def _backend() -> str:
    from numeric.backends import flint_loop as flint_backend
    return "flint" if flint_backend.available() else "mpmath"


@dataclass(frozen=True)
class MarginRun:
    """``dspgd-verify margin`` (paper 2) on its default multiclass instance with a short budget
    (``T`` steps at a constant ``eta``); the case's verdict is claim ``claim_id``."""

    optimizer: str
    claim_id: str
    steps: int = 30_000
    lr: float = 0.02

    def __call__(self) -> Outcome:
        from numeric.margin.data import random_margin_problem
        from numeric.margin.optimizers import make_optimizer
        from numeric.margin.run import Schedule

        from ..margin.check import MarginSettings, margin_check
        prob = random_margin_problem("multiclass", 16, 6, 4, 0)
        settings = MarginSettings(steps=self.steps, schedule=Schedule(self.lr), fit_ratio=False)
        rec = margin_check(prob, make_optimizer(self.optimizer, prob), settings).record
        return _combine(rec["claims"], self.claim_id)


@dataclass(frozen=True)
class NetworkKKTRun:
    """``dspgd-verify margin --model two-layer`` (paper 2 on a squared-ReLU network, L = 3) on its
    default instance and schedule (``eta_t = 0.3 (t+1)^-0.7``, inside the condition
    ``alpha > 2/3``) with a short budget; the case's verdict is claim ``claim_id`` (a ``kkt:``
    claim, certified KKT alignment)."""

    optimizer: str
    claim_id: str
    steps: int = 20_000

    def __call__(self) -> Outcome:
        from numeric.margin.models import network_problem
        from numeric.margin.optimizers import make_optimizer
        from numeric.margin.run import Schedule

        from ..margin.check import MarginSettings, margin_check
        prob = network_problem("two-layer", 12, 3, 1, 6, "sqrelu", 2)
        settings = MarginSettings(steps=self.steps, schedule=Schedule(0.3, 0.7), fit_ratio=False,
                                  report=(self.claim_id,))
        rec = margin_check(prob, make_optimizer(self.optimizer, prob), settings).record
        return _combine(rec["claims"], self.claim_id)


# ----------------------------------------------------------------------------- identities
_A, _B, _C = (symbol_matrix(s, (2, 1)) for s in ("a", "b", "c"))


def _logcosh(M: sp.Matrix) -> sp.Expr:
    """``K(G) = sum_ij log cosh g_ij`` (``sign`` with eps = 1)."""
    return sp.Add(*[sp.log(sp.cosh(m)) for m in M])


def _half_square(M: sp.Matrix) -> sp.Expr:
    """``K(G) = ||G||^2/2`` (``gd``); ``K* = K`` and ``grad K = id``."""
    return sp.Add(*[m**2 for m in M]) / 2


def _bregman_symmetric():
    return bregman(_logcosh, _A, _B), bregman(_logcosh, _B, _A)


def _four_point_factor_two():
    K = _logcosh
    return (bregman(K, _A, _B) + bregman(K, _B, _A), 2 * inner(grad(K, _A) - grad(K, _B), _A - _B))


def _four_point():
    K = _logcosh
    return (bregman(K, _A, _B) + bregman(K, _B, _A), inner(grad(K, _A) - grad(K, _B), _A - _B))


def _three_point(sign: int):
    K = _logcosh
    return (bregman(K, _A, _B) + bregman(K, _B, _C) - bregman(K, _A, _C),
            sign * inner(grad(K, _C) - grad(K, _B), _A - _B))


def _fenchel_young(sign: int):
    K = _half_square
    return K(_A) + K(grad(K, _A)), sign * inner(_A, grad(K, _A))


def _bregman_triangle():
    """``D_K(A, C) = D_K(A, B) + D_K(B, C)``: false (the three-point term is missing)."""
    K = _logcosh
    return bregman(K, _A, _C), bregman(K, _A, _B) + bregman(K, _B, _C)


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Planted:
    """One planted claim: its id, the statement, where the mathematics is, what it must get."""

    id: str
    statement: str
    source: str
    expect: str  # refuted | verified
    run: Callable[[], Outcome]

    def __post_init__(self) -> None:
        if self.expect not in EXPECTATIONS:
            raise ValueError(f"{self.id}: expect must be one of {EXPECTATIONS}")
