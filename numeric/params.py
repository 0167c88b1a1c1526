"""Parsing of user-supplied numeric parameters (``--param eps=0.001``) without ``eval``.

Values are read as exact rationals (``fractions.Fraction``) from decimal or ``p/q`` text
checked against a strict pattern, so no user string ever reaches an evaluator.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .errors import InputError

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?(/\d{1,30})?$")


def parse_number(text: str, what: str) -> Fraction:
    """Exact rational value of a decimal or ``p/q`` literal; :class:`InputError` otherwise."""
    s = str(text).strip()
    if len(s) > 100 or not _NUMBER.match(s):
        raise InputError(f"{what}: not a number: {text!r}")
    try:
        if "/" in s:
            num, den = s.split("/")
            value = Fraction(num) / Fraction(den)
        else:
            value = Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{what}: not a valid number: {text!r}") from None
    if abs(value) > 10**12 or (value != 0 and abs(value) < Fraction(1, 10**30)):
        raise InputError(f"{what}: {text!r} is outside the supported range [1e-30, 1e12]")
    return value


def check_tolerance(text: str | None, what: str = "--tol") -> None:
    """A relative tolerance must lie in ``(0, 1)`` (``None``: the default applies)."""
    if text is not None and not 0 < parse_number(text, what) < 1:
        raise InputError(f"{what} must lie in (0, 1), got {text}")


def parse_timeout(text: str | None, what: str = "--timeout") -> float | None:
    """Seconds ``> 0``, or ``None`` for no limit."""
    if text is None:
        return None
    seconds = float(parse_number(text, what))
    if seconds <= 0:
        raise InputError(f"{what} must be > 0")
    return seconds


def parse_assignments(items: list[str] | None) -> dict[str, Fraction]:
    """``["eps=0.001", "c=1"]`` -> ``{"eps": Fraction(1, 1000), "c": Fraction(1)}``."""
    out: dict[str, Fraction] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--param expects KEY=VALUE, got {item!r}")
        key, _, val = item.partition("=")
        key = key.strip()
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,30}$", key):
            raise InputError(f"--param: invalid parameter name {key!r}")
        if key in out:
            raise InputError(f"--param: parameter {key!r} given twice")
        out[key] = parse_number(val, f"--param {key}")
    return out


def to_mpf(ctx, value: Fraction):
    """A rational as an mpf of ``ctx`` (correctly rounded)."""
    return ctx.mpf(value.numerator) / value.denominator
