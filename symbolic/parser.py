"""A safe parser for user expressions: whitelisted Python syntax -> SymPy, built directly.

User text (``--K EXPR``, ``--update EXPR``) is never evaluated as code and never given to
``sympify``/``parse_expr``/``eval``/``exec``/``lambdify``.  It is read by
``ast.parse(text, mode="eval")``, which only builds a syntax tree; the tree is checked against
the grammar below, and the SymPy object is then built bottom-up from vetted SymPy pieces
(``sympy.Add``, ``sympy.Mul``, ``sympy.Pow``, ``sympy.Integer``, ``sympy.Rational``, the
whitelisted functions).

Grammar (Python's own precedence and associativity; ``a ** b`` is right-associative and binds
tighter than unary minus, so ``-a**2`` is ``-(a**2)``)::

    expression := expression ("+" | "-") expression
                | expression ("*" | "/") expression
                | ("-" | "+") expression
                | expression "**" expression          exponent: a real number, |b| <= 64
                | "(" expression ")" | NUMBER | NAME | call
    call       := FUNC "(" expression ")"             one positional argument
                | ("Max" | "max" | "Min" | "min") "(" expression ("," expression)+ ")"
                | "Piecewise" "(" piece ("," piece)* ")"
    piece      := "(" expression "," condition ")"
    condition  := expression ("<" | "<=" | ">" | ">=") expression
                | "True"                              only in the last piece
    matrix     := "[" row ("," row)* "]"              parse_matrix only; rows of equal length
    row        := "[" expression ("," expression)* "]"
    NUMBER     := a Python int or float literal (no "j"), read exactly from its source text:
                  "0.1" -> Rational(1, 10), "1e-3" -> Rational(1, 1000)
    NAME       := a key of ``variables`` | a key of ``parameters`` | "pi" | "E"
    FUNC       := sqrt exp log log1p cosh sinh tanh cos sin atan asinh abs Abs sign

``log`` takes one argument (natural log); ``log1p(x)`` is ``log(1 + x)``; ``abs`` is ``Abs``;
``max``/``min`` are ``Max``/``Min``.  Everything else is refused with
:class:`~symbolic.errors.ExpressionError`: other names and functions, attribute access,
subscripts, keywords, ``*args``, lambdas, comprehensions, strings, f-strings, bytes, ``None``,
``True``/``False`` outside a Piecewise condition, complex literals, ``and``/``or``/``not``,
conditional expressions, walrus, comparisons outside a Piecewise condition, chained
comparisons, ``==``/``!=``, and the operators ``// % @ & | ^ ~ << >>``.

Limits, checked in this order, each refused with a one-line message naming the token:

* text: at most :data:`MAX_LENGTH` (2000) characters, checked before anything else; printable
  ASCII plus space, tab and newlines only; not empty;
* syntax: Python expression syntax (errors are reported with their column);
* size: at most :data:`MAX_NODES` (400) expression nodes (per entry, for a matrix) and nesting
  depth :data:`MAX_DEPTH` (40), checked before any SymPy object is built (a flat chain
  ``a + b - c + ...`` or ``a * b / c * ...`` counts as one level);
* literals: integers ``|n| <= 10**30``; decimals ``|x| <= 10**30`` whose exact value has a
  denominator ``<= 10**100``;
* numbers: every numeric (symbol-free) subexpression must be finite, real and of magnitude
  ``<= 10**100``, and every rational in it must have numerator and denominator
  ``<= 10**100``; ``exp``/``cosh``/``sinh`` of a number need ``|x| <= 231``;
* powers: the exponent must be a numeric constant with ``|b| <= 64``; for a numeric base the
  size ``|base| ** |b|`` (and the rational base's height ``** |b|``) is bounded by ``10**100``
  with logarithms *before* the power is built, so ``9**9**9**9`` is refused at once; for a
  symbolic base the numeric factor is bounded the same way, and the built power's rational
  atoms must stay ``<= 10**100``; the height of a rational is only counted for a rational
  base or a rational coefficient (``atan(10**30)**64`` is about ``1.57**64``, accepted);
* what the expression *becomes*: SymPy folds powers while building (``((1+g)**64)**64`` is
  ``(g+1)**4096``, ``g**64*g**64`` is ``g**128``), so the built object is checked too, after
  every power, product and call and once at the end: every power of a symbolic base has
  ``|exponent| <= 64`` after folding; the total degree ``deg`` (``deg x = 1`` for a variable,
  0 for a number, ``max`` over a sum, a function's arguments or a Piecewise's pieces, ``sum``
  over a product, ``deg(b**e) = |e| deg b``) is at most :data:`MAX_DEGREE` (128); and the
  built tree has at most :data:`MAX_BUILT_NODES` (4000) nodes;
* ``Max``/``Min``: at most :data:`MAX_MINMAX_ARGS` (16) arguments in all per expression (per
  matrix entry), since SymPy compares them pairwise;
* :func:`parse_matrix`: a rectangular nested list of at most :data:`MAX_MATRIX_ENTRIES` (400)
  entries.

When several tokens are refused, the message names the first one in the text.
"""
from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import sympy as sp

