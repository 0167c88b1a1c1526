"""Check your own identities with the toolkit's machinery (docs/theory.md §4.4).

    >>> import sympy as sp, proofs
    >>> a, b = sp.symbols("a b", real=True)
    >>> r = proofs.register_identity("my_square", (a + b)**2, a**2 + 2*a*b + b**2, "a, b real")
    >>> proofs.run(only=["my_square"])[0].status
    'proved'

``lhs`` and ``rhs`` are SymPy expressions (or matrices), or zero-argument builders returning
them.  The check is :func:`symbolic.identities.prove_identity`: ``simplify(lhs - rhs) == 0``
with fallbacks (``proved``), else a 50-digit search for a counterexample (``failed``, with the
point), else ``unknown``.  For identities in an undefined K, pass ``concrete`` (a test K) so the
numeric search can run.
"""
from __future__ import annotations

from typing import Callable

from symbolic.identities import prove_identity

from .core import Evidence, Result, Step, from_fact
from .registry import USER, Registry


def _value(v):
    return v() if callable(v) else v


def register_identity(name: str, lhs, rhs, hypotheses: str = "", *, symbols=None, concrete=None,
                      domains=None, sampler: Callable | None = None, registry: Registry | None = None) -> Result:
    """Register ``lhs = rhs`` under ``name``; ``proofs.run(only=[name])`` checks it."""

    def check(context) -> Evidence:
        fact = prove_identity(name, _value(lhs), _value(rhs), symbols=symbols, concrete=concrete,
                              domains=domains, sampler=sampler, hypotheses=hypotheses)
        return from_fact(fact)

    result = Result(name, f"user identity {name}", f"{_value(lhs)} = {_value(rhs)}",
                    f"{_value(lhs)} = {_value(rhs)}", (hypotheses,) if hypotheses else (),
                    (Step("lhs - rhs simplifies to 0, else a 50-digit counterexample search", "symbolic", check),))
    return (registry or USER).add(result)
