"""A researcher's own entrywise update ``--update EXPR`` for ``margin`` (docs/theory.md §6.9).

``EXPR`` is an expression in the gradient entry ``g`` (the project's safe parser,
:func:`symbolic.parser.parse_expression`, compiled to float64 by :func:`symbolic.compile.compile_expr`;
never ``eval``/``lambdify``).  The step direction is

    u_j = phi(m_j / ||m||_inf),   theta <- theta - eta_t u,

with ``m`` the gradient (or its EMA with ``--beta1``) scaled to max-abs 1: the log-scale gradient's
magnitude underflows float64 on long runs, so only its direction reaches ``phi``.  For
``phi(g) = sign(g) |g|^(q-1)`` this is steepest descent in the ``l_p`` norm with ``1/p + 1/q = 1``
(up to a positive factor per step): ``sign(g)*abs(g)**0.5`` should maximize the ``l3`` margin, which
the norm-family fit (:func:`verify.margin.family.fit_lp_family`) can confirm or not.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..errors import InputError

PROBES = (-1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0)


def parse_update(text: str) -> Callable[[np.ndarray], np.ndarray]:
    """``phi`` as a vectorized float64 function; refused (``InputError``) unless it parses and is
    finite on ``[-1, 1]`` probes with ``phi`` not identically zero there."""
    import sympy as sp

    from symbolic.compile import FLOAT, CompileError, compile_expr
    from symbolic.parser import ExpressionError, parse_expression
    g = sp.Symbol("g", real=True)
    try:
        expr = parse_expression(text, {"g": g})
        f = compile_expr(expr, [g]).bind(FLOAT)
    except (ExpressionError, CompileError) as exc:
        raise InputError(f"--update {text[:60]!r}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    vals = []
    for x in PROBES:
        try:
            v = float(f(x))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            v = math.nan
        if not math.isfinite(v):
            raise InputError(f"--update {text[:60]!r}: not finite at g = {x:g} (the update sees g scaled to [-1, 1])")
        vals.append(v)
    if not any(vals):
        raise InputError(f"--update {text[:60]!r}: zero at every probe in [-1, 1]: no step")

    def phi(m: np.ndarray) -> np.ndarray:
        scale = float(np.max(np.abs(m))) if m.size else 0.0
        if scale == 0 or not math.isfinite(scale):
            return np.zeros_like(m)
        z = np.asarray(m, dtype=np.float64) / scale
        out = np.array([float(f(float(x))) for x in z])
        return out.astype(m.dtype)
    return phi
