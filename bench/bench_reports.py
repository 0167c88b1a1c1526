"""Wall time of ``check --report`` and of the ``lr-study`` must-show run (each in a fresh process).

    python bench/bench_reports.py            # about 2 minutes on a 2-core machine

Prints one line per command: the command, its exit status and its wall time.  The lr-study line
also prints the fitted slope and the time the flow integration took (from the JSON record).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

CLI = [sys.executable, "-m", "verify.cli"]


def timed(args: list[str]) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(CLI + args, capture_output=True, text=True)
    return p.returncode, time.perf_counter() - t0, p.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("md", "html"):
            args = ["check", "--preconditioner", "adam", "--report", os.path.join(tmp, f"adam.{fmt}")]
            code, secs, _ = timed(args)
            print(f"{' '.join(args[:3])} --report adam.{fmt}: exit {code}, {secs:.1f} s")
        code, secs, _ = timed(["check", "--preconditioner", "adam"])
        print(f"check --preconditioner adam (no report): exit {code}, {secs:.1f} s")
        args = ["lr-study", "--preconditioner", "adam", "--param", "eps=0.05", "--n", "5", "--d", "15", "--k", "2",
                "--fractions", "0.01,0.02,0.05,0.1,0.2,0.45,0.9", "--json"]
        code, secs, out = timed(args)
        rec = json.loads(out)
        print(f"{' '.join(args[:-1])}: exit {code}, {secs:.1f} s; slope {rec['fit']['slope']}, "
              f"flow {rec['flow']['seconds']} s ({rec['flow']['steps']} steps, {rec['flow']['evaluations']} evaluations)")


if __name__ == "__main__":
    main()
