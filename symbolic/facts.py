"""A mathematical fact with its status: ``proved``, ``refuted`` (with a counterexample) or ``unknown``.

A fact that cannot be proved is ``unknown``, never assumed; a false fact carries the point
where it fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("proved", "refuted", "unknown")


@dataclass(frozen=True)
class Fact:
    """One statement about K (``name``), its status and the evidence."""

    name: str
    statement: str
    status: str
    method: str
    detail: str = ""
    counterexample: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown fact status {self.status!r}")

    def to_json(self) -> dict:
        out = {"name": self.name, "statement": self.statement, "status": self.status,
               "method": self.method, "detail": self.detail}
        if self.counterexample:
            out["counterexample"] = self.counterexample
        return out


def combine(name: str, statement: str, parts: list[Fact]) -> Fact:
    """Conjunction: refuted if any part is, proved if all are, else unknown."""
    for p in parts:
        if p.status == "refuted":
            return Fact(name, statement, "refuted", p.method, f"{p.name}: {p.detail}", p.counterexample)
    if all(p.status == "proved" for p in parts):
        return Fact(name, statement, "proved", "symbolic", "; ".join(f"{p.name}: {p.detail}" for p in parts))
    unknown = [p.name for p in parts if p.status == "unknown"]
    return Fact(name, statement, "unknown", "symbolic", f"could not prove: {', '.join(unknown)}")
