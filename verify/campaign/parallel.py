"""Fan independent jobs out to processes (the headline runs of ``check`` and ``margin``).

``workers = --jobs`` or ``min(len(jobs), cpu_count, 2)``; one job, or one worker, runs in this
process.  Results come back in job order.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence


def map_jobs(worker: Callable, jobs: Sequence, requested: int | None = None,
             on_done: Callable | None = None) -> list:
    """``[worker(j) for j in jobs]``, in parallel processes when that can help; ``on_done(result)``
    is called in this process as each result arrives (in job order), e.g. for progress."""
    workers = requested or min(len(jobs), os.cpu_count() or 1, 2)
    done = on_done or (lambda r: None)
    out = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for r in pool.map(worker, jobs):
                done(r)
                out.append(r)
        return out
    for j in jobs:
        out.append(worker(j))
        done(out[-1])
    return out
