"""The preconditioner catalogue of docs/theory.md §2, with hand-written closed forms.

Each factory returns an immutable :class:`~numeric.preconditioners.base.Preconditioner`
(optax style: ``adam(eps=Fraction(1, 100))``).  Names are part of the CLI contract.

=============  =================================================  ==================================  ===========
name           K(G)                                               grad K(G)                           structure
=============  =================================================  ==================================  ===========
``gd``         ``||G||^2/2``                                      ``G``                               isotropic
``ngd``        ``h(||G||)``, ``h(r) = r - eps log(1 + r/eps)``    ``G / (||G|| + eps)``               isotropic
``clip``       Huber ``h(r) = r^2/2`` (r <= c), ``c r - c^2/2``    ``min(1, c/||G||) G``               isotropic
``adam``       ``sum |g| - eps log(1 + |g|/eps)``                 ``G / (|G| + eps)`` entrywise       entrywise
``sign``       ``sum eps log cosh(g/eps)``                        ``tanh(G/eps)``                     entrywise
``clipv``      ``sum Huber_c(g)``                                 ``clamp(G, -c, c)``                 entrywise
``muon``       ``sum_i phi(sigma_i)``, ``phi(s) = s - eps log(1+s/eps)``  ``U diag(s/(s+eps)) V^T``  spectral
``quadratic``  ``vec(G)^T H vec(G) / 2``                          ``H vec(G)``                        quadratic
=============  =================================================  ==================================  ===========

Constants (docs/theory.md §2): ``L = 1/eps`` for ngd, adam, sign, muon; ``L = 1`` for gd, clip, clipv;
``L = lambda_max(H)`` for quadratic.  Local strong convexity on the natural ball of
radius rho: ``eps/(rho + eps)^2`` (ngd, adam, muon: ``h''`` resp. ``k''``, ``phi''`` at rho,
the smallest Hessian eigenvalue since ``h'(r)/r >= h''(r)``), ``sech(rho/eps)^2/eps`` (sign),
``1`` for rho <= c and ``0`` beyond (clip, clipv), ``lambda_min(H)`` (quadratic).

``vec`` is row-major: ``vec(G)[i*k + j] = G[i, j]``.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Callable

import numpy as np

from ..eigen import extreme_eigenvalues
from ..errors import InputError
from ..matrices import fro_norm, gram
from ..params import to_mpf
from .base import Preconditioner, _fraction_str as _fs


def _eps_param(params: dict, default: Fraction) -> Fraction:
    eps = params.get("eps", default)
    if eps <= 0:
        raise InputError(f"eps must be > 0, got {eps}")
    return eps


def _c_param(params: dict, default: Fraction) -> Fraction:
    c = params.get("c", default)
    if c <= 0:
        raise InputError(f"c must be > 0, got {c}")
    return c


def _const(value: Fraction) -> Callable:
    return lambda ctx: to_mpf(ctx, value)


def _huber(ctx, r, c):
    """``Huber_c(r) = r^2/2`` for ``|r| <= c``, ``c |r| - c^2/2`` beyond."""
    r = abs(r)
    return r * r / 2 if r <= c else c * r - c * c / 2


def _huber_mu(c: Fraction) -> Callable:
    """``mu(rho) = 1`` on the ball ``rho <= c`` where Huber is quadratic, ``0`` beyond."""
    return lambda ctx, rho: ctx.one if rho <= to_mpf(ctx, c) else ctx.zero


def _log_barrier(ctx, s, e):
    """``phi(s) = s - eps log(1 + s/eps)`` (``e``: eps as an mpf), the profile of ngd, adam and muon."""
    return s - e * ctx.log1p(s / e)


def _scaled(s, g) -> list:
    """``s G`` for a scalar ``s`` (the update of isotropic K: ``grad K(G) = (h'(r)/r) G``)."""
    return [[s * x for x in col] for col in g]


def _log_barrier_mu(eps: Fraction) -> Callable:
    """``mu(rho) = eps/(rho + eps)^2``: the smallest second derivative of ``s - eps log(1 + s/eps)`` on ``[0, rho]``."""
    return lambda ctx, rho: to_mpf(ctx, eps) / (rho + to_mpf(ctx, eps)) ** 2


# ----------------------------------------------------------------------------- isotropic
def gd(**_: object) -> Preconditioner:
    """Gradient descent: ``K = ||G||^2/2``, ``grad K = G``, ``L = mu = 1``."""
    return Preconditioner(
        "gd", {}, "isotropic",
        grad=lambda ctx, g: [list(c) for c in g],
        value=lambda ctx, g: ctx.fsum(ctx.fdot(c, c) for c in g) / 2,
        L=_const(Fraction(1)), mu=lambda ctx, rho: ctx.one, natural_norm="fro",
        isotropic=True, left_invariant=True, formula="||G||^2/2", grad_formula="G")


def ngd(eps: Fraction = Fraction(1, 10), **_: object) -> Preconditioner:
    """Smooth normalized GD: ``K = h(||G||)``, ``h(r) = r - eps log(1 + r/eps)``.

    ``grad K(G) = G/(||G|| + eps)``; Hessian eigenvalues ``1/(r+eps)`` and ``eps/(r+eps)^2``;
    ``L = 1/eps``, ``mu(rho) = eps/(rho+eps)^2``.
    """
    e = eps

    def grad(ctx, g):
        return _scaled(1 / (fro_norm(ctx, g) + to_mpf(ctx, e)), g)

    def value(ctx, g):
        return _log_barrier(ctx, fro_norm(ctx, g), to_mpf(ctx, e))

    return Preconditioner(
        "ngd", {"eps": e}, "isotropic", grad=grad, value=value,
        L=_const(1 / e), mu=_log_barrier_mu(e),
        natural_norm="fro", isotropic=True, left_invariant=True,
        formula=f"h(||G||), h(r) = r - {_fs(e)} log(1 + r/{_fs(e)})", grad_formula=f"G/(||G|| + {_fs(e)})")


def clip(c: Fraction = Fraction(1), **_: object) -> Preconditioner:
    """Global-norm clipping: ``K = Huber_c(||G||)``, ``grad K = min(1, c/||G||) G``.

    The projection onto the Frobenius ball of radius c; ``L = 1``; ``mu(rho) = 1`` for
    ``rho <= c`` and ``0`` beyond (``h'' = 0`` outside the ball).
    """
    cc = c

    def grad(ctx, g):
        r, cm = fro_norm(ctx, g), to_mpf(ctx, cc)
        if r <= cm:
            return [list(col) for col in g]
        return _scaled(cm / r, g)

    def value(ctx, g):
        return _huber(ctx, fro_norm(ctx, g), to_mpf(ctx, cc))

    return Preconditioner(
        "clip", {"c": cc}, "isotropic", grad=grad, value=value, L=_const(Fraction(1)),
        mu=_huber_mu(cc),
        natural_norm="fro", isotropic=True, left_invariant=True,
        formula=f"Huber_{_fs(cc)}(||G||)", grad_formula=f"min(1, {_fs(cc)}/||G||) G")


# ----------------------------------------------------------------------------- entrywise
def adam(eps: Fraction = Fraction(1, 10), **_: object) -> Preconditioner:
    """Adam without momentum (betas = (0, 0)): ``k(g) = |g| - eps log(1 + |g|/eps)``.

    ``grad K(G) = G/(|G| + eps)`` entrywise; ``k''(g) = eps/(|g|+eps)^2``; ``L = 1/eps``,
    ``mu(rho) = eps/(rho+eps)^2`` on the max-norm ball.
    """
    e = eps

    def grad(ctx, g):
        ee = to_mpf(ctx, e)
        return [[x / (abs(x) + ee) for x in c] for c in g]

    def value(ctx, g):
        ee = to_mpf(ctx, e)
        return ctx.fsum(_log_barrier(ctx, abs(x), ee) for c in g for x in c)

    return Preconditioner(
        "adam", {"eps": e}, "entrywise", grad=grad, value=value, L=_const(1 / e),
        mu=_log_barrier_mu(e),
        natural_norm="max", isotropic=False, left_invariant=False,
        formula=f"sum |g| - {_fs(e)} log(1 + |g|/{_fs(e)})", grad_formula=f"G/(|G| + {_fs(e)})")


def sign(eps: Fraction = Fraction(1, 10), **_: object) -> Preconditioner:
    """Smoothed sign descent: ``k(g) = eps log cosh(g/eps)``, ``grad K = tanh(G/eps)``.

    ``k''(g) = sech(g/eps)^2/eps``; ``L = 1/eps``, ``mu(rho) = sech(rho/eps)^2/eps``.
    """
    e = eps

    def grad(ctx, g):
        inv = 1 / to_mpf(ctx, e)
        return [[ctx.tanh(x * inv) for x in c] for c in g]

    def value(ctx, g):
        ee = to_mpf(ctx, e)
        return ctx.fsum(ee * ctx.log(ctx.cosh(x / ee)) for c in g for x in c)

    return Preconditioner(
        "sign", {"eps": e}, "entrywise", grad=grad, value=value, L=_const(1 / e),
        mu=lambda ctx, rho: ctx.sech(rho / to_mpf(ctx, e)) ** 2 / to_mpf(ctx, e),
        natural_norm="max", isotropic=False, left_invariant=False,
        formula=f"sum {_fs(e)} log cosh(g/{_fs(e)})", grad_formula=f"tanh(G/{_fs(e)})")


def clipv(c: Fraction = Fraction(1, 2), **_: object) -> Preconditioner:
    """Clip by value: ``k = Huber_c``, ``grad K = clamp(G, -c, c)``; ``L = 1``, ``mu = 1`` on ``|g| <= c``."""
    cc = c

    def grad(ctx, g):
        cm = to_mpf(ctx, cc)
        return [[x if -cm <= x <= cm else (cm if x > 0 else -cm) for x in col] for col in g]

    def value(ctx, g):
        cm = to_mpf(ctx, cc)
        return ctx.fsum(_huber(ctx, x, cm) for col in g for x in col)

    return Preconditioner(
        "clipv", {"c": cc}, "entrywise", grad=grad, value=value, L=_const(Fraction(1)),
        mu=_huber_mu(cc),
        natural_norm="max", isotropic=False, left_invariant=False,
        formula=f"sum Huber_{_fs(cc)}(g)", grad_formula=f"clamp(G, -{_fs(cc)}, {_fs(cc)})")


# ----------------------------------------------------------------------------- spectral
def muon(eps: Fraction = Fraction(1, 10), **_: object) -> Preconditioner:
    """Smoothed Muon: ``K = sum_i phi(sigma_i(G))``, ``phi(s) = s - eps log(1 + s/eps)``.

    ``grad K(G) = U diag(sigma/(sigma+eps)) V^T = G ((G^T G)^{1/2} + eps I)^{-1}``, computed
    from the k x k eigenproblem ``G^T G = V diag(sigma^2) V^T``.  ``L = 1/eps``,
    ``mu(rho) = eps/(rho+eps)^2`` on the spectral ball.
    """
    e = eps

    def factor(ctx, g):
        gm = ctx.matrix(gram(ctx, g))
        lam, q = ctx.eigsy(gm)
        ee = to_mpf(ctx, e)
        k = len(g)
        w = [1 / (ctx.sqrt(max(ctx.zero, lam[i])) + ee) for i in range(k)]
        return [[ctx.fsum(q[a, i] * w[i] * q[b, i] for i in range(k)) for b in range(k)] for a in range(k)]

    def grad(ctx, g):
        if len(g) == 1:  # k = 1: the spectral and the Frobenius norm coincide
            return _scaled(1 / (fro_norm(ctx, g) + to_mpf(ctx, e)), g)
        c = factor(ctx, g)
        k, d = len(g), len(g[0])
        return [[ctx.fdot([g[a][i] for a in range(k)], [c[a][b] for a in range(k)]) for i in range(d)]
                for b in range(k)]

    def value(ctx, g):
        ee = to_mpf(ctx, e)
        lam = ctx.eigsy(ctx.matrix(gram(ctx, g)), eigvals_only=True)
        sig = [ctx.sqrt(max(ctx.zero, lam[i])) for i in range(len(g))]
        return ctx.fsum(_log_barrier(ctx, s, ee) for s in sig)

    return Preconditioner(
        "muon", {"eps": e}, "spectral", grad=grad, value=value, L=_const(1 / e),
        mu=_log_barrier_mu(e),
        natural_norm="spectral", isotropic=False, left_invariant=True,
        formula=f"sum_i phi(sigma_i), phi(s) = s - {_fs(e)} log(1 + s/{_fs(e)})",
        grad_formula=f"U diag(sigma/(sigma + {_fs(e)})) V^T")


# ----------------------------------------------------------------------------- quadratic
def random_spd(size: int, kappa: Fraction, seed: int) -> np.ndarray:
    """A random SPD matrix ``Q diag(lambda) Q^T`` with eigenvalues spread over ``[1, kappa]``.

    Float64 entries (exact dyadic rationals), exactly symmetric by construction.
    """
    rng = np.random.default_rng([seed, 0x5D])
    q, _ = np.linalg.qr(rng.standard_normal((size, size)))
    lam = np.linspace(1.0, float(kappa), size) if size > 1 else np.array([1.0])
    h = (q * lam) @ q.T
    return (h + h.T) / 2


def quadratic(H: np.ndarray | None = None, shape: tuple[int, int] | None = None,
              kappa: Fraction = Fraction(4), seed: int = 0, **_: object) -> Preconditioner:
    """Quadratic ``K = vec(G)^T H vec(G)/2`` with H SPD ((dk) x (dk), row-major vec).

    ``grad K = H vec(G)``; ``L = lambda_max(H)``, ``mu = lambda_min(H)`` (computed at the
    working precision; positive definiteness is checked by a high-precision Cholesky).
    Isotropic iff ``H = cI``; left-invariant iff ``H = I_d (x) M`` (right preconditioning).
    Without ``H`` a random SPD matrix with condition number ``kappa`` is drawn from ``seed``.
    """
    if H is None:
        if shape is None:
            raise InputError("quadratic needs the problem shape (d, k) or an explicit H")
        if kappa < 1:
            raise InputError(f"kappa must be >= 1, got {kappa}")
        H = random_spd(shape[0] * shape[1], kappa, seed)
        params = {"kappa": kappa}
    else:
        params = {}
    H = np.asarray(H)
    if H.dtype.kind not in "fiu":
        raise InputError(f"H must be a real numeric matrix, got dtype {H.dtype}")
    H = np.array(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise InputError(f"H must be a square matrix, got shape {H.shape}")
    if shape is not None and H.shape[0] != shape[0] * shape[1]:
        raise InputError(f"H must be (d*k) x (d*k) = {shape[0] * shape[1]} square, got {H.shape[0]}")
    if not np.all(np.isfinite(H)):
        raise InputError("H has non-finite entries")
    if not np.array_equal(H, H.T):
        raise InputError("H must be exactly symmetric")
    H.setflags(write=False)
    m = H.shape[0]
    k = shape[1] if shape is not None else 1
    d = m // k
    hrows_cache: dict = {}

    def rows(ctx):
        key = id(ctx)
        if key not in hrows_cache:
            if len(hrows_cache) >= 4:
                hrows_cache.clear()
            hrows_cache[key] = (ctx, [[ctx.mpf(float(v)) for v in row] for row in H])
        return hrows_cache[key][1]

    def grad(ctx, g):
        flat = [g[j][i] for i in range(d) for j in range(k)]
        out = [ctx.fdot(r, flat) for r in rows(ctx)]
        return [[out[i * k + j] for i in range(d)] for j in range(k)]

    def value(ctx, g):
        flat = [g[j][i] for i in range(d) for j in range(k)]
        return ctx.fdot(flat, [ctx.fdot(r, flat) for r in rows(ctx)]) / 2

    eig_cache: dict = {}

    def eig(ctx):
        """``(lo, hi)``: bounds on H's extreme eigenvalues at the precision of ``ctx`` (certified
        with python-flint, :func:`numeric.eigen.extreme_eigenvalues`; cached per context)."""
        key = id(ctx)
        if key not in eig_cache:
            if len(eig_cache) >= 4:
                eig_cache.clear()
            eig_cache[key] = (ctx, extreme_eigenvalues(ctx, rows(ctx)))
        return eig_cache[key][1]

    def L(ctx):
        return eig(ctx)[1]

    def mu(ctx, rho):
        return eig(ctx)[0]

    try:
        import mpmath
        ctx = mpmath.MPContext()
        ctx.dps = 30
        ctx.cholesky(ctx.matrix([[ctx.mpf(float(v)) for v in row] for row in H]))
    except ValueError:
        raise InputError("H is not positive definite") from None
    isotropic = bool(np.all(H == H[0, 0] * np.eye(m)))
    blocks = [H[i * k:(i + 1) * k, i * k:(i + 1) * k] for i in range(d)]
    off = H.copy()
    for i in range(d):
        off[i * k:(i + 1) * k, i * k:(i + 1) * k] = 0
    left_inv = bool(not np.any(off) and all(np.array_equal(b, blocks[0]) for b in blocks))
    return Preconditioner(
        "quadratic", params, "quadratic", grad=grad, value=value, L=L, mu=mu,
        natural_norm="fro", isotropic=isotropic, left_invariant=left_inv,
        formula="vec(G)^T H vec(G)/2", grad_formula="H vec(G)", extra={"H": H})


CATALOG: dict[str, Callable[..., Preconditioner]] = {
    "gd": gd, "ngd": ngd, "clip": clip, "adam": adam, "sign": sign,
    "muon": muon, "clipv": clipv, "quadratic": quadratic,
}

PARAMS: dict[str, tuple[str, ...]] = {
    "gd": (), "ngd": ("eps",), "clip": ("c",), "adam": ("eps",), "sign": ("eps",),
    "muon": ("eps",), "clipv": ("c",), "quadratic": ("kappa",),
}


def make_preconditioner(name: str, params: dict[str, Fraction] | None = None,
                        shape: tuple[int, int] | None = None, seed: int = 0,
                        H: np.ndarray | None = None) -> Preconditioner:
    """Build a catalogue entry by name, validating its parameters."""
    if name not in CATALOG:
        raise InputError(f"unknown preconditioner {name!r} (choose from {', '.join(CATALOG)})")
    params = dict(params or {})
    unknown = set(params) - set(PARAMS[name])
    if unknown:
        allowed = ", ".join(PARAMS[name]) or "none"
        raise InputError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))} (allowed: {allowed})")
    if name in ("ngd", "adam", "sign", "muon"):
        params["eps"] = _eps_param(params, CATALOG[name].__defaults__[0])
    if name in ("clip", "clipv"):
        params["c"] = _c_param(params, CATALOG[name].__defaults__[0])
    if name == "quadratic":
        return quadratic(H=H, shape=shape, seed=seed, **params)
    return CATALOG[name](**params)


@lru_cache(maxsize=256)
def _signature(name: str, params: tuple) -> tuple[str, str] | None:
    try:
        pre = CATALOG[name](**dict(params))
    except TypeError:
        return None
    return pre.grad_formula, pre.structure


def catalogue_signature(name: str, params) -> tuple[str, str] | None:
    """``(grad_formula, structure)`` of the catalogue entry ``name`` with ``params`` (None when the
    parameters do not fit it): what a record must carry to use the entry's fast kernels.  Cached:
    the fast loops ask once per run, a campaign thousands of times."""
    if name not in CATALOG:
        return None
    try:
        return _signature(name, tuple(sorted(dict(params).items())))
    except TypeError:  # unhashable parameter values
        return None