from .errors import ExpressionError

__all__ = [
    "ExpressionError", "parse_expression", "parse_matrix", "FUNCTIONS", "CONSTANTS",
    "MAX_LENGTH", "MAX_NODES", "MAX_DEPTH", "MAX_MATRIX_ENTRIES", "MAX_INT_LITERAL",
    "MAX_EXPONENT", "MAX_LOG10", "MAX_MINMAX_ARGS", "MAX_DEGREE", "MAX_BUILT_NODES",
]

MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_MATRIX_ENTRIES = 400
MAX_INT_LITERAL = 10**30
MAX_EXPONENT = 64
MAX_DEGREE = 128                      # total degree of the built expression (see _degree)
MAX_BUILT_NODES = 4000                # nodes of the built SymPy tree
MAX_MINMAX_ARGS = 16                  # Max/Min arguments per expression (SymPy compares pairs)
MAX_LOG10 = 100                       # numbers are bounded by 10**MAX_LOG10
_BOUND = 10**MAX_LOG10
_MIN_LITERAL_LOG10 = -MAX_LOG10       # nonzero decimal literals need |x| >= 10**-100
_EXP_ARG_LIMIT = 231                  # exp(231) ~ 10**100.3
_LOG10_2 = math.log10(2)


def _log1p(x: sp.Expr) -> sp.Expr:
    return sp.log(sp.Add(sp.Integer(1), x))


def _subtract(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return sp.Add(a, sp.Mul(sp.Integer(-1), b))


def _divide(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return sp.Mul(a, sp.Pow(b, sp.Integer(-1)))


#: whitelisted function names -> (SymPy constructor, minimum and maximum argument count)
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int | None]] = {
    "sqrt": (sp.sqrt, 1, 1),
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "log1p": (_log1p, 1, 1),
    "cosh": (sp.cosh, 1, 1),
    "sinh": (sp.sinh, 1, 1),
    "tanh": (sp.tanh, 1, 1),
    "cos": (sp.cos, 1, 1),
    "sin": (sp.sin, 1, 1),
    "atan": (sp.atan, 1, 1),
    "asinh": (sp.asinh, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "Abs": (sp.Abs, 1, 1),
    "sign": (sp.sign, 1, 1),
    "Max": (sp.Max, 2, None),
    "max": (sp.Max, 2, None),
    "Min": (sp.Min, 2, None),
    "min": (sp.Min, 2, None),
}
_GROWING = {"exp", "cosh", "sinh"}    # functions whose numeric argument is bounded first

#: named constants
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OTHER_BINOPS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                 ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
# left-associative operators of equal precedence form one flat chain (one nesting level)
_CHAIN_CLASS = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.FloorDiv: 2, ast.Mod: 2,
                ast.MatMult: 2, ast.LShift: 3, ast.RShift: 3, ast.BitAnd: 4, ast.BitXor: 5,
                ast.BitOr: 6}
_COMPARE = {ast.Lt: (sp.Lt, "<"), ast.LtE: (sp.Le, "<="), ast.Gt: (sp.Gt, ">"),
            ast.GtE: (sp.Ge, ">=")}
_OTHER_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not",
                  ast.In: "in", ast.NotIn: "not in"}
_DESCRIBE = {
    ast.Lambda: "lambda", ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
    ast.Dict: "dict", ast.Set: "set", ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string field", ast.Await: "'await'", ast.Yield: "'yield'",
    ast.YieldFrom: "'yield from'", ast.NamedExpr: "walrus assignment",
    ast.Starred: "starred expression", ast.Slice: "slice", ast.IfExp: "conditional expression",
    ast.Subscript: "subscript",
}
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_ALLOWED_WHITESPACE = frozenset(" \t\n\r")


# ----------------------------------------------------------------------------- helpers


def _show(s: str, limit: int = 60) -> str:
    """One-line rendering of a source segment, shortened to ``limit`` characters."""
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _chain(node: ast.BinOp) -> tuple[ast.expr, list[tuple[ast.operator, ast.expr, ast.BinOp]]]:
    """Flatten a left-associative chain of one precedence class, iteratively.

    ``a + b - c`` -> ``(a, [(Add, b, <a + b>), (Sub, c, <a + b - c>)])``.
    """
    cls = _CHAIN_CLASS[type(node.op)]
    rest = []
    cur: ast.expr = node
    while isinstance(cur, ast.BinOp) and _CHAIN_CLASS.get(type(cur.op)) == cls:
        rest.append((cur.op, cur.right, cur))
        cur = cur.left
    rest.reverse()
    return cur, rest


