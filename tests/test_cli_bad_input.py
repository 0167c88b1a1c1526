"""Bad input to the command line: exit status 2, one line on stderr, no traceback, no stdout.

docs/cli.md (exit statuses): "2 bad input: one line on stderr naming the problem, no traceback,
nothing written", and docs/internals.md: "Errors a user can cause get a one-line message and exit
status 2: never a traceback, never a silent wrong answer."

The table below lists one row per kind of bad input.  Each row is run in-process through
``verify.cli.main(argv)`` (fast); a few rows are also run through the installed
``dspgd-verify`` console script to show that it behaves the same.

Every ``check`` row carries a small default problem (``--n 2 --d 3 --k 1``) and a guard
(``--dps 20 --max-iter 5``), so that a row the product wrongly accepts ends within a second
or two and fails the test instead of running a long verification.  Row arguments come last,
so a row that is about ``--n`` or ``--dps`` overrides the defaults (argparse: last wins).

A row that exposes a product bug stays in the table, marked ``xfail(strict=True)`` with the
observed behaviour as the reason.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from verify.cli.app import main

SMALL = ("--n", "2", "--d", "3", "--k", "1")
GUARD = ("--dps", "20", "--max-iter", "5")
FILE = "@FILE"  # placeholder in an argv, replaced by the path the row's builder returns

# A valid problem: X is 2 x 3 of full row rank, Y is 2 x 1, W0 is 3 x 1.
X_OK = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
Y_OK = np.array([[1.0], [2.0]])
W0_OK = np.zeros((3, 1))


# ----------------------------------------------------------------------------- builders
def npz(**arrays):
    """A builder writing ``arrays`` to an ``.npz`` (np.savez pickles object arrays)."""
    def build(tmp: Path) -> str:
        path = tmp / "problem.npz"
        np.savez(path, **arrays)
        return str(path)
    return build


def problem(**overrides):
    """A builder for the valid problem with some arrays replaced (``None`` drops one)."""
    arrays = {"X": X_OK, "Y": Y_OK, "W0": W0_OK, **overrides}
    return npz(**{k: v for k, v in arrays.items() if v is not None})


def with_nonfinite(name: str, value: float):
    arrays = {"X": X_OK.copy(), "Y": Y_OK.copy(), "W0": W0_OK.copy()}
    arrays[name][0, 0] = value
    return npz(**arrays)


def raw_bytes(tmp: Path) -> str:
    path = tmp / "random.npz"
    data = np.random.default_rng(12345).bytes(512)
    assert not data.startswith((b"PK", b"\x93NUMPY"))
    path.write_bytes(data)
    return str(path)


def truncated_zip(tmp: Path) -> str:
    full = Path(problem()(tmp))
    path = tmp / "truncated.npz"
    path.write_bytes(full.read_bytes()[:100])
    return str(path)


def declared_huge(shape: tuple, name: str = "X"):
    """A builder for a small hostile .npz whose ``name`` header declares ``shape`` (numpy would
    allocate the declared size before noticing the data is missing)."""
    def build(tmp: Path) -> str:
        import io
        import zipfile
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
        header.write(b"\0" * 64)
        path = tmp / "hostile.npz"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(f"{name}.npy", header.getvalue())
            for other, arr in (("X", X_OK), ("Y", Y_OK)):
                if other != name:
                    buf = io.BytesIO()
                    np.save(buf, arr)
                    z.writestr(f"{other}.npy", buf.getvalue())
        return str(path)
    return build


def missing_file(tmp: Path) -> str:
    return str(tmp / "does-not-exist.npz")


def a_directory(tmp: Path) -> str:
    path = tmp / "a-directory.npz"
    path.mkdir()
    return str(path)


def plain_npy(tmp: Path) -> str:
    path = tmp / "X.npy"
    np.save(path, X_OK)
    return str(path)


# ----------------------------------------------------------------------------- argv makers
def check(*extra: str, pre: str | None = "gd", small: bool = True) -> list[str]:
    """``check [--preconditioner PRE] [SMALL] GUARD EXTRA...``."""
    argv = ["check"]
    if pre:
        argv += ["--preconditioner", pre]
    if small:
        argv += SMALL
    return argv + list(GUARD) + list(extra)


def check_file(*extra: str, pre: str = "gd") -> list[str]:
    """``check --preconditioner PRE --problem FILE GUARD EXTRA...`` (no --n/--d/--k)."""
    return check("--problem", FILE, *extra, pre=pre, small=False)


def case(id_: str, argv: list[str], expect: str, build=None, *, seconds: float | None = None,
         bug: str | None = None):
    """One row: argv, a distinctive substring of the stderr line, an optional file builder,
    an optional time limit; ``bug`` marks a known product bug (strict xfail)."""
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(argv, expect, build, seconds, id=id_, marks=marks)


CASES = [
    # --- the problem file: rank, n < d, finiteness, shapes, dtypes, format -------------------
    case("npz-rank-deficient-equal-rows", check_file(), "rank deficient",
         problem(X=np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))),
    case("npz-rank-deficient-zero-X", check_file(), "rank deficient", problem(X=np.zeros((2, 3)))),
    case("npz-n-equals-d", check_file(), "n < d",
         problem(X=np.eye(3), Y=np.ones((3, 1)))),
    case("npz-n-greater-than-d", check_file(), "n < d",
         problem(X=np.ones((3, 2)), Y=np.ones((3, 1)), W0=np.zeros((2, 1)))),
    case("npz-X-nan", check_file(), "X has non-finite", with_nonfinite("X", np.nan)),
    case("npz-X-inf", check_file(), "X has non-finite", with_nonfinite("X", np.inf)),
    case("npz-Y-nan", check_file(), "Y has non-finite", with_nonfinite("Y", np.nan)),
    case("npz-Y-minus-inf", check_file(), "Y has non-finite", with_nonfinite("Y", -np.inf)),
    case("npz-W0-nan", check_file(), "W0 has non-finite", with_nonfinite("W0", np.nan)),
    case("npz-W0-inf", check_file(), "W0 has non-finite", with_nonfinite("W0", np.inf)),
    case("npz-X-huge-entries", check_file(), "larger than 1e100", problem(X=X_OK * 1e200)),
    case("npz-shape-X-vs-Y", check_file(), "shape mismatch", problem(Y=np.ones((3, 1)))),
    case("npz-shape-X-vs-W0", check_file(), "shape mismatch", problem(W0=np.zeros((2, 1)))),
    case("npz-shape-Y-vs-W0", check_file(), "shape mismatch", problem(W0=np.zeros((3, 2)))),
    case("npz-Y-3d", check_file(), "Y must be a 2-D array",
         problem(Y=np.ones((2, 1, 1)), W0=None)),
    case("npz-X-1d", check_file(), "X must be a 2-D array", problem(X=np.ones(3))),
    case("npz-X-0d", check_file(), "X must be a 2-D array", problem(X=np.array(1.0))),
    case("npz-W0-3d", check_file(), "W0 must be a 2-D array", problem(W0=np.zeros((3, 1, 1)))),
    case("npz-X-empty", check_file(), "n must be a positive integer",
         problem(X=np.zeros((0, 3)), Y=np.zeros((0, 1)))),
    case("npz-Y-no-columns", check_file(), "k must be a positive integer",
         problem(Y=np.zeros((2, 0)), W0=np.zeros((3, 0)))),
    case("npz-X-complex", check_file(), "real numeric array", problem(X=X_OK + 1j)),
    case("npz-X-bool", check_file(), "real numeric array", problem(X=np.ones((2, 3), dtype=bool))),
    case("npz-X-strings", check_file(), "real numeric array", problem(X=np.array([["a", "b", "c"]] * 2))),
    case("npz-X-pickled-object-array", check_file(), "real numeric array",
         problem(X=np.array([[1.0, "a", None], [0.0, 1.0, 2.0]], dtype=object))),
    case("npz-missing-Y", check_file(), "missing array", problem(Y=None)),
    case("npz-missing-X", check_file(), "missing array", problem(X=None)),
    case("file-does-not-exist", check_file(), "cannot read", missing_file),
    case("file-random-bytes-not-zip", check_file(), "not an .npz archive", raw_bytes),
    case("file-truncated-zip", check_file(), "not a readable .npz archive", truncated_zip),
    case("file-is-a-directory", check_file(), "is a directory", a_directory),
    case("file-is-plain-npy", check_file(), "not an .npz archive", plain_npy),
    # H in the problem file (used by --preconditioner quadratic)
    case("npz-H-not-square", check_file(pre="quadratic"), "H must be a square matrix",
         problem(H=np.ones((3, 2)))),
    case("npz-H-wrong-size", check_file(pre="quadratic"), "H must be (d*k) x (d*k)",
         problem(H=np.eye(2))),
    case("npz-H-not-symmetric", check_file(pre="quadratic"), "symmetric",
         problem(H=np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]))),
    case("npz-H-not-positive-definite", check_file(pre="quadratic"), "not positive definite",
         problem(H=-np.eye(3))),
    case("npz-H-nan", check_file(pre="quadratic"), "H has non-finite",
         problem(H=np.full((3, 3), np.nan))),
    case("npz-H-pickled-object-array", check_file(pre="quadratic"), "H must be a real numeric array",
         problem(H=np.array([1, None], dtype=object))),
    case("npz-H-strings", check_file(pre="quadratic"), "H must be a real numeric array",
         problem(H=np.array([["a", "b", "c"]] * 3))),
    case("npz-H-complex", check_file(pre="quadratic"), "H must be a real numeric array",
         problem(H=np.eye(3) * (1 + 1j))),
    case("npz-X-declares-enormous-shape", check_file(), "above the limit", declared_huge((100000, 100000)),
         seconds=2.0),
    case("npz-Y-declares-enormous-shape", check_file(), "above the limit", declared_huge((10**9, 10**9), "Y"),
         seconds=2.0),
    # the declared shape is checked against Y's before anything is read
    case("npz-X-header-lies-about-size", check_file(), "shape mismatch", declared_huge((1000, 3))),
    # Y outside range(X): impossible for a valid problem (full row rank makes X surjective, docs/theory.md §1);
    # the only way to get it is a rank-deficient X, refused above ("rank deficient").
    case("npz-Y-outside-range-of-X", check_file(), "rank deficient",
         problem(X=np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), Y=np.array([[1.0], [2.0]]))),
    case("problem-with-w0", check_file("--w0", "random"), "--problem excludes", problem()),
    case("problem-with-n", check_file("--n", "2"), "--problem excludes", problem()),
    case("problem-with-seed", check_file("--seed", "1"), "--problem excludes", problem()),
    # --- generated problem: sizes ----------------------------------------------------------
    case("n-equals-d", check("--n", "3", "--d", "3"), "n < d"),
    case("n-greater-than-d", check("--n", "5", "--d", "3"), "n < d"),
    case("enormous-shape", check("--n", "100000", "--d", "10000000"), "too large", seconds=2.0),
    case("too-many-columns", check("--k", "51"), "too large"),
    case("d-above-parser-limit", check("--d", "10000001"), "--d"),
    case("n-zero", check("--n", "0"), "--n"),
    case("n-not-integer", check("--n", "2.5"), "--n"),
    case("k-negative", check("--k", "-1"), "--k"),
    case("seed-negative", check("--seed", "-1"), "--seed"),
    case("w0-bogus", check("--w0", "bogus"), "--w0"),
    # --- preconditioner and its parameters -------------------------------------------------
    case("unknown-preconditioner", check("--preconditioner", "bogus", pre=None), "unknown preconditioner"),
    case("adam-eps-zero", check("--param", "eps=0", pre="adam"), "eps must be > 0"),
    case("adam-eps-negative", check("--param", "eps=-1", pre="adam"), "eps must be > 0"),
    case("ngd-eps-zero", check("--param", "eps=0", pre="ngd"), "eps must be > 0"),
    case("clip-c-zero", check("--param", "c=0", pre="clip"), "c must be > 0"),
    case("clipv-c-negative", check("--param", "c=-1/2", pre="clipv"), "c must be > 0"),
    case("quadratic-kappa-below-one", check("--param", "kappa=1/2", pre="quadratic"), "kappa must be >= 1"),
    case("param-without-equals", check("--param", "eps", pre="adam"), "KEY=VALUE"),
    case("param-non-numeric", check("--param", "eps=abc", pre="adam"), "not a number"),
    case("param-expression", check("--param", 'eps=__import__("os")', pre="adam"), "not a number"),
    case("param-python-literal", check("--param", "eps=1e-3+0j", pre="adam"), "not a number"),
    case("param-division-by-zero", check("--param", "eps=1/0", pre="adam"), "not a valid number"),
    case("param-out-of-range", check("--param", "eps=1e-40", pre="adam"), "outside the supported range"),
    case("param-empty-name", check("--param", "=1", pre="adam"), "invalid parameter name"),
    case("param-given-twice", check("--param", "eps=1", "--param", "eps=2", pre="adam"), "given twice"),
    case("param-unknown-name", check("--param", "c=1", pre="adam"), "unknown parameter"),
    case("param-for-gd", check("--param", "eps=1", pre="gd"), "unknown parameter"),
    case("param-without-preconditioner", check("--param", "eps=0.1", pre=None), "--param needs --preconditioner"),
    # --- loss ------------------------------------------------------------------------------
    case("unknown-loss", check("--loss", "bogus"), "unknown loss"),
    case("huber-delta-zero", check("--loss", "huber", "--loss-delta", "0"), "delta > 0"),
    case("huber-delta-negative", check("--loss", "huber", "--loss-delta", "-2"), "delta > 0"),
    case("huber-delta-non-numeric", check("--loss", "huber", "--loss-delta", "abc"), "not a number"),
    case("delta-with-square-loss", check("--loss-delta", "1"), "only applies to the huber loss"),
    # --- precision, learning rates, tolerance, budgets -------------------------------------
    case("dps-negative", check("--dps", "-5"), "--dps"),
    case("dps-too-small", check("--dps", "5"), "--dps"),
    case("dps-non-numeric", check("--dps", "abc"), "--dps"),
    case("dps-too-large", check("--dps", "100000"), "--dps"),
    case("lr-frac-zero", check("--lr-frac", "0"), "--lr-frac must lie in (0, 1)"),
    case("lr-frac-one", check("--lr-frac", "1"), "--lr-frac must lie in (0, 1)"),
    case("lr-frac-above-one", check("--lr-frac", "1.5"), "--lr-frac must lie in (0, 1)"),
    case("lr-frac-non-numeric", check("--lr-frac", "half"), "not a number"),
    case("lr-zero", check("--lr", "0"), "--lr must be > 0"),
    case("lr-negative", check("--lr", "-1"), "--lr must be > 0"),
    case("lr-huge", check("--lr", "1e9999"), "outside the supported range"),
    case("lr-nan", check("--lr", "nan"), "not a number"),
    case("tol-above-one", check("--tol", "5"), "--tol must lie in (0, 1)"),
    case("tol-zero", check("--tol", "0"), "--tol must lie in (0, 1)"),
    case("tol-non-numeric", check("--tol", "abc"), "not a number"),
    case("max-iter-zero", check("--max-iter", "0"), "--max-iter"),
    case("timeout-zero", check("--timeout", "0"), "--timeout must be > 0"),
    case("timeout-non-numeric", check("--timeout", "abc"), "not a number"),
    case("jobs-zero", check("--jobs", "0"), "--jobs"),
    case("backend-nonsense", check("--backend", "nonsense"), "--backend"),
    case("solver-unknown", check("--solver", "bogus"), "--solver"),
    case("solver-real-but-not-installed", check("--solver", "MOSEK"), "not an installed cvxpy solver"),
    case("lr-frac-negative", check("--lr-frac", "-0.5"), "--lr-frac must lie in (0, 1)"),
    case("lr-frac-tiny", check("--lr-frac", "1e-40"), "outside the supported range"),
    case("lr-above-range", check("--lr", "1e13"), "outside the supported range"),
    case("dps-zero", check("--dps", "0"), "--dps"),
    case("dps-just-below-minimum", check("--dps", "9"), "--dps"),
    case("max-iter-negative", check("--max-iter", "-5"), "--max-iter"),
    case("max-iter-float-text", check("--max-iter", "1e3"), "--max-iter: expected an integer"),
    case("timeout-negative", check("--timeout", "-1"), "--timeout must be > 0"),
    case("timeout-nan", check("--timeout", "nan"), "not a number"),
    case("timeout-inf", check("--timeout", "inf"), "not a number"),
    case("tol-negative", check("--tol", "-1"), "--tol must lie in (0, 1)"),
    case("tol-below-range", check("--tol", "1e-40"), "outside the supported range"),
    case("jobs-too-many", check("--jobs", "1000"), "--jobs"),
    case("seed-too-large", check("--seed", "4294967296"), "--seed"),
    case("n-float-text", check("--n", "1e3"), "--n: expected an integer"),
    case("backend-float128-unknown", check("--backend", "float128"), "is not available"),
    case("delta-with-logcosh-loss", check("--loss", "logcosh", "--loss-delta", "1"), "only applies to the huber"),
    case("claim-empty", check("--claim", ""), "expected limit=gd"),
    # --- your own K or update map: malformed and hostile expressions --------------------------
    case("K-import", check("--K", "__import__('os').system('touch pwned')", "--structure", "entrywise", pre=None),
         "function '__import__' is not allowed"),
    case("K-power-tower", check("--K", "9**9**9**9", "--structure", "entrywise", pre=None), "too large"),
    case("K-attribute", check("--K", "g.__class__", "--structure", "entrywise", pre=None), "attribute access"),
    case("K-lambda", check("--K", "lambda: 1", "--structure", "entrywise", pre=None), "lambda"),
    case("K-open", check("--K", "open('x')", "--structure", "entrywise", pre=None), "function 'open' is not allowed"),
    case("K-statement", check("--K", "g**2/2;import os", "--structure", "entrywise", pre=None), "syntax error"),
    case("K-nul-byte", check("--K", "g**2\x00", "--structure", "entrywise", pre=None), "not allowed"),
    case("K-empty", check("--K", "", "--structure", "entrywise", pre=None), "expression is empty"),
    case("K-too-long", check("--K", "g" * 3000, "--structure", "entrywise", pre=None), "more than the limit"),
    case("K-unknown-name", check("--K", "x**2", "--structure", "entrywise", pre=None), "name 'x' is not allowed"),
    case("K-wrong-variable-for-structure", check("--K", "r**2/2", "--structure", "entrywise", pre=None),
         "name 'r' is not allowed"),
    case("K-symbolic-exponent", check("--K", "g**g", "--structure", "entrywise", pre=None), "exponent must be a number"),
    case("K-exponent-too-large", check("--K", "g**100", "--structure", "entrywise", pre=None), "too large"),
    case("K-literal-too-large", check("--K", "1e1000*g**2", "--structure", "entrywise", pre=None), "too large"),
    case("K-undeclared-parameter", check("--K", "eps*g**2", "--structure", "entrywise", pre=None),
         "name 'eps' is not allowed"),
    case("K-without-structure", check("--K", "g**2", pre=None), "--K needs --structure"),
    case("K-bogus-structure", check("--K", "g**2", "--structure", "bogus", pre=None), "--structure must be one of"),
    case("K-leading-minus-needs-equals", check("--K", "-r**2", "--structure", "isotropic", pre=None),
         "--K=-r**2"),
    case("K-general-entry-out-of-shape", check("--K", "G_9_9**2", "--structure", "general", pre=None),
         "name 'G_9_9' is not allowed"),
    case("K-with-preconditioner", check("--K", "g**2", "--structure", "entrywise"), "exclude --preconditioner"),
    case("K-and-update", check("--K", "g**2", "--update", "G", "--structure", "entrywise", pre=None),
         "not both"),
    case("structure-without-K", check("--structure", "entrywise", pre=None), "--structure needs --K"),
    case("update-wrong-shape", check("--update", "[[G_1_1]]", "--structure", "general", pre=None),
         "the problem needs 3x1"),
    case("update-isotropic-structure", check("--update", "G**2", "--structure", "isotropic", pre=None),
         "--update supports --structure entrywise or general"),
    case("update-list-for-entrywise", check("--update", "[[G_1_1], [G_2_1], [G_3_1]]", pre=None), "list"),
    # --- proofs and selftest -----------------------------------------------------------------
    case("proofs-unknown-id", ["proofs", "--only", "BOGUS"], "unknown result id"),
    case("proofs-examples-zero", ["proofs", "--examples", "0"], "--examples"),
    case("proofs-examples-text", ["proofs", "--examples", "abc"], "--examples: expected an integer"),
    case("proofs-out-missing-dir", ["proofs", "--out", "/nonexistent/dir"], "not a writable directory"),
    case("proofs-K-without-structure", ["proofs", "--K", "r**2"], "--K needs --structure"),
    case("proofs-K-hostile", ["proofs", "--K", "__import__('os')", "--structure", "isotropic"],
         "function '__import__' is not allowed"),
    case("proofs-K-with-preconditioner", ["proofs", "--K", "r**2", "--structure", "isotropic",
                                          "--preconditioner", "gd"], "--K excludes --preconditioner"),
    case("proofs-unknown-preconditioner", ["proofs", "--preconditioner", "bogus"], "unknown preconditioner"),
    case("proofs-param-without-preconditioner", ["proofs", "--param", "eps=1"], "--param needs --preconditioner"),
    case("proofs-bad-param-value", ["proofs", "--preconditioner", "adam", "--param", "eps=0"], "eps must be > 0"),
    case("proofs-seed-negative", ["proofs", "--seed", "-1"], "--seed"),
    case("selftest-unknown-case", ["selftest", "--only", "bogus"], "unknown case"),
    case("selftest-unknown-option", ["selftest", "--bogus"], "unrecognized arguments: --bogus"),
    case("selftest-only-without-value", ["selftest", "--only"], "expected one argument"),
    # --- claims ----------------------------------------------------------------------------
    case("claim-unknown-form", check("--claim", "limit=bogus"), "expected limit=gd"),
    case("claim-free-text", check("--claim", "converges"), "expected limit=gd"),
    case("claim-unknown-norm", check("--claim", "limit=minnorm:bogus"), "unknown norm"),
    case("claim-hinv-without-quadratic", check("--claim", "limit=minnorm:hinv", pre="adam"),
         "needs --preconditioner quadratic"),
    case("claim-bound-negative", check("--claim", "bound:c=-1"), "the bound must be > 0"),
    case("claim-bound-zero", check("--claim", "bound:c=0"), "the bound must be > 0"),
    case("claim-bound-non-numeric", check("--claim", "bound:c=abc"), "not a number"),
    # --- argparse-level errors ---------------------------------------------------------------
    case("check-unknown-option", check("--bogus"), "unrecognized arguments: --bogus"),
    case("check-stray-positional", check("stray"), "unrecognized arguments: stray"),
    case("check-option-missing-value", check("--n"), "expected one argument"),
    case("catalog-unknown-option", ["catalog", "--bogus"], "unrecognized arguments: --bogus"),
    case("catalog-stray-positional", ["catalog", "extra"], "unrecognized arguments: extra"),
    case("catalog-json-with-value", ["catalog", "--json=yes"], "ignored explicit argument"),
    case("unknown-subcommand", ["bogus"], "invalid choice"),
]

# Rows also run through the installed console script (and compared with the in-process run).
SUBPROCESS_IDS = ("npz-rank-deficient-equal-rows", "enormous-shape", "param-expression")


# ----------------------------------------------------------------------------- helpers
def materialize(argv: list[str], build, tmp: Path) -> list[str]:
    if build is None:
        assert FILE not in argv
        return list(argv)
    path = build(tmp)
    return [path if a == FILE else a for a in argv]


def assert_bad_input(rc, out: str, err: str, expect: str, argv: list[str]) -> None:
    where = f"argv={argv!r}\nrc={rc!r}\nstdout={out[-2000:]!r}\nstderr={err[-2000:]!r}"
    assert "Traceback" not in err, where
    assert rc == 2, where
    assert out == "", where
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), where
    assert err.endswith("\n"), where
    assert lines[0].startswith("dspgd-verify: error: "), where
    assert expect in lines[0], f"expected {expect!r} in the message\n{where}"


def run_in_process(argv: list[str]):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse escaping the one-line handler would land here
        return f"SystemExit({exc.code!r})"


def console_script() -> str:
    beside = Path(sys.executable).with_name("dspgd-verify")
    found = str(beside) if beside.exists() else shutil.which("dspgd-verify")
    assert found, "the dspgd-verify console script is not installed (pip install -e .)"
    return found


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    # With DSPGD_VERIFY_DEBUG set the CLI re-raises internal errors on purpose.
    monkeypatch.delenv("DSPGD_VERIFY_DEBUG", raising=False)


# ----------------------------------------------------------------------------- tests
def test_case_ids_are_unique():
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids))
    assert set(SUBPROCESS_IDS) <= set(ids)


@pytest.mark.parametrize("argv, expect, build, seconds", CASES)
def test_bad_input_exits_2_with_one_line(argv, expect, build, seconds, tmp_path, capsys, monkeypatch):
    argv = materialize(argv, build, tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if seconds is not None:
        tracemalloc.start()
    t0 = time.perf_counter()
    try:
        rc = run_in_process(argv)
    finally:
        elapsed = time.perf_counter() - t0
        if seconds is not None:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    out, err = capsys.readouterr()
    assert_bad_input(rc, out, err, expect, argv)
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a refused command wrote a file"
    if seconds is not None:
        assert elapsed < seconds, f"refused only after {elapsed:.2f} s: {argv!r}"
        # Refused before allocating: nothing near the size of the requested arrays.
        assert peak < 64 * 2**20, f"peak allocation {peak} bytes before refusing {argv!r}"


@pytest.mark.parametrize("argv, expect, build, seconds",
                         [p for p in CASES if p.id in SUBPROCESS_IDS])
def test_console_script_behaves_the_same(argv, expect, build, seconds, tmp_path, capsys):
    argv = materialize(argv, build, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DSPGD_VERIFY_DEBUG"}
    t0 = time.perf_counter()
    proc = subprocess.run([console_script(), *argv], capture_output=True, text=True,
                          timeout=120, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    assert_bad_input(proc.returncode, proc.stdout, proc.stderr, expect, argv)
    if seconds is not None:
        # Interpreter start-up and imports (numpy, sympy, cvxpy) come on top of the refusal.
        assert elapsed < seconds + 60, f"console script took {elapsed:.1f} s: {argv!r}"
    # The same message as the in-process call.
    rc = run_in_process(argv)
    out, err = capsys.readouterr()
    assert (rc, out, err) == (proc.returncode, proc.stdout, proc.stderr)


def test_control_valid_input_is_not_refused_and_the_guard_keeps_it_short(capsys):
    """The harness tells bad input from good: the same small, guarded argv without a fault
    is accepted (a verdict table on stdout, exit 0, 1 or 3) and ends quickly."""
    argv = check()
    t0 = time.perf_counter()
    rc = run_in_process(argv)
    elapsed = time.perf_counter() - t0
    out, err = capsys.readouterr()
    assert rc in (0, 1, 3), (rc, err)
    assert "Traceback" not in err and out.strip()
    assert elapsed < 30, f"a guarded valid run took {elapsed:.1f} s"
