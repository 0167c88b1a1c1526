"""The DSPGD loop of :mod:`numeric.backends.mpmath_loop` in numpy ``float64``, for speed in campaigns.

    W_{t+1} = W_t - eta * grad K(G_t),   G_t = X^T grad l(X W_t - Y)

Same semantics as the mpmath reference loop (docs/theory.md §1): the stopping rules of
:class:`numeric.backends.mpmath_loop.StopRules` (``diverged`` / ``stalled`` / ``max_iter`` / ``timeout``, or
``fixed`` for a rerun of a given length), the residual and step histories, drift checkpoints
``||P_perp (W_t - W_0)||_F`` at ``t = 1, 2, 4, ...`` and at the end, the largest ``||G_t||`` in
K's natural norm and in Frobenius norm, the row-space path length
``sum_t ||X^+ (R_{t+1} - R_t)||_F`` and the monotone-loss flag.

What differs, and why the verdicts stay honest:

* **The residual floor** is ``FLOOR_RELATIVE * scale = 1e-12 * max(1, ||R_0||, ||Y||)``
  (float64 carries about 16 digits; the mpmath floor is ``10^(6 - dps) * scale``).
* **eta** is rounded to float64 once (:func:`float64_eta`) and that same number is used by the
  run, by its rerun and by the tail bound.
* **The rounding check** is a rerun of the same number of steps in ``numpy.longdouble``
  (64-bit significand on x86-64 Linux, about 19 digits) with the catalogue's exact map; where
  ``longdouble`` is no wider than ``float64`` (or for a K without a longdouble kernel), the rerun
  is the mpmath/flint loop at the higher precision of ``xph`` (:func:`run_reference`).
  :mod:`verify.runs` adds their difference and :data:`ALLOWANCE` to the tail bound.
* **The tail bound** (:mod:`numeric.tail`) uses the residual of the float64 iterate
  recomputed at the evaluation precision of ``xp.ctx`` (``W_T`` is an exact dyadic number), not
  the float64 residual, whose cancellation error would be as large as the residual itself.

So a float64 run can support claims to about ``1e-10`` relative, never ``1e-20``: under this
backend the default tolerance of equality claims is :data:`TOLERANCE` (``1e-8``), and a claim
asked to hold to ``1e-20`` comes out ``inconclusive`` (its error bound exceeds the tolerance).

grad K kernels (float64 and longdouble): gd ``G``; ngd ``G/(||G|| + eps)``; clip
``min(1, c/||G||) G``; adam ``G/(|G| + eps)``; sign ``tanh(G/eps)``; clipv ``clamp(G, -c, c)``;
muon ``U diag(s/(s + eps)) V^T`` (float64: ``numpy.linalg.svd``; longdouble: the k x k
eigenproblem of ``G^T G`` by Jacobi rotations, :func:`symmetric_eigh`, since LAPACK has no
longdouble); quadratic ``H vec(G)`` (row-major vec).  A record may instead bring its own float64 step ``W -> W_new`` in
``pre.extra["float64_step"]`` (the update computed by torch, :mod:`numeric.preconditioners.from_torch`);
its rerun then uses the catalogue map named by ``pre.extra["exact_map"]``.
"""
from __future__ import annotations

import functools
import math
import time
from fractions import Fraction
from typing import Callable

import numpy as np
from mpmath.libmp import from_man_exp

from .mpmath_loop import DEFAULT_MAX_ITER, StopRules, Trajectory, run_dspgd
from ..exact_problem import ExactProblem
from ..matrices import float64_cols
from ..preconditioners.base import Preconditioner

FLOOR_RELATIVE = 1e-12
TOLERANCE = "1e-8"
ALLOWANCE = 1e-13  # relative to max(1, ||W_T||): ~450 float64 ulps on top of the measured rounding difference
FLOAT64_DPS = 15  # decimal digits float64 always carries (53-bit significand: 15.95)
BLOWUP = 1e30

