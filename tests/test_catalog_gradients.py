"""Unit tests for the hand-written closed forms of the preconditioner catalogue (docs/theory.md §2).

Every expected value below comes from mathematics, never from running the product:

1. ``grad K`` against central finite differences of ``K`` (``pre.value``) taken at 80
   digits with step 1e-20 (truncation error ~1e-40, rounding error ~1e-60);
2. closed-form values of ``grad K`` and ``K`` recomputed here from the docs/theory.md §2 formulas
   (several of them exact rationals such as ``10/11``), checked to 45 digits;
3. ``grad K(0) = 0`` and ``K(0) = 0``;
4. the constants: directional second differences of ``K`` lie in ``[mu(rho), L]`` on the
   natural ball of radius ``rho``, and the bounds are attained where docs/theory.md §2 says they are;
5. parameter validation raises :class:`~numeric.errors.InputError`;
6. left invariance ``grad K(QG) = Q grad K(G)`` for orthogonal Q exactly when claimed.

Matrices are column-major lists of columns (``cols[j][i] = G[i, j]``); test inputs are
written row-major (``rows[i][j]``) and converted.  All arithmetic happens in private
mpmath contexts (``mpmath.mp`` is never touched).
"""
from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numeric.preconditioners.catalog import make_preconditioner
from numeric.errors import InputError
from numeric.precision import working_precision

EPS = Fraction(1, 10)
PARAMS = {
    "gd": {}, "ngd": {"eps": EPS}, "clip": {"c": Fraction(1)}, "adam": {"eps": EPS},
    "sign": {"eps": EPS}, "muon": {"eps": EPS}, "clipv": {"c": Fraction(1, 2)}, "quadratic": {},
}
NAMES = tuple(PARAMS)
SHAPES = ((4, 2), (3, 1))
HYP = settings(deadline=None, derandomize=True, max_examples=25)


@functools.lru_cache(maxsize=None)
def build(name: str, d: int, k: int):
    return make_preconditioner(name, dict(PARAMS[name]), shape=(d, k), seed=0)


# ----------------------------------------------------------------------------- helpers
def num(ctx, x):
    """``x`` (int, float, Fraction or mpf of any context) as an mpf of ``ctx``."""
    if isinstance(x, Fraction):
        return ctx.mpf(x.numerator) / x.denominator
    return ctx.mpf(x)


def to_cols(ctx, rows):
    """Row-major nested list ``rows[i][j]`` -> column-major mpf columns."""
    d, k = len(rows), len(rows[0])
    return [[num(ctx, rows[i][j]) for i in range(d)] for j in range(k)]


def mat_to_cols(m):
    """An ``mpmath`` matrix -> column-major columns."""
    return [[m[i, j] for i in range(m.rows)] for j in range(m.cols)]


def cols_to_mat(ctx, cols):
    d, k = len(cols[0]), len(cols)
    m = ctx.matrix(d, k)
    for j in range(k):
        for i in range(d):
            m[i, j] = cols[j][i]
    return m


def householder(ctx, v):
    """``I - 2 v v^T / (v^T v)``: orthogonal and symmetric."""
    v = [num(ctx, x) for x in v]
    n = len(v)
    vv = ctx.fsum(x * x for x in v)
    q = ctx.matrix(n, n)
    for i in range(n):
        for j in range(n):
            q[i, j] = (1 if i == j else 0) - 2 * v[i] * v[j] / vv
    return q


def fro(ctx, cols):
    return ctx.sqrt(ctx.fsum(x * x for c in cols for x in c))


def inner(ctx, a, b):
    return ctx.fsum(x * y for ca, cb in zip(a, b) for x, y in zip(ca, cb))


def natural_norm(ctx, kind, cols):
    if kind == "max":
        return max(abs(x) for c in cols for x in c)
    if kind == "fro":
        return fro(ctx, cols)
    assert kind == "spectral", kind
    return max(ctx.svd_r(cols_to_mat(ctx, cols), compute_uv=False))


def max_diff(ctx, a, b):
    assert len(a) == len(b) and all(len(x) == len(y) for x, y in zip(a, b)), "shape mismatch"
    return max(abs(num(ctx, x) - num(ctx, y)) for ca, cb in zip(a, b) for x, y in zip(ca, cb))


def assert_cols_close(ctx, got, want, digits, what):
    assert len(got) == len(want), f"{what}: {len(got)} columns, want {len(want)}"
    scale = 1 + max(abs(num(ctx, y)) for c in want for y in c)
    err = max_diff(ctx, got, want)
    assert err <= ctx.mpf(10) ** -digits * scale, f"{what}: max error {ctx.nstr(err, 5)} exceeds 1e-{digits}"


