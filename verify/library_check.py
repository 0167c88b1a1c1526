"""Preconditioners whose update is computed by an optimizer library (``check --preconditioner torch-adam``).

They run only with the float64 backend: the library computes in float64, so a 50-digit run
would claim digits it does not have (its rerun at P + 20 digits would repeat the same float64
map and agree with itself).
"""
from __future__ import annotations

from fractions import Fraction

from numeric.errors import InputError

LIBRARY = {"torch-adam": "adam"}  # name -> the catalogue map it is checked against


def library_backend(name: str, backend: str) -> str:
    """The backend a library preconditioner runs with: float64 (``auto`` resolves to it)."""
    if backend not in ("auto", "float64"):
        raise InputError(f"--preconditioner {name} computes its update in float64: use --backend float64 "
                         f"(or auto), not {backend}")
    return "float64"


def library_preconditioner(name: str, params: dict, shape: tuple[int, int]):
    """Build the record (``torch-adam``: parameter ``eps``, default 0.1)."""
    from numeric.preconditioners.from_torch import torch_adam
    unknown = set(params) - {"eps"}
    if unknown:
        raise InputError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))} (allowed: eps)")
    eps = params.get("eps", Fraction(1, 10))
    if eps <= 0:
        raise InputError(f"eps must be > 0, got {eps}")
    return torch_adam(eps, shape)
