"""Fan independent jobs out to processes (the headline runs of ``check`` and ``margin``).

``workers = --jobs`` or ``min(len(jobs), cpu_count, 2)``; one job, or one worker, runs in this
process.  Results come back in job order.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence


def map_jobs(worker: Callable, jobs: Sequence, requested: int | None = None) -> list:
    """``[worker(j) for j in jobs]``, in parallel processes when that can help."""
    workers = requested or min(len(jobs), os.cpu_count() or 1, 2)
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(worker, jobs))
    return [worker(j) for j in jobs]
