"""One learning rate's evidence: the DSPGD run at P digits, its rerun at P + extra digits
for the same number of steps, the tail bound, and the error bound of the limit.

    e_abs = tail bound (||W_inf - W_T||, SPEC 3.1)
          + rounding (||W_T^(P) - W_T^(P+extra)||, the precision-doubling check)
          + reference allowance (10^(6 - P - extra) * max(1, ||W_T||))

Everything a claim compares is converted to the higher-precision context ``hctx``.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from numeric.dspgd import Trajectory, run_dspgd
from numeric.errors import InputError
from numeric.exact_problem import ExactProblem
from numeric.matrices import Cols, fro_norm, sub
from numeric.params import to_mpf
from numeric.preconditioner import Preconditioner
from numeric.tail import TailBound, tail_bound


@dataclass(frozen=True)
class LearningRate:
    """``eta`` given absolutely (``--lr``) or as a fraction of ``2/(beta L sigma_max^2)``."""

    kind: str  # "abs" | "frac"
    value: Fraction

    def resolve(self, xp: ExactProblem, pre: Preconditioner) -> tuple[object, str]:
        """``(eta as a number exactly representable at any precision, its decimal label)``."""
        ctx = xp.ctx
        if self.kind == "abs":
            return self.value, _decimal(self.value)
        beta = to_mpf(ctx, xp.problem.loss.beta)
        L = pre.L(ctx)
        if not ctx.isfinite(L) and pre.sublevel_radius is not None:
            # locally Lipschitz grad K: L on a ball around the sublevel set {K(G) <= K(G0)} (SPEC 3.1)
            G0 = xp.XT(xp.problem.loss.gradient(ctx, xp.residual(xp.W0)))
            L = pre.smoothness(ctx, pre.sublevel_radius(ctx, G0))
        if not ctx.isfinite(L) or L <= 0:
            raise InputError("no smoothness constant L is known for this K, so --lr-frac is undefined: give --lr")
        eta = float(to_mpf(ctx, self.value) * 2 / (beta * L * xp.sigma_max**2))
        return Fraction(eta), repr(eta)


def _decimal(v: Fraction) -> str:
    from numeric.preconditioner import _fraction_str
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
    rounding: object
    error_abs: object  # None when no tail bound exists
    dps: int
    dps_hi: int


def run_at(lr: LearningRate, pre: Preconditioner, xp: ExactProblem, xph: ExactProblem,
           max_iter: int, timeout: float | None = None) -> RunEvidence:
    """Run at ``xp``'s precision, rerun the same number of steps at ``xph``'s, bound the error."""
    eta, label = lr.resolve(xph, pre)
    ctx, hctx = xp.ctx, xph.ctx
    traj = run_dspgd(xp, pre, to_mpf(ctx, eta), max_iter=max_iter, timeout=timeout)
    traj_hi = run_dspgd(xph, pre, to_mpf(hctx, eta), iterations=traj.iterations, track_path=False)
    tail = tail_bound(xp, pre, traj)
    W = [[hctx.mpf(v) for v in c] for c in traj.W]
    rounding = fro_norm(hctx, sub(W, traj_hi.W))
    allowance = hctx.mpf(10) ** (6 - hctx.dps) * max(hctx.one, fro_norm(hctx, W))
    err = None if tail.bound is None else hctx.mpf(tail.bound) + rounding + allowance
    return RunEvidence(lr, label, eta, traj, traj_hi, tail, W, rounding, err, ctx.dps, hctx.dps)
