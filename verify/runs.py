"""One learning rate's evidence: the DSPGD run at P digits, its rerun at P + extra digits
for the same number of steps, the tail bound, and the error bound of the limit.

    e_abs = tail bound (||W_inf - W_T||, docs/theory.md §3.1)
          + rounding (||W_T^(P) - W_T^(P+extra)||, the precision-doubling check)
          + reference allowance (10^(6 - P_ref) * max(1, ||W_T||), P_ref the rerun's digits)

With ``backend="float64"`` (:mod:`numeric.backends.float64_loop`) the run is float64 with ``eta``
rounded to float64, the rerun is in ``numpy.longdouble`` (or at P + extra digits where
longdouble is not wider), and a float64 allowance ``1e-13 * max(1, ||W_T||)`` is added.

Everything a claim compares is converted to the higher-precision context ``hctx``.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from numeric.backends.mpmath_loop import Trajectory, run_dspgd
from numeric.deadline import Deadline, time_left
from numeric.errors import InputError
from numeric.exact_problem import ExactProblem
from numeric.matrices import Cols, fro_distance, fro_norm, rounded_cols
from numeric.params import to_mpf
from numeric.preconditioners.base import Preconditioner
from numeric.tail import TailBound, tail_bound

from ._recheck_hook import rechecks_enabled


def default_backend() -> str:
    """The loop ``--backend auto`` picks (``check``, ``lr-study``, and ``proofs``' numeric steps):
    flint when python-flint is installed, else mpmath."""
    from numeric.backends.flint_loop import available
    return "flint" if available() else "mpmath"


@dataclass(frozen=True)
class LearningRate:
    """``eta`` given absolutely (``--lr``) or as a fraction of ``2/(beta L sigma_max^2)``."""

    kind: str  # "abs" | "frac"
    value: Fraction

    def resolve(self, xp: ExactProblem, pre: Preconditioner, rho=None) -> tuple[object, str]:
        """``(eta as a number exactly representable at any precision, its decimal label)``.

        ``L`` is the global constant, or, for a locally Lipschitz ``grad K``, the supremum of
        the Hessian on the natural ball of radius ``rho`` (see :func:`run_at`).
        """
        ctx = xp.ctx
        if self.kind == "abs":
            return self.value, _decimal(self.value)
        beta = to_mpf(ctx, xp.problem.loss.beta)
        L = pre.smoothness(ctx, rho)
        if not ctx.isfinite(L) or L <= 0:
            raise InputError("no smoothness constant L is known for this K, so --lr-frac is undefined: give --lr")
        exact = to_mpf(ctx, self.value) * 2 / (beta * L * xp.sigma_max**2)
        eta = float(exact)
        if not (eta > 0 and eta != float("inf")):  # 2/(beta L sigma_max^2) beyond float64's range
            raise InputError(f"the learning rate --lr-frac {_decimal(self.value)} * 2/(beta L sigma_max^2) = "
                             f"{ctx.nstr(exact, 5)} is outside the float64 range (sigma_max(X) = "
                             f"{ctx.nstr(xp.sigma_max, 5)}, L = {ctx.nstr(L, 5)}): rescale X or give --lr")
        return Fraction(eta), repr(eta)


def _decimal(v: Fraction) -> str:
    from numeric.preconditioners.base import _fraction_str
    return _fraction_str(v)


@dataclass
class RunEvidence:
    """Everything one learning rate contributes to the claims (numbers live in ``hctx``)."""

    lr: LearningRate
    label: str
    eta: Fraction
    traj: Trajectory
    traj_hi: Trajectory
    tail: TailBound
    W: Cols  # W_T of the P-digit run, in hctx
    rounding: object  # None when the rerun ran out of time
    error_abs: object  # None when no tail bound (or no rounding check) exists
    dps: int
    dps_hi: int
    lipschitz_ball: object = None  # rho of the ball on which L was taken (locally Lipschitz K)
    arithmetic: str | None = None  # "float64", with rerun_arithmetic "longdouble" or "mpmath" (float64 backend)
    rerun_arithmetic: str | None = None


LOCAL_BALL_MARGIN = Fraction(3, 2)
LOCAL_BALL_RETRIES = 4


def run_at(lr: LearningRate, pre: Preconditioner, xp: ExactProblem, xph: ExactProblem,
           max_iter: int, timeout: float | None = None, backend: str = "mpmath",
           deadline: Deadline | None = None) -> RunEvidence:
    """Run at ``xp``'s precision, rerun the same number of steps at ``xph``'s, bound the error.

    ``timeout`` bounds the run and, separately, the rerun (seconds each); ``deadline`` (the
    command's ``--timeout``, :mod:`numeric.deadline`) bounds both together: the run gets what is
    left when it starts, the rerun what is left after the run.  A run stopped by either stops
    with ``stop_reason == "timeout"``; a rerun that does not reach the run's step count (no time
    was left for it) gives no rounding check, hence no error bound and no verdict.

    For a ``grad K`` that is only locally Lipschitz (no finite global L), ``eta`` uses L on the
    natural ball of radius ``rho = 3/2 ||G_0||``; after the run the largest visited
    ``||G_t||`` is compared with ``rho`` and, if the iterates left the ball, the run is
    repeated with ``rho`` doubled past it, so Theorem A's hypothesis holds on every visited
    point (checked a posteriori, not assumed).

    ``backend="flint"`` runs both loops in python-flint arithmetic
    (:func:`numeric.backends.flint_loop.run_dspgd_flint`: same semantics, mpmath for a K it has no
    fast path for); ``"mpmath"`` is the reference loop.
    """
    run = run_dspgd
    if backend == "flint":
        from numeric.backends.flint_loop import run_dspgd_flint as run
    elif backend == "float64":
        return _run_at_float64(lr, pre, xp, xph, max_iter, timeout, deadline)
    elif backend != "mpmath":
        raise InputError(f"unknown backend {backend!r} (accepted: mpmath, flint, float64)")
    ctx, hctx = xp.ctx, xph.ctx
    rho = None
    local = lr.kind == "frac" and not ctx.isfinite(pre.L(ctx)) and pre.L_ball is not None
    if local:
        from numeric.backends.mpmath_loop import natural_norm
        G0 = xph.XT(xph.problem.loss.gradient(hctx, xph.residual(xph.W0)))
        rho = natural_norm(hctx, pre.natural_norm, G0) * to_mpf(hctx, LOCAL_BALL_MARGIN)
    for _ in range(LOCAL_BALL_RETRIES):
        eta, label = lr.resolve(xph, pre, rho)
        traj = run(xp, pre, to_mpf(ctx, eta), max_iter=max_iter, timeout=time_left(timeout, deadline))
        if not local or hctx.mpf(traj.max_grad_natural) <= rho:
            break
        rho = 2 * hctx.mpf(traj.max_grad_natural)
    if lr.kind != "frac" and not ctx.isfinite(pre.L(ctx)) and pre.L_ball is not None:
        # an absolute eta: the local L is taken a posteriori on the ball holding every visited gradient
        rho = hctx.mpf(traj.max_grad_natural)
    W = rounded_cols(hctx, traj.W)
    if rechecks_enabled():
        traj_hi = run(xph, pre, to_mpf(hctx, eta), iterations=traj.iterations,
                      timeout=time_left(timeout, deadline), track_path=False)
        tail = tail_bound(xp, pre, traj)
        # A rerun that ran out of time (--timeout) has no rounding check: no error bound.
        rounding = fro_distance(hctx, W, traj_hi.W) if traj_hi.iterations == traj.iterations else None
    else:  # mutation check only (verify._recheck_hook): trust W_T as the limit, skip the rerun
        traj_hi, rounding = traj, hctx.zero
        tail = TailBound(hctx.zero, False, None, None, None, "re-checks disabled by the test hook")
    allowance = hctx.mpf(10) ** (6 - hctx.dps) * max(hctx.one, fro_norm(hctx, W))
    err = None if tail.bound is None or rounding is None else hctx.mpf(tail.bound) + rounding + allowance
    return RunEvidence(lr, label, eta, traj, traj_hi, tail, W, rounding, err, ctx.dps, hctx.dps, rho)


def _run_at_float64(lr: LearningRate, pre: Preconditioner, xp: ExactProblem, xph: ExactProblem,
                    max_iter: int, timeout: float | None, deadline: Deadline | None = None) -> RunEvidence:
    """:func:`run_at` for the float64 backend: ``eta`` rounded to float64 (used by the run, the rerun
    and the tail bound), the run in float64, the rerun of the same length in longdouble, and

        e_abs = tail + ||W_T^(float64) - W_T^(longdouble)|| + 10^(6 - P_ref) max(1, ||W_T||)
              + ALLOWANCE max(1, ||W_T||).

    A K that is only locally Lipschitz has no float64 kernel (user K run the mpmath loop).  A rerun
    that ran out of time (``timeout``, or the ``deadline``) has no rounding check: no error bound."""
    from numeric.backends import float64_loop as f64
    hctx = xph.ctx
    eta, label = lr.resolve(xph, pre)
    eta = f64.float64_eta(eta)
    traj = f64.run_dspgd_float64(xp, pre, eta, max_iter=max_iter, timeout=time_left(timeout, deadline))
    traj_hi = f64.run_reference(xph, pre, eta, traj.iterations, timeout=time_left(timeout, deadline))
    tail = tail_bound(xp, pre, traj)
    W = rounded_cols(hctx, traj.W)  # exact: W_T is float64
    rounding = fro_distance(hctx, W, traj_hi.W) if traj_hi.iterations == traj.iterations else None
    wn = max(hctx.one, fro_norm(hctx, W))
    allowance = (hctx.mpf(10) ** (6 - traj_hi.dps) + hctx.mpf(f64.ALLOWANCE)) * wn
    err = None if tail.bound is None or rounding is None or not hctx.isfinite(rounding) \
        else hctx.mpf(tail.bound) + rounding + allowance
    return RunEvidence(lr, label, eta, traj, traj_hi, tail, W, rounding, err, traj.dps, traj_hi.dps, None,
                       "float64", f64.reference_arithmetic(pre))
