"""A sweep keeps what it finished: interrupted, it keeps its rows and resumes to the same table as
an uninterrupted run; a killed worker does not lose the other instances' rows."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verify.campaign.journal import complete_rows, journal_path, read_table
from verify.campaign.sweep import Instance, run_sweep
from verify.check import DEFAULT_FRACTIONS, Settings
from verify.cli.app import main
from verify.runs import LearningRate

pytest.importorskip("joblib", reason="joblib is not installed: pip install -e '.[sweep]'")

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ARGS = ["sweep", "--preconditioners", "gd,sign", "--sizes", "3x8x1", "--seeds", "0..15", "--backend", "float64"]


def _table(path) -> list[dict]:
    with open(path, newline="") as fh:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "whole.csv"
    assert main(ARGS + ["--jobs", "1", "--out", str(out)]) == 0
    assert not os.path.exists(journal_path(str(out)))   # finished: the journal is gone
    return _table(out)


def _rows_in(path: str) -> int:
    try:
        with open(path) as fh:
            return sum(1 for _ in fh) - 1
    except FileNotFoundError:
        return 0


def test_ctrl_c_keeps_the_rows_and_resume_gives_the_uninterrupted_table(tmp_path, uninterrupted):
    out = str(tmp_path / "r.csv")
    proc = subprocess.Popen([sys.executable, "-m", "verify.cli", *ARGS, "--jobs", "2", "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            start_new_session=True)   # its own process group, as a terminal's job
    deadline = time.monotonic() + 240
    while _rows_in(journal_path(out)) < 3 * 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)     # Ctrl-C: the whole group gets SIGINT
    _, err = proc.communicate(timeout=60)
    stop = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert stop < 10, stop                  # about a second on an idle machine
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "--resume" in err and not os.path.exists(out)
    kept = read_table(journal_path(out))
    assert 3 * 20 <= len(kept) < len(uninterrupted)
    # resume: the instances already done are skipped, the rest run, one table, no duplicates
    assert main(ARGS + ["--jobs", "1", "--out", out, "--resume"]) == 0
    assert not os.path.exists(journal_path(out))
    assert _table(out) == uninterrupted


def test_a_finished_table_can_be_extended_with_resume(tmp_path, uninterrupted, capsys):
    out = str(tmp_path / "ext.csv")
    first = ARGS[:-4] + ["--seeds", "0..7", "--backend", "float64"]
    assert main(first + ["--jobs", "1", "--out", out]) == 0
    assert main(ARGS + ["--jobs", "1", "--out", out, "--resume"]) == 0
    assert "8 of 16 instances already done" in capsys.readouterr().err
    assert _table(out) == uninterrupted


def _helpers():
    """``tests/sweep_helpers.py``: module-level tasks that worker processes can unpickle by name."""
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import sweep_helpers
    finally:
        sys.path.remove(str(Path(__file__).parent))
    return sweep_helpers, Settings(lrs=tuple(LearningRate("frac", f) for f in DEFAULT_FRACTIONS), backend="float64")


def test_a_killed_worker_becomes_rows_and_the_others_are_kept():
    helpers, settings = _helpers()
    KILL_SEED, kill_on_seed = helpers.KILL_SEED, helpers.kill_on_seed
    instances = [Instance(3, 8, 1, s) for s in range(6)]
    rows = run_sweep(instances, ("gd", "sign"), settings, jobs=2, task=kill_on_seed)
    assert {r["seed"] for r in rows} == set(range(6))
    dead = [r for r in rows if r["seed"] == KILL_SEED]
    assert [r["preconditioner"] for r in dead] == ["gd", "sign"]
    assert all(r["verdict"] == "inconclusive" and "SIGKILL" in r["reason"] for r in dead)
    alive = [r for r in rows if r["seed"] != KILL_SEED]
    assert len(alive) == 5 * 2 * 10 and {r["verdict"] for r in alive} <= {"verified", "not_applicable"}


def test_a_torn_journal_line_and_a_half_done_instance_are_run_again(tmp_path):
    out = str(tmp_path / "t.csv")
    assert main(ARGS[:-4] + ["--seeds", "0..1", "--backend", "float64", "--jobs", "1", "--out", out]) == 0
    whole = _table(out)
    with open(out) as fh:
        lines = fh.read().splitlines(keepends=True)
    # the journal of a sweep killed while writing: seed 0 whole, seed 1 only in part, a torn last line
    seed1 = [i for i, line in enumerate(lines) if "/s1," in line]
    Path(journal_path(out)).write_text("".join(lines[: seed1[0] + 3]) + lines[seed1[0] + 3][:20])
    os.remove(out)
    rows, done = complete_rows(read_table(journal_path(out)), ("gd", "sign"))
    assert done == {(3, 8, 1, 0)}
    assert main(ARGS[:-4] + ["--seeds", "0..1", "--backend", "float64", "--jobs", "1", "--out", out,
                             "--resume"]) == 0
    assert _table(out) == whole


def test_resume_needs_out_and_a_journal_is_not_overwritten(tmp_path, capsys):
    assert main(ARGS + ["--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    out = str(tmp_path / "j.csv")
    Path(journal_path(out)).write_text("x\n")
    assert main(ARGS + ["--out", out]) == 2
    assert "add --resume" in capsys.readouterr().err


def test_a_failed_dask_task_becomes_rows_and_the_others_are_kept():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    helpers, settings = _helpers()
    KILL_SEED, fail_on_seed = helpers.KILL_SEED, helpers.fail_on_seed
    instances = [Instance(3, 8, 1, s) for s in range(5)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        rows = run_sweep(instances, ("gd",), settings, scheduler=cluster.scheduler_address, task=fail_on_seed)
    assert {r["seed"] for r in rows} == set(range(5))
    (dead,) = [r for r in rows if r["seed"] == KILL_SEED]
    assert dead["verdict"] == "inconclusive" and "no result from Dask: MemoryError" in dead["reason"]
    assert len([r for r in rows if r["seed"] != KILL_SEED]) == 4 * 10


def test_a_finished_parquet_table_can_be_extended(tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas is not installed: pip install -e '.[sweep]'")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed: pip install -e '.[sweep]'")
    out = str(tmp_path / "r.parquet")
    base = ["sweep", "--preconditioners", "clip", "--sizes", "2x5x1", "--jobs", "1", "--out", out]
    assert main(base + ["--seeds", "0..1"]) == 0
    first = pd.read_parquet(out)
    assert main(base + ["--seeds", "0..3", "--resume"]) == 0
    df = pd.read_parquet(out)
    assert sorted(set(df["seed"])) == [0, 1, 2, 3] and len(df) == 2 * len(first)
    old = df[df["seed"] <= 1].drop(columns="seconds").reset_index(drop=True)
    pd.testing.assert_frame_equal(old, first.drop(columns="seconds"), check_dtype=False)
