"""Bounded work for hostile input (issue: nested powers, crafted .npz files, slow SymPy).

Each case must end quickly with a documented exit status and a one-line reason, and a crafted
file of a few MB must be refused before it makes the tool allocate more than 100 MB."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from numeric.errors import InputError
from numeric.npz import load_npz
from numeric.problem import load_problem
from verify.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _cli(capsys, argv):
    t0 = time.perf_counter()
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return rc, out, err, time.perf_counter() - t0


# ----------------------------------------------------------------------------- expressions
@pytest.mark.parametrize("argv", [
    ["check", "--K", "((1+g)**64)**64", "--structure", "entrywise"],
    ["check", "--update", "((1+G)**64)**64"],
    ["check", "--K", "(((1+g)**64)**64)**64", "--structure", "entrywise"],
    ["check", "--K", "(g**64 + 1)**64", "--structure", "entrywise"],
    ["lr-study", "--K", "g**64*g**64", "--structure", "entrywise"],
])
def test_nested_powers_are_refused_at_once(capsys, argv):
    rc, _, err, seconds = _cli(capsys, [*argv, "--n", "1", "--d", "2", "--k", "1", "--timeout", "5"])
    assert rc == 2 and err.count("\n") == 1 and ("exponent" in err or "degree" in err), err
    assert seconds < 5, seconds


def test_a_bad_expression_is_refused_before_cvxpy_and_the_exact_rank():
    """In a fresh process: the refusal comes before cvxpy is imported."""
    code = ("import sys; from verify.cli.app import main; "
            "rc = main(['check', '--K', 'g**', '--structure', 'entrywise', '--n', '200', '--d', '5000']); "
            "print(rc, 'cvxpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert out.stdout.split() == ["2", "False"], (out.stdout, out.stderr)
    assert "syntax error" in out.stderr


SLOW_K = "(1+g)**64*(2-g)**64"   # within the parser's bounds; SymPy's simplify takes minutes


def test_slow_symbolic_work_ends_within_timeout_as_inconclusive(capsys):
    rc, out, err, seconds = _cli(capsys, ["check", "--K", SLOW_K, "--structure", "entrywise", "--n", "1",
                                          "--d", "2", "--k", "1", "--timeout", "2", "--json"])
    rec = json.loads(out)
    assert rc == 3, err
    assert "--timeout" in rec["stopped"] and rec["claims"][0]["verdict"] == "inconclusive"
    assert seconds < 2 + 20, seconds  # the limit plus start-up (cvxpy, the problem) on a loaded machine


def test_slow_symbolic_work_in_lr_study_ends_within_timeout(capsys):
    rc, out, err, seconds = _cli(capsys, ["lr-study", "--K", SLOW_K, "--structure", "entrywise",
                                          "--timeout", "1", "--json"])
    assert rc == 3 and "--timeout" in json.loads(out)["stopped"], (out, err)
    assert seconds < 1 + 20, seconds


# ----------------------------------------------------------------------------- .npz files
def _header(shape, descr="<f8") -> bytes:
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": False, "shape": shape})
    return b.getvalue()


def _npy(a) -> bytes:
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


X_OK = np.random.default_rng(0).standard_normal((2, 4))
Y_OK = np.ones((2, 1))
HUGE = (25_000_000, 8)   # 1.6 GB of float64 if numpy were to allocate it


def _zip(path: Path, members: list[tuple[str, bytes]]) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return str(path)


CRAFTED = {
    # the file: a harmless X.npy, and the X that numpy would read
    "ambiguous": lambda p: _zip(p, [("X.npy", _npy(X_OK)), ("Y.npy", _npy(Y_OK)), ("X", _header(HUGE) + bytes(64))]),
    "declared": lambda p: _zip(p, [("X.npy", _header(HUGE) + bytes(64)), ("Y.npy", _npy(Y_OK))]),
    "objects": lambda p: _zip(p, [("X.npy", _header((2, 4), "|O")), ("Y.npy", _npy(Y_OK))]),
    "wide-items": lambda p: _zip(p, [("X.npy", _header((2, 4), "|V1000000")), ("Y.npy", _npy(Y_OK))]),
    "members": lambda p: _zip(p, [("X.npy", _npy(X_OK)), ("Y.npy", _npy(Y_OK))]
                              + [(f"m{i}.npy", b"") for i in range(5000)]),
    "text": lambda p: (p.write_text("X, Y\n1, 2\n"), str(p))[1],
    "npy": lambda p: (p.write_bytes(_npy(X_OK)), str(p))[1],
    "short-data": lambda p: _zip(p, [("X.npy", _header((2, 4)) + bytes(8)), ("Y.npy", _npy(Y_OK))]),
}
MESSAGE = {"ambiguous": "ambiguous", "declared": "refused before reading", "objects": "real numeric",
           "wide-items": "real numeric", "members": "members", "text": "not an .npz archive", "npy": "single .npy",
           "short-data": "cannot read array X"}


@pytest.mark.parametrize("kind", sorted(CRAFTED))
def test_crafted_files_are_refused_with_one_line(tmp_path, kind):
    path = CRAFTED[kind](tmp_path / f"{kind}.npz")
    with pytest.raises(InputError, match=MESSAGE[kind]):
        load_problem(path)


def test_duplicate_member_names_are_refused(tmp_path):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # zipfile warns about the duplicate it writes
        path = _zip(tmp_path / "dup.npz", [("X.npy", _npy(X_OK)), ("Y.npy", _npy(Y_OK)), ("X.npy", _npy(X_OK))])
    with pytest.raises(InputError, match="more than once"):
        load_problem(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="FIFO"):
        load_problem(str(fifo))
    assert time.perf_counter() - t0 < 2


def test_a_directory_and_a_missing_file_are_refused(tmp_path):
    with pytest.raises(InputError, match="directory"):
        load_problem(str(tmp_path))
    with pytest.raises(InputError, match="cannot read"):
        load_problem(str(tmp_path / "none.npz"))


def test_a_good_file_still_loads(tmp_path):
    path = _zip(tmp_path / "ok.npz", [("X.npy", _npy(X_OK)), ("Y.npy", _npy(Y_OK))])
    p = load_problem(path)
    assert (p.n, p.d, p.k) == (2, 4, 1)
    arrays = load_npz(path, ("X",), ("Y", "W0"))
    assert set(arrays) == {"X", "Y"} and np.array_equal(arrays["X"], X_OK)


_PEAK = """
import sys, tracemalloc
from numeric.errors import InputError
from numeric.problem import load_problem
from numeric.margin.data import load_margin_problem
tracemalloc.start()
try:
    load_problem(sys.argv[1]) if sys.argv[2] == "problem" else load_margin_problem(sys.argv[1], "binary")
    print("accepted")
