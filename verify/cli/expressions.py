"""Reading ``--K`` and ``--update`` before anything expensive: the parser alone, so a bad
expression is refused (exit 2, one line) before cvxpy is imported or the problem's exact rank is
computed.  It imports SymPy, so the commands import this module only for a user's expression."""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from numeric.errors import InputError
from symbolic.errors import ExpressionError
from symbolic.general import entry_symbols
from symbolic.parser import parse_expression, parse_matrix
from symbolic.timebox import SymbolicTimeout, time_limit
from symbolic.user import K_STRUCTURES, UPDATE_STRUCTURES, VARIABLE

from .limits import COVER_SECONDS


def _defined_everywhere(expr: sp.Expr, var: sp.Symbol, what: str) -> None:
    """Refuse a ``Piecewise`` of one variable whose conditions leave part of its domain uncovered
    (``Piecewise((g**2, g > 0))`` says nothing for ``g <= 0``).  Conditions SymPy cannot turn
    into a set are left to the symbolic build."""
    domain = sp.Interval(0, sp.oo) if var.is_nonnegative else sp.S.Reals
    for pw in expr.atoms(sp.Piecewise):
        cover = sp.Or(*[cond for _, cond in pw.args])
        if cover is sp.true:
            continue
        try:
            with time_limit(COVER_SECONDS):
                covered = cover.as_set()
                missing = domain - covered
        except (Exception, SymbolicTimeout):  # noqa: BLE001 - SymPy could not decide: the build decides later
            continue
        if missing != sp.S.EmptySet:
            raise InputError(f"{what}: Piecewise '{pw}' is not defined for {var} in {missing}: "
                             f"end it with a piece (EXPR, True)")


def parse_expressions_early(K: str | None, update: str | None, structure: str | None,
                            params: dict[str, Fraction], shape: tuple[int, int] | None) -> None:
    """Refuse a bad ``--K``/``--update``/``--structure`` now (:class:`InputError`, one line).

    Only the parser runs (its bounds are in :mod:`symbolic.parser`).  A ``general`` expression
    needs the shape ``(d, k)``; with ``shape=None`` (the shape is in a problem file not yet
    read) it is parsed later, with the rest of the symbolic build."""
    p = {k: sp.Rational(v.numerator, v.denominator) for k, v in params.items()}
    try:
        if K is not None:
            if structure is None:
                raise InputError("--K needs --structure (entrywise, isotropic, spectral or general)")
            if structure not in K_STRUCTURES:
                raise InputError(f"--structure must be one of {', '.join(K_STRUCTURES)}, got {structure!r}")
            if structure == "general":
                if shape is not None:
                    G = entry_symbols(*shape)
                    parse_expression(K, {str(s): s for row in G for s in row}, p)
            else:
                name = VARIABLE[structure]   # the symbols of symbolic.user.user_K
                var = sp.Symbol(name, real=True) if structure == "entrywise" else sp.Symbol(name, nonnegative=True)
                expr = parse_expression(K, {name: var}, p)
                if var not in expr.free_symbols:
                    raise InputError(f"--K {' '.join(K.split())[:60]!r} does not depend on {name}: K is constant, "
                                     f"grad K = 0 and DSPGD never moves (write K in {name})")
                _defined_everywhere(expr, var, "--K")
        elif update is not None:
            structure = structure or "entrywise"
            if structure not in UPDATE_STRUCTURES:
                raise InputError(f"--update supports --structure {' or '.join(UPDATE_STRUCTURES)}, "
                                 f"got {structure!r}")
            if structure == "entrywise":
                g = sp.Symbol("g", real=True)
                u = parse_expression(update, {"G": g, "g": g}, p)
                if u == 0:
                    raise InputError("--update is identically 0: DSPGD never moves")
                _defined_everywhere(u, g, "--update")
            elif shape is not None:
                G = entry_symbols(*shape)
                U = parse_matrix(update, {str(s): s for row in G for s in row}, p)
                if U.shape != shape:
                    raise InputError(f"--update gives a {U.shape[0]}x{U.shape[1]} matrix but the problem "
                                     f"needs {shape[0]}x{shape[1]} (d x k)")
    except ExpressionError as exc:
        raise InputError(str(exc)) from None
