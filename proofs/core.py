"""A checkable result: statement, hypotheses, steps, and the evidence that discharges each step.

In the spirit of PEPit, every result carries its theoretical guarantee beside the code that
checks it.  A :class:`Step` is discharged by exactly one kind of evidence:

* ``symbolic``: a SymPy proof (a generic K as an undefined function on explicit small shapes,
  or a structured class) -> ``proved``;
* ``numeric``: 50-digit checks over hypothesis-generated instances, with the worst value
  found -> ``verified`` (numbers never prove);
* ``certificate``: cvxpy plus an independent high-precision re-check -> ``verified``.

A step that finds a counterexample is ``failed`` (with the counterexample); one that can
decide nothing is ``unknown``.  A result is ``failed`` if any step failed, ``proved`` if every
step is proved symbolically, ``verified`` if every step is proved or verified, else ``unknown``.

A context with a ``deadline`` (the command's ``--timeout``, :mod:`numeric.deadline`) bounds the
steps together: each runs under :func:`symbolic.timebox.command_limit` with the time left, and a
step cut short, or not started because no time was left, is ``unknown`` with that reason
(:data:`OUT_OF_TIME` in its detail).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from symbolic.timebox import CommandTimeout, command_within

STATUSES = ("proved", "verified", "failed", "unknown")
METHODS = ("symbolic", "numeric", "certificate")
#: the detail of a step stopped, or never started, by the command's --timeout
OUT_OF_TIME = "the time budget (--timeout) ran out"


@dataclass(frozen=True)
class Evidence:
    """The outcome of one step."""

    status: str
    detail: str
    worst: str | None = None  # the worst value found by a numeric search (its margin)
    counterexample: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


@dataclass(frozen=True)
class Step:
    """One step of an argument and the check that discharges it: ``check(context) -> Evidence``."""

    text: str
    method: str
    check: Callable

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")


@dataclass(frozen=True)
class Result:
    """A lemma or theorem of docs/theory.md §3-§4 with its hypotheses and steps."""

    id: str
    title: str
    latex: str
    text: str
    hypotheses: tuple[str, ...]
    steps: tuple[Step, ...]
    per_preconditioner: bool = False  # True: the steps use the context's K (--preconditioner / --K)


@dataclass
class Outcome:
    """A result after running its steps."""

    result: Result
    status: str
    method: str
    steps: list = field(default_factory=list)  # (Step, Evidence, seconds)
    seconds: float = 0.0

    @property
    def detail(self) -> str:
        parts = [f"{s.text}: {e.status} ({s.method}) {e.detail}" for s, e, _ in self.steps]
        return "; ".join(parts)

    def to_json(self) -> dict:
        out = {"id": self.result.id, "title": self.result.title, "statement": self.result.text,
               "latex": self.result.latex, "hypotheses": list(self.result.hypotheses),
               "status": self.status, "method": self.method, "detail": self.detail,
               "seconds": round(self.seconds, 3),
               "steps": [{"text": s.text, "method": s.method, "status": e.status, "detail": e.detail,
                          "worst": e.worst, "counterexample": e.counterexample, "seconds": round(t, 3)}
                         for s, e, t in self.steps]}
        return out


def combine(statuses: list[str]) -> str:
    """Aggregate step statuses into the result's status (module docstring)."""
    if "failed" in statuses:
        return "failed"
    if statuses and all(s == "proved" for s in statuses):
        return "proved"
    if statuses and all(s in ("proved", "verified") for s in statuses):
        return "verified"
    return "unknown"


def run_result(result: Result, context) -> Outcome:
    """Run every step of ``result`` in ``context`` (a :class:`proofs.context.ProofContext`)."""
    t0 = time.perf_counter()
    done = []
    deadline = getattr(context, "deadline", None)
    for step in result.steps:
        s0 = time.perf_counter()
        left = None if deadline is None else deadline.left()
        if left is not None and left <= 0:
            done.append((step, Evidence("unknown", f"not run: {OUT_OF_TIME}; nothing decided"), 0.0))
            continue
        try:
            with command_within(deadline):
                ev = step.check(context)
        except CommandTimeout:
            ev = Evidence("unknown", f"stopped: {OUT_OF_TIME} during this step; nothing decided")
        except Exception as exc:  # a step that crashes decides nothing; say so, never hide it
            ev = Evidence("unknown", f"step raised {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        done.append((step, ev, time.perf_counter() - s0))
    statuses = [e.status for _, e, _ in done]
    methods = sorted({s.method for s in result.steps})
    return Outcome(result, combine(statuses), "+".join(methods), done, time.perf_counter() - t0)


def from_fact(fact, method: str = "symbolic", note: str = "") -> Evidence:
    """Turn a :class:`symbolic.facts.Fact` into step evidence.

    A symbolic ``proved`` stays ``proved``; ``refuted`` becomes ``failed``; a fact that is only
    numerically consistent (``unknown`` with a search behind it) is reported as ``unknown``
    here; numeric steps use :func:`numeric_evidence` instead.  ``note`` (what the proof was
    run on) is appended to the detail of a proof.
    """
    status = {"proved": "proved", "refuted": "failed", "unknown": "unknown"}[fact.status]
    detail = f"{fact.detail}; {note}" if note and status == "proved" else fact.detail
    return Evidence(status, detail, None, dict(fact.counterexample or {}))


def numeric_evidence(worst, tolerance, what: str, count: int, counterexample: dict | None = None) -> Evidence:
    """``verified`` when the worst deviation over ``count`` instances is within ``tolerance``."""
    if counterexample:
        return Evidence("failed", f"{what}: counterexample found", str(worst), counterexample)
    if worst is None or count == 0:
        return Evidence("unknown", f"{what}: no instance evaluated")
    ok = worst <= tolerance
    return Evidence("verified" if ok else "failed",
                    f"{what}: worst {float(worst):.3e} over {count} instances (tolerance {float(tolerance):.1e})",
                    f"{float(worst):.3e}")


@dataclass
class Worst:
    """The "sample instances, run, take the worst" step: ``value = max_i q_i`` over the instances
    seen, ``where`` the first instance attaining it, ``count`` the instances seen.

    :meth:`evidence` is :func:`numeric_evidence` with ``where`` as the counterexample when
    ``value > tolerance`` (so ``failed`` carries the instance), ``verified`` when ``value <= tolerance``.
    """

    value: Any = None
    where: Any = field(default_factory=dict)
    count: int = 0

    def see(self, value, where) -> None:
        """One more instance with quantity ``value`` (kept when strictly worse than the worst so far)."""
        self.count += 1
        if self.value is None or value > self.value:
            self.value, self.where = value, where

    def evidence(self, tolerance, what: str) -> Evidence:
        return numeric_evidence(self.value, tolerance, what, self.count,
                                counterexample=self.where if self.value > tolerance else None)


def exact_rational(x):
    """The exact value of an mpf (a dyadic rational) as a SymPy Rational."""
    import sympy as sp
    sign, man, exp, _ = x._mpf_
    value = sp.Integer(man) * sp.Integer(2) ** exp
    return -value if sign else value
