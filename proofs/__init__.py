"""The papers' identities, lemmas and theorems as checkable proofs (docs/theory.md §3-§4).

``proofs.run()`` checks every result; ``proofs.register_identity(name, lhs, rhs, hypotheses)``
adds your own.  One module per result lives in ``proofs/results/``.
"""
from .context import ProofContext
from .core import Evidence, Outcome, Result, Step
from .registry import USER, Registry
from .runner import all_results, run
from .user import register_identity

__all__ = ["ProofContext", "Evidence", "Outcome", "Result", "Step", "Registry", "USER",
           "all_results", "run", "register_identity"]