def assert_num_close(ctx, got, want, digits, what):
    err = abs(num(ctx, got) - num(ctx, want))
    assert err <= ctx.mpf(10) ** -digits * (1 + abs(num(ctx, want))), \
        f"{what}: got {ctx.nstr(got, 20)}, want {ctx.nstr(want, 20)}"


def fd_grad(pre, rows, dps=80, step=-20):
    """Central differences of ``pre.value`` at ``dps`` digits, step ``10**step``."""
    with working_precision(dps) as hi:
        g = to_cols(hi, rows)
        h = hi.mpf(10) ** step
        out = []
        for j in range(len(g)):
            col = []
            for i in range(len(g[0])):
                gp = [list(c) for c in g]
                gm = [list(c) for c in g]
                gp[j][i] += h
                gm[j][i] -= h
                col.append((pre.value(hi, gp) - pre.value(hi, gm)) / (2 * h))
            out.append(col)
        return out


def check_fd(name, rows, pre=None, tol_digits=25):
    d, k = len(rows), len(rows[0])
    pre = pre or build(name, d, k)
    want = fd_grad(pre, rows)
    with working_precision(50) as ctx:
        got = pre.grad(ctx, to_cols(ctx, rows))
        assert len(got) == k and all(len(c) == d for c in got), f"{name}: grad has the wrong shape"
        assert_cols_close(ctx, got, want, tol_digits, f"{name} grad vs finite differences at {rows}")


def near_kink(name, rows, margin=1e-10):
    """True when G is within ``margin`` of a point where K is not twice differentiable."""
    c = float(PARAMS[name].get("c", 0))
    if name == "clip":
        r = float(np.linalg.norm(np.array(rows, dtype=float)))
        return abs(r - c) < margin
    if name == "clipv":
        return any(abs(abs(x) - c) < margin for row in rows for x in row)
    return False


entries = st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False)


def matrix_strategy(d, k, elements=entries):
    return st.lists(st.lists(elements, min_size=k, max_size=k), min_size=d, max_size=d)


# ----------------------------------------------------------------------------- 1. finite differences
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
@HYP
@given(data=st.data())
def test_grad_matches_finite_differences_random(name, shape, data):
    rows = data.draw(matrix_strategy(*shape), label="G")
    scale = data.draw(st.sampled_from([1.0, 2.0 ** -30, 2.0 ** -8, 2.0 ** 8, 2.0 ** 30]), label="scale")
    rows = [[x * scale for x in row] for row in rows]  # exact: a power of two
    assume(not near_kink(name, rows, margin=1e-6))
    check_fd(name, rows)


FD_POINTS = {
    "clip": [  # c = 1
        [[0.25, -0.5], [0.125, 0.0], [-0.375, 0.25], [0.0, 0.5]],   # ||G|| ~ 0.90 < c: inactive
        [[0.75, -1.5], [2.0, 0.0], [-0.25, 0.5], [1.0, -3.0]],     # ||G|| ~ 4.1 > c: active
        [[0.5], [-0.25], [0.75]],                                   # k = 1, inactive
        [[1.5], [-2.0], [0.5]],                                     # k = 1, active
    ],
    "clipv": [  # c = 1/2: entries on both sides of c, none at it
        [[0.75, -0.25], [-1.5, 0.375], [0.125, 2.0], [-0.4375, -0.625]],
        [[0.25, -0.25], [0.0, 0.125], [-0.375, 0.4375], [0.1, -0.2]],   # all inside
        [[3.0], [-0.0625], [-0.75]],
    ],
    "muon": [
        [[1.5, 0.0], [-0.5, 0.0], [0.25, 0.0], [2.0, 0.0]],          # a zero column
        [[0.0, 1.0], [0.0, -2.0], [0.0, 0.5], [0.0, 0.25]],          # a zero column (the first)
        [[1.0, 1.0], [1.0, -1.0], [0.0, 0.0], [0.0, 0.0]],           # equal singular values
        [[3.0, 0.0], [0.0, 0.5], [0.0, 0.0], [0.0, 0.0]],            # diagonal
        [[0.5], [-1.0], [2.0]],
    ],
    "adam": [[[0.0, 1.0], [-2.0, 0.0], [0.1, -0.1], [3.0, 1e-30]]],
    "sign": [[[0.0, 1.0], [-2.0, 0.0], [0.1, -0.1], [3.0, 1e-30]]],
    "ngd": [[[0.0, 0.0], [0.0, 1e-30], [0.0, 0.0], [0.0, 0.0]], [[3.0, 0.0], [0.0, 4.0], [0.0, 0.0], [0.0, 0.0]]],
}


