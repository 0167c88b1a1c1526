"""The ``--claim`` syntax of paper 1's extra claims (``check --claim``, the self-test):

``limit=gd`` (the limit is W_GD), ``limit=minnorm:NORM`` (the limit is the min-NORM
interpolant, NORM in :data:`verify.norms.NORMS`), ``bound:c=V`` (``||W_inf - W0|| <= V ||W_GD - W0||``).
Bad text raises :class:`numeric.errors.InputError` with a one-line message.
"""
from __future__ import annotations

from numeric.errors import InputError
from numeric.params import parse_number

from ..check import UserClaim
from ..norms import NORMS


def parse_claim(text: str) -> UserClaim:
    t = text.strip()
    if t == "limit=gd":
        return UserClaim(t, "limit", "fro")
    if t.startswith("limit=minnorm:"):
        name = t.split(":", 1)[1]
        if name not in NORMS:
            raise InputError(f"--claim {text!r}: unknown norm {name!r} (choose from {', '.join(NORMS)})")
        return UserClaim(t, "limit", name)
    if t.startswith("bound:c="):
        v = parse_number(t.split("=", 1)[1], f"--claim {text!r}")
        if v <= 0:
            raise InputError(f"--claim {text!r}: the bound must be > 0")
        return UserClaim(t, "bound", value=v)
    raise InputError(f"--claim {text!r}: expected limit=gd, limit=minnorm:NORM or bound:c=NUMBER")
