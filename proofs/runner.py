"""Run results (all, a chosen few, or for one K) and collect their outcomes."""
from __future__ import annotations

from .context import ProofContext
from .core import Outcome, run_result
from .registry import USER, builtin_results


def all_results() -> dict:
    """Built-in results followed by user-registered ones."""
    return {**builtin_results(), **USER.results}


def run(only: list[str] | None = None, context: ProofContext | None = None) -> list[Outcome]:
    """Run the selected results (``only`` ids, default all) in ``context``."""
    results = all_results()
    if only:
        unknown = [i for i in only if i not in results]
        if unknown:
            raise KeyError(f"unknown result id(s) {', '.join(unknown)} (known: {', '.join(results)})")
        chosen = [results[i] for i in only]
    else:
        chosen = list(results.values())
    context = (context or ProofContext()).ensure()
    return [run_result(r, context) for r in chosen]
