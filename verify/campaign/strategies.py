"""Hypothesis strategies for your own property tests against the toolkit.

    from hypothesis import given
    from verify.check import check
    from verify.strategies import problems, catalog_preconditioners, lr_fractions, fast_settings

What is here:

* :func:`problems`: overparameterized problems ``(X, Y, W0)`` with ``rank X = n`` guaranteed by
  construction.  A chosen n x n block of X is made strictly diagonally dominant,
  ``|A_ii| > sum_{j != i} |A_ij|``, which makes it nonsingular (Levy-Desplanques); the
  :class:`~numeric.problem.Problem` constructor then certifies the rank exactly
  (:mod:`numeric.exact_rank`).  ``exact=True`` draws small dyadic rationals ``m / 2^q``
  (exact in float64, readable counterexamples); ``exact=False`` draws floats.
* :func:`catalog_preconditioners`: catalogue entries with drawn parameters (``eps``, ``c``).
* :func:`convex_k_expressions` and :func:`convex_preconditioners`: K generated from a small
  grammar whose every sentence is convex by construction (entrywise, isotropic, spectral):
  nonnegative combinations ``sum_i a_i b_i(s_i x)`` of convex building blocks ``b`` (even,
  convex, ``b'(0) = 0``; for ``isotropic`` also nondecreasing on [0, inf)); a nonnegative
  combination of convex functions is convex and scaling the argument keeps convexity.  The
  expression is a string that goes through the safe parser (``--K``), so it is also what a
  failing example prints.
* :func:`trapped_k_expressions`: K with Piecewise joins and jumps hidden from SymPy's
  derivatives (``atan(1/(x-c)) + atan(x-c)``, nested ``abs``), each with its known truth.
* :func:`lr_fractions`: learning rates as exact fractions of ``2/(beta L sigma_max^2)``.
* :func:`fast_settings`: :class:`~verify.check.Settings` for quick property tests.

``st.from_type(Problem)`` and ``st.from_type(Preconditioner)`` are registered (a
preconditioner drawn by type is a shape-independent catalogue entry, i.e. not ``quadratic``).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from numeric.preconditioners.catalog import CATALOG, make_preconditioner
from numeric.losses import make_loss
from numeric.preconditioners.base import Preconditioner
from numeric.problem import Problem

__all__ = ["problems", "catalog_preconditioners", "convex_k_expressions", "convex_preconditioners",
           "lr_fractions", "fast_settings", "GeneratedK", "BLOCKS", "SHAPE_FREE", "trapped_k_expressions", "TrappedK"]

SHAPE_FREE = tuple(n for n in CATALOG if n != "quadratic")


# ----------------------------------------------------------------------------- problems
def _dyadic(max_abs: int = 4, max_shift: int = 3) -> st.SearchStrategy[float]:
    """``m / 2^q`` with ``|m| <= max_abs * 2^q`` (so ``|v| <= max_abs``): exact in float64."""
    return st.integers(0, max_shift).flatmap(
        lambda q: st.integers(-max_abs * 2**q, max_abs * 2**q).map(lambda m: m / 2.0**q))


def _floats(bound: float = 4.0, smallest: float = 1 / 64) -> st.SearchStrategy[float]:
    """0 or a float with ``smallest <= |v| <= bound``.  Tiny nonzero entries (1e-38, say) are left
    out: a ``Y`` of size 1e-38 makes ``||W_GD - W0||`` tiny, and every relative claim then sits
    below the absolute precision floor, so it is (honestly) ``inconclusive`` at any fixed dps."""
    mag = st.floats(smallest, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)
    return st.one_of(st.just(0.0), mag, mag.map(lambda v: -v))


@st.composite
def problems(draw, n: st.SearchStrategy[int] | int = st.integers(1, 3),
             extra_columns: st.SearchStrategy[int] | int = st.integers(1, 4),
             k: st.SearchStrategy[int] | int = st.integers(1, 2), exact: bool | None = None,
             w0: str | None = None, loss: str = "square") -> Problem:
    """An overparameterized :class:`Problem` (``n < d``) with ``rank X = n`` by construction.

    ``n``, ``extra_columns`` (``d - n``) and ``k`` are ints or integer strategies; ``exact``
    None draws both kinds; ``w0`` is ``"zero"``, ``"random"`` or None (both).
    """
    as_st = lambda v: v if isinstance(v, st.SearchStrategy) else st.just(v)  # noqa: E731
    n_, k_ = draw(as_st(n)), draw(as_st(k))
    d_ = n_ + draw(as_st(extra_columns))
    is_exact = draw(st.booleans()) if exact is None else exact
    entry = _dyadic() if is_exact else _floats()
    X = np.array(draw(st.lists(st.lists(entry, min_size=d_, max_size=d_), min_size=n_, max_size=n_)), dtype=float)
    cols = draw(st.permutations(range(d_)))[:n_]  # the columns of the dominant block
    for i, c in enumerate(cols):
        off = float(np.sum(np.abs(X[i, [cc for cc in cols if cc != c]])))
        sgn = -1.0 if X[i, c] < 0 else 1.0
        X[i, c] = sgn * (off + 1.0)  # strictly dominant (the +1 dwarfs any rounding of the sum)
    Y = np.array(draw(st.lists(st.lists(entry, min_size=k_, max_size=k_), min_size=n_, max_size=n_)), dtype=float)
    kind = draw(st.sampled_from(["zero", "random"])) if w0 is None else w0
    if kind == "zero":
        W0 = np.zeros((d_, k_))
    else:
        W0 = np.array(draw(st.lists(st.lists(entry, min_size=k_, max_size=k_), min_size=d_, max_size=d_)),
                      dtype=float) / 4
    return Problem(X, Y, W0, loss=make_loss(loss), seed=None,
                   source="hypothesis (" + ("dyadic rationals" if is_exact else "floats") + ")")


# ----------------------------------------------------------------------------- catalogue
_EPS = st.sampled_from([Fraction(1, 100), Fraction(1, 20), Fraction(1, 10), Fraction(1, 4), Fraction(1, 2), Fraction(1)])
_C = st.sampled_from([Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2)])
_KAPPA = st.sampled_from([Fraction(2), Fraction(4), Fraction(10)])


@st.composite
def catalog_preconditioners(draw, names: Sequence[str] = SHAPE_FREE, shape: tuple[int, int] | None = None
                            ) -> Preconditioner:
    """A catalogue entry with drawn parameters; ``quadratic`` needs ``shape = (d, k)``."""
    name = draw(st.sampled_from(list(names)))
    params: dict = {}
    if name in ("ngd", "adam", "sign", "muon"):
        params["eps"] = draw(_EPS)
    elif name in ("clip", "clipv"):
        params["c"] = draw(_C)
    elif name == "quadratic":
        if shape is None:
            raise ValueError("catalog_preconditioners: 'quadratic' needs shape=(d, k)")
        params["kappa"] = draw(_KAPPA)
    return make_preconditioner(name, params, shape=shape, seed=draw(st.integers(0, 2**16)))


# ----------------------------------------------------------------------------- grammar of convex K
# Each block is a template in the variable {x} and a positive parameter {e}: even, convex,
# b'(0) = 0 and nondecreasing on [0, inf), so it serves every structure.
BLOCKS: dict[str, str] = {
    "square": "{x}**2/2",
    "pseudo_huber": "sqrt({e}**2 + {x}**2) - {e}",
    "logcosh": "{e}*log(cosh({x}/{e}))",
    "adam_profile": "abs({x}) - {e}*log(1 + abs({x})/{e})",
    "softplus_sym": "{e}*log(1 + exp({x}/{e})) + {e}*log(1 + exp(-{x}/{e})) - 2*{e}*log(2)",
}
_VARIABLE = {"entrywise": "g", "isotropic": "r", "spectral": "s"}
_COEF = st.sampled_from(["1/4", "1/2", "1", "2", "3"])
_PAR = st.sampled_from(["1/10", "1/4", "1/2", "1", "2"])


@dataclass(frozen=True)
class GeneratedK:
    """A K from the grammar: ``expr`` in the variable of ``structure``, convex by construction."""

    expr: str
    structure: str
    blocks: tuple


@st.composite
def convex_k_expressions(draw, structure: str | st.SearchStrategy[str] = st.sampled_from(list(_VARIABLE)),
                         max_terms: int = 3, blocks: Sequence[str] = tuple(BLOCKS)) -> GeneratedK:
    """``sum_i a_i b_i(x)`` with ``a_i > 0`` and blocks ``b_i`` of :data:`BLOCKS`, rendered as a
    string in the structure's variable (``g``, ``r`` or ``s``)."""
    s = draw(structure) if isinstance(structure, st.SearchStrategy) else structure
    if s not in _VARIABLE:
        raise ValueError(f"structure must be one of {', '.join(_VARIABLE)}")
    x = _VARIABLE[s]
    names = draw(st.lists(st.sampled_from(list(blocks)), min_size=1, max_size=max_terms))
    terms = []
    for b in names:
        a, e = draw(_COEF), draw(_PAR)
        body = BLOCKS[b].format(x=x, e=f"({e})")
        terms.append(f"{a}*({body})")
    return GeneratedK(" + ".join(terms), s, tuple(names))


