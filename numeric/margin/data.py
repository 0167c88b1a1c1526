"""Separable classification data for paper 2 (docs/theory.md §6), as linear margin constraints.

Every model of paper 2 that is linear in its parameters has margins that are linear in
``theta``: ``q_j(theta) = <A_j, theta>``.  A :class:`MarginProblem` stores the rows ``A_j``
as the matrix ``J`` (``q = J theta``) together with the block structure of ``theta``:

* ``binary``:      ``theta = w in R^d``, one constraint per sample, ``A_i = y_i x_i``;
* ``multiclass``:  ``theta = W in R^{k x d}``, one constraint per sample and wrong class
  ``c != y_i``: ``q_{ic} = (e_{y_i} - e_c)^T W h_i``, ``A_{ic} = vec((e_{y_i} - e_c) h_i^T)``
  (pairwise exponential loss ``sum exp(-q_{ic})``, Fan et al. 2025);
* ``hybrid``:      ``theta = (W in R^{p x q}, b in R^m)``, ``f = <W, Z_i> + <b, z_i>``,
  ``A_i = y_i (vec Z_i, z_i)`` (the matrix-plus-vector model of the hybrid norm).

``theta`` is flattened as ``(vec_row_major(W), b)``.  All data are float64 numbers, hence
dyadic rationals; generated data are rounded to multiples of ``2^-8`` so exact rational
arithmetic on them stays cheap.  The data are separable iff some ``theta`` has ``J theta >= 1``
(checked by a linear program).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..npz import load_npz

KINDS = ("binary", "multiclass", "hybrid")
MAX_SAMPLES = 500
MAX_PARAMS = 400
GRID = 256  # generated values are multiples of 1/GRID


@dataclass(frozen=True)
class MarginProblem:
    """Margin constraints ``q(theta) = J theta`` and the block structure of ``theta``."""

    kind: str
    J: np.ndarray  # (constraints, params), float64, exact dyadic
    W_shape: tuple[int, int] | None  # matrix block (row-major), or None
    b_size: int  # vector block size (0 if none)
    n_samples: int
    seed: int | None = None
    source: str = "random"
    arrays: dict | None = field(default=None, compare=False, repr=False)  # the data as given (--save-problem)

    @property
    def n_params(self) -> int:
        return self.J.shape[1]

    @property
    def W_size(self) -> int:
        return 0 if self.W_shape is None else self.W_shape[0] * self.W_shape[1]

    def split(self, theta: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """``theta -> (W, b)`` (``W`` None without a matrix block)."""
        W = None if self.W_shape is None else theta[: self.W_size].reshape(self.W_shape)
        return W, theta[self.W_size:]

    @cached_property
    def J_exact(self) -> list[list[Fraction]]:
        """The rows ``A_j`` as exact rationals (float64 -> Fraction is exact)."""
        return [[Fraction(float(v)) for v in row] for row in self.J]

    @property
    def degree(self) -> int:
        """Homogeneity degree ``L`` of ``q`` in ``theta``: 1 (linear)."""
        return 1

    @property
    def smooth(self) -> bool:
        return True

    @property
    def n_constraints(self) -> int:
        return self.J.shape[0]

    def margins(self, theta) -> np.ndarray:
        """``q(theta) = J theta`` (float, or exact on a ``Fraction`` object array)."""
        if getattr(theta, "dtype", None) == object:
            return np.array([sum((a * t for a, t in zip(row, theta)), Fraction(0)) for row in self.J_exact],
                            dtype=object)
        return self.J.astype(theta.dtype) @ theta

    def jacobian(self, theta) -> np.ndarray:
        """Rows ``grad q_j = A_j`` (constant)."""
        if getattr(theta, "dtype", None) == object:
            return np.array(self.J_exact, dtype=object)
        return self.J.astype(theta.dtype)

    def weighted_gradient(self, theta, weights) -> np.ndarray:
        return self.jacobian(theta).T @ weights

    def evaluator(self, dtype):
        """``theta -> (g_hat, s)`` with ``grad L = e^s g_hat`` (:func:`scaled_gradient`)."""
        J = self.J.astype(dtype)
        return lambda theta: scaled_gradient(J, theta)

    def initial(self, dtype) -> np.ndarray:
        """``theta_0 = 0``."""
        return np.zeros(self.n_params, dtype=dtype)

    def describe(self) -> dict:
        return {"kind": self.kind, "samples": self.n_samples, "constraints": int(self.J.shape[0]),
                "params": self.n_params, "W_shape": list(self.W_shape) if self.W_shape else None,
                "b_size": self.b_size, "seed": self.seed, "source": self.source}


def scaled_gradient(J: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, float]:
    """``(g_hat, s)`` with ``grad L(theta) = e^s g_hat`` (log-sum-exp form, no underflow)."""
    q = J @ theta
    m = q.min()
    return -(J.T @ np.exp(m - q)), float(-m)


def _check_sizes(n: int, params: int) -> None:
    if n < 1 or params < 1:
        raise InputError(f"need at least one sample and one parameter, got n={n}, params={params}")
    if n > MAX_SAMPLES or params > MAX_PARAMS:
        raise InputError(f"margin problem too large: n={n}, params={params} "
                         f"(limits n <= {MAX_SAMPLES}, params <= {MAX_PARAMS})")


def _finite(name: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in "fiu":
        raise InputError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} contains NaN or inf")
    return a


def binary_problem(X, y, seed=None, source="arrays") -> MarginProblem:
    """``q_i(w) = y_i <w, x_i>`` for labels ``y_i in {-1, +1}``."""
    X, y = _finite("X", np.asarray(X)), _finite("y", np.asarray(y))
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise InputError(f"binary data need X of shape (n, d) and y of shape (n,), got {X.shape}, {y.shape}")
    _check_sizes(*X.shape)
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise InputError("binary labels y must be -1 or +1")
    return _validated(MarginProblem("binary", y[:, None] * X, None, X.shape[1], X.shape[0], seed, source,
                                    {"X": X, "y": y}))


def multiclass_problem(X, y, k: int | None = None, seed=None, source="arrays") -> MarginProblem:
    """``q_{ic}(W) = (e_{y_i} - e_c)^T W h_i`` for classes ``y_i in {0..k-1}``, ``c != y_i``."""
    X, y = _finite("X", np.asarray(X)), _finite("y", np.asarray(y))
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise InputError(f"multiclass data need X of shape (n, d) and y of shape (n,), got {X.shape}, {y.shape}")
    if not np.all(y == np.round(y)) or y.min() < 0:
        raise InputError("multiclass labels y must be integers 0, 1, ..., k-1")
    k = int(y.max()) + 1 if k is None else k
    if k < 2 or y.max() >= k:
        raise InputError(f"multiclass data need at least 2 classes with labels below k, got k={k}")
    n, d = X.shape
    _check_sizes(n, k * d)
    rows = []
    for i in range(n):
        yi = int(y[i])
        for c in range(k):
            if c != yi:
                E = np.zeros((k, d))
                E[yi] += X[i]
                E[c] -= X[i]
                rows.append(E.ravel())
    return _validated(MarginProblem("multiclass", np.array(rows), (k, d), 0, n, seed, source, {"X": X, "y": y}))


def hybrid_problem(Z, z, y, seed=None, source="arrays") -> MarginProblem:
    """``q_i(W, b) = y_i (<W, Z_i> + <b, z_i>)``, labels in ``{-1, +1}``."""
    Z, z, y = (_finite(nm, np.asarray(a)) for nm, a in (("Z", Z), ("z", z), ("y", y)))
    if Z.ndim != 3 or z.ndim != 2 or y.shape != (Z.shape[0],) or z.shape[0] != Z.shape[0]:
        raise InputError(f"hybrid data need Z (n, p, q), z (n, m), y (n,), got {Z.shape}, {z.shape}, {y.shape}")
    n, p, q = Z.shape
    _check_sizes(n, p * q + z.shape[1])
    if z.shape[1] < 1:
        raise InputError("hybrid data need a vector block z with at least one column")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise InputError("hybrid labels y must be -1 or +1")
    J = y[:, None] * np.concatenate([Z.reshape(n, p * q), z], axis=1)
    return _validated(MarginProblem("hybrid", J, (p, q), z.shape[1], n, seed, source, {"Z": Z, "z": z, "y": y}))


def _validated(prob: MarginProblem) -> MarginProblem:
    if not is_separable(prob.J):
        raise InputError("the data are not linearly separable (no theta with every margin >= 1): "
                         "paper 2's claims need separable data")
    return prob


def is_separable(J: np.ndarray) -> bool:
    """Is ``{theta : J theta > 0}`` non-empty (equivalently ``J theta >= 1`` for a scaled theta)?

    Separability does not change when a row is scaled by a positive number, so each row is
    divided by its largest entry first (the LP then sees entries of order one, whatever the
    data's scale).  LP (HiGHS): ``min 0 s.t. J_scaled theta >= 1``; infeasible means not
    separable.  A feasible answer is re-checked exactly (every original margin > 0 in rational
    arithmetic); if that re-check fails, separability is undecided and said so.
    """
    from scipy.optimize import linprog
    m, P = J.shape
    scale = np.max(np.abs(J), axis=1)
    if np.any(scale == 0):
        return False  # a zero row has margin 0 for every theta
    Js = J / scale[:, None]
    res = linprog(np.zeros(P), A_ub=-Js, b_ub=-np.ones(m), bounds=[(None, None)] * P, method="highs")
    if res.status == 2:
        return False
    if res.status != 0:
        raise InputError(f"could not decide separability: LP status {res.status} ({res.message})")
    theta = [Fraction(float(v)) for v in res.x]
    if all(sum(Fraction(float(a)) * t for a, t in zip(row, theta)) > 0 for row in J):
        return True
    raise InputError("could not certify separability: the LP's separating point fails the exact re-check")


def _grid(rng: np.random.Generator, shape) -> np.ndarray:
    return np.round(rng.standard_normal(shape) * GRID) / GRID


def random_margin_problem(kind: str, n: int, d: int, k: int = 3, seed: int = 0) -> MarginProblem:
    """Separable data from a planted ``theta``: features on the ``2^-8`` grid, labels from the
    planted model, samples with an exactly zero planted margin redrawn.

    ``binary``: ``x_i in R^d``; ``multiclass``: ``k`` classes, ``h_i in R^d`` (every class
    present); ``hybrid``: ``Z_i in R^{d x d}``, ``z_i in R^k``.
    """
    if kind not in KINDS:
        raise InputError(f"unknown model {kind!r} (choose from {', '.join(KINDS)})")
    if n < 2 or d < 1 or k < 1:
        raise InputError(f"need n >= 2, d >= 1, k >= 1, got n={n}, d={d}, k={k}")
    rng = np.random.default_rng(seed)
    if kind == "binary":
        _check_sizes(n, d)
        w = rng.standard_normal(d)
        X = _redraw(rng, (n, d), lambda X: X @ w)
        return binary_problem(X, np.sign(X @ w), seed, "random")
    if kind == "multiclass":
        if k < 2:
            raise InputError("multiclass data need k >= 2 classes")
        _check_sizes(n, k * d)
        W = rng.standard_normal((k, d))
        for _ in range(1000):
            X = _grid(rng, (n, d))
            S = X @ W.T
            top = np.sort(S, axis=1)
            if np.all(top[:, -1] > top[:, -2]) and len(set(np.argmax(S, axis=1))) == k:
                return multiclass_problem(X, np.argmax(S, axis=1).astype(float), k, seed, "random")
        raise InputError("could not draw multiclass data with every class present: increase --n")
    _check_sizes(n, d * d + k)
    Wt, bt = rng.standard_normal((d, d)), rng.standard_normal(k)
    Z = _grid(rng, (n, d, d))
    z = _grid(rng, (n, k))
    f = np.einsum("ipq,pq->i", Z, Wt) + z @ bt
    while np.any(f == 0):  # pragma: no cover - measure zero on the grid
        Z, z = _grid(rng, (n, d, d)), _grid(rng, (n, k))
        f = np.einsum("ipq,pq->i", Z, Wt) + z @ bt
    return hybrid_problem(Z, z, np.sign(f), seed, "random")


def _redraw(rng, shape, score) -> np.ndarray:
    X = _grid(rng, shape)
    while np.any(score(X) == 0):  # pragma: no cover - measure zero on the grid
        X = _grid(rng, shape)
    return X


def save_margin_problem(prob, path: str) -> None:
    """Write the data (and a network's ``theta_0``) to an ``.npz`` file that ``--problem`` reads back."""
    arrays = dict(prob.arrays) if getattr(prob, "arrays", None) else {"X": prob.X, "y": prob.y}
    if getattr(prob, "init", None) is not None:
        arrays["theta0"] = prob.init
    try:
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    except OSError as exc:
        raise InputError(f"--save-problem {path!r}: cannot write: {exc.strerror or exc}") from None


def load_margin_problem(path: str, kind: str) -> MarginProblem:
    """Arrays from an ``.npz`` file (``allow_pickle=False``): ``X, y`` (binary, multiclass) or
    ``Z, z, y`` (hybrid)."""
    need = {"binary": ("X", "y"), "multiclass": ("X", "y"), "hybrid": ("Z", "z", "y")}[kind]
    # every array is bounded by the problem limits (samples x params) before it is read
    arrays = load_npz(path, need, max_entries=MAX_SAMPLES * MAX_PARAMS, what=f"{kind} data file")
    if kind == "binary":
        return binary_problem(arrays["X"], arrays["y"], source=path)
    if kind == "multiclass":
        return multiclass_problem(arrays["X"], arrays["y"], source=path)
    return hybrid_problem(arrays["Z"], arrays["z"], arrays["y"], source=path)