def _kids(node: ast.AST) -> list[ast.AST]:
    """Children one nesting level down (a flat chain's operands are all one level down)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _CHAIN_CLASS:
        first, rest = _chain(node)
        return [first] + [right for _, right, _ in rest]
    return [c for c in ast.iter_child_nodes(node) if not isinstance(c, _LEAVES)]


def _ilog10(n: int) -> float:
    """log10 of a positive integer of any size."""
    return math.log10(n)


def _height_log10(r: sp.Rational) -> float:
    """log10 of ``max(|p|, q)`` for ``r = p/q`` (0 for 0)."""
    m = max(abs(int(r.p)), int(r.q))
    return _ilog10(m) if m else 0.0


def _decimal_literal(seg: str) -> sp.Rational | str:
    """The exact value of a float literal's source text, or a reason it is refused."""
    try:
        d = Decimal(seg.replace("_", ""))
    except (InvalidOperation, ValueError):
        return f"number '{_show(seg)}' cannot be read"
    if not d.is_finite():
        return f"number '{_show(seg)}' cannot be read"
    sign, digits, exp = d.as_tuple()
    p = int("".join(map(str, digits)) or "0")
    if p == 0:
        return sp.Integer(0)
    adjusted = d.adjusted()             # floor(log10 |x|)
    if adjusted > 30:
        return f"number '{_show(seg)}' is too large (literals are limited to 10**30)"
    if adjusted < _MIN_LITERAL_LOG10:
        return f"number '{_show(seg)}' is too small (nonzero literals need |x| >= 10**-100)"
    if sign:
        p = -p
    value = Fraction(p * 10**exp) if exp >= 0 else Fraction(p, 10**(-exp))
    if abs(value) > MAX_INT_LITERAL:
        return f"number '{_show(seg)}' is too large (literals are limited to 10**30)"
    if value.denominator > _BOUND:
        return f"number '{_show(seg)}' has too many digits (denominator above 10**100)"
    return sp.Rational(value.numerator, value.denominator)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _show(text[0] if text else type(exc).__name__, 80)


# ----------------------------------------------------------------------------- the parser


