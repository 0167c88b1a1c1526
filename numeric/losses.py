"""Losses ``l(R)`` on the residual ``R = XW - Y``, always as **sums** over entries (docs/theory.md §1).

=============  ==========================================  ============================  ====
name           l(R)                                        grad l(R) (entrywise)         beta
=============  ==========================================  ============================  ====
``square``     ``sum r^2 / 2``                             ``r``                         1
``logcosh``    ``sum log cosh(r)``                         ``tanh(r)``                   1
``huber``      ``sum delta^2 (sqrt(1 + (r/delta)^2) - 1)``  ``r / sqrt(1 + (r/delta)^2)``  1
=============  ==========================================  ============================  ====

``beta`` is the smoothness constant (sup of ``l''``).  A mean instead of a sum would
rescale the loss by ``1/(nk)`` and change the effective ``eps`` of non-homogeneous K,
so the sum convention is recorded in every verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Callable

from .errors import InputError


@dataclass(frozen=True)
class Loss:
    """An entrywise-separable loss: ``value(ctx, r)``, ``grad(ctx, r)`` per entry."""

    name: str
    value: Callable
    grad: Callable
    beta: Fraction
    params: dict = field(default_factory=dict)

    @property
    def is_square(self) -> bool:
        return self.name == "square"

    def total(self, ctx, cols) -> object:
        """``l(R) = sum_ij value(R_ij)``."""
        return ctx.fsum(self.value(ctx, r) for c in cols for r in c)

    def gradient(self, ctx, cols):
        """``grad l(R)`` entrywise (square loss: ``R`` itself, no copy)."""
        if self.is_square:
            return cols
        g = self.grad
        return [[g(ctx, r) for r in c] for c in cols]


def _square_value(ctx, r):
    return r * r / 2


def _identity(ctx, r):
    return r


def _logcosh_value(ctx, r):
    return ctx.log(ctx.cosh(r))


def _tanh(ctx, r):
    return ctx.tanh(r)


def _huber_value(delta: Fraction, ctx, r):
    d = ctx.mpf(delta.numerator) / delta.denominator
    return d * d * (ctx.sqrt(1 + (r / d) ** 2) - 1)


def _huber_grad(delta: Fraction, ctx, r):
    d = ctx.mpf(delta.numerator) / delta.denominator
    return r / ctx.sqrt(1 + (r / d) ** 2)


def square() -> Loss:
    """``l(R) = ||R||_F^2 / 2``, ``grad l(R) = R``, ``beta = 1``."""
    return Loss("square", _square_value, _identity, Fraction(1))


def logcosh() -> Loss:
    """``l(R) = sum log cosh(R_ij)``, ``grad l = tanh(R)``, ``beta = 1``."""
    return Loss("logcosh", _logcosh_value, _tanh, Fraction(1))


def huber(delta: Fraction = Fraction(1)) -> Loss:
    """Pseudo-Huber ``sum delta^2 (sqrt(1 + (r/delta)^2) - 1)``, ``grad = r/sqrt(1+(r/delta)^2)``."""
    if delta <= 0:
        raise InputError(f"huber loss needs delta > 0, got {delta}")
    return Loss("huber", partial(_huber_value, delta), partial(_huber_grad, delta), Fraction(1), {"delta": delta})


LOSSES: dict[str, Callable[..., Loss]] = {"square": square, "logcosh": logcosh, "huber": huber}


def make_loss(name: str, delta: Fraction | None = None) -> Loss:
    """Loss factory from the registry; ``delta`` only for ``huber``."""
    if name not in LOSSES:
        raise InputError(f"unknown loss {name!r} (choose from {', '.join(LOSSES)})")
    if name == "huber":
        return huber(delta if delta is not None else Fraction(1))
    if delta is not None:
        raise InputError(f"--loss-delta only applies to the huber loss, not {name!r}")
    return LOSSES[name]()
