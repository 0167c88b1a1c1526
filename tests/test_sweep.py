"""``dspgd-verify sweep`` (issue 7, part 4): a tiny campaign on a Dask LocalCluster started here,
the same campaign through joblib in this process, the table formats, and bad input (exit 2)."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from verify.cli.app import main
from verify.campaign.sweep import COLUMNS, parse_seeds, parse_sizes

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed: pip install -e '.[sweep]'")
pytest.importorskip("joblib", reason="joblib is not installed: pip install -e '.[sweep]'")

ARGS = ["sweep", "--preconditioners", "gd,adam,muon", "--sizes", "3x8x1,3x8x2", "--seeds", "0..1",
        "--backend", "float64"]
# per preconditioner and instance: 2 learning rates x 4 claims + lr_dependence + assumptions
ROWS = 4 * 3 * (2 * 4 + 2)


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def joblib_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "local.csv"
    assert main(ARGS + ["--jobs", "1", "--out", str(out)]) == 0
    return _read(out)


def test_sweep_on_a_dask_localcluster(tmp_path, capsys, joblib_rows):
    out = tmp_path / "dask.csv"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        status = main(ARGS + ["--dask-scheduler", cluster.scheduler_address, "--out", str(out)])
    text = capsys.readouterr()
    assert status == 0, text.out
    rows = _read(out)
    assert len(rows) == ROWS and list(rows[0]) == list(COLUMNS)
    assert {r["verdict"] for r in rows} <= {"verified", "not_applicable"}
    assert not [r for r in rows if r["claim"] in ("isotropic_bias", "row_space_bias") and r["verdict"] == "refuted"]
    assert {r["backend"] for r in rows} == {"float64"}
    assert "4/4 instances" in text.err  # progress on stderr
    assert "worst c_emp" in text.out and "largest learning-rate sensitivity" in text.out
    # the cluster and the local run give the same table (the same code path, deterministic runs)
    key = lambda r: (r["instance"], r["preconditioner"], r["lr"], r["claim"])  # noqa: E731
    local = {key(r): (r["verdict"], r["distance"], r["iterations"]) for r in joblib_rows}
    assert {key(r): (r["verdict"], r["distance"], r["iterations"]) for r in rows} == local


def test_sweep_rows_carry_the_numbers(joblib_rows):
    by = {(r["instance"], r["preconditioner"], r["lr_fraction"], r["claim"]): r for r in joblib_rows}
    iso = by[("3x8x2/s0", "gd", "0.45", "isotropic_bias")]
    assert iso["verdict"] == "verified" and float(iso["distance"]) <= float(iso["error_bound"]) < 1e-8
    assert int(iso["iterations"]) > 0 and float(iso["c_empirical"]) == pytest.approx(1, abs=1e-9)
    lr = by[("3x8x2/s0", "adam", "", "lr_dependence")]
    assert lr["verdict"] == "verified" and float(lr["distance"]) > 1e-4
    rs = by[("3x8x2/s1", "muon", "0.9", "row_space_bias")]
    assert rs["verdict"] == "verified"


def test_sweep_parquet_round_trip(tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas is not installed: pip install -e '.[sweep]'")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed: pip install -e '.[sweep]'")
    out = tmp_path / "r.parquet"
    assert main(["sweep", "--preconditioners", "clip", "--sizes", "2x5x1", "--seeds", "3", "--jobs", "1",
                 "--out", str(out)]) == 0
    df = pd.read_parquet(out)
    # issue 16: a float column per preconditioner parameter after the common ones, and provenance
    assert list(df.columns) == [*COLUMNS, "param_c"] and len(df) == 10
    assert set(df["verdict"]) <= {"verified", "not_applicable"}
    assert df["param_c"].dtype == float and set(df["params"]) == {'{"c":"1"}'}
    import json

    import pyarrow.parquet as pq

    import verify
    meta = json.loads(pq.read_schema(out).metadata[b"dspgd-verify"])
    assert meta["tool"] == {"name": "dspgd-verify", "version": verify.__version__} and meta["argv"][0] == "sweep"


def test_parse_sizes_and_seeds():
    assert parse_sizes("6x24x2, 3x8x1") == [(6, 24, 2), (3, 8, 1)]
    assert parse_seeds("0..3,7,2") == [0, 1, 2, 3, 7]


@pytest.mark.parametrize("extra,needle", [
    (["--out", "r.xlsx"], "unsupported extension"),
    (["--sizes", "3x3x1"], "n < d"),
    (["--sizes", "3by8"], "NxDxK"),
    (["--seeds", "5..1"], "empty range"),
    (["--preconditioners", "gd,nope"], "unknown preconditioner"),
    (["--fractions", "1.5"], "(0, 1)"),
    (["--backend", "float32"], "--backend"),
    (["--dask-scheduler", "not an address"], "tcp://"),
    (["--jobs", "0"], "--jobs"),
])
def test_sweep_bad_input_exits_2(extra, needle, capsys):
    assert main(["sweep", "--sizes", "2x4x1", "--seeds", "0"] + extra) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_parquet_without_pyarrow_exits_2(tmp_path):
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'pyarrow' or name.startswith('pyarrow.'):\n"
            "            raise ImportError('blocked')\n"
            "sys.meta_path.insert(0, Block())\n"
            "from verify.cli import main\n"
            f"sys.exit(main(['sweep', '--sizes', '2x4x1', '--seeds', '0', '--out', {str(tmp_path / 'r.parquet')!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "pip install '.[sweep]'" in r.stderr and "Traceback" not in r.stderr


def test_sweep_json_summary(capsys):
    import json
    assert main(["sweep", "--preconditioners", "gd,sign", "--sizes", "2x5x1", "--seeds", "0..1", "--jobs", "1",
                 "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["instances"] == 2 and s["rows"] == 2 * 2 * 10 and s["exit_status"] == 0
    assert s["counts"]["lr_dependence"]["verified"] == 2 and s["counts"]["isotropic_bias"]["not_applicable"] == 4
    assert s["worst_c_empirical"]["preconditioner"] == "sign" and s["worst_c_empirical"]["c_empirical"] > 1
    assert s["largest_lr_sensitivity"]["preconditioner"] == "sign" and s["tolerance"] == "1e-8"
