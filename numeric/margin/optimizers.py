"""The optimizers of paper 2 on the exponential loss, in log scale (docs/theory.md §6, §6.2).

Loss ``L(theta) = sum_j exp(-q_j(theta))`` with ``q = J theta``.  Its gradient underflows
float64 once the margins pass about 745, so every optimizer sees it in log scale:

    grad L = -sum_j e^{-q_j} A_j = e^{s} g_hat,   s = -min_j q_j,   g_hat = -J^T e^{-(q - min q)}

(``g_hat`` has entries of order one).  Normalized methods (LMOs) are scale invariant and use
``g_hat`` directly; momentum and Adam's moments are kept as ``(log scale, mantissa)`` pairs
(:func:`ema`), so runs of ``10^6`` steps stay finite.  Each factory returns an immutable
:class:`Optimizer` record whose ``update(state, g_hat, s, t)`` gives the step direction ``u``
(the iterate moves by ``theta <- theta - eta_t u``) and the new state.

==============  =========================================================  ===========================
name            direction ``u``                                            predicted margin (paper 2)
==============  =========================================================  ===========================
``gd``          ``grad L`` (unnormalized; closes the gap like ``1/log t``)  l2
``ngd``         ``LMO_l2(m)`` (``m`` = gradient, or its EMA if beta1 > 0)    l2
``sign``        ``sign(m)`` (Signum with beta1 > 0)                        linf
``signum``      ``sign(EMA_beta1(grad))``                                  linf
``adam``        ``m_hat / sqrt(v_hat)``, eps = 0, bias-corrected           linf
``spectral``    ``polar(m)`` (exact, SVD)                                  spectral
``muon``        ``polar(EMA_beta1(grad))`` (exact, SVD)                    spectral
``muon-ns``     ``NS5(EMA_beta1(grad))``: Newton-Schulz-5, *not covered*   (spectral, not covered)
``muon-sign``   ``(polar(m_W) / r, sign(m_b))``                            hybrid(r)
``muon-adam``   ``(polar(m_W) / r, Adam_b)``                               hybrid(r)
==============  =========================================================  ===========================

The theory is for the continuous-time flow with a decaying schedule and assumes directional
convergence; these discrete runs are approximations of it (docs/theory.md §6.8, pitfall 9).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from ..errors import InputError
from .data import MarginProblem, scaled_gradient  # noqa: F401  (scaled_gradient: re-exported)
from .norms import MarginNorm, polar
from ..preconditioners.optimizer_maps import newton_schulz5  # Muon's reference map: not the polar factor

NEG_INF = -math.inf


@dataclass(frozen=True)
class Optimizer:
    """An optimizer of paper 2: ``update(state, g_hat, s, t) -> (u, state)``, ``t = 1, 2, ...``."""

    name: str
    predicted: MarginNorm | None
    covered: bool
    params: dict
    init: Callable[[int, type], dict]
    update: Callable[[dict, np.ndarray, float, int], tuple[np.ndarray, dict]] = field(repr=False)


def ema(state: tuple[float, np.ndarray] | None, beta: float, s: float, g: np.ndarray):
    """Log-scaled EMA ``m_t = beta m_{t-1} + (1 - beta) e^s g``, stored as ``m = e^sigma M``.

    ``sigma_t = max(sigma_{t-1} + log beta, s + log(1 - beta))`` keeps ``M`` of order one."""
    if beta == 0:
        return s, g
    lb, l1 = math.log(beta), math.log1p(-beta)
    if state is None:
        return s + l1, g
    sigma, M = state
    new = max(sigma + lb, s + l1)
    return new, math.exp(sigma + lb - new) * M + math.exp(s + l1 - new) * g


def polar_any(G: np.ndarray) -> np.ndarray:
    """Exact polar factor in any float dtype: float64 SVD, then two Newton steps
    ``X <- X (3 I - X^T X) / 2`` in ``G``'s dtype (so a longdouble rerun stays longdouble)."""
    X = polar(np.asarray(G, dtype=np.float64)).astype(G.dtype)
    if G.dtype != np.float64:
        for _ in range(2):
            X = X @ (3 * np.eye(X.shape[1], dtype=G.dtype) - X.T @ X) / 2
    return X


