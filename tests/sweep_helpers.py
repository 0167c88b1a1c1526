"""Module-level tasks for the sweep tests (pickled by reference into worker processes)."""
from __future__ import annotations

import os
import signal

from verify.campaign.sweep import run_instance

KILL_SEED = 3


def kill_on_seed(inst, names, settings):
    """``run_instance``, except that the worker holding seed :data:`KILL_SEED` dies at once (SIGKILL),
    as the out-of-memory killer would end it."""
    if inst.seed == KILL_SEED:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_instance(inst, names, settings)


def fail_on_seed(inst, names, settings):
    """``run_instance``, except that the task of seed :data:`KILL_SEED` fails outright (as a Dask task
    whose workers keep dying ends in ``KilledWorker``)."""
    if inst.seed == KILL_SEED:
        raise MemoryError("worker ran out of memory")
    return run_instance(inst, names, settings)
