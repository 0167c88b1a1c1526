"""The overparameterized linear problem ``min_W l(XW - Y)`` (docs/theory.md §1), validated.

A :class:`Problem` holds ``X in R^{n x d}``, ``Y in R^{n x k}``, ``W0 in R^{d x k}`` and a
loss, all as exact float64 data (every float64 is a dyadic rational, so nothing is lost
until a backend converts it).  Construction checks shapes, finiteness, ``n < d`` and
``rank X = n`` (exactly, see :mod:`numeric.exact_rank`).  Full row rank makes ``X``
surjective, so every ``Y`` is consistent (``Y in range(X)``): an interpolator exists.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .exact_rank import exact_rank
from .losses import LOSSES, Loss, make_loss
from .npz import load_npz

# Refuse sizes whose high-precision runs could not finish (checked before allocating).
MAX_N = 200
MAX_D = 5000
MAX_K = 50
MAX_ENTRIES = 200_000


def check_size(n: int, d: int, k: int) -> None:
    """Raise :class:`InputError` unless ``1 <= n < d`` and the sizes are within limits."""
    for name, v in (("n", n), ("d", d), ("k", k)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} must be a positive integer, got {v!r}")
    if n >= d:
        raise InputError(f"need n < d (overparameterized), got n={n}, d={d}")
    if n > MAX_N or d > MAX_D or k > MAX_K or max(n * d, d * k) > MAX_ENTRIES:
        raise InputError(
            f"problem too large for high-precision runs: n={n}, d={d}, k={k} "
            f"(limits n<={MAX_N}, d<={MAX_D}, k<={MAX_K}, n*d and d*k <= {MAX_ENTRIES})")


@dataclass(frozen=True)
class Problem:
    """Validated data ``(X, Y, W0, loss)`` of an overparameterized linear regression."""

    X: np.ndarray
    Y: np.ndarray
    W0: np.ndarray
    loss: Loss = field(default_factory=lambda: make_loss("square"))
    seed: int | None = None
    source: str = "random"

    def __post_init__(self) -> None:
        X, Y, W0 = (np.asarray(a) for a in (self.X, self.Y, self.W0))
        for name, a in (("X", X), ("Y", Y), ("W0", W0)):
            if a.dtype.kind not in "fiu":
                raise InputError(f"{name} must be a real numeric array, got dtype {a.dtype}")
            if a.ndim != 2:
                raise InputError(f"{name} must be a 2-D array, got shape {a.shape}")
        X, Y, W0 = (np.array(a, dtype=np.float64) for a in (X, Y, W0))
        n, d = X.shape
        if Y.shape[0] != n:
            raise InputError(f"shape mismatch: X is {n}x{d} but Y has {Y.shape[0]} rows")
        k = Y.shape[1]
        if W0.shape != (d, k):
            raise InputError(f"shape mismatch: W0 must be {d}x{k}, got {W0.shape[0]}x{W0.shape[1]}")
        check_size(n, d, k)
        for name, a in (("X", X), ("Y", Y), ("W0", W0)):
            if not np.all(np.isfinite(a)):
                raise InputError(f"{name} has non-finite entries (NaN or inf)")
            if a.size and np.max(np.abs(a)) > 1e100:
                raise InputError(f"{name} has entries larger than 1e100 in magnitude")
            tiny = np.abs(a)[(a != 0)]
            if tiny.size and np.min(tiny) < 1e-100:  # e.g. subnormals: eta = 2/(L sigma_max^2) overflows
                raise InputError(f"{name} has nonzero entries smaller than 1e-100 in magnitude (rescale the data)")
        r = exact_rank(X)
        if r < n:
            raise InputError(f"X is rank deficient: exact rank {r} < n={n} (need full row rank)")
        for name, a in (("X", X), ("Y", Y), ("W0", W0)):
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def k(self) -> int:
        return self.Y.shape[1]

    def describe(self) -> dict:
        """The JSON ``problem`` record."""
        out = {"n": self.n, "d": self.d, "k": self.k, "loss": self.loss.name,
               "loss_params": {k: str(v) for k, v in self.loss.params.items()},
               "seed": self.seed, "source": self.source}
        return out


def random_problem(n: int, d: int, k: int, seed: int = 0, w0: str = "zero",
                   loss: Loss | None = None) -> Problem:
    """Gaussian ``X`` (n x d) and ``Y`` (n x k) from ``numpy.random.default_rng(seed)``.

    ``W0 = 0`` (``w0="zero"``) or Gaussian with variance 1/d per entry (``w0="random"``).
    """
    check_size(n, d, k)
    if w0 not in ("zero", "random"):
        raise InputError(f"--w0 must be 'zero' or 'random', got {w0!r}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = rng.standard_normal((n, k))
    W0 = rng.standard_normal((d, k)) / np.sqrt(d) if w0 == "random" else np.zeros((d, k))
    return Problem(X, Y, W0, loss or make_loss("square"), seed=seed, source="random")


# The most entries the matrix H of a quadratic K may declare (32 MB of float64); X, Y and W0
# are bounded by MAX_ENTRIES.  Checked from the .npy header before numpy allocates anything.
MAX_FILE_ARRAY_ENTRIES = 4_000_000
_LIMITS = {"X": MAX_ENTRIES, "Y": MAX_ENTRIES, "W0": MAX_ENTRIES, "H": MAX_FILE_ARRAY_ENTRIES}


def _problem_shapes(path: str) -> Callable[[dict], None]:
    """The declared shapes of X, Y, W0 checked as :class:`Problem` checks them (same messages),
    before any data is read."""
    def check(shapes: dict) -> None:
        X, Y, W0 = shapes.get("X"), shapes.get("Y"), shapes.get("W0")
        if X is None:
            return
        if len(X) != 2:
            raise InputError(f"{path}: X must be a 2-D array, got shape {X}")
        n, d = X
        if Y is None:
            return
        if len(Y) not in (1, 2):
            raise InputError(f"{path}: Y must be a 2-D array, got shape {Y}")
        if W0 is not None and len(W0) not in (1, 2):
            raise InputError(f"{path}: W0 must be a 2-D array, got shape {W0}")
        if Y[0] != n:
            raise InputError(f"{path}: shape mismatch: X is {n}x{d} but Y has {Y[0]} rows")
        k = Y[1] if len(Y) == 2 else 1
        if W0 is not None and (tuple(W0) if len(W0) == 2 else (W0[0], 1)) != (d, k):
            raise InputError(f"{path}: shape mismatch: W0 must be {d}x{k}, got shape {W0}")
        try:
            check_size(n, d, k)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
    return check


def load_arrays(path: str, required: tuple[str, ...] = ("X", "Y"),
                optional: tuple[str, ...] = ("W0",)) -> dict[str, np.ndarray]:
    """Read named real arrays of a problem file through :func:`numeric.npz.load_npz` (never
    unpickling anything; every declared size checked before anything is read)."""
    return load_npz(path, required, optional, max_entries=MAX_FILE_ARRAY_ENTRIES, limits=_LIMITS,
                    check_shapes=_problem_shapes(path), what="problem file")


def problem_from_arrays(arrays: dict[str, np.ndarray], path: str, loss: Loss | None = None) -> Problem:
    """The :class:`Problem` of arrays read from ``path`` (1-D ``Y``/``W0`` are one column)."""
    X, Y = arrays["X"], arrays["Y"]
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    W0 = arrays.get("W0")
    if W0 is None:
        W0 = np.zeros((X.shape[1], Y.shape[1]))
    elif W0.ndim == 1:
        W0 = W0.reshape(-1, 1)
    return Problem(X, Y, W0, loss or make_loss("square"), seed=None, source=str(path))


def load_problem(path: str, loss: Loss | None = None) -> Problem:
    """Read ``X``, ``Y`` and optional ``W0`` from an ``.npz`` file (no pickles are loaded)."""
    return problem_from_arrays(load_arrays(path), path, loss)


__all__ = ["Problem", "random_problem", "load_problem", "load_arrays", "problem_from_arrays", "check_size",
           "LOSSES"]
