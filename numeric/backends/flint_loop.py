"""The DSPGD loop of :mod:`numeric.backends.mpmath_loop` with python-flint ``arb``/``arb_mat`` arithmetic.

Same semantics, stopping rules and recorded histories as :func:`numeric.backends.mpmath_loop.run_dspgd`
(the mpmath reference): residual floor ``10^(guard - dps) * scale``, ``diverged`` /
``stalled`` / ``max_iter`` / ``timeout`` / ``fixed``, residual and step histories as floats,
drift checkpoints at ``t = 1, 2, 4, ...`` and at the end, the largest ``||G_t||`` in K's
natural norm and in Frobenius norm, the row-space path length and the monotone-loss flag.

What changes is where the time goes.  The products ``X W``, ``X^T S`` and the small
products of the tracking (``A^T A``, ``(X X^T)^{-1} dR``) are ``arb_mat`` multiplications in
C, at the binary precision of ``xp.ctx`` (``ctx.prec`` bits).  Every result is replaced by
its ball's midpoint (``.mid()``), so this is plain floating-point arithmetic at that
precision: balls never widen, and rounding is checked, as for the mpmath loop, by the rerun
at P + 20 digits (:mod:`verify.runs`).

grad K by structure:

* isotropic (gd, ngd, clip): one Frobenius norm, one scalar times the matrix;
* entrywise (adam, sign, clipv): one Python comprehension over the entries;
* spectral (muon): the k x k eigenproblem of ``G^T G`` (:mod:`.flint_spectral`: closed form for
  k <= 2, mpmath from the exact midpoints above), then ``G C`` with the k x k factor ``C`` as an
  ``arb_mat`` product;
* quadratic: ``H vec(G)`` as an ``arb_mat`` product.

A user K (``--K``, ``--update``) is compiled to the same arithmetic by :mod:`.flint_user`; one
with a node the FLINT target of :mod:`symbolic.compile` lacks, and an unknown loss, run the mpmath
loop.  A step that is exactly zero above the floor stops the run as ``stationary``, as in the
mpmath loop.  Inputs enter exactly (``arb(mpf)`` is exact), and ``W``, ``R`` and
the tracked numbers leave as exact mpf of ``xp.ctx`` (the midpoints are binary floats of at
most ``ctx.prec`` bits), so everything downstream is unchanged.

flint's precision is process-wide state (``flint.ctx.prec``); it is set only inside
:func:`numeric.flint_context.flint_precision` (re-exported here), which restores it.
"""
from __future__ import annotations

import time
from typing import Callable

from .flint_points import max_abs as _max_abs
from .flint_points import sqrt0 as _sqrt0
from .flint_spectral import spectral_factor
from .mpmath_loop import DEFAULT_GUARD_DIGITS, DEFAULT_MAX_ITER, StopRules, Trajectory, run_dspgd
from ..exact_problem import ExactProblem
from ..flint_context import flint_precision  # noqa: F401 - re-exported (tests, bench, callers)
from ..params import to_mpf
from ..preconditioners.base import Preconditioner

try:  # python-flint is the optional extra ``fast``
    import flint as _flint
    from flint import arb as _arb
    from flint import arb_mat as _arb_mat
except ImportError:  # pragma: no cover - exercised only without the extra
    _flint = None

# catalogue name -> structure it must have for the fast path
_STRUCTURES = {"gd": "isotropic", "ngd": "isotropic", "clip": "isotropic", "adam": "entrywise",
               "sign": "entrywise", "clipv": "entrywise", "muon": "spectral", "quadratic": "quadratic"}
_LOSSES = ("square", "logcosh", "huber")


def available() -> bool:
    """True when python-flint can be imported (``pip install python-flint``, or ``pip install '.[fast]'`` from a clone)."""
    return _flint is not None


def supported(xp: ExactProblem, pre: Preconditioner) -> bool:
    """Whether :func:`run_dspgd_flint` has a fast path for ``pre`` and ``xp``'s loss: a catalogue
    K, or a user K every piece of which compiles to the FLINT target (:mod:`.flint_user`)."""
    if not available() or xp.problem.loss.name not in _LOSSES:
        return False
    if "symbolic" in pre.extra:
        from .flint_user import compiles
        return compiles(pre, xp.problem.d, xp.problem.k)
    if _STRUCTURES.get(pre.name) != pre.structure:
        return False
    if pre.name == "quadratic":
        H = pre.extra.get("H")
        p = xp.problem
        return pre.grad_formula == "H vec(G)" and H is not None and H.shape == (p.d * p.k, p.d * p.k)
    # a record that only borrows a catalogue name falls back: the formula must be the factory's
    from ..preconditioners.catalog import catalogue_signature
    sig = catalogue_signature(pre.name, pre.params)
    return sig is not None and sig[0] == pre.grad_formula