class _Parser:
    """Check a syntax tree against the grammar, then build the SymPy object bottom-up."""

    def __init__(self, text: str, variables: Mapping[str, sp.Symbol],
                 parameters: Mapping[str, sp.Expr] | None):
        lead = text[: len(text) - len(text.lstrip())]
        self.shift = 0 if ("\n" in lead or "\r" in lead) else len(lead)
        self.text = text = text.strip()
        self.multiline = "\n" in text or "\r" in text
        self.names: dict[str, sp.Expr] = dict(CONSTANTS)
        for key, value in (parameters or {}).items():
            self.names[key] = _exact(key, value)
        for key, value in variables.items():
            if not isinstance(value, sp.Basic):
                raise TypeError(f"variable {key!r} must be a SymPy symbol, got {type(value).__name__}")
            self.names[key] = value
        self.problems: list[tuple[tuple[int, int], int, str]] = []
        self.magnitudes: dict[sp.Basic, float] = {}     # log10 |x| of checked numbers
        self.minmax_args = 0

    # -- positions and messages

    def seg(self, node: ast.AST, limit: int = 60) -> str:
        s = ast.get_source_segment(self.text, node)
        return _show(s if s is not None else type(node).__name__, limit)

    def where(self, pos: tuple[int, int]) -> str:
        line, col = pos
        if line == 1:
            col += self.shift
        return f"line {line}, column {col + 1}" if self.multiline else f"column {col + 1}"

    def error(self, node: ast.AST, message: str) -> ExpressionError:
        pos = (getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        return ExpressionError(f"{message} ({self.where(pos)})")

    def bad(self, pos: tuple[int, int], message: str) -> None:
        self.problems.append((pos, len(self.problems), message))

    def bad_node(self, node: ast.AST, message: str) -> None:
        self.bad((node.lineno, node.col_offset), message)

    def after(self, node: ast.AST, upto: ast.AST | None = None) -> tuple[int, int]:
        """Position of the first token after ``node`` (an operator, '.', '[' or '(')."""
        line, col = node.end_lineno, node.end_col_offset
        lines = self.text.splitlines() or [""]
        if 1 <= line <= len(lines):
            src = lines[line - 1]
            stop = upto.col_offset if upto is not None and upto.lineno == line else len(src)
            while col < stop and src[col] in " \t)":
                col += 1
        return (line, col)

    def raise_first(self) -> None:
        if self.problems:
            pos, _, message = min(self.problems)
            raise ExpressionError(f"{message} ({self.where(pos)})")

    # -- size limits (iterative: nothing here recurses on the tree)

    def check_size(self, tree: ast.Expression, matrix: bool = False) -> None:
        """Node count and nesting depth of the expression (of each entry, for a matrix)."""
        units: list[ast.AST] = [tree.body]
        body = tree.body
        if matrix and isinstance(body, ast.List) and all(isinstance(r, ast.List) for r in body.elts):
            units = [e for row in body.elts for e in row.elts]   # type: ignore[attr-defined]
        for unit in units:
            count = sum(1 for n in ast.walk(unit) if isinstance(n, ast.expr))
            if count > MAX_NODES:
                what = "matrix entry" if unit is not body else "expression"
                raise self.error(unit, f"{what} '{self.seg(unit, 30)}' has {count} nodes, more "
                                       f"than the limit of {MAX_NODES}")
            stack: list[tuple[ast.AST, int]] = [(unit, 1)]
            while stack:
                node, level = stack.pop()
                if level > MAX_DEPTH:
                    raise self.error(node, f"expression nested more than {MAX_DEPTH} levels deep "
                                           f"at '{self.seg(node)}'")
                stack.extend((kid, level + 1) for kid in _kids(node))

    # -- checking the grammar (recursion depth is bounded by MAX_DEPTH)

    def check_matrix(self, body: ast.expr) -> tuple[int, int]:
        if not isinstance(body, ast.List):
            self.bad_node(body, f"a matrix must be a nested list literal like '[[a, b], [c, d]]', "
                                f"got '{self.seg(body)}'")
            self.check(body)
            return (0, 0)
        if not body.elts:
            self.bad_node(body, "matrix '[]' has no rows")
        widths = []
        for row in body.elts:
            if not isinstance(row, ast.List):
                self.bad_node(row, f"matrix row '{self.seg(row)}' must be a list literal '[...]'")
                self.check(row)
                continue
            if not row.elts:
                self.bad_node(row, f"matrix row '{self.seg(row)}' is empty")
            if widths and len(row.elts) != widths[0]:
                self.bad_node(row, f"matrix row '{self.seg(row)}' has {len(row.elts)} entries, "
                                   f"the first row has {widths[0]}")
            widths.append(len(row.elts))
            for entry in row.elts:
                self.minmax_args = 0
                self.check(entry)
        entries = sum(widths)
        if entries > MAX_MATRIX_ENTRIES:
            self.bad_node(body, f"matrix has {entries} entries, more than the limit of "
                                f"{MAX_MATRIX_ENTRIES}")
        return (len(body.elts), widths[0] if widths else 0)

    def check(self, node: ast.AST) -> None:
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                self.check(node.left)
                self.check(node.right)
                return
            first, rest = _chain(node)
            self.check(first)
            for op, right, whole in rest:
                if type(op) not in _ARITH:
                    sym = _OTHER_BINOPS.get(type(op), type(op).__name__)
                    hint = "; use ** for powers" if sym == "^" else ""
                    self.bad(self.after(whole.left, right), f"operator '{sym}' is not allowed{hint}")
                self.check(right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                sym = "not" if isinstance(node.op, ast.Not) else "~"
                self.bad_node(node, f"operator '{sym}' is not allowed")
            self.check(node.operand)
        elif isinstance(node, ast.Constant):
            self.check_constant(node)
        elif isinstance(node, ast.Name):
            if node.id not in self.names:
                self.bad_node(node, f"name '{node.id}' is not allowed{self.known_names()}")
        elif isinstance(node, ast.Call):
            self.check_call(node)
        elif isinstance(node, ast.Attribute):
            self.check(node.value)
            self.bad(self.after(node.value), f"attribute access '.{node.attr}' is not allowed")
        elif isinstance(node, ast.Compare):
            self.bad_node(node, f"comparison '{self.seg(node)}' is only allowed as a Piecewise "
                                f"condition")
            self.check_kids(node)
        elif isinstance(node, ast.Tuple):
            self.bad_node(node, f"tuple '{self.seg(node)}' is not allowed (tuples only as "
                                f"Piecewise pieces)")
            self.check_kids(node)
        elif isinstance(node, ast.List):
            self.bad_node(node, f"list '{self.seg(node)}' is not allowed here")
            self.check_kids(node)
        elif isinstance(node, ast.BoolOp):
            sym = "and" if isinstance(node.op, ast.And) else "or"
            self.bad(self.after(node.values[0], node.values[1]),
                     f"boolean operator '{sym}' is not allowed in '{self.seg(node)}'")
            self.check_kids(node)
        elif isinstance(node, ast.Subscript):
            self.check(node.value)
            self.bad(self.after(node.value), f"subscript '{self.seg(node)}' is not allowed")
            self.check(node.slice)
        else:
            what = _DESCRIBE.get(type(node), type(node).__name__)
            self.bad_node(node, f"{what} '{self.seg(node)}' is not allowed")
            self.check_kids(node)

    def check_kids(self, node: ast.AST) -> None:
        for kid in _kids(node):
            if isinstance(kid, ast.expr):
                self.check(kid)
            else:   # comprehension, keyword, arguments: look inside for the first bad token
                for sub in _kids(kid):
                    if isinstance(sub, ast.expr):
                        self.check(sub)

    def known_names(self) -> str:
        names = sorted(self.names)
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return f"; known names: {shown}"

    def check_constant(self, node: ast.Constant) -> None:
        v = node.value
        if v is True or v is False:
            self.bad_node(node, f"'{v}' is not allowed here (only 'True' as the last "
                                f"Piecewise condition)")
        elif isinstance(v, int):
            if abs(v) > MAX_INT_LITERAL:
                self.bad_node(node, f"integer '{self.seg(node)}' is too large (literals are "
                                    f"limited to 10**30)")
        elif isinstance(v, float):
            value = _decimal_literal(ast.get_source_segment(self.text, node) or "")
            if isinstance(value, str):
                self.bad_node(node, value)
        elif isinstance(v, complex):
            self.bad_node(node, f"complex number '{self.seg(node)}' is not allowed")
        elif isinstance(v, str):
            self.bad_node(node, f"string literal {self.seg(node)} is not allowed")
        elif isinstance(v, bytes):
            self.bad_node(node, f"bytes literal {self.seg(node)} is not allowed")
        else:   # None, Ellipsis
            self.bad_node(node, f"'{self.seg(node)}' is not allowed")

    def check_call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            self.check(func)
            self.bad(self.after(func), f"call of '{self.seg(func)}' is not allowed (only the "
                                       f"whitelisted functions can be called)")
            self.check_args(node)
            return
        name = func.id
        if name != "Piecewise" and name not in FUNCTIONS:
            if name in self.names:
                self.bad_node(func, f"'{name}' is a variable, not a function; call '{self.seg(node)}' "
                                    f"is not allowed")
            else:
                self.bad_node(func, f"function '{name}' is not allowed (allowed: "
                                    f"{', '.join(FUNCTIONS)}, Piecewise)")
            self.check_args(node)
            return
        for kw in node.keywords:
            shown = f"{kw.arg}=..." if kw.arg else "**..."
            self.bad_node(kw, f"keyword argument '{self.seg(kw) or shown}' is not allowed")
            self.check(kw.value)
        args = node.args
        starred = False
        for a in args:
            if isinstance(a, ast.Starred):
                self.bad_node(a, f"starred argument '{self.seg(a)}' is not allowed")
                starred = True
        if name == "Piecewise":
            self.check_piecewise(node)
            return
        _, lo, hi = FUNCTIONS[name]
        plain = not starred and not node.keywords    # else the argument itself is named
        if name in ("Max", "max", "Min", "min"):
            self.minmax_args += len(args)
            if self.minmax_args > MAX_MINMAX_ARGS:
                self.bad_node(node, f"'{self.seg(node)}' has too many Max/Min arguments (more "
                                    f"than {MAX_MINMAX_ARGS} in one expression)")
        if plain and (len(args) < lo or (hi is not None and len(args) > hi)):
            want = f"exactly {lo}" if lo == hi else f"at least {lo}"
            self.bad_node(node, f"function '{name}' takes {want} argument{'s' * (lo != 1)}, "
                                f"got {len(args)} in '{self.seg(node)}'")
        for a in args:
            self.check(a.value if isinstance(a, ast.Starred) else a)

    def check_args(self, node: ast.Call) -> None:
        for a in node.args:
            self.check(a)
        for kw in node.keywords:
            self.check(kw.value)

    def check_piecewise(self, node: ast.Call) -> None:
        args = node.args
        if not args:
            self.bad_node(node, "Piecewise needs at least one piece '(expression, condition)'")
        for i, piece in enumerate(args):
            if isinstance(piece, ast.Starred):
                self.check(piece.value)
                continue
            if not isinstance(piece, ast.Tuple) or len(piece.elts) != 2:
                self.bad_node(piece, f"Piecewise piece '{self.seg(piece)}' must be a pair "
                                     f"'(expression, condition)'")
                if isinstance(piece, ast.Tuple):
                    self.check_kids(piece)
                else:
                    self.check(piece)
                continue
            value, cond = piece.elts
            self.check(value)
            self.check_condition(cond, last=i == len(args) - 1)

    def check_condition(self, node: ast.expr, last: bool) -> None:
        if isinstance(node, ast.Constant) and node.value is True:
            if not last:
                self.bad_node(node, "condition 'True' is only allowed in the last Piecewise piece")
            return
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                self.bad_node(node, f"chained comparison '{self.seg(node)}' is not allowed")
            for op, right, left in zip(node.ops, node.comparators, [node.left] + node.comparators):
                if type(op) not in _COMPARE:
                    sym = _OTHER_COMPARE.get(type(op), type(op).__name__)
                    self.bad(self.after(left, right), f"comparison operator '{sym}' is not "
                                                      f"allowed (use <, <=, >, >=)")
            self.check(node.left)
            for right in node.comparators:
                self.check(right)
            return
        self.bad_node(node, f"Piecewise condition '{self.seg(node)}' must be a comparison "
                            f"(<, <=, >, >=) or True")
        self.check(node)

    # -- building (only after the whole tree passed the checks)

    def sympy_call(self, node: ast.AST, fn: Callable[..., sp.Basic], *args: sp.Basic) -> sp.Basic:
        """Call a SymPy constructor on vetted SymPy objects; its failures become ExpressionError."""
        try:
            return fn(*args)
        except ExpressionError:
            raise
        except Exception as exc:      # SymPy may refuse (e.g. an undecidable comparison)
            raise self.error(node, f"cannot build '{self.seg(node)}': {_first_line(exc)}") from None

    def build(self, node: ast.expr) -> sp.Expr:
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self.build_power(node)
            first, rest = _chain(node)
            acc = self.build(first)
            for op, right, whole in rest:
                r = self.build(right)
                if isinstance(op, ast.Add):
                    acc = self.sympy_call(whole, sp.Add, acc, r)
                elif isinstance(op, ast.Sub):
                    acc = self.sympy_call(whole, _subtract, acc, r)
                elif isinstance(op, ast.Mult):
                    est = self.product_log10(acc, r, +1, whole)
                    acc = self.sympy_call(whole, sp.Mul, acc, r)
                else:   # Div
                    if r.is_zero:
                        raise self.error(right, f"division by zero in '{self.seg(whole)}'")
                    est = self.product_log10(acc, r, -1, whole)
                    acc = self.sympy_call(whole, _divide, acc, r)
                if isinstance(op, (ast.Add, ast.Sub)):
                    self.check_value(acc, whole)
                else:
                    self.check_value(acc, whole, est)
            # each step added at most one checked operand; bound the chain's rationals once
            self.check_atoms(acc, node)
            self.check_built(acc, node)
            return acc
        if isinstance(node, ast.UnaryOp):
            x = self.build(node.operand)
            return x if isinstance(node.op, ast.UAdd) else self.check_value(-x, node)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, int):
                return sp.Integer(v)
            value = _decimal_literal(ast.get_source_segment(self.text, node) or "")
            assert not isinstance(value, str)
            return value
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.Call):
            name = node.func.id   # type: ignore[attr-defined]
            if name == "Piecewise":
                pieces = []
                for piece in node.args:
                    value, cond = piece.elts   # type: ignore[attr-defined]
                    pieces.append((self.build(value), self.build_condition(cond)))
                return self.check_value(self.sympy_call(node, sp.Piecewise, *pieces), node)
            fn = FUNCTIONS[name][0]
            args = [self.build(a) for a in node.args]
            if name in _GROWING and not args[0].free_symbols:
                x = self.log10_abs(args[0], node.args[0])
                if x > math.log10(_EXP_ARG_LIMIT):
                    raise self.error(node, f"argument of '{name}' is too large in "
                                           f"'{self.seg(node)}' (|x| must be <= {_EXP_ARG_LIMIT})")
            value = self.sympy_call(node, fn, *args)
            self.check_atoms(value, node)
            self.check_built(value, node)
            return self.check_value(value, node)
        raise self.error(node, f"'{self.seg(node)}' is not allowed")   # unreachable after check()

    def build_condition(self, node: ast.expr) -> sp.Basic:
        if isinstance(node, ast.Constant):
            return sp.true
        assert isinstance(node, ast.Compare)
        rel = _COMPARE[type(node.ops[0])][0]
        left, right = self.build(node.left), self.build(node.comparators[0])
        return self.sympy_call(node, rel, left, right)

    def build_power(self, node: ast.BinOp) -> sp.Expr:
        base = self.build(node.left)
        ex = self.build(node.right)
        if ex.free_symbols:
            raise self.error(node.right, f"exponent must be a number: '{self.seg(node.right)}' "
                                         f"in '{self.seg(node)}'")
        if ex.is_Rational:
            too_large = abs(ex) > MAX_EXPONENT
            ex_abs = abs(float(ex)) if not too_large else math.inf
        else:
            ex_log = self.log10_abs(ex, node.right)
            too_large = ex_log > math.log10(MAX_EXPONENT) + 1e-12
            ex_abs = 10.0**ex_log if ex_log > -math.inf else 0.0
        if too_large:
            raise self.error(node.right, f"exponent '{self.seg(node.right)}' is too large in "
                                         f"'{self.seg(node)}' (|exponent| must be <= {MAX_EXPONENT})")
        if not base.free_symbols:
            if base.is_zero and ex.is_negative:
                raise self.error(node, f"division by zero in '{self.seg(node)}'")
            numeric = base
        else:
            numeric = base.as_independent(*base.free_symbols, as_Add=False)[0]
        if numeric != 1 and not numeric.is_zero:
            coeff = numeric if numeric.is_Rational else numeric.as_coeff_Mul()[0]
            size = max(abs(self.log10_abs(numeric, node.left)), self.height_log10(coeff))
            if size * ex_abs > MAX_LOG10 + 1e-9:
                what = "number" if numeric is base else "coefficient"
                raise self.error(node, f"power '{self.seg(node)}' is too large: its {what} would "
                                       f"exceed 10**{MAX_LOG10}")
        value = self.sympy_call(node, sp.Pow, base, ex)
        if value.free_symbols:
            self.check_atoms(value, node)
            self.check_built(value, node)
            return value
        return self.check_value(value, node)

    # -- what the expression becomes

    def check_built(self, value: sp.Basic, node: ast.AST) -> None:
        """Refuse a built object that SymPy folded past the limits (exponent, degree, size)."""
        if not value.free_symbols:
            return
        count = 0
        for sub in sp.preorder_traversal(value):
            count += 1
            if count > MAX_BUILT_NODES:
                raise self.error(node, f"'{self.seg(node)}' becomes an expression of more than "
                                       f"{MAX_BUILT_NODES} nodes")
            if isinstance(sub, sp.Pow) and sub.base.free_symbols and sub.exp.is_Number \
                    and abs(sub.exp) > MAX_EXPONENT:
                raise self.error(node, f"'{self.seg(node)}' becomes a power with exponent {sub.exp} "
                                       f"after SymPy folds it (|exponent| must be <= {MAX_EXPONENT})")
        degree = _degree(value, {})
        if degree > MAX_DEGREE:
            raise self.error(node, f"'{self.seg(node)}' has total degree {degree:g}, more than the "
                                   f"limit of {MAX_DEGREE}")

    # -- numeric guards

    def height_log10(self, value: sp.Basic) -> float:
        """log10 of the largest numerator or denominator among the rationals in ``value``."""
        if value.is_Rational:
            return _height_log10(value)
        return max((_height_log10(r) for r in value.atoms(sp.Rational)), default=0.0)

    def check_atoms(self, value: sp.Basic, node: ast.AST) -> None:
        for r in value.atoms(sp.Rational):
            if abs(int(r.p)) > _BOUND or int(r.q) > _BOUND:
                raise self.error(node, f"'{self.seg(node)}' creates a number with more than "
                                       f"{MAX_LOG10} digits")

    def product_log10(self, a: sp.Expr, b: sp.Expr, sign: int, node: ast.AST) -> float | None:
        """``log10 |a * b**sign|`` from the operands' magnitudes, for two numeric operands.

        Products and quotients of real numbers are real, and their magnitudes add in the log,
        so a long numeric product is bounded without re-evaluating it at every step.
        """
        if a.free_symbols or b.free_symbols:
            return None
        return self.log10_abs(a, node) + sign * self.log10_abs(b, node)

    def log10_abs(self, value: sp.Expr, node: ast.AST) -> float:
        """``log10 |value|`` of a vetted real number (``-inf`` for zero), within a few ulps."""
        known = self.magnitudes.get(value)
        if known is not None:
            return known
        result = self._log10_abs(value, node)
        self.magnitudes[value] = result
        return result

    def _log10_abs(self, value: sp.Expr, node: ast.AST) -> float:
        if value.is_Rational:
            if value.p == 0:
                return -math.inf
            return _ilog10(abs(int(value.p))) - _ilog10(int(value.q))
        try:
            v = value.evalf(20)
        except Exception as exc:
            raise self.error(node, f"cannot evaluate '{self.seg(node)}': {_first_line(exc)}") from None
        if v.is_Float:
            sign, man, exp, bc = v._mpf_
            if not man:
                return -math.inf
            return math.log10(man) + exp * _LOG10_2
        if v.is_Rational:
            return self._log10_abs(v, node)
        raise self.error(node, f"'{self.seg(node)}' is not a real number")

    def check_value(self, value: sp.Expr, node: ast.AST, est: float | None = None) -> sp.Expr:
        """Refuse a numeric subexpression that is not finite, not real or too large.

        ``est``: ``log10 |value|`` already known (a product or quotient of checked reals).
        """
        if value.free_symbols:
            return value
        if value.has(sp.S.NaN):
            raise self.error(node, f"'{self.seg(node)}' is undefined (nan)")
        if value.has(sp.S.ComplexInfinity, sp.S.Infinity, sp.S.NegativeInfinity):
            raise self.error(node, f"'{self.seg(node)}' is not a finite number")
        if value.is_Rational:
            if abs(int(value.p)) > _BOUND or int(value.q) > _BOUND:
                raise self.error(node, f"'{self.seg(node)}' is too large: a number with more "
                                       f"than {MAX_LOG10} digits")
            return value
        if est is None and value.is_extended_real is False:
            raise self.error(node, f"'{self.seg(node)}' is not a real number")
        self.check_atoms(value, node)
        if est is not None:
            self.magnitudes.setdefault(value, est)
        else:
            est = self.log10_abs(value, node)
        if not est <= MAX_LOG10 + 1e-9:     # also refuses nan (0/0 of unrecognised zeros)
            raise self.error(node, f"'{self.seg(node)}' is too large: its magnitude exceeds "
                                   f"10**{MAX_LOG10}")
        return value


