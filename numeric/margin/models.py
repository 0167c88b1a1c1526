"""Smooth homogeneous models of paper 2 (docs/theory.md §6): a two-layer network and a diagonal
linear network, with their per-constraint margins and gradients.

Models (``F(x; theta)`` has one output for binary data, ``k`` for multiclass data):

* ``two-layer``: ``F_c(x) = sum_m A_{cm} sigma(<w_m, x>)`` with ``theta = (W in R^{M x d},
  A in R^{k x M})`` and ``sigma(z) = max(z, 0)^Q`` (``sqrelu``: ``Q = 2``; ``relu-power:Q``) or
  ``sigma(z) = z^2`` (``quadratic``, ``Q = 2``).  ``F(x; c theta) = c^{Q+1} F(x; theta)`` for
  ``c > 0``: homogeneous of degree ``L = Q + 1``; ``C^1`` for ``Q >= 2`` (paper 2's (M1) excludes
  ``Q = 1``, plain ReLU).
* ``diagonal``: ``F_c(x) = <U_c * U_c - V_c * V_c, x>`` with ``theta = (U, V)``, ``U, V in
  R^{k x d}``: homogeneous of degree ``L = 2``, smooth.  Its predictor ``B = U*U - V*V`` is linear
  in ``x``, so its max-margin problems reduce to convex ones in ``B``
  (:func:`predictor`, docs/theory.md §6): ``min (||U||^2 + ||V||^2)`` over the ``theta`` with
  predictor ``B`` is ``||B||_1`` (entrywise), and ``min max(|U|, |V|)^2`` is ``||B||_inf``.

Margins (the constraints of the max-margin problem): binary ``q_i = y_i F(x_i)``; multiclass
``q_{ic} = F_{y_i}(x_i) - F_c(x_i)`` for ``c != y_i``.  Every function is written once for float
arrays and numpy object arrays of ``Fraction`` (exact rational arithmetic on float iterates,
whose values are dyadic rationals).  The normalized margin is ``gamma_N(theta) = min_j q_j /
N(theta)^L``.  Euler's identity ``<grad q_j(theta), theta> = L q_j(theta)`` is what the KKT
test uses (docs/theory.md §6.4 (d)); a test checks it exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from ..errors import InputError
from .data import GRID, MAX_PARAMS, MAX_SAMPLES

NETWORK_KINDS = ("two-layer", "diagonal")
ACTIVATIONS = ("sqrelu", "relu-power:Q", "quadratic")
MAX_POWER = 6


def parse_activation(text: str) -> tuple[str, int]:
    """``sqrelu -> ("relu", 2)``, ``relu-power:Q -> ("relu", Q)`` (integer ``1 <= Q <= 6``),
    ``quadratic -> ("square", 2)``."""
    t = text.strip()
    if t == "sqrelu":
        return "relu", 2
    if t == "quadratic":
        return "square", 2
    if t.startswith("relu-power:"):
        q = t.split(":", 1)[1]
        if not q.isdigit() or not 1 <= int(q) <= MAX_POWER:
            raise InputError(f"--activation {text!r}: the power Q of relu-power:Q must be an integer "
                             f"in [1, {MAX_POWER}]")
        return "relu", int(q)
    raise InputError(f"--activation {text!r}: choose from {', '.join(ACTIVATIONS)}")


def _sigma(z, act: str, Q: int):
    """``sigma(z)`` and ``sigma'(z)`` elementwise (float or Fraction object arrays)."""
    if act == "square":
        return z * z, 2 * z
    pos = z > 0
    zero = z * 0
    return np.where(pos, z ** Q, zero), np.where(pos, Q * z ** (Q - 1), zero)


