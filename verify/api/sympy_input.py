"""A SymPy expression as K: checked against the text parser's whitelist, then parsed as text.

Allowed nodes: numbers (integers, rationals, floats, ``pi``, ``E``), symbols, ``+ * **``, the
parser's functions (:data:`symbolic.parser.FUNCTIONS`) and ``Piecewise`` with comparisons.  Any
other node (``Integral``, ``Derivative``, an undefined function, a matrix, ...) is refused with
:class:`InputError` naming it.  The printed text then goes through
:func:`symbolic.parser.parse_expression` with all its bounds (size, depth, literal sizes), so
a SymPy tree and its text are judged by the same rules.
"""
from __future__ import annotations

from numeric.errors import InputError

#: SymPy function classes -> the parser's name
_FUNCS = {"exp": "exp", "log": "log", "cosh": "cosh", "sinh": "sinh", "tanh": "tanh", "cos": "cos",
          "sin": "sin", "atan": "atan", "asinh": "asinh", "Abs": "Abs", "sign": "sign", "Max": "Max",
          "Min": "Min", "Piecewise": "Piecewise"}
_STRUCTURAL = {"Add", "Mul", "Pow", "ExprCondPair", "StrictLessThan", "LessThan", "StrictGreaterThan",
               "GreaterThan", "BooleanTrue", "Pi", "Exp1", "Symbol", "Dummy"}


def sympy_to_text(expr) -> str:
    """The text of a whitelisted SymPy expression (InputError for any other node)."""
    import sympy as sp
    if not isinstance(expr, sp.Basic):
        raise InputError(f"K must be text or a SymPy expression, got {type(expr).__name__}")
    for node in sp.preorder_traversal(expr):
        cls = type(node).__name__
        if isinstance(node, sp.Number):
            if not (node.is_finite and node.is_real):
                raise InputError(f"K: the SymPy number {node} is not a finite real")
            continue
        if isinstance(node, sp.Symbol) and not isinstance(node, sp.Dummy):
            continue
        if cls in _STRUCTURAL or cls in _FUNCS:
            continue
        raise InputError(f"K: the SymPy node {cls} ({str(node)[:40]}) is not allowed "
                         f"(allowed: + * **, numbers, symbols, {', '.join(sorted(set(_FUNCS.values())))})")
    exact = expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})  # binary floats, exactly
    return sp.sstr(exact)