# ----------------------------------------------------------------------------- conversions
def _mat(rows: int, ncols: int, cols) -> "_arb_mat":
    """Columns of mpf (column-major) -> an exact ``arb_mat``."""
    return _arb_mat(rows, ncols, [_arb(cols[j][i]) for i in range(rows) for j in range(ncols)])


def _mat_rows(rows) -> "_arb_mat":
    """A list of rows of mpf -> an exact ``arb_mat``."""
    return _arb_mat([[_arb(x) for x in r] for r in rows])


def _cols(ctx, m) -> list:
    """An ``arb_mat`` of exact midpoints -> columns of mpf of ``ctx`` (exact)."""
    mk = ctx.make_mpf
    e = m.entries()
    r, c = m.nrows(), m.ncols()
    return [[mk(e[i * c + j]._mpf_) for i in range(r)] for j in range(c)]


def _mpf(ctx, x):
    return ctx.make_mpf(x.mid()._mpf_)


def _sq(a):
    """``||A||_F^2`` (a point) as ``trace(A^T A)``: one C product of size k x k."""
    return (a.transpose() * a).trace().mid()


# ----------------------------------------------------------------------------- grad K
def _kernel(xp: ExactProblem, pre: Preconditioner) -> tuple[Callable, bool]:
    """``(f, needs_fro)`` with ``f(G, gf, nat) -> (U, ||G||_natural or None, ||U||_F or None)``.

    ``gf`` is ``||G||_F`` when the loop needs it or ``needs_fro``, else None; the natural norm
    is wanted when ``nat``.  ``||U||_F`` is returned
    when it costs one multiplication (isotropic K: ``U = s G``), else the loop computes it.
    """
    if "symbolic" in pre.extra:
        from .flint_user import user_kernel
        return user_kernel(xp, pre)
    ctx = xp.ctx
    d, k = xp.problem.d, xp.problem.k
    name = pre.name
    par = pre.params
    A = _arb_mat

    if name == "gd":
        return (lambda G, gf, track: (G, gf, gf)), True
    if name == "ngd":
        e = _arb(to_mpf(ctx, par["eps"]))

        def ngd(G, gf, track):
            s = (1 / (gf + e)).mid()
            return (G * s).mid(), gf, s * gf
        return ngd, True
    if name == "clip":
        c = _arb(to_mpf(ctx, par["c"]))

        def clip(G, gf, track):
            if gf <= c:
                return G, gf, gf
            return (G * (c / gf).mid()).mid(), gf, c
        return clip, True
    if name == "adam":
        e = _arb(to_mpf(ctx, par["eps"]))

        def adam(G, gf, nat):
            g = G.entries()
            U = A(d, k, [x / (abs(x) + e) for x in g])  # balls: W = mid(W - eta U) drops the radius
            return U, (_max_abs(g) if nat else None), None
        return adam, False
    if name == "sign":
        inv = _arb(1 / to_mpf(ctx, par["eps"]))

        def sign(G, gf, nat):
            g = G.entries()
            U = A(d, k, [(x * inv).tanh() for x in g]).mid()
            return U, (_max_abs(g) if nat else None), None
        return sign, False
    if name == "clipv":
        c = _arb(to_mpf(ctx, par["c"]))
        mc = -c

        def clipv(G, gf, nat):
            g = G.entries()
            U = A(d, k, [x if mc <= x <= c else (c if x > 0 else mc) for x in g])
            return U, (_max_abs(g) if nat else None), None
        return clipv, False
    if name == "muon":
        e = _arb(to_mpf(ctx, par["eps"]))
        if k == 1:  # the spectral and the Frobenius norm coincide: ngd
            def muon1(G, gf, track):
                s = (1 / (gf + e)).mid()
                return (G * s).mid(), gf, s * gf
            return muon1, True
        def weights(sig):
            return [(1 / (s + e)).mid() for s in sig]

        def muon(G, gf, nat):
            C, smax = spectral_factor(ctx, G, k, weights)
            return (G * C).mid(), (smax if nat else None), None
        return muon, False
    if name == "quadratic":
        H = A([[_arb(float(v)) for v in row] for row in pre.extra["H"]])
        m = d * k

        def quadratic(G, gf, track):  # row-major vec(G) is the entries() order
            return A(d, k, (H * A(m, 1, G.entries())).mid().entries()), gf, None
        return quadratic, False
    raise ValueError(f"no flint kernel for {name!r}")  # guarded by supported()


