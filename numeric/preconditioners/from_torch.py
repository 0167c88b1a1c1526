"""``torch-adam``: the ``adam`` preconditioner with its update computed by PyTorch itself.

One step of ``torch.optim.Adam([W], lr=eta, betas=(0, 0), eps=eps)`` on a float64 tensor, with
a fresh optimizer state each step, is

    m = g,  v = g * g,  bias corrections 1 - 0^1 = 1,
    W <- W - (eta * g) / (sqrt(v) + eps) = W - eta * g / (|g| + eps)     (sqrt(fl(g^2)) = |g| in binary IEEE)

that is DSPGD with the ``adam`` grad K ``G/(|G| + eps)`` (docs/theory.md §2), up to the rounding of
float64 (torch multiplies by ``eta`` before dividing).  The record carries that step as
``extra["float64_step"]``; :mod:`numeric.backends.float64_loop` runs it, and its rounding check reruns
the exact ``adam`` map (``extra["exact_map"]``) in longdouble, so the error bound covers both the
float64 rounding and any difference between torch's update and the map.  A run therefore can
only be as exact as float64: the record works only with the float64 backend (tolerance 1e-8).

torch is the optional extra ``xcheck``; without it the factory raises :class:`InputError`.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from .catalog import adam
from ..errors import InputError
from .base import Preconditioner

NEEDS = "needs torch: pip install torch (or, from a clone, pip install '.[xcheck]')"


def import_torch():
    """``torch``, or :class:`InputError` naming the extra to install."""
    try:
        import torch
    except ImportError:
        raise InputError(f"--preconditioner torch-adam {NEEDS}") from None
    return torch


def torch_adam_step(torch, eps: float) -> "callable":
    """``make(eta) -> step(W, G) -> W_new``: one ``torch.optim.Adam`` step with betas (0, 0) on a float64 copy of W."""
    def make(eta: float):
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([p], lr=float(eta), betas=(0.0, 0.0), eps=float(eps), foreach=False)

        def step(W: np.ndarray, G: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                p.data = torch.tensor(W, dtype=torch.float64)
            p.grad = torch.tensor(G, dtype=torch.float64)
            opt.state.clear()  # every step is the first step of a fresh Adam
            opt.step()
            return p.detach().numpy().copy()
        return step
    return make


def torch_adam(eps: Fraction = Fraction(1, 10), shape: tuple[int, int] | None = None) -> Preconditioner:
    """The ``adam`` record whose update is computed by ``torch.optim.Adam(betas=(0, 0), eps=eps)``."""
    torch = import_torch()
    base = adam(eps)
    make = torch_adam_step(torch, float(eps))
    unit = make(1.0)

    def grad(ctx, g):  # the map torch applies, in float64: U = -(Adam step from W = 0 with lr = 1)
        G = np.array([[float(x) for x in c] for c in g]).T
        U = -unit(np.zeros_like(G), G)
        return [[ctx.mpf(float(U[i, j])) for i in range(U.shape[0])] for j in range(U.shape[1])]

    from symbolic.catalog import symbolic_k
    library = f"torch.optim.Adam(betas=(0, 0), eps={float(eps)!r}), torch {torch.__version__}, float64"
    return replace(base, name="torch-adam", grad=grad,
                   grad_formula=f"{base.grad_formula}, computed by {library}",
                   extra={"float64_step": make, "exact_map": "adam", "library": library,
                          "symbolic": symbolic_k("adam", {"eps": eps})})