_KERNEL_NAMES = ("gd", "ngd", "clip", "adam", "sign", "clipv", "muon", "quadratic")
_LOSSES = ("square", "logcosh", "huber")


@functools.lru_cache(maxsize=None)
def longdouble_is_wider() -> bool:
    """True when ``numpy.longdouble`` has a wider significand than float64 (x86-64 Linux: 64 vs 53 bits)."""
    return np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


def longdouble_dps() -> int:
    """Decimal digits ``numpy.longdouble`` always carries (18 for the 64-bit significand)."""
    return int(math.floor((np.finfo(np.longdouble).nmant + 1) * math.log10(2)))


def float64_eta(eta) -> Fraction:
    """``eta`` rounded to the nearest float64, as an exact rational (the one value every run uses)."""
    return Fraction(float(Fraction(eta) if not isinstance(eta, Fraction) else eta))


def _kernel_name(pre: Preconditioner) -> str | None:
    """The catalogue map the exact (reference) iteration of ``pre`` uses, or None."""
    if "exact_map" in pre.extra:
        return pre.extra["exact_map"]
    if "symbolic" in pre.extra or pre.name not in _KERNEL_NAMES:
        return None
    if pre.name == "quadratic":
        return "quadratic" if pre.grad_formula == "H vec(G)" and pre.extra.get("H") is not None else None
    from ..preconditioners.catalog import catalogue_signature  # a record that only borrows a catalogue name has no kernel
    sig = catalogue_signature(pre.name, pre.params)
    if sig is None:
        return None
    return pre.name if sig[0] == pre.grad_formula and pre.structure == catalogue_signature(pre.name, {})[1] else None


def supported(xp: ExactProblem, pre: Preconditioner) -> bool:
    """Whether :func:`run_dspgd_float64` has a kernel for ``pre`` and ``xp``'s loss."""
    if xp.problem.loss.name not in _LOSSES or _kernel_name(pre) is None:
        return False
    if _kernel_name(pre) == "quadratic":
        p = xp.problem
        return pre.extra["H"].shape == (p.d * p.k, p.d * p.k)
    return True


# ----------------------------------------------------------------------------- conversions
def _from_mpf(x, dtype):
    """An mpf rounded to ``dtype`` (longdouble through a 25-digit decimal string, parsed by ``strtold``)."""
    if dtype is np.float64:
        return np.float64(float(x))
    import mpmath
    return np.longdouble(mpmath.nstr(x, 25, strip_zeros=False, min_fixed=1, max_fixed=0))


def _gram_inv_array(xp: ExactProblem, dtype) -> np.ndarray:
    """``(X X^T)^{-1}`` of ``xp`` rounded entrywise to ``dtype`` (read-only; made once per problem and
    dtype: both learning rates of a check share it)."""
    key = ("gram_inv", dtype)
    if key not in xp.derived:
        a = np.array([[_from_mpf(v, dtype) for v in row] for row in xp.gram_inv], dtype=dtype)
        a.setflags(write=False)
        xp.derived[key] = a
    return xp.derived[key]


def _to_mpf(ctx, x):
    """A float64 or longdouble number ``p / 2^e`` as an mpf of ``ctx``, exactly (``ctx.prec >= 64``;
    below, ``p`` rounded to ``ctx``'s precision as ``ctx.mpf(p)`` would)."""
    p, q = x.as_integer_ratio()  # q is a power of two
    prec, rnd = ctx._prec_rounding
    return ctx.make_mpf(from_man_exp(p, 1 - q.bit_length(), prec, rnd))


def _cols(ctx, A: np.ndarray) -> list:
    """A finite d x k array -> columns of exact mpf of ``ctx`` (float64: :func:`numeric.matrices.float64_cols`, the same numbers)."""
    if A.dtype != np.float64:
        return [[_to_mpf(ctx, v) for v in col] for col in A.T]
    return float64_cols(ctx, A)


