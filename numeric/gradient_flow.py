"""The gradient-flow limit ``W_flow`` of DSPGD (the eta -> 0 limit, docs/theory.md §3.3), at high precision.

The flow is

    dW/dt = -grad K(G(W)),   G(W) = X^T grad l(X W - Y),

and ``W_flow = lim_{t -> inf} W(t)``.  DSPGD with step eta is its explicit Euler
discretization, so ``W_inf(eta) - W_flow = O(eta)`` (docs/theory.md §3.3, docs/derivations.md §6.4).

Integrator: Gragg-Bulirsch-Stoer extrapolation (Hairer, Norsett, Wanner, *Solving ODEs I*,
II.9), hand-written because grad K is a black box ``pre.grad(ctx, G)`` evaluated in an
mpmath context of arbitrary precision.  One step of size ``h`` runs the modified midpoint rule
with ``n_j = 2 j`` substeps (``j = 1..J``),

    z_0 = y,  z_1 = z_0 + (h/n) f(z_0),  z_{m+1} = z_{m-1} + 2 (h/n) f(z_m),  T_{j,1} = z_n,

whose error has an expansion in even powers of ``h/n_j``, and extrapolates by Aitken-Neville

    T_{j,l+1} = T_{j,l} + (T_{j,l} - T_{j-1,l}) / ((n_j / n_{j-l})^2 - 1),

so ``T_{j,j}`` has order ``2j``.  The step is accepted at the first ``j >= 3`` with
``||T_{j,j} - T_{j,j-1}||_inf <= tol * max(1, ||y||_inf)``, and the next ``h`` is
``h (0.65 tol/err)^(1/(2j-1))`` (clamped to [h/5, 4h]).  Why this method: it reaches
any order with only evaluations of f (no derivatives of a black-box grad K, unlike a Taylor
method), its order adapts to the precision (30-50 digits need orders 20-40, which no
fixed Runge-Kutta tableau offers), and the error estimate comes for free.  mpmath's
``odefun`` was not used: it builds its Taylor series from ``degree`` Euler steps at
``(degree + 1)`` times the working precision, which for a 30-dimensional system with this
stiffness (``L sigma_max^2 / (mu sigma_min^2)`` up to 1e3) is far slower.

Where grad K is only C^1 (``adam``'s ``G/(|G| + eps)`` at an entry crossing 0) the expansion
breaks down; the error estimate sees it and the step size shrinks there, so accuracy is kept
at the cost of more steps.

The flow is run until the residual ``||X W - Y||_F`` reaches the precision floor
``10^(guard - dps) max(1, ||R_0||, ||Y||)`` (as DSPGD), then projected exactly onto the
interpolating affine set: ``W_flow = W_T - X^+ R_T`` (a change of at most
``||R_T|| / sigma_min``).

Error estimate.  :func:`gradient_flow_limit` reports the sum of the accepted local error
estimates plus that projection.  That sum is only trustworthy for a smooth grad K: at a C^1
point the extrapolation table's columns share the non-smooth error, so their difference
underestimates it.  Measured (adam, eps 1/20, n = 2, d = 4, k = 1): at 20 digits the sum said
2.9e-14 while the result differed from a 30-digit run by 3.0e-10; for the smooth ``sign``
(tanh) the sum was 2.1e-14 against a true 1.6e-19.  :func:`checked_flow_limit` therefore
integrates a second time with a tolerance ``10^check_digits`` looser and reports
``max(sum of local estimates, 10 ||W_flow - W_flow(loose)||)``.  The difference is about the
looser run's error, which bounds the tighter run's if the error decreases with the tolerance;
the factor 10 is a safety margin, because on the adam case above the difference (2.6e-10 at
20 digits) came out 15 % below the true error (3.0e-10).  Still an *estimate*, not a
certified bound.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from .exact_problem import ExactProblem
from .matrices import Cols, fro_norm
from .preconditioners.base import Preconditioner

MAX_COLUMNS = 24  # order up to 48
CHECK_SAFETY = 10  # factor on the two-tolerance difference (see the module docstring)
MIN_COLUMNS = 3


@dataclass
class FlowResult:
    """``W_flow`` (in ``xp.ctx``) and how it was obtained."""

    W: Cols
    t_end: object
    steps: int
    rejected: int
    evaluations: int
    residual: object
    residual_floor: object
    error_estimate: object
    stop_reason: str  # floor | max_steps | timeout
    seconds: float
    residual_history: list = field(default_factory=list)  # (t, ||R||) floats per accepted step


def flow_rhs(xp: ExactProblem, pre: Preconditioner, backend: str = "mpmath"):
    """``f(w) = -vec(grad K(X^T grad l(X W - Y)))`` on flat column-major vectors.

    ``backend="flint"``: the products and ``grad K`` of the python-flint loop (catalogue kernels
    and compiled user K, :func:`numeric.backends.flint_loop.flow_rhs_flint`) where it has a
    kernel, at the same binary precision; else, and for ``"mpmath"``, ``pre.grad`` in mpmath."""
    from .backends.mpmath_loop import _real_fdot
    if backend == "flint":
        from .backends.flint_loop import flow_rhs_flint, supported
        if supported(xp, pre):
            return flow_rhs_flint(xp, pre)
    ctx = xp.ctx
    d, k = xp.problem.d, xp.problem.k
    loss = xp.problem.loss
    fdot = _real_fdot(ctx)  # ctx.fdot bit for bit, without its per-term type dispatch
    X_ext = [row + [ctx.mpf(-1)] for row in xp.X_rows]
    XT_rows = xp.XT_rows
    Y = xp.Y

    def f(w: list) -> list:
        R = [[fdot(row, w[j * d:(j + 1) * d] + [y]) for row, y in zip(X_ext, Y[j])] for j in range(k)]
        S = loss.gradient(ctx, R)
        G = [[fdot(row, s) for row in XT_rows] for s in S]
        U = pre.grad(ctx, G)
        return [-u for c in U for u in c]
    return f


def _work(j: int) -> int:
    """Evaluations of f for columns 1..j: ``1 + sum_i (n_i - 1)`` with ``n_i = 2 i``."""
    return 1 + j * j


def _gbs_step(ctx, f, y, fy, h, tol, target: int, columns: int):
    """One extrapolated step of size ``h``.

    Columns are built up to ``target + 1`` (at most ``columns``); the step is accepted at the
    first column ``j >= max(3, target)`` whose estimate is within ``tol``.
    Returns ``(y_new or None, err, j, evaluations, h_opt)`` where ``h_opt[j]`` is the step size
    each column would need for the tolerance (used for order and step control).
    """
    table: list = []
    ev = 0
    scale = max(ctx.one, max(abs(v) for v in y))
    err = ctx.inf
    h_opt: dict = {}
    last = min(columns, target + 1)
    for j in range(1, last + 1):
        n = 2 * j
        hs = h / n
        z0 = y
        z1 = [a + hs * b for a, b in zip(y, fy)]
        for _ in range(n - 1):
            fz = f(z1)
            ev += 1
            z0, z1 = z1, [a + 2 * hs * b for a, b in zip(z0, fz)]
        row = [z1]
        for l in range(1, j):
            prev = table[j - 2][l - 1]
            ratio = ctx.mpf(n) ** 2 / ctx.mpf(2 * (j - l)) ** 2 - 1
            row.append([a + (a - b) / ratio for a, b in zip(row[l - 1], prev)])
        table.append(row)
        if j >= 2:
            err = max(abs(a - b) for a, b in zip(row[-1], row[-2])) / scale
            factor = ctx.mpf(0.65) * (tol / err) ** (ctx.one / (2 * j - 1)) if err > 0 else ctx.mpf(4)
            h_opt[j] = h * min(ctx.mpf(4), max(ctx.mpf(1) / 10, factor))
            if j >= max(MIN_COLUMNS, target) and err <= tol:
                return row[-1], err, j, ev, h_opt
    return None, err, last, ev, h_opt


def _next(h_opt: dict, j: int, columns: int) -> tuple:
    """Order control: the column with the least work per unit time among those computed, and
    one column more when the accepted column was also the cheapest (as in ODEX)."""
    best = min(h_opt, key=lambda i: _work(i) / h_opt[i])
    h = h_opt[best]
    if best == j and j + 1 <= columns:
        return j + 1, h * _work(j + 1) / _work(j)
    return max(MIN_COLUMNS, best), h


def gradient_flow_limit(xp: ExactProblem, pre: Preconditioner, guard_digits: int = 6,
                        max_steps: int = 200_000, timeout: float | None = None,
                        columns: int | None = None, tol=None, backend: str = "mpmath") -> FlowResult:
    """Integrate the flow from ``W0`` in ``xp.ctx`` until the residual reaches the floor.

    ``tol`` is the local error tolerance per step (relative to ``max(1, ||w||_inf)``); default
    ``10^(guard/2 - dps)``, near the precision of the context.  ``backend``: the arithmetic of
    the right-hand side (:func:`flow_rhs`).
    """
    ctx = xp.ctx
    start = time.perf_counter()
    f = flow_rhs(xp, pre, backend)
    d, k = xp.problem.d, xp.problem.k
    y = [v for c in xp.W0 for v in c]
    R = xp.residual(xp.W0)
    r0 = fro_norm(ctx, R)
    floor = ctx.mpf(10) ** (guard_digits - ctx.dps) * max(ctx.one, r0, fro_norm(ctx, xp.Y))
    tol = ctx.mpf(10) ** (-(ctx.dps - guard_digits // 2)) if tol is None else ctx.mpf(tol)
    columns = columns or min(MAX_COLUMNS, max(MIN_COLUMNS + 1, ctx.dps // 2 + 2))
    L = pre.L(ctx)
    h = 1 / (L * xp.sigma_max ** 2) if ctx.isfinite(L) and L > 0 else ctx.mpf(1) / 100
    target = min(columns, 8)
    t = ctx.zero
    steps = rejected = evaluations = 0
    err_sum = ctx.zero
    history = [(0.0, float(r0))]
    rnorm = r0
    reason = "max_steps"
    while steps < max_steps:
        if rnorm <= floor:
            reason = "floor"
            break
        if timeout is not None and time.perf_counter() - start > timeout:
            reason = "timeout"
            break
        fy = f(y)
        evaluations += 1
        y_new, err, j, ev, h_opt = _gbs_step(ctx, f, y, fy, h, tol, target, columns)
        evaluations += ev
        if y_new is None:
            rejected += 1
            target, h_next = _next(h_opt, j, columns) if h_opt else (target, h / 5)
            h = min(h_next, h / 2)
            continue
        y, t = y_new, t + h
        steps += 1
        err_sum += err * max(ctx.one, max(abs(v) for v in y))
        R = xp.residual([y[i * d:(i + 1) * d] for i in range(k)])
        rnorm = fro_norm(ctx, R)
        history.append((float(t), float(rnorm)))
        target, h = _next(h_opt, j, columns)
    W = [y[i * d:(i + 1) * d] for i in range(k)]
    corr = xp.pinv(R)
    W = [[w - c for w, c in zip(wc, cc)] for wc, cc in zip(W, corr)]
    return FlowResult(W=W, t_end=t, steps=steps, rejected=rejected, evaluations=evaluations, residual=rnorm,
                      residual_floor=floor, error_estimate=err_sum + fro_norm(ctx, corr), stop_reason=reason,
                      seconds=time.perf_counter() - start, residual_history=history)


def checked_flow_limit(xp: ExactProblem, pre: Preconditioner, guard_digits: int = 6, check_digits: int = 4,
                       max_steps: int = 200_000, timeout: float | None = None,
                       backend: str = "mpmath") -> tuple[FlowResult, object]:
    """:func:`gradient_flow_limit` at the default tolerance, then again with a tolerance
    ``10^check_digits`` looser; returns ``(result, difference)`` with ``result.error_estimate``
    raised to at least the difference of the two limits (see the module docstring)."""
    ctx = xp.ctx
    start = time.perf_counter()
    tight = gradient_flow_limit(xp, pre, guard_digits, max_steps, timeout, backend=backend)
    tol = ctx.mpf(10) ** (check_digits + guard_digits // 2 - ctx.dps)
    rest = None if timeout is None else max(1e-3, timeout - (time.perf_counter() - start))
    loose = gradient_flow_limit(xp, pre, guard_digits, max_steps, rest, tol=tol, backend=backend)
    if loose.stop_reason != "floor":
        return tight, None
    diff = fro_norm(ctx, [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(tight.W, loose.W)])
    tight.error_estimate = max(tight.error_estimate, CHECK_SAFETY * diff)
    tight.seconds = time.perf_counter() - start
    tight.evaluations += loose.evaluations
    return tight, diff
