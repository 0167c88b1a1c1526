"""Ctrl-C and SIGTERM stop the parallel commands promptly: queued jobs are cancelled, workers are
killed, no worker prints a traceback, and the exit status is 130 (SIGINT) or 143 (SIGTERM)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# long enough to be running when the signal comes (tens of seconds of work, two workers)
COMMANDS = {
    "check": ["check", "--jobs", "2", "--n", "6", "--d", "30", "--k", "2"],
    "margin": ["margin", "--jobs", "2"],
}


def _started(proc, seconds: float) -> None:
    """Wait until the workers are running: the parent has children."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if kids.exists() and kids.read_text().split():
            time.sleep(1.0)  # the workers have their jobs
            return
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("name, sig, status", [("check", signal.SIGINT, 130), ("margin", signal.SIGINT, 130),
                                               ("check", signal.SIGTERM, 143)])
def test_parallel_commands_stop_promptly(name, sig, status):
    proc = subprocess.Popen([sys.executable, "-m", "verify.cli", *COMMANDS[name]], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True)
    _started(proc, 120)
    assert proc.poll() is None, "finished before the signal"
    t0 = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)      # Ctrl-C reaches the whole process group
    else:
        proc.send_signal(sig)         # SIGTERM to the command alone (kill PID)
    _, err = proc.communicate(timeout=60)
    stop = time.monotonic() - t0
    assert proc.returncode == status, err
    assert stop < 10, stop            # about a second on an idle machine; generous when shared
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("dspgd-verify: "), err


def test_a_long_command_shows_it_is_alive():
    import io

    from verify.cli.limits import heartbeat
    buf = io.StringIO()
    with heartbeat("check", every=0.05, stream=buf):
        time.sleep(0.3)
    lines = buf.getvalue().splitlines()
    assert len(lines) >= 2 and all("still running" in x and "--timeout" in x for x in lines)
    time.sleep(0.15)
    assert buf.getvalue().splitlines() == lines  # nothing after the block


def test_no_heartbeat_in_a_pipe_or_log():
    import io

    from verify.cli.limits import heartbeat
    buf = io.StringIO()   # not a terminal
    import contextlib
    with contextlib.redirect_stderr(buf):
        with heartbeat("check", every=0.05):
            time.sleep(0.2)
    assert buf.getvalue() == ""
