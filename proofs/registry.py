"""The explicit registry of results (one module per result in ``proofs/results/``).

Each module ``proofs/results/<name>.py`` defines ``RESULT`` (a :class:`proofs.core.Result`).
``RESULT_MODULES`` lists them in the order of docs/theory.md §3-§4; a missing module is an error, not a
silent omission.  User identities go to a :class:`Registry` of their own (the module-level
``USER`` registry backs :func:`proofs.register_identity`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from .core import Result

RESULT_MODULES = (
    # identities (docs/theory.md §4.2)
    "i1", "i2a", "i2b", "i3", "i4", "i5", "i6", "i6b", "i7", "i8", "i9", "i10", "i11", "i12", "s1", "s2", "s3",
    # inequalities (docs/theory.md §4.3)
    "j1", "j2", "j3", "j3p", "j4", "j5",
    # theorems (docs/theory.md §3)
    "theorem_a", "theorem_b", "isotropic_bias", "left_invariant_bias", "quadratic_limit", "quadratic_sharp",
    "single_sample", "entrywise_single_sample", "lr_dependence", "c5",
)


def builtin_results() -> dict[str, Result]:
    """``{id: Result}`` for every module of ``RESULT_MODULES``."""
    out: dict[str, Result] = {}
    for name in RESULT_MODULES:
        module = importlib.import_module(f"proofs.results.{name}")
        result = module.RESULT
        out[result.id] = result
    return out


@dataclass
class Registry:
    """User-registered results, checked by the same runner as the built-in ones."""

    results: dict = field(default_factory=dict)

    def add(self, result: Result) -> Result:
        if result.id in self.results:
            raise ValueError(f"a result named {result.id!r} is already registered")
        self.results[result.id] = result
        return result


USER = Registry()