except InputError as exc:
    print("refused", tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.parametrize("loader", ["problem", "margin"])
def test_a_full_size_crafted_file_is_refused_under_100_mb(tmp_path, loader):
    """A complete 1.6 GB array of zeros, deflated to about 1.6 MB, beside a harmless X.npy (and
    alone): refused with a traced peak far below 100 MB, in a fresh process."""
    y = np.ones(2) if loader == "margin" else Y_OK
    name_y = "y.npy" if loader == "margin" else "Y.npy"
    files = [_write_bomb(tmp_path / "both.npz", (("X.npy", X_OK), (name_y, y)), "X"),
             _write_bomb(tmp_path / "alone.npz", ((name_y, y),), "X.npy")]
    for path in files:
        assert os.path.getsize(path) < 5 * 2**20
        out = subprocess.run([sys.executable, "-c", _PEAK, path, loader], capture_output=True, text=True,
                             env=ENV, timeout=120)
        word, peak = out.stdout.split()
        assert word == "refused" and int(peak) < 100 * 2**20, (out.stdout, out.stderr)


def test_the_cli_refuses_the_crafted_file_with_exit_2(tmp_path, capsys):
    path = CRAFTED["ambiguous"](tmp_path / "a.npz")
    for argv in (["check", "--problem", path, "--preconditioner", "gd"],
                 ["margin", "--problem", path, "--optimizer", "gd", "--model", "binary"]):
        rc, _, err, _ = _cli(capsys, argv)
        assert rc == 2 and "ambiguous" in err and err.count("\n") == 1, err


# ----------------------------------------------------------------------------- smaller items
def test_tiny_data_is_refused_and_small_data_runs(tmp_path, capsys):
    rng = np.random.default_rng(0)
    tiny, small = str(tmp_path / "tiny.npz"), str(tmp_path / "small.npz")
    np.savez(tiny, X=rng.standard_normal((2, 4)) * 1e-310, Y=np.ones((2, 1)))   # subnormal entries
    np.savez(small, X=(1 + rng.random((2, 4))) * 1e-99, Y=np.ones((2, 1)))
    rc, _, err, _ = _cli(capsys, ["check", "--problem", tiny, "--preconditioner", "gd"])
    assert rc == 2 and "smaller than 1e-100" in err and err.count("\n") == 1, err
    rc, out, err, _ = _cli(capsys, ["check", "--problem", small, "--preconditioner", "gd", "--json"])
    assert rc == 0, err   # Cholesky of a Gram matrix of scale 1e-198 works (exact power-of-two scaling)


def test_a_learning_rate_beyond_float64_is_a_one_line_error():
    from fractions import Fraction
    from types import SimpleNamespace

    from numeric.exact_problem import ExactProblem
    from numeric.precision import working_precision
    from numeric.problem import random_problem
    from verify.runs import LearningRate
    with working_precision(30) as ctx:
        xp = ExactProblem.build(ctx, random_problem(2, 4, 1))
        pre = SimpleNamespace(smoothness=lambda ctx, rho: ctx.mpf("1e-400"))
        with pytest.raises(InputError, match="outside the float64 range"):
            LearningRate("frac", Fraction(1, 2)).resolve(xp, pre)


@pytest.mark.parametrize("argv, needle", [
    (["--K", "Piecewise((g**2, g > 0))", "--structure", "entrywise"], "not defined for g"),
    (["--K", "Piecewise((g**2, g > 0), (-g, g < 0))", "--structure", "entrywise"], "not defined for g in {0}"),
    (["--K", "Piecewise((r**2, r > 1))", "--structure", "isotropic"], "not defined for r"),
    (["--K", "3", "--structure", "entrywise"], "does not depend on g"),
    (["--K", "2*eps", "--param", "eps=0.1", "--structure", "spectral"], "does not depend on s"),
    (["--update", "0*G"], "identically 0"),
])
def test_expressions_that_say_nothing_are_refused_with_a_reason(capsys, argv, needle):
    rc, _, err, seconds = _cli(capsys, ["check", *argv, "--n", "2", "--d", "4", "--k", "1"])
    assert rc == 2 and needle in err and err.count("\n") == 1, err


def test_a_covering_piecewise_is_accepted(capsys):
    rc, out, err, _ = _cli(capsys, ["check", "--K", "Piecewise((g**2/2, g > 0), (g**2, g <= 0))",
                                    "--structure", "entrywise", "--n", "2", "--d", "4", "--k", "1",
                                    "--max-iter", "5", "--json"])
    assert rc in (0, 3) and json.loads(out)["claims"], err


_MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen([sys.executable, "-m", "verify.cli", *sys.argv[1:]], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
err = proc.stderr.read().decode()
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
sys.stderr.write(err)
"""


def _peak_rss_kb(argv: list[str]) -> tuple[int, int, str]:
    """Exit status, peak resident memory (KB, Linux) and stderr of a fresh ``dspgd-verify`` process,
    started from a small wrapper (a child forked from this big test process would count its pages)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True, env=ENV,
                         timeout=300)
    rc, peak = out.stdout.split()
    return int(rc), int(peak), out.stderr


def _write_bomb(path: Path, members: tuple = (("X.npy", X_OK), ("Y.npy", Y_OK)), huge: str = "X") -> str:
    """Small members, and a complete 1.6 GB array of zeros named ``huge`` streamed in chunks (about
    1.6 MB deflated), without holding it in memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, a in members:
            z.writestr(name, _npy(a))
        with z.open(huge, "w", force_zip64=True) as f:
            f.write(_header(HUGE))
            chunk = bytes(2**24)
            for _ in range(8 * HUGE[0] * HUGE[1] // len(chunk)):
                f.write(chunk)
    return str(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KB is Linux's convention")
def test_the_command_refuses_a_crafted_file_before_its_memory_grows(tmp_path):
    """The whole command, not only the loader: the file is refused before cvxpy is imported and
    before anything of it is read, so the process stays within 100 MB of a refused missing file."""
    path = str(tmp_path / "bomb.npz")
    _write_bomb(Path(path))
    assert os.path.getsize(path) < 5 * 2**20
    for command in (["check", "--preconditioner", "gd"], ["margin", "--optimizer", "gd", "--model", "binary"]):
        rc, peak, err = _peak_rss_kb([*command, "--problem", path])
        rc0, base, _ = _peak_rss_kb([*command, "--problem", str(tmp_path / "missing.npz")])
        assert rc == rc0 == 2 and "ambiguous" in err, err
        assert peak - base < 100 * 1024, (peak, base)
        assert peak < 400 * 1024, peak   # no cvxpy, no 1.6 GB array: a bare interpreter with numpy and sympy


def test_slow_symbolic_work_in_proofs_ends_within_timeout(capsys):
    rc, out, err, seconds = _cli(capsys, ["proofs", "--K", SLOW_K, "--structure", "entrywise", "--timeout", "1"])
    assert rc == 3 and "--timeout" in err and err.count("\n") == 1 and out == "", err
    assert seconds < 1 + 20, seconds
