"""How a cvxpy status maps to what the toolkit may conclude (never trusted alone).

Only ``optimal`` lets the answer proceed to the independent high-precision re-check;
every other outcome becomes ``inconclusive`` with the reason spelled out.
"""
from __future__ import annotations

STATUS_REASONS = {
    "optimal": None,
    "optimal_inaccurate": "solver reported optimal_inaccurate: answer not accurate enough to certify",
    "infeasible": "solver reported the characterization infeasible (should be impossible for full-rank X)",
    "infeasible_inaccurate": "solver reported infeasible_inaccurate",
    "unbounded": "solver reported the characterization unbounded (impossible for a norm objective)",
    "unbounded_inaccurate": "solver reported unbounded_inaccurate",
    "infeasible_or_unbounded": "solver reported the characterization infeasible or unbounded",
    "user_limit": "solver stopped at a user limit (iterations or time)",
    "solver_error": "solver failed",
    "solver_missing": "solver not installed",
}


def status_reason(status: str) -> str | None:
    """``None`` for a status that may proceed to re-checking, else the reason to report."""
    if status in STATUS_REASONS:
        return STATUS_REASONS[status]
    return f"unexpected solver status {status!r}"