@pytest.mark.parametrize("name,rows", [(n, r) for n, pts in FD_POINTS.items() for r in pts])
def test_grad_matches_finite_differences_chosen_points(name, rows):
    assert not near_kink(name, rows)
    check_fd(name, rows)


def test_clip_points_cover_both_regimes():
    norms = [float(np.linalg.norm(np.array(r))) for r in FD_POINTS["clip"]]
    assert any(r < 1 for r in norms) and any(r > 1 for r in norms)
    vals = [abs(x) for r in FD_POINTS["clipv"] for row in r for x in row]
    assert any(v < 0.5 for v in vals) and any(v > 0.5 for v in vals)


@HYP
@given(rows=matrix_strategy(2, 3))
def test_muon_wide_matrix_finite_differences(rows):
    """d < k: G^T G is singular (rank <= 2); K is still C^1 since phi'(0) = 0."""
    pre = make_preconditioner("muon", {"eps": EPS}, shape=(2, 3), seed=0)
    check_fd("muon", rows, pre=pre)


@HYP
@given(data=st.data())
def test_muon_zero_column_finite_differences(data):
    rows = data.draw(matrix_strategy(4, 2), label="G")
    zero = data.draw(st.sampled_from([0, 1]), label="zero column")
    for row in rows:
        row[zero] = 0.0
    check_fd("muon", rows)


# ----------------------------------------------------------------------------- 2. closed forms
def _fr(rows):
    return [[Fraction(x) for x in row] for row in rows]


def test_gd_closed_form():
    rows = _fr([[1, -2], [Fraction(1, 3), 0], [5, Fraction(-7, 4)], [0, 1]])
    pre = build("gd", 4, 2)
    with working_precision(50) as ctx:
        g = to_cols(ctx, rows)
        assert_cols_close(ctx, pre.grad(ctx, g), g, 45, "gd grad")
        want = sum(x * x for row in rows for x in row) / 2
        assert_num_close(ctx, pre.value(ctx, g), want, 45, "gd value")


def test_ngd_closed_form():
    rows = _fr([[3, 0], [0, 4], [0, 0], [0, 0]])  # ||G|| = 5
    pre = build("ngd", 4, 2)
    with working_precision(50) as ctx:
        g = to_cols(ctx, rows)
        want = [[Fraction(10, 51) * x for x in row] for row in rows]   # G/(5 + 1/10)
        assert_cols_close(ctx, pre.grad(ctx, g), to_cols(ctx, want), 45, "ngd grad")
        eps = num(ctx, EPS)
        assert_num_close(ctx, pre.value(ctx, g), 5 - eps * ctx.log(51), 45, "ngd value")
        rows2 = _fr([[1], [-2], [2]])  # ||G|| = 3
        pre1 = build("ngd", 3, 1)
        want2 = [[Fraction(10, 31) * x for x in row] for row in rows2]
        assert_cols_close(ctx, pre1.grad(ctx, to_cols(ctx, rows2)), to_cols(ctx, want2), 45, "ngd grad k=1")


def test_clip_closed_form():
    pre = build("clip", 4, 2)  # c = 1
    with working_precision(50) as ctx:
        active = _fr([[3, 0], [0, 4], [0, 0], [0, 0]])  # ||G|| = 5 > 1: G/5
        want = [[x / 5 for x in row] for row in active]
        assert_cols_close(ctx, pre.grad(ctx, to_cols(ctx, active)), to_cols(ctx, want), 45, "clip active")
        assert_num_close(ctx, pre.value(ctx, to_cols(ctx, active)), Fraction(9, 2), 45, "clip value active")
        inactive = _fr([[Fraction(3, 10), 0], [0, Fraction(4, 10)], [0, 0], [0, 0]])  # ||G|| = 1/2
        g = to_cols(ctx, inactive)
        assert_cols_close(ctx, pre.grad(ctx, g), g, 45, "clip inactive")
        assert_num_close(ctx, pre.value(ctx, g), Fraction(1, 8), 45, "clip value inactive")
    big = make_preconditioner("clip", {"c": Fraction(10)})
    with working_precision(50) as ctx:
        g = to_cols(ctx, active)
        assert_cols_close(ctx, big.grad(ctx, g), g, 45, "clip c=10 inactive at ||G||=5")
        assert_num_close(ctx, big.value(ctx, g), Fraction(25, 2), 45, "clip c=10 value")
    third = make_preconditioner("clip", {"c": Fraction(5, 2)})
    with working_precision(50) as ctx:
        g = to_cols(ctx, active)  # ||G|| = 5 > 5/2: G/2; value c r - c^2/2 = 25/2 - 25/8
        want = [[x / 2 for x in row] for row in active]
        assert_cols_close(ctx, third.grad(ctx, g), to_cols(ctx, want), 45, "clip c=5/2")
        assert_num_close(ctx, third.value(ctx, g), Fraction(75, 8), 45, "clip c=5/2 value")