# ----------------------------------------------------------------------------- losses
def _loss(xp: ExactProblem) -> tuple[Callable, Callable]:
    """``(gradient(R) -> S, total(R, rr) -> l(R))`` with ``rr = ||R||_F^2``; formulas of numeric.losses."""
    loss = xp.problem.loss
    n, k = xp.problem.n, xp.problem.k
    A = _arb_mat
    zero = _arb(0)
    if loss.name == "square":
        return (lambda R: R), (lambda R, rr: (rr / 2).mid())
    if loss.name == "logcosh":
        return (lambda R: A(n, k, [r.tanh() for r in R.entries()]).mid(),
                lambda R, rr: sum((r.cosh().log() for r in R.entries()), zero).mid())
    delta = loss.params["delta"]
    dd = _arb(xp.ctx.mpf(delta.numerator) / delta.denominator)
    return (lambda R: A(n, k, [r / (1 + (r / dd) ** 2).sqrt() for r in R.entries()]).mid(),
            lambda R, rr: sum((dd * dd * ((1 + (r / dd) ** 2).sqrt() - 1) for r in R.entries()), zero).mid())


# ----------------------------------------------------------------------------- the loop
def run_dspgd_flint(xp: ExactProblem, pre: Preconditioner, eta, max_iter: int = DEFAULT_MAX_ITER,
                    guard_digits: int = DEFAULT_GUARD_DIGITS, iterations: int | None = None,
                    timeout: float | None = None, track_path: bool = True) -> Trajectory:
    """:func:`numeric.backends.mpmath_loop.run_dspgd` in flint arithmetic (mpmath when there is no fast path)."""
    if not supported(xp, pre):
        return run_dspgd(xp, pre, eta, max_iter=max_iter, guard_digits=guard_digits,
                         iterations=iterations, timeout=timeout, track_path=track_path)
    with flint_precision(xp.ctx.prec):
        return _run(xp, pre, eta, max_iter, guard_digits, iterations, timeout, track_path)


