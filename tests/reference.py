"""An independent float64 implementation of DSPGD and of the catalogue's grad K, written
from docs/theory.md §2 with numpy only (no code shared with the product), used to cross-check the
numbers behind the product's verdicts."""
from __future__ import annotations

import numpy as np


def grad_k(name: str, G: np.ndarray, eps: float = 0.1, c: float = 1.0, H: np.ndarray | None = None) -> np.ndarray:
    if name == "gd":
        return G.copy()
    if name == "ngd":
        return G / (np.linalg.norm(G) + eps)
    if name == "clip":
        r = np.linalg.norm(G)
        return G if r <= c else (c / r) * G
    if name == "adam":
        return G / (np.abs(G) + eps)
    if name == "sign":
        return np.tanh(G / eps)
    if name == "clipv":
        return np.clip(G, -c, c)
    if name == "muon":
        U, s, Vt = np.linalg.svd(G, full_matrices=False)
        return (U * (s / (s + eps))) @ Vt
    if name == "quadratic":
        d, k = G.shape
        return (H @ G.reshape(-1)).reshape(d, k)
    raise KeyError(name)


def dspgd(X, Y, W0, name, eta, steps=200_000, tol=1e-13, **kw) -> np.ndarray:
    """``W <- W - eta grad K(X^T (X W - Y))`` in float64 until ||R|| < tol * max(1, ||Y||)."""
    W = W0.copy()
    for _ in range(steps):
        R = X @ W - Y
        if np.linalg.norm(R) < tol * max(1.0, np.linalg.norm(Y)):
            break
        W = W - eta * grad_k(name, X.T @ R, **kw)
    return W


def w_gd(X, Y, W0) -> np.ndarray:
    return W0 + np.linalg.pinv(X) @ (Y - X @ W0)


def eta_from_fraction(X, L: float, frac: float) -> float:
    return frac * 2 / (L * np.linalg.norm(X, 2) ** 2)