def test_adam_closed_form():
    rows = _fr([[1, -2], [0, Fraction(1, 2)], [3, Fraction(-1, 10)], [Fraction(1, 10), 9]])
    exact = [[Fraction(10, 11), Fraction(-20, 21)], [0, Fraction(5, 6)],
             [Fraction(30, 31), Fraction(-1, 2)], [Fraction(1, 2), Fraction(90, 91)]]
    pre = build("adam", 4, 2)
    with working_precision(50) as ctx:
        g = to_cols(ctx, rows)
        assert_cols_close(ctx, pre.grad(ctx, g), to_cols(ctx, exact), 45, "adam grad")
        eps = num(ctx, EPS)
        want = ctx.fsum(abs(num(ctx, x)) - eps * ctx.log(1 + abs(num(ctx, x)) / eps) for row in rows for x in row)
        assert_num_close(ctx, pre.value(ctx, g), want, 45, "adam value")
    other = make_preconditioner("adam", {"eps": Fraction(1, 1000)})
    with working_precision(50) as ctx:
        got = other.grad(ctx, [[ctx.mpf(1)]])
        assert_num_close(ctx, got[0][0], Fraction(1000, 1001), 45, "adam eps=1e-3")


def test_sign_closed_form():
    pre = build("sign", 4, 2)
    with working_precision(50) as ctx:
        eps = num(ctx, EPS)
        # tanh(log 2) = 3/5, tanh(log 3) = 4/5: exact checks of tanh(G/eps)
        rows = [[eps * ctx.log(2), -eps * ctx.log(3)], [0, ctx.mpf(1)], [ctx.mpf(-2), ctx.mpf(1) / 3], [eps, 0]]
        g = to_cols(ctx, rows)
        got = pre.grad(ctx, g)
        assert_num_close(ctx, got[0][0], Fraction(3, 5), 45, "sign tanh(log 2)")
        assert_num_close(ctx, got[1][0], Fraction(-4, 5), 45, "sign tanh(-log 3)")
        want = [[ctx.tanh(x / eps) for x in c] for c in g]
        assert_cols_close(ctx, got, want, 45, "sign grad")
        # K = eps log cosh(g/eps); log cosh(log 2) = log(5/4)
        want_v = ctx.fsum(eps * ctx.log(ctx.cosh(x / eps)) for c in g for x in c)
        assert_num_close(ctx, pre.value(ctx, g), want_v, 45, "sign value")
        one = [[eps * ctx.log(2)]]
        assert_num_close(ctx, make_preconditioner("sign", {"eps": EPS}).value(ctx, one),
                         eps * ctx.log(ctx.mpf(5) / 4), 45, "sign value at eps log 2")


def test_clipv_closed_form():
    rows = _fr([[1, -2], [Fraction(3, 10), Fraction(-4, 10)], [Fraction(1, 2), Fraction(-1, 2)], [0, 7]])
    exact = [[Fraction(1, 2), Fraction(-1, 2)], [Fraction(3, 10), Fraction(-4, 10)],
             [Fraction(1, 2), Fraction(-1, 2)], [0, Fraction(1, 2)]]
    c = Fraction(1, 2)

    def huber(x):
        return x * x / 2 if abs(x) <= c else c * abs(x) - c * c / 2

    pre = build("clipv", 4, 2)
    with working_precision(50) as ctx:
        g = to_cols(ctx, rows)
        assert_cols_close(ctx, pre.grad(ctx, g), to_cols(ctx, exact), 45, "clipv grad")
        assert_num_close(ctx, pre.value(ctx, g), sum(huber(x) for row in rows for x in row), 45, "clipv value")


def _phi(ctx, s, eps):
    return s - eps * ctx.log(1 + s / eps)


