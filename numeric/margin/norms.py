"""The norms of paper 2 on ``theta = (W, b)``, their duals and linear minimization oracles.

==============  ==================================  ====================================  =============================
norm            ``N(theta)``                        dual ``N_*(g)``                       LMO ``argmax_{N(u)<=1} <g, u>``
==============  ==================================  ====================================  =============================
``l2``          ``||theta||_2``                     ``||g||_2``                           ``g / ||g||_2``
``linf``        ``max_j |theta_j|``                 ``||g||_1``                           ``sign(g)``
``l1``          ``sum_j |theta_j|``                 ``||g||_inf``                         ``sign(g_j) e_j``, ``j = argmax |g_j|``
``lp`` (p)      ``||theta||_p``, ``1 < p < inf``     ``||g||_q``, ``1/p + 1/q = 1``         ``sign(g) |g|^(q-1) / ||g||_q^(q-1)``
``spectral``    ``sigma_max(W)`` (no ``b`` block)   ``||G||_nuc``                         ``U_r V_r^T`` (polar factor)
``hybrid(r)``   ``max(r sigma_max(W), ||b||_inf)``  ``||G||_nuc / r + ||g_b||_1``         ``(U_r V_r^T / r, sign(g_b))``
==============  ==================================  ====================================  =============================

Hoelder: ``<g, u> <= N_*(g) N(u)``, with equality at the LMO.  The LMO of a block-max norm
``max_k c_k N_k(theta_k)`` moves each block by its own LMO divided by its weight ``c_k``
(docs/theory.md §6.3), which is why Muon with step ``eta / r`` beside a sign step ``eta`` is steepest
descent for ``hybrid(r)``.  For a rank-deficient ``G`` (multiclass gradients have rank
``<= k - 1``) the spectral LMO is not unique; ``U_r V_r^T`` on the numerical rank ``r`` is the
choice made here (docs/theory.md §6.8, pitfall 6).  All values in float64 (evaluation only; certified
bounds live in :mod:`verify.margin.exact`).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .data import MarginProblem

NAMES = ("l2", "linf", "spectral", "hybrid")
# ``l1`` is no optimizer's norm: it is the predictor-space norm of the diagonal network's l2
# margin problem (numeric.margin.models), used for its certified global reference.


@dataclass(frozen=True)
class MarginNorm:
    """A norm of paper 2; ``ratio`` is the ``r`` of ``hybrid(r)``, ``p`` the exponent of ``lp``
    (a researcher's norm, ``--norm lp:P``; exact rationals)."""

    name: str
    ratio: Fraction | None = None
    p: Fraction | None = None

    @property
    def label(self) -> str:
        if self.name == "lp":
            return f"l{_frac(self.p)}"
        return f"hybrid(r={_frac(self.ratio)})" if self.name == "hybrid" else self.name

    @property
    def q(self) -> Fraction | None:
        """The dual exponent ``q = p / (p - 1)`` of ``lp``."""
        return None if self.p is None else self.p / (self.p - 1)

    def applies_to(self, prob: MarginProblem) -> bool:
        """``spectral`` needs a lone matrix block; ``hybrid`` a matrix and a vector block."""
        if self.name == "spectral":
            return prob.W_shape is not None and prob.b_size == 0
        if self.name == "hybrid":
            return prob.W_shape is not None and prob.b_size > 0
        return True


def _frac(v: Fraction | None) -> str:
    """Exact text of a ratio: a terminating decimal where there is one (0.52), else p/q."""
    if v is None:
        return "-"
    q = v.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    if q != 1:
        return str(v)
    from decimal import Decimal, localcontext
    with localcontext() as ctx:
        ctx.prec = 60
        return format(Decimal(v.numerator) / Decimal(v.denominator), "f")


def polar(G: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """``U_r V_r^T`` from the SVD ``G = U S V^T``, keeping ``s_i > rtol * s_1`` (exact polar factor)."""
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return np.zeros_like(G)
    r = int(np.sum(s > rtol * s[0]))
    return U[:, :r] @ Vt[:r]


def norm(prob: MarginProblem, N: MarginNorm, theta: np.ndarray) -> float:
    W, b = prob.split(theta)
    if N.name == "l2":
        return float(np.linalg.norm(theta))
    if N.name == "linf":
        return float(np.max(np.abs(theta)))
    if N.name == "l1":
        return float(np.sum(np.abs(theta)))
    if N.name == "lp":
        return float(np.linalg.norm(theta, float(N.p)))
    sp = float(np.linalg.norm(W, 2))
    if N.name == "spectral":
        return sp
    return max(float(N.ratio) * sp, float(np.max(np.abs(b))))


def dual_norm(prob: MarginProblem, N: MarginNorm, g: np.ndarray) -> float:
    G, gb = prob.split(g)
    if N.name == "l2":
        return float(np.linalg.norm(g))
    if N.name == "linf":
        return float(np.sum(np.abs(g)))
    if N.name == "l1":
        return float(np.max(np.abs(g)))
    if N.name == "lp":
        return float(np.linalg.norm(g, float(N.q)))
    nuc = float(np.sum(np.linalg.svd(G, compute_uv=False)))
    if N.name == "spectral":
        return nuc
    return nuc / float(N.ratio) + float(np.sum(np.abs(gb)))


def lmo(prob: MarginProblem, N: MarginNorm, g: np.ndarray) -> np.ndarray:
    """``u = argmax_{N(u) <= 1} <g, u>``, so ``<g, u> = N_*(g)`` (the steepest-ascent direction)."""
    if N.name == "l2":
        s = np.linalg.norm(g)
        return g / s if s > 0 else np.zeros_like(g)
    if N.name == "linf":
        return np.sign(g)
    if N.name == "l1":
        u = np.zeros_like(g)
        j = int(np.argmax(np.abs(g)))
        u[j] = np.sign(g[j])
        return u
    if N.name == "lp":
        q = float(N.q)
        s = np.linalg.norm(g, q)
        return np.sign(g) * (np.abs(g) / s) ** (q - 1) if s > 0 else np.zeros_like(g)
    G, gb = prob.split(g)
    P = polar(G).ravel()
    if N.name == "spectral":
        return P
    return np.concatenate([P / float(N.ratio), np.sign(gb)])


def margins(prob: MarginProblem, theta: np.ndarray) -> np.ndarray:
    """``q_j(theta)`` (``<A_j, theta>`` on a linear model)."""
    return prob.margins(theta)


def normalized_margin(prob: MarginProblem, N: MarginNorm, theta: np.ndarray) -> float:
    """``gamma_N(theta) = min_j q_j(theta) / N(theta)^L`` (float64; ``L`` the model's degree)."""
    return float(np.min(margins(prob, theta))) / norm(prob, N, theta) ** prob.degree
