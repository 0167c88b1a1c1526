"""Fan independent jobs out to processes (the headline runs of ``check`` and ``margin``).

``workers = --jobs`` or ``min(len(jobs), cpu_count, 2)``; one job, or one worker, runs in this
process.  Results come back in job order.

Interruption is prompt: the workers ignore SIGINT (Ctrl-C reaches the whole process group, and
only this process decides what to do), and when this process is interrupted (Ctrl-C, or SIGTERM
turned into an interrupt by the command line) the queued jobs are cancelled and the running
workers are killed at once, instead of ``ProcessPoolExecutor``'s default of waiting for every
queued job to finish.
"""
from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence


def _quiet_worker() -> None:  # pragma: no cover - runs in the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and kill the workers now (their results are no longer wanted)."""
    procs = dict(getattr(pool, "_processes", None) or {})  # the executor's own table of workers
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs.values():
        if proc.is_alive():
            proc.kill()
    for proc in procs.values():
        proc.join(timeout=1)


def map_jobs(worker: Callable, jobs: Sequence, requested: int | None = None,
             on_done: Callable | None = None) -> list:
    """``[worker(j) for j in jobs]``, in parallel processes when that can help; ``on_done(result)``
    is called in this process as each result arrives (in job order), e.g. for progress.  An
    interrupt (Ctrl-C, SIGTERM) cancels the queued jobs and kills the workers at once."""
    workers = requested or min(len(jobs), os.cpu_count() or 1, 2)
    done = on_done or (lambda r: None)
    out = []
    if workers > 1 and len(jobs) > 1:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker)
        try:
            futures = [pool.submit(worker, j) for j in jobs]
            for f in futures:
                out.append(f.result())
                done(out[-1])
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True)
        return out
    for j in jobs:
        out.append(worker(j))
        done(out[-1])
    return out