def test_muon_diagonal_closed_form():
    pre = build("muon", 4, 2)
    rows = _fr([[3, 0], [0, Fraction(1, 2)], [0, 0], [0, 0]])
    exact = [[Fraction(30, 31), 0], [0, Fraction(5, 6)], [0, 0], [0, 0]]
    with working_precision(50) as ctx:
        g = to_cols(ctx, rows)
        assert_cols_close(ctx, pre.grad(ctx, g), to_cols(ctx, exact), 45, "muon diag grad")
        eps = num(ctx, EPS)
        want = _phi(ctx, ctx.mpf(3), eps) + _phi(ctx, ctx.mpf(1) / 2, eps)
        assert_num_close(ctx, pre.value(ctx, g), want, 45, "muon diag value")
        # a negative diagonal entry: sigma = |s|, U absorbs the sign
        rows_neg = _fr([[-3, 0], [0, Fraction(1, 2)], [0, 0], [0, 0]])
        exact_neg = [[Fraction(-30, 31), 0], [0, Fraction(5, 6)], [0, 0], [0, 0]]
        assert_cols_close(ctx, pre.grad(ctx, to_cols(ctx, rows_neg)), to_cols(ctx, exact_neg), 45, "muon -diag")


@pytest.mark.parametrize("s", [(3, Fraction(1, 2)), (2, 2), (Fraction(5, 4), 0)], ids=str)
def test_muon_rotated_closed_form(s):
    """G = U diag(s) V^T with U = Householder[:, :2], V a rational rotation: grad = U diag(s/(s+eps)) V^T."""
    pre = build("muon", 4, 2)
    with working_precision(50) as ctx:
        eps = num(ctx, EPS)
        q = householder(ctx, [1, -2, 3, Fraction(1, 2)])
        u = q[:, 0:2]
        c, sn = num(ctx, Fraction(3, 5)), num(ctx, Fraction(4, 5))
        v = ctx.matrix([[c, -sn], [sn, c]])
        sig = [num(ctx, x) for x in s]
        g = u * ctx.diag(sig) * v.T
        want = u * ctx.diag([x / (x + eps) for x in sig]) * v.T
        assert_cols_close(ctx, pre.grad(ctx, mat_to_cols(g)), mat_to_cols(want), 45, f"muon rotated s={s}")
        assert_num_close(ctx, pre.value(ctx, mat_to_cols(g)), ctx.fsum(_phi(ctx, x, eps) for x in sig), 45,
                         f"muon rotated value s={s}")


def test_muon_single_column_closed_form():
    pre = build("muon", 3, 1)
    rows = _fr([[2], [-1], [2]])  # ||g|| = 3: grad = g/(3 + 1/10)
    with working_precision(50) as ctx:
        want = [[Fraction(10, 31) * x for x in row] for row in rows]
        assert_cols_close(ctx, pre.grad(ctx, to_cols(ctx, rows)), to_cols(ctx, want), 45, "muon k=1")
        assert_num_close(ctx, pre.value(ctx, to_cols(ctx, rows)), _phi(ctx, ctx.mpf(3), num(ctx, EPS)), 45,
                         "muon k=1 value")


def _quadratic_expected(ctx, H, rows):
    """``H vec(G)`` with the row-major vec ``vec(G)[i*k + j] = G[i, j]``, unflattened."""
    d, k = len(rows), len(rows[0])
    vec = [num(ctx, rows[p][q]) for p in range(d) for q in range(k)]
    out = [ctx.fsum(ctx.mpf(float(H[r, s])) * vec[s] for s in range(d * k)) for r in range(d * k)]
    grad_rows = [[out[i * k + j] for j in range(k)] for i in range(d)]
    value = ctx.fsum(vec[r] * out[r] for r in range(d * k)) / 2
    return grad_rows, value


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_quadratic_closed_form_random_h(shape):
    d, k = shape
    pre = build("quadratic", d, k)
    H = np.asarray(pre.extra["H"])
    assert H.shape == (d * k, d * k)
    rows = _fr([[Fraction(i + 1, j + 2) * (-1) ** (i + j) for j in range(k)] for i in range(d)])
    with working_precision(50) as ctx:
        want_rows, want_value = _quadratic_expected(ctx, H, rows)
        assert_cols_close(ctx, pre.grad(ctx, to_cols(ctx, rows)), to_cols(ctx, want_rows), 45, "quadratic grad")
        assert_num_close(ctx, pre.value(ctx, to_cols(ctx, rows)), want_value, 45, "quadratic value")
        # kappa = 4 default: eigenvalues spread over [1, 4] (float64 H, so to ~1e-12)
        assert abs(pre.L(ctx) - 4) < 1e-12 and abs(pre.mu(ctx, ctx.mpf(1)) - 1) < 1e-12