def _momentum_direction(prob: MarginProblem, block_map) -> Callable:
    def update(state, g, s, t):
        m = ema(state.get("m"), state["beta1"], s, g)
        return block_map(prob, m[1]), {**state, "m": m}
    return update


def _adam_direction(state, g, s, t, beta1, beta2, eps=0.0):
    """Adam: ``m_hat / (sqrt(v_hat) + eps)`` with ``m = e^sigma M``, ``v = e^tau V`` (log scale).

    ``eps = 0`` (paper 2): ``e^{sigma - tau/2} M/sqrt(V) sqrt(1-b2^t)/(1-b1^t)``; coordinates
    whose every gradient was 0 move by 0.  ``eps > 0``: ``e^{sigma - tau/2} M / (1 - b1^t)``
    over ``sqrt(V)/sqrt(1-b2^t) + eps e^{-tau/2}`` (once ``sqrt(v) << eps`` this is GD with
    rate ``eta/eps``: docs/theory.md §6.6)."""
    m = ema(state.get("m"), beta1, s, g)
    v = ema(state.get("v"), beta2, 2 * s, g * g)
    (sigma, M), (tau, V) = m, v
    c1 = -math.expm1(t * math.log(beta1)) if beta1 > 0 else 1.0
    c2 = math.sqrt(-math.expm1(t * math.log(beta2)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if eps == 0:
            u = np.where(V > 0, M / np.sqrt(np.where(V > 0, V, 1)), 0) * (math.exp(sigma - tau / 2) * c2 / c1)
        else:
            shift = eps * math.exp(min(-tau / 2, 700.0)) if -tau / 2 <= 700 else math.inf
            u = (math.exp(sigma - tau / 2) / c1) * M / (np.sqrt(V) / c2 + shift)
    return u, m, v


def _check_beta(name: str, v: float, lo_closed: bool = True) -> float:
    if not (0 <= v < 1) or (not lo_closed and v == 0):
        raise InputError(f"{name} must lie in [0, 1), got {v}")
    return v


def make_optimizer(name: str, prob: MarginProblem, ratio: Fraction = Fraction(1),
                   beta1: float | None = None, beta2: float | None = None, eps: float = 0.0,
                   update: str | None = None) -> Optimizer:
    """Factory for the optimizers of the table above, checked against the model's blocks.

    ``name = "update"`` with ``update = EXPR``: a researcher's own entrywise update
    (:mod:`numeric.margin.user_update`), momentum ``beta1`` optional; no predicted norm."""
    if name == "update":
        return _user_optimizer(prob, update, beta1, ratio, beta2, eps)
    if update is not None:
        raise InputError("--update defines its own optimizer: leave out --optimizer")
    if name not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")
    kind_needs = {"spectral": ("multiclass",), "muon": ("multiclass",), "muon-ns": ("multiclass",),
                  "muon-sign": ("hybrid", "two-layer"), "muon-adam": ("hybrid", "two-layer")}
    if name in kind_needs and prob.kind not in kind_needs[name]:
        kinds = kind_needs[name]
        more = f" (or {', '.join(kinds[1:])})" if len(kinds) > 1 else ""
        raise InputError(f"optimizer {name!r} needs the {kinds[0]} model{more}, got {prob.kind}")
    if not (math.isfinite(eps) and eps >= 0):
        raise InputError(f"--eps must be a finite number >= 0, got {eps}")
    if eps and name not in ("adam", "muon-adam"):
        raise InputError(f"--eps is Adam's: optimizer {name!r} would ignore it")
    if beta1 is not None and name == "gd":
        raise InputError("--beta1: optimizer 'gd' has no momentum and would ignore it (use ngd, signum, ...)")
    if beta2 is not None and name not in ("adam", "muon-adam"):
        raise InputError(f"--beta2 is Adam's second-moment rate: optimizer {name!r} would ignore it")
    if ratio <= 0:
        raise InputError(f"--ratio must be > 0, got {ratio}")
    default_b1 = {"signum": 0.9, "adam": 0.9, "muon": 0.9, "muon-ns": 0.9, "muon-sign": 0.9, "muon-adam": 0.9}
    b1 = _check_beta("--beta1", default_b1.get(name, 0.0) if beta1 is None else beta1)
    b2 = _check_beta("--beta2", 0.95 if beta2 is None else beta2, lo_closed=False)
    if name in ("adam", "muon-adam") and b1 > b2:
        raise InputError(f"{name} needs beta1 <= beta2 (paper 2's c1 >= c2), got {b1} > {b2}")
    r = float(ratio)

    def init(P, dtype=np.float64):
        return {"beta1": b1}

    def sign_map(p, m):
        return np.sign(m)

    def l2_map(p, m):
        s = np.sqrt(np.sum(m * m))
        return m / s if s > 0 else np.zeros_like(m)

    def polar_map(p, m):
        return polar_any(m.reshape(p.W_shape)).ravel()

    def ns_map(p, m):
        return newton_schulz5(m.reshape(p.W_shape)).ravel()

    def hybrid_sign_map(p, m):
        W, b = m[: p.W_size], m[p.W_size:]
        return np.concatenate([polar_any(W.reshape(p.W_shape)).ravel() / r, np.sign(b)])

    params = {"beta1": b1}
    if name == "gd":
        def update(state, g, s, t):
            with np.errstate(over="ignore", invalid="ignore"):  # overflow -> inf: the run stops as non-finite
                return g * np.exp(s), state
        pred, upd = MarginNorm("l2"), update
        params = {}
    elif name == "ngd":
        pred, upd = MarginNorm("l2"), _momentum_direction(prob, l2_map)
    elif name in ("sign", "signum"):
        pred, upd = MarginNorm("linf"), _momentum_direction(prob, sign_map)
    elif name in ("spectral", "muon"):
        pred, upd = MarginNorm("spectral"), _momentum_direction(prob, polar_map)
    elif name == "muon-ns":
        pred, upd = MarginNorm("spectral"), _momentum_direction(prob, ns_map)
    elif name == "muon-sign":
        pred, upd = MarginNorm("hybrid", ratio), _momentum_direction(prob, hybrid_sign_map)
        params["ratio"] = str(ratio)
    elif name == "adam":
        def update(state, g, s, t):
            u, m, v = _adam_direction(state, g, s, t, b1, b2, eps)
            return u, {**state, "m": m, "v": v}
        pred, upd = MarginNorm("linf"), update
        params.update({"beta2": b2, "eps": eps})
    else:  # muon-adam: Muon (EMA beta1, polar, step eta/r) on W, Adam on b
        Wn = prob.W_size

        def update(state, g, s, t):
            mw = ema(state.get("mw"), b1, s, g[:Wn])
            ub, m, v = _adam_direction({"m": state.get("mb"), "v": state.get("vb")}, g[Wn:], s, t, b1, b2, eps)
            uw = polar_any(mw[1].reshape(prob.W_shape)).ravel() / r
            return np.concatenate([uw, ub]), {**state, "mw": mw, "mb": m, "vb": v}
        pred, upd = MarginNorm("hybrid", ratio), update
        params.update({"beta2": b2, "eps": eps, "ratio": str(ratio)})
    return Optimizer(name, pred, name != "muon-ns", params, init, upd)


def _user_optimizer(prob: MarginProblem, text: str | None, beta1, ratio, beta2, eps) -> Optimizer:
    from .user_update import parse_update
    if not text:
        raise InputError("--update needs an expression in g")
    if beta2 is not None or eps:
        raise InputError("--beta2/--eps are Adam's: a --update optimizer would ignore them")
    if ratio != 1:
        raise InputError("--ratio belongs to muon-sign/muon-adam: a --update optimizer would ignore it")
    phi = parse_update(text)
    b1 = _check_beta("--beta1", 0.0 if beta1 is None else beta1)

    def init(P, dtype=np.float64):
        return {"beta1": b1}
    upd = _momentum_direction(prob, lambda p, m: phi(m))
    return Optimizer("update", None, False, {"update": text, "beta1": b1}, init, upd)


OPTIMIZERS = ("gd", "ngd", "sign", "signum", "adam", "spectral", "muon", "muon-ns", "muon-sign", "muon-adam")