def _run(xp, pre, eta, max_iter, guard_digits, iterations, timeout, track_path) -> Trajectory:
    ctx = xp.ctx
    p = xp.problem
    n, d, k = p.n, p.d, p.k
    eta_m = ctx.mpf(eta)
    eta_a = _arb(eta_m)
    X = _mat_rows(xp.X_rows)
    XT = X.transpose()
    Y = _mat(n, k, xp.Y)
    W0 = _mat(d, k, xp.W0)
    Ginv = _mat_rows(xp.gram_inv)
    W = W0
    kernel, needs_fro = _kernel(xp, pre)
    grad_loss, total_loss = _loss(xp)
    # the constants of the mpmath loop (scale, floor, blow-up, loss slack), in flint
    R = (X * W - Y).mid()
    rr = _sq(R)
    r0 = _sqrt0(rr)
    scale = max(_arb(1), r0, _sqrt0(_sq(Y)))
    tiny = _arb(ctx.mpf(10) ** (guard_digits - ctx.dps))
    floor = (tiny * scale).mid()
    floor2 = (floor * floor).mid()
    blowup = (scale * _arb(ctx.mpf(10) ** 30)).mid()
    mono_factor = (1 + tiny).mid()
    prev_loss = total_loss(R, rr)
    fro_ok = pre.natural_norm == "fro"
    zero = _arb(0)
    # ||G||_nat <= ||G||_F = ||X^T S||_F <= sigma_max ||S||_F <= sigma_max ||R||_F (|l'(r)| <= |r| for
    # the three losses): once that bound is below the running maximum, G_t cannot set a new one and
    # its norms are not computed.  sigma_max is inflated by 2^-30 against its rounding, and the
    # comparison of the (unrounded) ball is rigorous, so the maxima are exactly those of the mpmath loop.
    sig_up = _arb(xp.sigma_max * (1 + ctx.mpf(2) ** -30))

    def drift_now():
        B = (W - W0).mid()
        N = (B - XT * (Ginv * (X * B)).mid()).mid()
        return float(_sqrt0(_sq(N)))

    res_hist = [float(r0)]
    step_hist: list = []
    drift = [(0, 0.0)]
    next_checkpoint = 1
    max_nat = zero
    max_fro = zero
    path = zero
    monotone = True
    start = time.perf_counter()
    reason = "max_iter"
    budget = iterations if iterations is not None else max_iter
    t = 0
    rnorm = r0
    fixed = iterations is not None
    rules = StopRules(blowup, r0, fixed, timeout, start)
    while t < budget:
        if not fixed and rnorm <= floor:
            reason = "floor"
            break
        G = (XT * grad_loss(R)).mid()
        if track_path:
            bound = sig_up * rnorm
            new_fro = not bound < max_fro
            new_nat = not bound < max_nat
        else:
            new_fro = new_nat = False
        gf = _sqrt0(_sq(G)) if (needs_fro or new_fro or (new_nat and fro_ok)) else None
        U, gn, unorm = kernel(G, gf, new_nat)
        W = (W - U * eta_a).mid()
        R_new = (X * W - Y).mid()
        t += 1
        if track_path:
            if new_fro and gf > max_fro:
                max_fro = gf
            if new_nat:
                if fro_ok:
                    gn = gf
                if gn > max_nat:
                    max_nat = gn
            dR = (R_new - R).mid()
            path = (path + _sqrt0((dR.transpose() * (Ginv * dR)).trace().mid())).mid()
        R = R_new
        rr = _sq(R)
        rnorm = _sqrt0(rr)
        un = unorm if unorm is not None else _sqrt0(_sq(U))
        step_hist.append(float(eta_a * un))
        res_hist.append(float(rnorm))
        cur_loss = total_loss(R, rr)
        if cur_loss > (prev_loss * mono_factor + floor2).mid():
            monotone = False
        prev_loss = cur_loss
        if t == next_checkpoint:
            drift.append((t, drift_now()))
            next_checkpoint *= 2
        stop = rules.after_step(t, rnorm, rnorm.is_finite(), stationary=un == 0)
        if stop is not None:
            reason = stop
            break
    else:
        if fixed:
            reason = "fixed"
    if drift[-1][0] != t:
        drift.append((t, drift_now()))
    return Trajectory(W=_cols(ctx, W), R=_cols(ctx, R), eta=eta_m, dps=ctx.dps, iterations=t,
                      stop_reason=reason, residual_floor=_mpf(ctx, floor), residual_history=res_hist,
                      step_history=step_hist, drift_checkpoints=drift,
                      max_grad_natural=_mpf(ctx, max_nat), max_grad_fro=_mpf(ctx, max_fro),
                      path_length_row=_mpf(ctx, path) if track_path else None, monotone_loss=monotone,
                      seconds=time.perf_counter() - start)


# ----------------------------------------------------------------------------- the flow's right-hand side
def flow_rhs_flint(xp: ExactProblem, pre: Preconditioner) -> Callable:
    """``f(w) = -vec(grad K(X^T grad l(X W - Y)))`` on flat column-major mpf vectors of ``xp.ctx``
    (:func:`numeric.gradient_flow.flow_rhs`), with the products and ``grad K`` of this loop (the
    catalogue kernels or a compiled user K), in midpoint arithmetic at ``ctx.prec`` bits.  Only
    for ``supported(xp, pre)``; each call holds :func:`flint_precision`."""
    ctx = xp.ctx
    d, k = xp.problem.d, xp.problem.k
    with flint_precision(ctx.prec):
        X = _mat_rows(xp.X_rows)
        XT = X.transpose()
        Y = _mat(xp.problem.n, k, xp.Y)
        kernel, needs_fro = _kernel(xp, pre)
        grad_loss, _ = _loss(xp)
    mk = ctx.make_mpf
    order = [j * d + i for i in range(d) for j in range(k)]  # row-major entries from column-major w

    def f(w: list) -> list:
        with flint_precision(ctx.prec):
            W = _arb_mat(d, k, [_arb(w[m]) for m in order])
            G = (XT * grad_loss((X * W - Y).mid())).mid()
            U, _, _ = kernel(G, _sqrt0(_sq(G)) if needs_fro else None, False)
            e = U.entries()
        return [-mk(e[i * k + j]._mpf_) for j in range(k) for i in range(d)]
    return f