def test_quadratic_row_major_vec_with_diagonal_h():
    """H = diag(1..8) for d=4, k=2: grad[i, j] = (i*k + j + 1) G[i, j] under the row-major vec."""
    H = np.diag(np.arange(1.0, 9.0))
    pre = make_preconditioner("quadratic", {}, shape=(4, 2), H=H)
    rows = _fr([[1, 2], [3, 4], [5, 6], [7, 8]])
    want = [[(i * 2 + j + 1) * rows[i][j] for j in range(2)] for i in range(4)]
    with working_precision(50) as ctx:
        assert_cols_close(ctx, pre.grad(ctx, to_cols(ctx, rows)), to_cols(ctx, want), 45, "quadratic diag H")
        value = sum((i * 2 + j + 1) * rows[i][j] ** 2 for i in range(4) for j in range(2)) / 2
        assert_num_close(ctx, pre.value(ctx, to_cols(ctx, rows)), value, 45, "quadratic diag H value")
        assert_num_close(ctx, pre.L(ctx), 8, 45, "quadratic L")
        assert_num_close(ctx, pre.mu(ctx, ctx.mpf(3)), 1, 45, "quadratic mu")


# ----------------------------------------------------------------------------- 3. zero
@pytest.mark.parametrize("shape", SHAPES + ((2, 3),), ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
def test_zero_is_a_critical_point_with_value_zero(name, shape):
    d, k = shape
    pre = build(name, d, k)
    with working_precision(50) as ctx:
        zero = [[ctx.zero] * d for _ in range(k)]
        grad = pre.grad(ctx, zero)
        assert len(grad) == k and all(len(c) == d for c in grad)
        assert all(x == 0 for c in grad for x in c), f"{name}: grad K(0) = {grad}"
        assert pre.value(ctx, zero) == 0, f"{name}: K(0) = {pre.value(ctx, zero)}"


# ----------------------------------------------------------------------------- 4. constants
EXPECTED_L = {"gd": 1, "ngd": 1 / EPS, "clip": 1, "adam": 1 / EPS, "sign": 1 / EPS, "muon": 1 / EPS, "clipv": 1}
EXPECTED_NORM = {"gd": "fro", "ngd": "fro", "clip": "fro", "adam": "max", "sign": "max", "clipv": "max",
                 "muon": "spectral", "quadratic": "fro"}


@pytest.mark.parametrize("name", NAMES)
def test_structure_constants(name):
    pre = build(name, 4, 2)
    assert pre.natural_norm == EXPECTED_NORM[name]
    with working_precision(50) as ctx:
        if name in EXPECTED_L:
            assert_num_close(ctx, pre.L(ctx), EXPECTED_L[name], 45, f"{name} L")
        eps = num(ctx, EPS)
        for rho in (Fraction(1, 4), Fraction(2)):
            r = num(ctx, rho)
            mu = pre.mu(ctx, r)
            if name in ("ngd", "adam", "muon"):
                want = eps / (r + eps) ** 2
            elif name == "sign":
                want = 1 / (ctx.cosh(r / eps) ** 2 * eps)
            elif name == "gd":
                want = 1
            elif name in ("clip", "clipv"):
                want = 1 if rho <= PARAMS[name]["c"] else 0
            else:
                continue
            assert_num_close(ctx, mu, want, 45, f"{name} mu({rho})")


def _second_difference(ctx, pre, g, v, t):
    gp = [[x + t * y for x, y in zip(cg, cv)] for cg, cv in zip(g, v)]
    a, b = pre.grad(ctx, gp), pre.grad(ctx, g)
    diff = [[x - y for x, y in zip(ca, cb)] for ca, cb in zip(a, b)]
    return inner(ctx, diff, v) / (t * inner(ctx, v, v))


RHOS = {"clip": (Fraction(1, 2), Fraction(3)), "clipv": (Fraction(1, 4), Fraction(2))}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
@HYP
@given(data=st.data())
def test_second_differences_within_mu_and_L(name, shape, data):
    d, k = shape
    pre = build(name, d, k)
    rho = data.draw(st.sampled_from(RHOS.get(name, (Fraction(1, 2), Fraction(2)))), label="rho")
    direction = data.draw(matrix_strategy(d, k), label="direction")
    scale = data.draw(st.floats(min_value=0.0, max_value=1.0), label="radius fraction")
    vrows = data.draw(matrix_strategy(d, k), label="V")
    with working_precision(60) as ctx:
        dcols = to_cols(ctx, direction)
        v = to_cols(ctx, vrows)
        n = natural_norm(ctx, pre.natural_norm, dcols)
        assume(n > 1e-10 and fro(ctx, v) > 1e-10)
        r = num(ctx, rho)
        g = [[x * (r * ctx.mpf(scale) / n) for x in c] for c in dcols]
        assert natural_norm(ctx, pre.natural_norm, g) <= r * (1 + ctx.mpf(10) ** -50)
        g_rows = [[float(g[j][i]) for j in range(k)] for i in range(d)]
        assume(not near_kink(name, g_rows, margin=1e-10))
        q = _second_difference(ctx, pre, g, v, ctx.mpf(10) ** -25)
        lo, hi = pre.mu(ctx, r) - ctx.mpf(10) ** -20, pre.L(ctx) + ctx.mpf(10) ** -20
        assert lo <= q <= hi, f"{name}: second difference {ctx.nstr(q, 20)} outside [{lo}, {hi}]"


@pytest.mark.parametrize("name", NAMES)
def test_bounds_are_attained(name):
    """mu(rho) is the inf and L the sup of the Hessian's spectrum (docs/theory.md §2): both are attained.

    L at G = 0 (Hessian (1/eps) I or I) and mu(rho) on the ball's boundary along the
    worst direction (radial, or the largest entry, or the top singular pair); for the
    quadratic along H's extreme eigenvectors.
    """
    d, k = 4, 2
    pre = build(name, d, k)
    t_exp = -25
    with working_precision(60) as ctx:
        t = ctx.mpf(10) ** t_exp
        rho = num(ctx, RHOS.get(name, (Fraction(1, 2), Fraction(2)))[1])
        e00 = [[ctx.one] + [ctx.zero] * (d - 1)] + [[ctx.zero] * d for _ in range(k - 1)]
        zero = [[ctx.zero] * d for _ in range(k)]
        if name == "quadratic":
            H = np.asarray(pre.extra["H"])
            lam, vecs = ctx.eigsy(ctx.matrix([[ctx.mpf(float(x)) for x in row] for row in H]))
            m = d * k
            i_min = min(range(m), key=lambda i: lam[i])
            i_max = max(range(m), key=lambda i: lam[i])

            def unvec(i):
                return [[vecs[p * k + j, i] for p in range(d)] for j in range(k)]

            q_max = _second_difference(ctx, pre, zero, unvec(i_max), t)
            q_min = _second_difference(ctx, pre, zero, unvec(i_min), t)
            assert abs(q_max - pre.L(ctx)) < 1e-20 and abs(q_min - pre.mu(ctx, rho)) < 1e-20
            return
        # sup at G = 0 (a forward difference: (grad K(tV) - grad K(0))/t -> Hess K(0) V)
        q0 = _second_difference(ctx, pre, zero, e00, t)
        assert abs(q0 - pre.L(ctx)) < 1e-20, f"{name}: L not attained at 0: {q0} vs {pre.L(ctx)}"
        # inf on the boundary of the natural ball, along e00 (radial for ngd/clip/gd,
        # the max entry for adam/sign/clipv, the top singular pair for muon)
        g = [[rho * x for x in c] for c in e00]
        assert natural_norm(ctx, pre.natural_norm, g) == rho
        q_rho = _second_difference(ctx, pre, g, e00, t)
        assert abs(q_rho - pre.mu(ctx, rho)) < 1e-20, f"{name}: mu({rho}) not attained: {q_rho} vs {pre.mu(ctx, rho)}"


# ----------------------------------------------------------------------------- 5. validation
@pytest.mark.parametrize("name,params", [
    ("adam", {"eps": Fraction(0)}), ("adam", {"eps": Fraction(-1, 10)}),
    ("ngd", {"eps": Fraction(0)}), ("sign", {"eps": Fraction(-1)}), ("muon", {"eps": Fraction(0)}),
    ("clip", {"c": Fraction(0)}), ("clip", {"c": Fraction(-1)}),
    ("clipv", {"c": Fraction(0)}), ("clipv", {"c": Fraction(-1, 2)}),
    ("gd", {"eps": Fraction(1, 10)}), ("adam", {"c": Fraction(1)}), ("clip", {"eps": Fraction(1, 10)}),
    ("adam", {"eps": Fraction(1, 10), "beta": Fraction(1, 2)}), ("quadratic", {"eps": Fraction(1)}),
    ("quadratic", {"kappa": Fraction(1, 2)}),
    ("lion", {}), ("Adam", {}), ("", {}), ("gd ", {}),
], ids=str)
def test_invalid_parameters_raise_input_error(name, params):
    with pytest.raises(InputError):
        make_preconditioner(name, params, shape=(4, 2), seed=0)


def test_quadratic_h_validation():
    with pytest.raises(InputError):
        make_preconditioner("quadratic", {})  # neither shape nor H
    with pytest.raises(InputError):
        make_preconditioner("quadratic", {}, shape=(2, 1), H=np.array([[1.0, 2.0], [2.0, 1.0]]))  # indefinite
    with pytest.raises(InputError):
        make_preconditioner("quadratic", {}, shape=(2, 1), H=np.array([[2.0, 1.0], [0.0, 2.0]]))  # not symmetric
    with pytest.raises(InputError):
        make_preconditioner("quadratic", {}, shape=(2, 2), H=np.eye(3))  # wrong size


@pytest.mark.parametrize("name,params", [
    ("adam", {"eps": Fraction(1, 10**30)}), ("clip", {"c": Fraction(1, 10**6)}), ("quadratic", {"kappa": Fraction(1)}),
], ids=str)
def test_valid_boundary_parameters_accepted(name, params):
    pre = make_preconditioner(name, params, shape=(4, 2), seed=0)
    assert dict(pre.params) == params


def test_make_preconditioner_does_not_mutate_params():
    params = {"eps": Fraction(1, 10)}
    make_preconditioner("adam", params)
    assert params == {"eps": Fraction(1, 10)}


# ----------------------------------------------------------------------------- 6. left invariance
EXPECTED_LEFT_INVARIANT = {"gd": True, "ngd": True, "clip": True, "muon": True,
                           "adam": False, "sign": False, "clipv": False, "quadratic": False}
_M = np.array([[2.0, 1.0], [1.0, 3.0]])  # SPD; H = I_4 (x) M is right preconditioning


def _left_invariant_quadratic():
    return make_preconditioner("quadratic", {}, shape=(4, 2), H=np.kron(np.eye(4), _M))


def _apply(ctx, q, cols):
    return mat_to_cols(q * cols_to_mat(ctx, cols))


@pytest.mark.parametrize("name", NAMES)
def test_left_invariant_flags(name):
    assert build(name, 4, 2).left_invariant is EXPECTED_LEFT_INVARIANT[name]


def test_quadratic_left_invariant_flag_by_structure():
    assert _left_invariant_quadratic().left_invariant is True
    blocks = np.kron(np.diag([1.0, 1.0, 1.0, 2.0]), _M)  # block diagonal, unequal blocks
    assert make_preconditioner("quadratic", {}, shape=(4, 2), H=blocks).left_invariant is False


LEFT_INVARIANT_CASES = [(n, s) for n in ("gd", "ngd", "clip", "muon") for s in SHAPES] + [("quadratic-IxM", (4, 2))]


@pytest.mark.parametrize("name,shape", LEFT_INVARIANT_CASES, ids=str)
@HYP
@given(data=st.data())
def test_left_invariance_holds_where_claimed(name, shape, data):
    d, k = shape
    pre = _left_invariant_quadratic() if name == "quadratic-IxM" else build(name, d, k)
    assert pre.left_invariant
    rows = data.draw(matrix_strategy(d, k), label="G")
    v = data.draw(st.lists(entries, min_size=d, max_size=d), label="householder v")
    assume(sum(x * x for x in v) > 1e-6)
    with working_precision(50) as ctx:
        q = householder(ctx, v)
        g = to_cols(ctx, rows)
        qg = _apply(ctx, q, g)
        assert_cols_close(ctx, pre.grad(ctx, qg), _apply(ctx, q, pre.grad(ctx, g)), 45, f"{name}: grad K(QG) = Q grad K(G)")
        assert_num_close(ctx, pre.value(ctx, qg), pre.value(ctx, g), 45, f"{name}: K(QG) = K(G)")


@pytest.mark.parametrize("name", ["adam", "sign", "clipv", "quadratic"])
def test_left_invariance_fails_where_not_claimed(name):
    """G = e_1 e_1^T, Q the reflection taking e_1 to (e_1 + e_2)/sqrt 2."""
    pre = build(name, 4, 2)
    assert not pre.left_invariant
    with working_precision(50) as ctx:
        s = 1 / ctx.sqrt(2)
        q = householder(ctx, [1 - s, -s, 0, 0])
        e1 = ctx.matrix([1, 0, 0, 0])
        assert max(abs(x) for x in (q * e1 - ctx.matrix([s, s, 0, 0]))) < 1e-45
        g = to_cols(ctx, [[1, 0], [0, 0], [0, 0], [0, 0]])
        diff = max_diff(ctx, pre.grad(ctx, _apply(ctx, q, g)), _apply(ctx, q, pre.grad(ctx, g)))
        assert diff > 1e-3, f"{name}: grad K(QG) - Q grad K(G) only {diff}"