def _fnorm(A):
    return np.sqrt((A * A).sum())


# ----------------------------------------------------------------------------- grad K
def symmetric_eigh(M: np.ndarray, sweeps: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors ``M = Q diag(lam) Q^T`` of a small symmetric matrix in its own
    dtype (longdouble: LAPACK has none), by the cyclic Jacobi method (Golub and Van Loan, Alg.
    8.5.3): each rotation ``J(p, q, theta)`` with ``tan(2 theta) = 2 M_pq/(M_qq - M_pp)``
    (computed stably as ``t = sign(tau)/(|tau| + sqrt(1 + tau^2))``) zeroes ``M_pq``; sweeps
    stop when the off-diagonal part is below the dtype's resolution of the diagonal."""
    A = np.array(M, copy=True)
    k = A.shape[0]
    Q = np.eye(k, dtype=A.dtype)
    tiny = np.finfo(A.dtype).eps ** 2
    for _ in range(sweeps):
        off = (A * A).sum() - (np.diag(A) ** 2).sum()
        if off <= tiny * (np.diag(A) ** 2).sum() or off == 0:
            break
        for p in range(k - 1):
            for q in range(p + 1, k):
                if A[p, q] == 0:
                    continue
                tau = (A[q, q] - A[p, p]) / (2 * A[p, q])
                t = (1 if tau >= 0 else -1) / (abs(tau) + np.sqrt(1 + tau * tau))
                c = 1 / np.sqrt(1 + t * t)
                sn = t * c
                J = np.eye(k, dtype=A.dtype)
                J[p, p] = J[q, q] = c
                J[p, q], J[q, p] = sn, -sn
                A = J.T @ A @ J
                Q = Q @ J
    return np.diag(A).copy(), Q


def _kernel(name: str, pre: Preconditioner, dtype, d: int, k: int) -> Callable:
    """``f(G) -> (U, ||G|| in K's natural norm)`` for the catalogue map ``name`` in ``dtype``."""
    f = np.dtype(dtype).type

    def par(key):
        v = pre.params[key]
        return f(v.numerator) / f(v.denominator)

    def maxabs(G):
        return np.abs(G).max()
    if name == "gd":
        return lambda G: (G, _fnorm(G))
    if name == "ngd":
        e = par("eps")

        def ngd(G):
            r = _fnorm(G)
            return G * (1 / (r + e)), r
        return ngd
    if name == "clip":
        c = par("c")

        def clip(G):
            r = _fnorm(G)
            return (G if r <= c else G * (c / r)), r
        return clip
    if name == "adam":
        e = par("eps")
        return lambda G: (G / (np.abs(G) + e), maxabs(G))
    if name == "sign":
        inv = 1 / par("eps")
        return lambda G: (np.tanh(G * inv), maxabs(G))
    if name == "clipv":
        c = par("c")
        return lambda G: (np.clip(G, -c, c), maxabs(G))
    if name == "muon":
        e = par("eps")
        if k == 1:  # the spectral and the Frobenius norm coincide: ngd
            def muon1(G):
                r = _fnorm(G)
                return G * (1 / (r + e)), r
            return muon1
        if dtype is np.float64:
            def muon(G):
                u, s, vt = np.linalg.svd(G, full_matrices=False)
                return (u * (s / (s + e))) @ vt, s[0]
            return muon

        def muon_ld(G):
            lam, V = symmetric_eigh(G.T @ G)
            s = np.sqrt(np.maximum(lam, 0))
            return G @ ((V * (1 / (s + e))) @ V.T), s.max()
        return muon_ld
    if name == "quadratic":
        H = np.asarray(pre.extra["H"], dtype=dtype)
        return lambda G: ((H @ G.reshape(-1)).reshape(d, k), _fnorm(G))
    raise ValueError(f"no float64 kernel for {name!r}")  # guarded by supported()


def _step_kernel(name: str, pre: Preconditioner, dtype, d: int, k: int) -> tuple[Callable, str | None]:
    """``(f, batch)``: ``f(G, U)`` writes ``grad K(G)`` into the buffer ``U`` with the same
    operations, in the same order, as :func:`_kernel` (so the same numbers, bit for bit) and
    returns ``||G||`` in K's natural norm, or None where that norm is taken afterwards from the
    recorded ``G_t`` (``batch``: ``"max"``, ``max |G_ij|``, or ``"fro"``, ``||G||_F``)."""
    f = np.dtype(dtype).type
    tmp = np.empty((d, k), dtype=dtype)
    divide, add, absolute = np.divide, np.add, np.absolute

    def par(key):
        v = pre.params[key]
        return f(v.numerator) / f(v.denominator)
    if name == "gd":
        return (lambda G, U: np.copyto(U, G)), "fro"
    if name == "ngd" or (name == "muon" and k == 1):  # muon, k = 1: the spectral and the Frobenius norm coincide
        e = par("eps")

        def ngd(G, U):
            r = _fnorm(G)
            np.multiply(G, 1 / (r + e), out=U)
            return r
        return ngd, None
    if name == "clip":
        c = par("c")

        def clip(G, U):
            r = _fnorm(G)
            if r <= c:
                np.copyto(U, G)
            else:
                np.multiply(G, c / r, out=U)
            return r
        return clip, None
    if name == "adam":
        e = np.full((d, k), par("eps"), dtype=dtype)  # an array operand: the same sums, a cheaper call

        def adam(G, U):
            divide(G, add(absolute(G, tmp), e, tmp), U)
        return adam, "max"
    if name == "sign":
        inv = np.full((d, k), 1 / par("eps"), dtype=dtype)

        def sign(G, U):
            np.tanh(np.multiply(G, inv, out=U), out=U)
            return None
        return sign, "max"
    if name == "clipv":
        c = par("c")

        def clipv(G, U):
            np.clip(G, -c, c, out=U)
            return None
        return clipv, "max"
    if name in ("muon", "quadratic"):
        whole = _kernel(name, pre, dtype, d, k)

        def copy(G, U):
            V, gn = whole(G)
            np.copyto(U, V)
            return gn
        return copy, ("fro" if name == "quadratic" else None)
    raise ValueError(f"no float64 kernel for {name!r}")  # guarded by supported()


def float64_grad(pre: Preconditioner, G: np.ndarray, dtype=np.float64) -> np.ndarray:
    """``grad K(G)`` exactly as the float64 (or longdouble) loop computes it (for the cross-checks)."""
    name = _kernel_name(pre)
    if name is None:
        raise ValueError(f"no float64 kernel for {pre.name!r}")
    G = np.asarray(G, dtype=dtype)
    return _kernel(name, pre, dtype, G.shape[0], G.shape[1])(G)[0]


# ----------------------------------------------------------------------------- losses
def _loss(xp: ExactProblem, dtype) -> tuple[Callable, Callable]:
    """``(gradient(R), total(R))`` of :mod:`numeric.losses` in ``dtype``, in cancellation-free forms:
    ``log cosh r = log1p(2 sinh(r/2)^2)`` (``|r| - log 2 + log1p(e^{-2|r|})`` for ``|r| > 20``) and
    ``delta^2 (sqrt(1 + (r/delta)^2) - 1) = r^2 / (sqrt(1 + (r/delta)^2) + 1)``."""
    loss = xp.problem.loss
    f = np.dtype(dtype).type
    if loss.name == "square":
        return (lambda R: R), (lambda R: (R * R).sum() / 2)
    if loss.name == "logcosh":
        log2 = f(np.log(f(2)))

        def total(R):
            a = np.abs(R)
            with np.errstate(over="ignore"):
                v = np.where(a > 20, a - log2 + np.log1p(np.exp(-2 * a)), np.log1p(2 * np.sinh(a / 2) ** 2))
            return v.sum()
        return np.tanh, total
    delta = loss.params["delta"]
    dd = f(delta.numerator) / f(delta.denominator)

    def grad(R):
        return R / np.sqrt(1 + (R / dd) ** 2)

    def total_h(R):
        return (R * R / (np.sqrt(1 + (R / dd) ** 2) + 1)).sum()
    return grad, total_h


# ----------------------------------------------------------------------------- the loop
BLOCK = 256  # steps recorded between two passes of the per-step norms (memory: 2 d k + n k numbers a step)


def run_dspgd_float64(xp: ExactProblem, pre: Preconditioner, eta, max_iter: int = DEFAULT_MAX_ITER,
                      iterations: int | None = None, timeout: float | None = None, track_path: bool = True,
                      dtype=np.float64, record: bool = True) -> Trajectory:
    """:func:`numeric.backends.mpmath_loop.run_dspgd` in ``dtype`` (float64, or longdouble for the rounding rerun).

    ``eta`` is rounded to float64 first.  In float64 a record's own step
    (``pre.extra["float64_step"]``) replaces ``W - eta grad K(G)``; in longdouble the exact
    catalogue map runs.  ``W``, ``R`` and the tracked numbers return as exact mpf of ``xp.ctx``;
    ``R`` is recomputed there from the exact ``W_T``.

    Each step computes only what the next step and the stopping rules need (``G_t``, ``U_t``,
    ``W_{t+1}``, ``R_{t+1}`` into reused buffers, and ``||R_{t+1}||``); the records that nothing
    reads before the run ends (``eta ||U_t||``, the largest ``||G_t||``, the path length) are
    computed afterwards, every :data:`BLOCK` steps, from the stored ``G_t``, ``U_t`` and ``R_t``
    by the same floating-point operations on the same numbers, so they are the same numbers
    bit for bit (a row's sum is numpy's pairwise sum of that matrix; ``max_t sqrt(a_t) =
    sqrt(max_t a_t)`` since the rounded square root is monotone; the path is summed in step order).

    ``record=False`` (the rounding rerun, which only reads ``W_T``): the same iteration and
    stopping rules, with the residual history only; ``step_history`` and ``drift_checkpoints``
    are empty, ``max_grad_*`` and ``path_length_row`` None, ``monotone_loss`` None, and ``R``
    None (the exact residual of ``W_T`` is not computed: nothing reads it).
    """
    ctx = xp.ctx
    p = xp.problem
    d, k = p.d, p.k
    f = np.dtype(dtype).type
    is64 = dtype is np.float64
    eta64 = float(float64_eta(eta))
    eta_f = f(eta64)
    X = p.X.astype(dtype)
    XT = np.ascontiguousarray(X.T)
    Y = p.Y.astype(dtype)
    W0 = p.W0.astype(dtype)
    name = _kernel_name(pre)
    kern, batch = _step_kernel(name, pre, dtype, d, k)
    step = pre.extra["float64_step"](eta64) if (is64 and "float64_step" in pre.extra) else None
    grad_loss, total_loss = _loss(xp, dtype)
    square = p.loss.name == "square"  # then grad l(R) = R and l(R) = ||R||^2 / 2 reuses the residual norm
    natural_is_fro = pre.natural_norm == "fro"
    if not record:
        return _rerun(xp, pre, eta64, iterations, timeout, dtype)
    sqrt = math.sqrt if is64 else np.sqrt  # correctly rounded either way; math.sqrt is faster on a float
    isfinite = math.isfinite if is64 else np.isfinite
    eta_a = np.full((d, k), eta_f, dtype=dtype)
    num = float if is64 else (lambda v: v)  # float64 scalars as Python floats (the same IEEE arithmetic)
    add_reduce, multiply, subtract, matmul = np.add.reduce, np.multiply, np.subtract, np.matmul

    Ginv = _gram_inv_array(xp, dtype)

    def drift_now(W):
        B = W - W0
        return float(_fnorm(B - XT @ (Ginv @ (X @ B))))

    W = W0.copy()
    W_alt = np.empty_like(W)
    R = X @ W - Y
    r0 = _fnorm(R)
    scale = max(f(1), r0, _fnorm(Y))
    floor = f(FLOOR_RELATIVE) * scale
    slack = num(1 + f(FLOOR_RELATIVE))
    floor2 = num(floor * floor)
    fixed = iterations is not None
    start = time.perf_counter()
    rules = StopRules(scale * f(BLOWUP), r0, fixed, timeout, start)
    res_hist = [float(r0)]
    step_hist: list = []
    drift = [(0, 0.0)]
    next_checkpoint = 1
    max_nat = max_fro = path = f(0)
    monotone = True
    prev_loss = num(total_loss(R))
    reason = "max_iter"
    budget = iterations if fixed else max_iter
    t = 0
    rnorm = r0
    # buffers: G_t, U_t (the step W_t - W_{t+1} / eta, or W_{t+1} - W_t for a record's own step)
    # of the steps of the current block, and R_t at its start and after each of its steps
    nb = min(BLOCK, max(budget, 1))
    Gs = np.empty((nb, d, k), dtype=dtype)
    Us = np.empty((nb, d, k), dtype=dtype)
    Rs = np.empty((nb + 1, p.n, k), dtype=dtype)
    Rs[0] = R
    R = Rs[0]
    Gv, Uv, Rv = list(Gs), list(Us), list(Rs)  # the per-step views, made once
    eU = np.empty((d, k), dtype=dtype)
    RR = np.empty((p.n, k), dtype=dtype)
    gns: list = []
    i = 0  # steps in the current block

    def flush(m: int) -> None:
        """The records of the block's ``m`` steps (see the docstring), appended in step order."""
        nonlocal max_nat, max_fro, path
        if m == 0:
            return
        Um = Us[:m].reshape(m, -1)
        sn = np.sqrt(add_reduce(Um * Um, axis=1))
        if step is None:
            sn = eta_f * sn
        step_hist.extend(sn.tolist() if is64 else sn.astype(np.float64).tolist())
        if not track_path:
            return
        Gm = Gs[:m].reshape(m, -1)
        if batch == "max":
            nat = np.absolute(Gm).max(axis=1)
        elif batch == "fro":
            nat = np.sqrt(add_reduce(Gm * Gm, axis=1))
        else:
            nat = np.array(gns, dtype=dtype)
            gns.clear()
        fro = nat if natural_is_fro else np.sqrt(add_reduce(Gm * Gm, axis=1))
        above = nat[nat > max_nat]  # NaN never compares greater: the per-step rule skipped it too
        if above.size:
            max_nat = above.max()
        above = fro[fro > max_fro]
        if above.size:
            max_fro = above.max()
        dR = Rs[1:m + 1] - Rs[:m]
        q = add_reduce((dR * matmul(Ginv, dR)).reshape(m, -1), axis=1)
        acc = num(path)
        roots = np.sqrt(np.where(q > 0, q, 0))  # max(0, q), summed in step order
        for v in (roots.tolist() if is64 else roots):
            acc += v
        path = f(acc)

    with np.errstate(over="ignore", invalid="ignore"):
        while t < budget:
            if not fixed and rnorm <= floor:
                reason = "floor"
                break
            G, U, R_new = Gv[i], Uv[i], Rv[i + 1]
            matmul(XT, R if square else grad_loss(R), G)
            gn = kern(G, U)
            if step is None:
                W_new = subtract(W, multiply(eta_a, U, eU), W_alt)
                W_alt = W
            else:
                W_new = step(W, G)
                subtract(W_new, W, U)
            subtract(matmul(X, W_new, R_new), Y, R_new)
            t += 1
            W, R = W_new, R_new
            rr = add_reduce(multiply(R, R, RR), None)
            rnorm = sqrt(rr)  # _fnorm(R), bit for bit
            res_hist.append(float(rnorm))
            if gn is not None and track_path:
                gns.append(gn)
            cur_loss = num(rr) / 2 if square else num(total_loss(R))
            if cur_loss > prev_loss * slack + floor2:
                monotone = False
            prev_loss = cur_loss
            if t == next_checkpoint:
                drift.append((t, drift_now(W)))
                next_checkpoint *= 2
            i += 1
            if i == nb:
                flush(i)
                Rs[0] = R
                R = Rs[0]
                i = 0
            stop = rules.after_step(t, rnorm, bool(isfinite(rnorm)))
            if stop is not None:
                reason = stop
                break
        else:
            if fixed:
                reason = "fixed"
        flush(i)
    if drift[-1][0] != t:
        drift.append((t, drift_now(W)))
    finite = bool(np.all(np.isfinite(W)))
    W_cols = _cols(ctx, W) if finite else [[ctx.nan] * d for _ in range(k)]
    R_cols = xp.residual(W_cols) if finite else [[ctx.nan] * p.n for _ in range(k)]

    def exact(v):
        return _to_mpf(ctx, v) if np.isfinite(v) else ctx.inf
    return Trajectory(W=W_cols, R=R_cols, eta=_to_mpf(ctx, np.float64(eta64)),
                      dps=FLOAT64_DPS if is64 else longdouble_dps(), iterations=t,
                      stop_reason=reason, residual_floor=_to_mpf(ctx, floor), residual_history=res_hist,
                      step_history=step_hist, drift_checkpoints=drift,
                      max_grad_natural=exact(max_nat), max_grad_fro=exact(max_fro),
                      path_length_row=exact(path) if track_path else None,
                      monotone_loss=monotone, seconds=time.perf_counter() - start)


def _rerun(xp: ExactProblem, pre: Preconditioner, eta64: float, iterations: int | None, timeout: float | None,
           dtype) -> Trajectory:
    """``run_dspgd_float64(..., record=False)``: ``iterations`` steps of the exact catalogue map
    in ``dtype``, stopping early only by the rules a fixed-length run has (``diverged``: a
    non-finite ``||R_t||`` or one above ``BLOWUP * scale``; ``timeout``).  A step computes
    ``G_t``, ``U_t``, ``W_{t+1}``, ``R_{t+1}`` into the buffers of its block; ``||R_t||`` of the
    block's steps are computed together after it (each row's sum is numpy's pairwise sum of
    that matrix, the same number as ``_fnorm(R_t)``), and a divergence inside the block ends
    the run at its first diverged step, with that step's ``W``, as the per-step rule would.
    The time budget is checked once a block."""
    if iterations is None:
        raise ValueError("record=False is the fixed-length rerun: give iterations")
    ctx = xp.ctx
    p = xp.problem
    d, k = p.d, p.k
    f = np.dtype(dtype).type
    eta_a = np.full((d, k), f(eta64), dtype=dtype)
    X = p.X.astype(dtype)
    XT = np.ascontiguousarray(X.T)
    Y = p.Y.astype(dtype)
    W0 = p.W0.astype(dtype)
    kern, _ = _step_kernel(_kernel_name(pre), pre, dtype, d, k)
    grad_loss, _ = _loss(xp, dtype)
    square = p.loss.name == "square"
    add_reduce, multiply, subtract, matmul = np.add.reduce, np.multiply, np.subtract, np.matmul
    R0 = X @ W0 - Y
    r0 = _fnorm(R0)
    scale = max(f(1), r0, _fnorm(Y))
    floor = f(FLOOR_RELATIVE) * scale
    blowup = scale * f(BLOWUP)
    start = time.perf_counter()
    nb = min(BLOCK, max(iterations, 1))
    Ws = np.empty((nb, d, k), dtype=dtype)
    Rs = np.empty((nb, p.n, k), dtype=dtype)
    G = np.empty((d, k), dtype=dtype)
    U = np.empty((d, k), dtype=dtype)
    eU = np.empty((d, k), dtype=dtype)
    Wv, Rv = list(Ws), list(Rs)  # the per-step views, made once
    W, R = W0.copy(), R0
    res_hist = [float(r0)]
    t = 0
    reason = "fixed"
    with np.errstate(over="ignore", invalid="ignore"):
        while t < iterations:
            m = min(nb, iterations - t)
            for i in range(m):
                matmul(XT, R if square else grad_loss(R), G)
                kern(G, U)
                W = subtract(W, multiply(eta_a, U, eU), Wv[i])
                R = Rv[i]
                subtract(matmul(X, W, R), Y, R)
            Rm = Rs[:m].reshape(m, -1)
            rn = np.sqrt(add_reduce(Rm * Rm, axis=1))
            bad = ~np.isfinite(rn) | (rn > blowup)
            if bad.any():
                j = int(np.argmax(bad))
                res_hist.extend(rn[:j + 1].astype(np.float64).tolist())
                t, W, reason = t + j + 1, Ws[j], "diverged"
                break
            res_hist.extend(rn.astype(np.float64).tolist())
            t += m
            W, R = Ws[m - 1].copy(), Rs[m - 1].copy()
            if timeout is not None and time.perf_counter() - start > timeout:
                reason = "timeout" if t < iterations else "fixed"
                break
    finite = bool(np.all(np.isfinite(W)))
    W_cols = _cols(ctx, W) if finite else [[ctx.nan] * d for _ in range(k)]
    return Trajectory(W=W_cols, R=None, eta=_to_mpf(ctx, np.float64(eta64)),
                      dps=FLOAT64_DPS if dtype is np.float64 else longdouble_dps(), iterations=t,
                      stop_reason=reason, residual_floor=_to_mpf(ctx, floor), residual_history=res_hist,
                      step_history=[], drift_checkpoints=[], max_grad_natural=None, max_grad_fro=None,
                      path_length_row=None, monotone_loss=None, seconds=time.perf_counter() - start)


def reference_arithmetic(pre: Preconditioner) -> str:
    """What :func:`run_reference` runs for ``pre``: ``"longdouble"`` or ``"mpmath"``."""
    name = _kernel_name(pre)
    return "longdouble" if longdouble_is_wider() and name is not None else "mpmath"


def run_reference(xph: ExactProblem, pre: Preconditioner, eta, iterations: int,
                  timeout: float | None = None) -> Trajectory:
    """The rounding-check rerun of a float64 run: the same float64 ``eta`` and number of steps with
    the exact map, in longdouble (or, where longdouble is not wider, at ``xph``'s precision in the
    flint/mpmath loop).  Past ``timeout`` seconds it stops short of ``iterations`` (``timeout``)."""
    if reference_arithmetic(pre) == "longdouble":
        return run_dspgd_float64(xph, pre, eta, iterations=iterations, track_path=False, dtype=np.longdouble,
                                 timeout=timeout, record=False)
    from ..preconditioners.catalog import make_preconditioner
    exact = pre
    if "exact_map" in pre.extra:
        p = xph.problem
        exact = make_preconditioner(pre.extra["exact_map"], dict(pre.params), shape=(p.d, p.k))
    from .flint_loop import run_dspgd_flint, supported as flint_ok
    run = run_dspgd_flint if flint_ok(xph, exact) else run_dspgd
    eta_m = _to_mpf(xph.ctx, np.float64(float(float64_eta(eta))))
    return run(xph, exact, eta_m, iterations=iterations, track_path=False, timeout=timeout)
