"""Shared fixtures and the hypothesis profiles (CI: no deadline, derandomized)."""
from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

# the facts cache of symbolic/facts_cache.py: a fresh folder per test session, never the user's
if "DSPGD_VERIFY_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile
    os.environ["DSPGD_VERIFY_CACHE_DIR"] = tempfile.mkdtemp(prefix="dspgd-verify-test-cache-")
    atexit.register(shutil.rmtree, os.environ["DSPGD_VERIFY_CACHE_DIR"], ignore_errors=True)

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=12,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("campaign", deadline=None, derandomize=False, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def headline_small():
    """``dspgd-verify check --n 2 --d 4 --k 1 --dps 30 --json`` (every catalogue entry, a small
    problem), run once per session: ``(exit status, JSON object)``."""
    import contextlib
    import io
    import json

    from verify.cli import main
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["check", "--n", "2", "--d", "4", "--k", "1", "--dps", "30", "--json"])
    return code, json.loads(buf.getvalue())
