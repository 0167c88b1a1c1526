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
``schatten`` p  ``||(sigma(W), b)||_p``             ``||(sigma(G), g_b)||_q``             ``U diag(s^(q-1)) V^T`` etc.
``group`` (w)   ``sum_g w_g ||theta_g||_2``         ``max_g ||g_g||_2 / w_g``             ``g_G / (w_G ||g_G||)`` on ``G``
==============  ==================================  ====================================  =============================

Researchers' norms (``--norm``): ``schatten(p)``, ``1 <= p <= inf``, is the Schatten-p norm of the
block-diagonal matrix ``diag(W, diag(b))``, i.e. the ``l_p`` norm of the singular values of ``W``
followed by the entries of ``b`` (the Schatten-p norm of ``W`` on a lone matrix block; ``p = 2``
is ``l2``, ``p = inf`` is ``hybrid(1)``, ``spectral`` without ``b``); its dual is the Schatten-q
norm of ``diag(G, diag(g_b))``, ``1/p + 1/q = 1``, and its LMO ``U diag(s^(q-1)) V^T / ||s||_q^(q-1)``
from the SVD ``G = U diag(s) V^T`` (the entries of ``g_b`` likewise), the polar factor for
``p = inf``, a top singular pair for ``p = 1``.  ``group(w)`` is the weighted l2-group norm over the
groups of :func:`groups`: the rows of the matrix block ``W``, then the vector block ``b`` as one
group (a model without a matrix block: the whole vector is one group).

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
    p: Fraction | None = None  # lp; schatten (None: p = inf)
    weights: tuple | None = None  # group: one positive Fraction per group of :func:`groups`

    @property
    def label(self) -> str:
        if self.name == "lp":
            return f"l{_frac(self.p)}"
        if self.name == "schatten":
            return f"schatten(p={'inf' if self.p is None else _frac(self.p)})"
        if self.name == "group":
            return f"group(w={','.join(_frac(w) for w in self.weights)})"
        return f"hybrid(r={_frac(self.ratio)})" if self.name == "hybrid" else self.name

    @property
    def q(self) -> Fraction | None:
        """The dual exponent ``q = p / (p - 1)`` of ``lp`` and ``schatten`` (``1`` for ``p = inf``;
        ``None`` for ``p = 1``, where ``q = inf`` (:attr:`q_float`), and for the other norms)."""
        if self.name not in ("lp", "schatten"):
            return None
        if self.p is None:
            return Fraction(1)
        return None if self.p == 1 else self.p / (self.p - 1)

    @property
    def p_float(self) -> float:
        return np.inf if self.p is None else float(self.p)

    @property
    def q_float(self) -> float:
        return np.inf if self.q is None else float(self.q)

    def applies_to(self, prob: MarginProblem) -> bool:
        """``spectral`` needs a lone matrix block; ``hybrid`` a matrix and a vector block;
        ``schatten`` a matrix block; ``group`` one weight per group of :func:`groups`."""
        if self.name == "schatten":
            return prob.W_shape is not None
        if self.name == "group":
            return len(self.weights) == len(groups(prob))
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


def groups(prob: MarginProblem) -> list[tuple[int, int]]:
    """The groups of ``group(w)`` as index ranges of ``theta``: the rows of the matrix block ``W``
    (row-major, so contiguous), then the vector block ``b`` as one group; without a matrix block
    the whole parameter vector is one group."""
    if prob.W_shape is None:
        return [(0, prob.n_params)]
    m, c = prob.W_shape
    out = [(i * c, (i + 1) * c) for i in range(m)]
    return out + ([(prob.W_size, prob.n_params)] if prob.b_size else [])


def describe_groups(prob: MarginProblem) -> str:
    """Words for the groups of ``prob`` (error messages, docs)."""
    if prob.W_shape is None:
        return "1 group (the whole parameter vector)"
    n = prob.W_shape[0] + (1 if prob.b_size else 0)
    return f"{n} groups (the {prob.W_shape[0]} rows of W" + (", then the vector block)" if prob.b_size else ")")


def schatten_values(prob: MarginProblem, theta: np.ndarray) -> np.ndarray:
    """``(sigma(W), |b|)``: the singular values of ``diag(W, diag(b))``."""
    W, b = prob.split(theta)
    return np.concatenate([np.linalg.svd(W, compute_uv=False), np.abs(b)])


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
    if N.name == "schatten":
        return float(np.linalg.norm(schatten_values(prob, theta), N.p_float))
    if N.name == "group":
        return float(sum(float(w) * np.linalg.norm(theta[a:e]) for w, (a, e) in zip(N.weights, groups(prob))))
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
    if N.name == "schatten":
        return float(np.linalg.norm(schatten_values(prob, g), N.q_float))
    if N.name == "group":
        return float(max(np.linalg.norm(g[a:e]) / float(w) for w, (a, e) in zip(N.weights, groups(prob))))
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
    if N.name == "schatten":
        return _schatten_lmo(prob, N, g)
    if N.name == "group":
        ranges = groups(prob)
        vals = [np.linalg.norm(g[a:e]) / float(w) for w, (a, e) in zip(N.weights, ranges)]
        i = int(np.argmax(vals))
        u = np.zeros_like(g)
        a, e = ranges[i]
        s = np.linalg.norm(g[a:e])
        if s > 0:
            u[a:e] = g[a:e] / (s * float(N.weights[i]))
        return u
    G, gb = prob.split(g)
    P = polar(G).ravel()
    if N.name == "spectral":
        return P
    return np.concatenate([P / float(N.ratio), np.sign(gb)])


def _schatten_lmo(prob: MarginProblem, N: MarginNorm, g: np.ndarray) -> np.ndarray:
    """LMO of ``schatten(p)``: the vector ``c = (s, |g_b|)`` of singular values of ``diag(G, diag(g_b))``
    goes to the ``l_p`` LMO ``c'`` of ``c`` (all entries >= 0), put back as ``U diag(c'_W) V^T`` and
    ``sign(g_b) c'_b``."""
    G, gb = prob.split(g)
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    c = np.concatenate([s, np.abs(gb)])
    top = float(np.max(c)) if c.size else 0.0
    if top == 0:
        return np.zeros_like(g)
    if N.p is None:  # p = inf, q = 1: every non-negligible value to 1 (polar factor, sign)
        cu = (c > 1e-12 * top).astype(float)
    elif N.p == 1:  # q = inf: one top value
        cu = np.zeros_like(c)
        cu[int(np.argmax(c))] = 1.0
    else:
        q = float(N.q)
        cu = (c / np.linalg.norm(c, q)) ** (q - 1)
    k = s.size
    return np.concatenate([((U * cu[:k]) @ Vt).ravel(), np.sign(gb) * cu[k:]])


def margins(prob: MarginProblem, theta: np.ndarray) -> np.ndarray:
    """``q_j(theta)`` (``<A_j, theta>`` on a linear model)."""
    return prob.margins(theta)


def normalized_margin(prob: MarginProblem, N: MarginNorm, theta: np.ndarray) -> float:
    """``gamma_N(theta) = min_j q_j(theta) / N(theta)^L`` (float64; ``L`` the model's degree)."""
    return float(np.min(margins(prob, theta))) / norm(prob, N, theta) ** prob.degree
