"""What a proof run is about: a generic K (undefined function) or one preconditioner.

``ProofContext`` carries the K under test for results marked ``per_preconditioner``: the
numeric :class:`~numeric.preconditioners.base.Preconditioner`, its symbolic profile when there is
one, and the settings of numeric steps (digits, number of instances, seed).  Default: the
catalogue's ``adam`` (eps = 1/10) for per-preconditioner steps and generic K elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

DPS = 50


@dataclass
class ProofContext:
    preconditioner: object = None  # numeric Preconditioner
    symbolic: object = None  # symbolic ProfileK / GeneralK / QuadraticK (None when unknown)
    name: str = "adam"
    params: dict = field(default_factory=lambda: {"eps": Fraction(1, 10)})
    dps: int = DPS
    examples: int = 20
    seed: int = 0
    out_dir: str = "."  # where probes save counterexample instances
    deadline: object = None  # numeric.deadline.Deadline of --timeout: bounds every step together (None: no bound)

    def ensure(self) -> "ProofContext":
        """Build the catalogue preconditioner and its symbolic description if not given."""
        if self.preconditioner is None:
            from numeric.preconditioners.catalog import make_preconditioner
            from symbolic.catalog import symbolic_k
            self.preconditioner = make_preconditioner(self.name, self.params, shape=(3, 2), seed=self.seed)
            self.symbolic = symbolic_k(self.name, dict(self.preconditioner.params),
                                       self.preconditioner.extra.get("H"))
        return self