@st.composite
def convex_preconditioners(draw, shape: tuple[int, int], structure=st.sampled_from(list(_VARIABLE)),
                           max_terms: int = 2) -> Preconditioner:
    """A grammar K compiled to a :class:`Preconditioner` for matrices of ``shape = (d, k)``.

    Building runs the symbolic proofs (seconds per example): keep ``max_examples`` small."""
    from ..custom import build_custom
    gk = draw(convex_k_expressions(structure, max_terms))
    built = build_custom(gk.expr, None, gk.structure, {}, shape)
    if built.pre is None:  # convex by construction: a refutation here is a bug in the prover
        raise AssertionError(f"grammar K {gk.expr!r} ({gk.structure}) was not accepted: {built.facts}")
    from dataclasses import replace
    return replace(built.pre, extra={**built.pre.extra, "facts": built.facts, "generated": gk})


@dataclass(frozen=True)
class TrappedK:
    """A K whose admissibility is known by construction: ``admissible`` is the truth."""

    expr: str
    structure: str
    admissible: bool
    trap: str


@st.composite
def trapped_k_expressions(draw) -> TrappedK:
    """Entrywise or isotropic K with a Piecewise join or a jump hidden from SymPy's derivatives.

    With ``c`` the join point, ``a > 0`` and ``J != 0`` drawn:

    * ``value-jump``: ``a x^2/2`` for ``|x| < c``, ``a x^2/2 + J`` beyond (not continuous: not admissible);
    * ``huber``: ``a x^2/2`` for ``|x| <= c``, ``a c |x| - a c^2/2`` beyond (C^1 and convex: admissible);
    * ``slope-drop``: ``a x^2/2`` for ``|x| <= c``, ``a c |x| - a c^2/2 + J (|x| - c)`` with ``J < 0``
      (value continuous, f' drops at c: not admissible);
    * ``atan-jump``: ``a x^2/2 - b (x - c)(atan(1/(x - c)) + atan(x - c))/pi`` with ``0 < b``: the
      bracket is ``(pi/2) sign(x - c)``, SymPy differentiates it to 0, and f' drops by ``b`` at c
      (not admissible);
    * ``abs-kink``: ``a x^2/2 - b (| |x| - c | + |x| - c)/2`` (f' drops by b at c: not admissible).
    """
    structure = draw(st.sampled_from(["entrywise", "isotropic"]))
    x = "g" if structure == "entrywise" else "r"
    ax = f"abs({x})" if structure == "entrywise" else x
    trap = draw(st.sampled_from(["value-jump", "huber", "slope-drop", "atan-jump", "abs-kink"]))
    a = draw(st.fractions(Fraction(1, 4), 4, max_denominator=8))
    c = draw(st.fractions(Fraction(1, 4), 3, max_denominator=4))
    b = draw(st.fractions(Fraction(1, 8), 2, max_denominator=8))
    J = b * draw(st.sampled_from([-1, 1]))
    q = f"({a})*{x}**2/2"
    if trap == "value-jump":
        e = f"Piecewise(({q}, {ax} < {c}), ({q} + ({J}), True))"
    elif trap == "huber":
        e = f"Piecewise(({q}, {ax} <= {c}), (({a})*({c})*{ax} - ({a})*({c})**2/2, True))"
    elif trap == "slope-drop":
        e = f"Piecewise(({q}, {ax} <= {c}), (({a})*({c})*{ax} - ({a})*({c})**2/2 - ({b})*({ax} - ({c})), True))"
    elif trap == "atan-jump":
        e = f"{q} - ({b})*({ax} - ({c}))*(atan(1/({ax} - ({c}))) + atan({ax} - ({c})))/pi"
    else:
        e = f"{q} - ({b})*(abs({ax} - ({c})) + {ax} - ({c}))/2"
    return TrappedK(e, structure, trap == "huber", trap)


# ----------------------------------------------------------------------------- learning rates
def lr_fractions(low: Fraction = Fraction(1, 20), high: Fraction = Fraction(19, 20),
                 max_denominator: int = 100) -> st.SearchStrategy[Fraction]:
    """Exact fractions ``f`` in ``[low, high]`` (inside (0, 1)): ``eta = f * 2/(beta L sigma_max^2)``."""
    if not 0 < low <= high < 1:
        raise ValueError("need 0 < low <= high < 1")
    return st.fractions(low, high, max_denominator=max_denominator)


def fast_settings(*fractions: Fraction, dps: int = 30, max_iter: int = 50_000):
    """Quick :class:`~verify.check.Settings`: ``dps`` digits (rerun at dps + 20), the given
    learning-rate fractions (default 9/10)."""
    from ..check import Settings
    from ..runs import LearningRate
    fr = fractions or (Fraction(9, 10),)
    return Settings(dps=dps, lrs=tuple(LearningRate("frac", Fraction(f)) for f in fr), max_iter=max_iter)


st.register_type_strategy(Problem, problems())
st.register_type_strategy(Preconditioner, catalog_preconditioners())