@dataclass(frozen=True)
class NetworkProblem:
    """A homogeneous model on fixed data: margins ``q(theta)``, their gradients, the degree ``L``.

    Shares the block interface of :class:`numeric.margin.data.MarginProblem` (``W_shape``,
    ``b_size``, ``split``) so the norms and optimizers apply unchanged: for ``two-layer`` the
    matrix block is ``W`` and the vector block is ``A``; ``diagonal`` has no matrix block.
    """

    kind: str  # "two-layer" | "diagonal"
    X: np.ndarray  # (n, d), dyadic
    y: np.ndarray  # (n,): +-1 (binary) or 0..k-1 (multiclass)
    classes: int  # 1: binary, k >= 2: multiclass
    width: int = 0  # M (two-layer)
    act: str = "relu"
    power: int = 2  # Q (two-layer)
    activation: str = "sqrelu"  # as given
    init: np.ndarray | None = None  # theta_0 (dyadic)
    seed: int | None = None
    source: str = "random"

    # ---------------------------------------------------------------- structure
    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def k(self) -> int:
        return max(1, self.classes)

    @property
    def degree(self) -> int:
        return self.power + 1 if self.kind == "two-layer" else 2

    @property
    def W_shape(self) -> tuple[int, int] | None:
        return (self.width, self.d) if self.kind == "two-layer" else None

    @property
    def W_size(self) -> int:
        return self.width * self.d if self.kind == "two-layer" else 0

    @property
    def b_size(self) -> int:
        return self.k * self.width if self.kind == "two-layer" else 2 * self.k * self.d

    @property
    def n_params(self) -> int:
        return self.W_size + self.b_size

    @property
    def smooth(self) -> bool:
        """``C^1`` in ``theta`` (paper 2's (M1)); plain ReLU (``Q = 1``) is not."""
        return self.kind == "diagonal" or self.act == "square" or self.power >= 2

    def split(self, theta):
        W = None if self.W_shape is None else theta[: self.W_size].reshape(self.W_shape)
        return W, theta[self.W_size:]

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Constraint ``j`` -> (sample ``i``, class ``y_i``, class ``c``); binary: ``c = -1``."""
        if self.classes <= 1:
            idx = np.arange(self.n_samples)
            return idx, np.zeros_like(idx), -np.ones_like(idx)
        rows = [(i, int(self.y[i]), c) for i in range(self.n_samples) for c in range(self.k) if c != int(self.y[i])]
        a = np.array(rows, dtype=int)
        return a[:, 0], a[:, 1], a[:, 2]

    @property
    def n_constraints(self) -> int:
        return len(self.pairs[0])

    @cached_property
    def X_exact(self) -> np.ndarray:
        return _fractions(self.X)

    def describe(self) -> dict:
        out = {"kind": self.kind, "samples": self.n_samples, "constraints": self.n_constraints,
               "params": self.n_params, "features": self.d,
               "classes": self.classes if self.classes > 1 else "binary",
               "degree_L": self.degree, "W_shape": list(self.W_shape) if self.W_shape else None,
               "b_size": self.b_size, "seed": self.seed, "source": self.source}
        if self.kind == "two-layer":
            out.update({"width": self.width, "activation": self.activation})
        return out

    # ---------------------------------------------------------------- evaluation
    def _unpack(self, theta):
        if self.kind == "two-layer":
            return theta[: self.W_size].reshape(self.W_shape), theta[self.W_size:].reshape(self.k, self.width)
        half = self.k * self.d
        return theta[:half].reshape(self.k, self.d), theta[half:].reshape(self.k, self.d)

    def _X(self, theta):
        return self.X_exact if theta.dtype == object else self.X.astype(theta.dtype)

    def outputs(self, theta) -> np.ndarray:
        """``F[i, c] = F_c(x_i; theta)``, shape ``(n, k)``."""
        X = self._X(theta)
        P, R = self._unpack(theta)
        if self.kind == "two-layer":
            S, _ = _sigma(X @ P.T, self.act, self.power)
            return S @ R.T
        return X @ (P * P - R * R).T

    def margins(self, theta) -> np.ndarray:
        F = self.outputs(theta)
        i, yc, c = self.pairs
        if self.classes <= 1:
            return self.y_cast(theta) * F[:, 0]
        return F[i, yc] - F[i, c]

    def y_cast(self, theta):
        return _fractions(self.y) if theta.dtype == object else self.y.astype(theta.dtype)

    def _coefficients(self, weights) -> np.ndarray:
        """``C[i, c]`` with ``sum_j w_j q_j = sum_{i,c} C[i,c] F[i,c]``."""
        i, yc, c = self.pairs
        if self.classes <= 1:
            return (weights * self.y_cast(weights))[:, None]
        C = np.zeros((self.n_samples, self.k), dtype=weights.dtype)
        if weights.dtype == object:
            C = C.astype(object) * Fraction(0)
        np.add.at(C, (i, yc), weights)
        np.add.at(C, (i, c), -weights)
        return C

    def weighted_gradient(self, theta, weights) -> np.ndarray:
        """``sum_j w_j grad q_j(theta)`` (flattened like ``theta``)."""
        X = self._X(theta)
        C = self._coefficients(weights)
        P, R = self._unpack(theta)
        if self.kind == "two-layer":
            S, dS = _sigma(X @ P.T, self.act, self.power)  # (n, M)
            gR = C.T @ S  # (k, M)
            gP = ((C @ R) * dS).T @ X  # (M, d)
            return np.concatenate([gP.ravel(), gR.ravel()])
        CX = C.T @ X  # (k, d)
        return np.concatenate([(2 * P * CX).ravel(), (-2 * R * CX).ravel()])

    def jacobian(self, theta) -> np.ndarray:
        """Rows ``grad q_j(theta)``, shape ``(constraints, params)``."""
        m = self.n_constraints
        eye = np.eye(m, dtype=theta.dtype) if theta.dtype != object else _fractions(np.eye(m))
        return np.stack([self.weighted_gradient(theta, eye[j]) for j in range(m)])

    def evaluator(self, dtype):
        """``theta -> (g_hat, s)`` with ``grad L = e^s g_hat`` for ``L = sum_j exp(-q_j)``
        (``g_hat = -sum_j e^{-(q_j - q_min)} grad q_j``, ``s = -q_min``: no underflow).  The
        same formulas as :meth:`margins` and :meth:`weighted_gradient`, fused for speed."""
        X = self.X.astype(dtype)
        y = self.y.astype(dtype)
        i, yc, c = self.pairs
        binary, k, M, WS = self.classes <= 1, self.k, self.width, self.W_size
        act, Q, n = self.act, self.power, self.n_samples
        half = k * self.d

        def coefficients(w):
            if binary:
                return (w * y)[:, None]
            C = np.zeros((n, k), dtype=dtype)
            np.add.at(C, (i, yc), w)
            np.add.at(C, (i, c), -w)
            return C

        def outputs_to_margins(F):
            return y * F[:, 0] if binary else F[i, yc] - F[i, c]

        if self.kind == "two-layer":
            def grad(theta):
                P, R = theta[:WS].reshape(M, -1), theta[WS:].reshape(k, M)
                S, dS = _sigma(X @ P.T, act, Q)
                q = outputs_to_margins(S @ R.T)
                m = q.min()
                C = coefficients(np.exp(m - q))
                return -np.concatenate([(((C @ R) * dS).T @ X).ravel(), (C.T @ S).ravel()]), float(-m)
        else:
            def grad(theta):
                P, R = theta[:half].reshape(k, -1), theta[half:].reshape(k, -1)
                q = outputs_to_margins(X @ (P * P - R * R).T)
                m = q.min()
                CX = coefficients(np.exp(m - q)).T @ X
                return -np.concatenate([(2 * P * CX).ravel(), (-2 * R * CX).ravel()]), float(-m)
        return grad

    def initial(self, dtype) -> np.ndarray:
        return np.array(self.init, dtype=dtype)

    def predictor(self, theta) -> np.ndarray:
        """``diagonal`` only: ``B = U*U - V*V`` flattened (``k x d``)."""
        P, R = self._unpack(theta)
        return (P * P - R * R).ravel()


def _fractions(a) -> np.ndarray:
    out = np.empty(np.shape(a), dtype=object)
    for idx, v in np.ndenumerate(np.asarray(a, dtype=np.float64)):
        out[idx] = Fraction(float(v))
    return out


def _grid(rng, shape, scale=1.0) -> np.ndarray:
    return np.round(rng.standard_normal(shape) * scale * GRID) / GRID


def network_problem(kind: str, n: int, d: int, k: int = 1, width: int = 8, activation: str = "sqrelu",
                    seed: int = 0, init_scale: float = 0.1, X=None, y=None, source: str = "random",
                    init=None) -> NetworkProblem:
    """A homogeneous model on data from a planted teacher of the same family (``X, y`` given:
    those data; the labels must then be separable by the model, which is not decidable by a linear
    program and is left to the run: a run that never separates says so).

    Teacher data (binary: a teacher with entries in ``{-1, 0, 1}``, the two-layer output weights
    alternating in sign, the diagonal predictor sparse; multiclass: Gaussian output weights /
    predictor entries, so no two classes tie): features on the ``2^-8`` grid, labels from the teacher, samples whose teacher
    output is within ``5%`` of the largest one (binary) or whose top two classes are within 5% of
    their sizes (multiclass) redrawn, so the planted teacher separates with a visible margin.  ``theta_0``:
    ``init_scale * N(0, 1)`` on the grid (``diagonal``: ``U = V = init_scale``, predictor 0).
    """
    if kind not in NETWORK_KINDS:
        raise InputError(f"unknown network model {kind!r} (choose from {', '.join(NETWORK_KINDS)})")
    act, Q = parse_activation(activation)
    if not (n >= 2 and d >= 1 and width >= 1 and k >= 1):
        raise InputError(f"need n >= 2, d >= 1, k >= 1 and --width >= 1, got n={n}, d={d}, k={k}, width={width}")
    classes = k if k >= 2 else 1
    params = (width * d + max(1, k) * width) if kind == "two-layer" else 2 * max(1, k) * d
    if n > MAX_SAMPLES or params > MAX_PARAMS:
        raise InputError(f"margin problem too large: n={n}, params={params} "
                         f"(limits n <= {MAX_SAMPLES}, params <= {MAX_PARAMS})")
    rng = np.random.default_rng(seed)
    proto = NetworkProblem(kind, np.zeros((1, d)), np.zeros(1), classes, width if kind == "two-layer" else 0,
                           act, Q, activation)
    if X is None:
        for _ in range(20):  # a teacher whose units cancel exactly gives one label only: draw again
            teacher = _teacher(proto, rng)
            try:
                X, y = _teacher_data(proto, teacher, rng, n)
                break
            except InputError:
                continue
        else:
            raise InputError("could not draw data with both labels / every class from a teacher: "
                             "change --seed or --n")
    else:
        X, y = _checked_data(np.asarray(X), np.asarray(y), classes)
    if init is not None:
        from .data import _finite
        init = _finite("theta0", np.asarray(init))
        if init.shape != (proto.n_params,):
            raise InputError(f"theta0 must have shape ({proto.n_params},) for this model, got {init.shape}")
    elif kind == "two-layer":
        init = _grid(rng, proto.n_params, init_scale)
    else:
        init = np.full(proto.n_params, float(np.round(init_scale * GRID) / GRID))
    if not np.any(init):
        raise InputError("the initialization is zero: a homogeneous model's gradient vanishes there")
    return NetworkProblem(kind, X, y, classes, proto.width, act, Q, activation, init, seed, source)


def _teacher(proto: NetworkProblem, rng) -> np.ndarray:
    teacher = np.sign(rng.standard_normal(proto.n_params))
    if proto.kind == "two-layer" and proto.classes <= 1:  # output weights of both signs: both labels occur
        teacher[proto.W_size:] = np.resize([1.0, -1.0], proto.b_size)
    if proto.kind == "two-layer" and proto.classes > 1:  # Gaussian output weights: no two classes tie
        teacher[proto.W_size:] = rng.standard_normal(proto.b_size)
    if proto.kind == "diagonal":  # a sparse predictor B: U, V supported on disjoint sets
        r = rng.standard_normal(proto.n_params // 2)
        r[np.argmax(np.abs(r))] = 1.0  # at least one nonzero entry
        if proto.classes > 1:  # Gaussian entries: no two classes tie
            mag = np.sqrt(np.abs(r)) * (np.abs(r) > 0.5)
            teacher = np.concatenate([mag * (r > 0), mag * (r < 0)])
        else:  # B in {-1, 0, 1}
            teacher = np.concatenate([(r > 0.5).astype(float), (r < -0.5).astype(float)])
    return teacher


def load_network_problem(path: str, kind: str, width: int, activation: str, seed: int = 0) -> NetworkProblem:
    """``X, y`` (and optionally ``theta0``) from an ``.npz`` file: labels in ``{-1, +1}`` are
    binary, integer labels ``0..k-1`` multiclass."""
    from numeric.npz import load_npz

    from .data import MAX_PARAMS, MAX_SAMPLES
    # every array is bounded by the problem limits (samples x params) before it is read
    a = load_npz(path, ("X", "y"), optional=("theta0",), max_entries=MAX_SAMPLES * MAX_PARAMS,
                 what=f"{kind} network data file")
    X, y = np.asarray(a["X"]), np.asarray(a["y"])
    if X.ndim != 2 or y.ndim != 1 or y.size == 0:
        raise InputError(f"network data need X of shape (n, d) and y of shape (n,), got {X.shape}, {y.shape}")
    binary = np.all(np.isin(y, (-1.0, 1.0)))
    k = 1 if binary else int(np.max(y)) + 1 if np.all(np.isfinite(y)) else 0
    return network_problem(kind, X.shape[0], X.shape[1], k, width, activation, seed, X=X, y=y, source=path,
                           init=a.get("theta0"))


def _teacher_data(proto: NetworkProblem, teacher, rng, n):
    for _ in range(100):
        X = _grid(rng, (4 * n, proto.d))
        P = NetworkProblem(proto.kind, X, np.zeros(len(X)), proto.classes, proto.width, proto.act, proto.power)
        F = P.outputs(teacher)
        if proto.classes <= 1:
            f = F[:, 0]
            keep = np.abs(f) > 0.05 * np.max(np.abs(f))
            X, y = X[keep][:n], np.sign(f[keep][:n])
            if len(y) == n and len(set(y)) == 2:
                return X, y
        else:
            top = np.sort(F, axis=1)
            keep = top[:, -1] - top[:, -2] > 0.05 * (np.abs(top[:, -1]) + np.abs(top[:, -2]))
            X, y = X[keep][:n], np.argmax(F[keep], axis=1)[:n].astype(float)
            if len(y) == n and len(set(y)) == proto.classes:
                return X, y
    raise InputError("this teacher gives one label only")


def _checked_data(X, y, classes):
    from .data import _finite
    X, y = _finite("X", X), _finite("y", y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise InputError(f"network data need X of shape (n, d) and y of shape (n,), got {X.shape}, {y.shape}")
    if classes <= 1 and not np.all(np.isin(y, (-1.0, 1.0))):
        raise InputError("binary labels y must be -1 or +1")
    if classes > 1 and (not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= classes):
        raise InputError(f"multiclass labels y must be integers 0..{classes - 1}")
    return X, y
