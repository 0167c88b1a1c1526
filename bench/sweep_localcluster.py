"""The issue-7 campaign: a 1,000-instance float64 sweep over gd ngd clip adam sign muon on a
``dask.distributed.LocalCluster`` with 2 worker processes started here.

    python bench/sweep_localcluster.py [--sizes 6x24x2] [--seeds 0..999] [--out sweep.parquet]

It runs ``dspgd-verify sweep ... --backend float64 --dask-scheduler <the cluster>`` in this
process and prints the summary (counts per verdict per claim, worst c_emp, largest
learning-rate sensitivity, seconds per instance).  Exit status: the sweep's.
"""
from __future__ import annotations

import argparse
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="6x24x2")
    ap.add_argument("--seeds", default="0..999")
    ap.add_argument("--preconditioners", default="gd,ngd,clip,adam,sign,muon")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="sweep.parquet")
    a = ap.parse_args()
    from distributed import LocalCluster

    from verify.cli.app import main as cli
    t0 = time.perf_counter()
    with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        print(f"LocalCluster with {a.workers} worker processes at {cluster.scheduler_address} "
              f"(started in {time.perf_counter() - t0:.1f} s)", flush=True)
        status = cli(["sweep", "--preconditioners", a.preconditioners, "--sizes", a.sizes, "--seeds", a.seeds,
                      "--backend", "float64", "--dask-scheduler", cluster.scheduler_address, "--out", a.out])
    print(f"total {time.perf_counter() - t0:.1f} s including the cluster", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
