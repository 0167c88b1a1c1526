"""Problem validation: exact rank (no float tolerance), shapes, losses, random problems."""
from __future__ import annotations

import numpy as np
import pytest

from numeric.errors import InputError
from numeric.exact_rank import exact_rank
from numeric.losses import make_loss
from numeric.problem import Problem, random_problem


def test_exact_rank_sees_what_floating_svd_misses():
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1e-300]])
    assert np.linalg.matrix_rank(X) == 2  # numpy's tolerance calls it deficient
    assert exact_rank(X) == 3  # but it is exactly full rank
    Y = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    assert exact_rank(Y) == 1
    Z = np.array([[0.1, 0.2, 0.3], [0.2, 0.4, 0.6000000000000001]])
    assert exact_rank(Z) == 2  # 0.6000000000000001 != 2 * 0.3 exactly


def test_full_rank_accepted_and_deficient_refused():
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = Problem(X, np.ones((2, 1)), np.zeros((3, 1)))
    assert (p.n, p.d, p.k) == (2, 3, 1)
    with pytest.raises(InputError, match="rank"):
        Problem(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]), np.ones((2, 1)), np.zeros((3, 1)))


def test_arrays_are_read_only_copies():
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = Problem(X, np.ones((2, 1)), np.zeros((3, 1)))
    X[0, 0] = 5.0
    assert p.X[0, 0] == 1.0
    with pytest.raises(ValueError):
        p.X[0, 0] = 2.0


def test_random_problem_is_reproducible():
    a, b = random_problem(3, 7, 2, seed=5, w0="random"), random_problem(3, 7, 2, seed=5, w0="random")
    assert np.array_equal(a.X, b.X) and np.array_equal(a.W0, b.W0)
    assert np.any(a.W0 != 0)
    assert not np.array_equal(a.X, random_problem(3, 7, 2, seed=6).X)


def test_losses_are_sums():
    import mpmath
    ctx = mpmath.MPContext()
    ctx.dps = 30
    R = [[ctx.mpf(1), ctx.mpf(-2)]]
    assert make_loss("square").total(ctx, R) == ctx.mpf(5) / 2
    assert abs(make_loss("logcosh").total(ctx, R) - (ctx.log(ctx.cosh(1)) + ctx.log(ctx.cosh(2)))) < 1e-28
    from fractions import Fraction
    h = make_loss("huber", Fraction(1))
    assert abs(h.total(ctx, R) - (ctx.sqrt(2) - 1 + ctx.sqrt(5) - 1)) < 1e-28