def _degree(value: sp.Basic, memo: dict) -> float:
    """Total degree of a built expression (module docstring); iterative over shared subtrees.

    ``deg x = 1``, ``deg c = 0``, ``deg(a + b) = max``, ``deg(a * b) = deg a + deg b``,
    ``deg(b**e) = |e| deg b`` (numeric ``e``), ``deg f(a, ...) = max`` over the arguments."""
    stack = [(value, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if not node.free_symbols:
            memo[node] = 0.0
            continue
        if node.is_Symbol:
            memo[node] = 1.0
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
            continue
        kids = [memo[a] for a in node.args]
        if isinstance(node, sp.Mul):
            memo[node] = sum(kids)
        elif isinstance(node, sp.Pow):
            ex = node.exp
            memo[node] = kids[0] * abs(float(ex)) if ex.is_Number else max(kids)
        else:
            memo[node] = max(kids, default=0.0)
    return memo[value]


def _exact(name: str, value: object) -> sp.Expr:
    """A parameter value as an exact SymPy object (SymPy objects, ints and Fractions only)."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        raise TypeError(f"parameter {name!r} must be a number, got bool")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    raise TypeError(f"parameter {name!r} must be a SymPy expression, int or Fraction, "
                    f"got {type(value).__name__}")


def _parse_tree(text: str) -> ast.Expression:
    """Length, character set and syntax checks; returns the syntax tree (nothing evaluated)."""
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long, more than the limit "
                              f"of {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("expression is empty")
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or ch in _ALLOWED_WHITESPACE):
            raise ExpressionError(f"character {ch!r} (U+{ord(ch):04X}) at position {i + 1} is "
                                  f"not allowed (printable ASCII only)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        stripped = text.strip()
        line, col = exc.lineno or 1, exc.offset or 1
        lines = stripped.splitlines() or [""]
        src = lines[line - 1] if 1 <= line <= len(lines) else ""
        near = _show(src[max(col - 1, 0): col + 9], 12)
        lead = text[: len(text) - len(text.lstrip())]
        if line == 1 and "\n" not in lead and "\r" not in lead:
            col += len(lead)
        where = f"line {line}, column {col}" if len(lines) > 1 else f"column {col}"
        near_txt = f" near '{near}'" if near else " at the end"
        raise ExpressionError(f"syntax error at {where}{near_txt}: {_first_line(exc.msg or exc)}") from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise ExpressionError(f"cannot read the expression: {type(exc).__name__}: "
                              f"{_first_line(exc)}") from None


def parse_expression(text: str, variables: Mapping[str, sp.Symbol],
                     parameters: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
    """Parse ``text`` (grammar and limits in the module docstring) into a SymPy expression.

    ``variables`` maps the allowed variable names to their symbols, ``parameters`` maps
    parameter names to exact values (or symbols); ``pi`` and ``E`` are always known.  Raises
    :class:`ExpressionError` (one line, naming the offending token) on any refusal.
    """
    tree = _parse_tree(text)
    p = _Parser(text, variables, parameters)
    p.check_size(tree)
    p.check(tree.body)
    p.raise_first()
    value = p.build(tree.body)
    if not isinstance(value, sp.Expr):
        raise ExpressionError(f"'{p.seg(tree.body)}' is not an expression")
    p.check_built(value, tree.body)
    return value


def parse_matrix(text: str, variables: Mapping[str, sp.Symbol],
                 parameters: Mapping[str, sp.Expr] | None = None) -> sp.Matrix:
    """Parse a nested list literal ``[[e11, e12], [e21, e22]]`` (a list of rows) into a Matrix.

    Every entry follows the expression grammar of :func:`parse_expression`; the rows must
    have equal length and there are at most :data:`MAX_MATRIX_ENTRIES` entries.
    """
    tree = _parse_tree(text)
    p = _Parser(text, variables, parameters)
    p.check_size(tree, matrix=True)
    p.check_matrix(tree.body)
    p.raise_first()
    rows = []
    for row in tree.body.elts:   # type: ignore[attr-defined]
        entries = []
        for entry in row.elts:
            value = p.build(entry)
            if not isinstance(value, sp.Expr):
                raise p.error(entry, f"'{p.seg(entry)}' is not an expression")
            p.check_built(value, entry)
            entries.append(value)
        rows.append(entries)
    return sp.Matrix(rows)
