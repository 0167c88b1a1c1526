"""The ratios of issue 15, each against its baseline measured in the same run (interleaved).

    python bench/bench_ratios.py            # about 3 minutes on a 2-core machine
    python bench/bench_ratios.py --quick    # the per-iteration ratios and the small check only

1. **User K vs catalogue K, per iteration** (flint loop, n=10, d=40, k=3, 50 digits): adam's,
   ngd's and muon's K written by hand with ``--K`` against the catalogue entries; also the mpmath
   loop on the same user K (what ``--K`` ran before issue 15).  Per-iteration cost
   ``(T(N2) - T(N1)) / (N2 - N1)`` (set-up and checkpoints cancel), best of 3, the catalogue and
   the user K alternating.
2. **A whole check vs its bare flint iterations**: ``dspgd-verify check --preconditioner adam
   --dps 50`` in a fresh process (its CPU time from the process's start, imports included, to the
   end of the check), against a bare python-flint loop (three ``arb_mat`` products and adam's map,
   nothing recorded) run in that same process right after, for the same number of iterations T
   of each learning rate at P = 50 and at P + 20 digits; the median over 3 processes (2 for the
   large one).  At n=10, d=40, k=3 and at n=50, d=400, k=5.
3. **A float64 sweep vs numpy**: the instances of ``dspgd-verify sweep --preconditioners adam
   --sizes 6x24x2 --fractions 0.45,0.9 --jobs 1 --out FILE`` run by the sweep's own
   ``run_sweep`` (checks, rows, journal) in this process, in blocks interleaved with a plain numpy
   adam DSPGD loop (400 steps per fraction) plus a least-squares ``W_GD`` on the same instances
   (:func:`sweep_vs_numpy`).
4. **The slow cases of the issue**: a locally Lipschitz user K at ``--lr-frac 0.9`` and
   ``lr-study --K "log(cosh(g))"``, wall and CPU time.

CPU times (``time.process_time`` here, ``RUSAGE_CHILDREN`` for the child processes): on a shared
machine wall time also counts other processes.  The load average is printed at the start and end.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.bench_dspgd import raw_flint  # noqa: E402

CLOCK = time.process_time
USER_K = {"adam": ("abs(g) - eps*log(1 + abs(g)/eps)", "entrywise"),
          "ngd": ("r - eps*log(1 + r/eps)", "isotropic"),
          "muon": ("s - eps*log(1 + s/eps)", "spectral")}
TARGETS = {"user_k": 1.5, "check_small": 3.0, "check_big": 1.3, "sweep": 3.0}


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


# ----------------------------------------------------------------------------- 1. user K per iteration
def per_iteration(run, n1: int, n2: int) -> float:
    t = CLOCK()
    run(n1)
    a = CLOCK() - t
    t = CLOCK()
    run(n2)
    return (CLOCK() - t - a) / (n2 - n1)


def user_vs_catalogue(quick: bool) -> list[dict]:
    from fractions import Fraction

    from numeric.backends.flint_loop import run_dspgd_flint
    from numeric.backends.mpmath_loop import run_dspgd
    from numeric.exact_problem import ExactProblem
    from numeric.precision import working_precision
    from numeric.preconditioners.catalog import make_preconditioner
    from numeric.problem import random_problem
    from verify.custom import build_custom
    problem = random_problem(10, 40, 3, seed=0)
    eps = {"eps": Fraction(1, 10)}
    rows = []
    n1, n2 = (129, 385) if quick else (257, 1023)
    for name, (K, structure) in USER_K.items():
        cat = make_preconditioner(name, eps, shape=(40, 3))
        user = build_custom(K, None, structure, eps, (40, 3)).pre
        with working_precision(50) as ctx:
            xp = ExactProblem.build(ctx, problem)
            eta = ctx.mpf(float(ctx.mpf("0.9") * 2 / (10 * xp.sigma_max ** 2)))
            a = run_dspgd_flint(xp, cat, eta, iterations=20)
            b = run_dspgd_flint(xp, user, eta, iterations=20)
            gap = max(abs(x - y) for c1, c2 in zip(a.W, b.W) for x, y in zip(c1, c2))
            tc, tu = [], []
            for _ in range(1 if quick else 3):  # alternating
                tc.append(per_iteration(lambda m: run_dspgd_flint(xp, cat, eta, iterations=m), n1, n2))
                tu.append(per_iteration(lambda m: run_dspgd_flint(xp, user, eta, iterations=m), n1, n2))
            tm = per_iteration(lambda m: run_dspgd(xp, user, eta, iterations=m), 9, 25 if quick else 41)
        row = {"K": name, "structure": structure, "catalogue_ms": 1e3 * min(tc), "user_flint_ms": 1e3 * min(tu),
               "user_mpmath_ms": 1e3 * tm, "W_gap_after_20": float(gap)}
        row["ratio"] = row["user_flint_ms"] / row["catalogue_ms"]
        row["ratio_before"] = row["user_mpmath_ms"] / row["catalogue_ms"]
        rows.append(row)
        print(f"  {name} K by hand ({structure}): catalogue {row['catalogue_ms']:.3f} ms/it, user K flint "
              f"{row['user_flint_ms']:.3f} ms/it ({row['ratio']:.2f}x), user K mpmath {row['user_mpmath_ms']:.2f} ms/it "
              f"({row['ratio_before']:.1f}x); W after 20 steps differ by {float(gap):.1e}", flush=True)
    return rows


# ----------------------------------------------------------------------------- child processes
def child(args: list[str], timeout: float = 3600) -> tuple[float, float, str, int]:
    """``(wall, cpu, stdout, status)`` of ``python args`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"{args} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, cpu, proc.stdout, proc.returncode


# ----------------------------------------------------------------------------- 2. check vs bare flint
CHECK_CHILD = """
import contextlib, io, json, sys, time
sys.path.insert(0, {root!r})
from verify.cli.app import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main({argv!r})
check_cpu = time.process_time()  # this process so far: interpreter start, imports and the whole check
from bench.bench_dspgd import raw_flint
from numeric.precision import working_precision
from numeric.problem import random_problem
rec = json.loads(out.getvalue())
problem = random_problem({n}, {d}, {k}, seed=0)
bare = 0.0
for c in [c for c in rec["claims"] if c["id"] == "convergence"]:
    for dps in (50, 70):
        with working_precision(dps) as ctx:
            bare += raw_flint(problem, ctx.prec, float(c["lr"]), c["evidence"]["iterations"])[0]
print(json.dumps({{"status": status, "check_cpu": check_cpu, "bare_cpu": bare,
                  "iterations": [c["evidence"]["iterations"] for c in rec["claims"] if c["id"] == "convergence"],
                  "verdicts": sorted({{c["verdict"] for c in rec["claims"]}})}}))
"""


def check_vs_bare(n: int, d: int, k: int, repeats: int) -> dict:
    """``dspgd-verify check --preconditioner adam --dps 50`` in a fresh process, against the bare
    python-flint loop (:func:`bench.bench_dspgd.raw_flint`) run for the same T at P and P + 20 in
    that same process right after the check (so both are timed within seconds of each other and a
    shared machine's drift in speed falls on both).  The check's cost is the process's CPU time
    from its start (imports included) to the end of the check.  ``repeats`` fresh processes; the
    ratio is the median of theirs."""
    import statistics
    argv = ["check", "--preconditioner", "adam", "--n", str(n), "--d", str(d), "--k", str(k), "--dps", "50", "--json"]
    runs = []
    for _ in range(repeats):
        code = CHECK_CHILD.format(root=ROOT, argv=argv, n=n, d=d, k=k)
        _, _, out, _ = child(["-c", code])
        runs.append(json.loads(out.strip().splitlines()[-1]))
    ratios = [r["check_cpu"] / r["bare_cpu"] for r in runs]
    row = {"n": n, "d": d, "k": k, "check_cpu": statistics.median(r["check_cpu"] for r in runs),
           "bare_cpu": statistics.median(r["bare_cpu"] for r in runs), "iterations": runs[-1]["iterations"],
           "verdicts": runs[-1]["verdicts"], "ratios": ratios, "ratio": statistics.median(ratios)}
    print(f"  check adam {n}x{d}x{k} dps 50: process {row['check_cpu']:.2f} s CPU, bare flint iterations "
          f"(T = {row['iterations']} at 50 and 70 digits) {row['bare_cpu']:.2f} s: {row['ratio']:.2f}x "
          f"(median of {repeats} processes: {', '.join(f'{x:.2f}' for x in ratios)})", flush=True)
    return row


# ----------------------------------------------------------------------------- 3. sweep vs numpy
def numpy_adam(problem, frac: float, steps: int = 400):
    """A plain numpy DSPGD loop (adam, eps 0.1) and a least-squares W_GD: the sweep's baseline."""
    import numpy as np
    X, Y = problem.X, problem.Y
    s = np.linalg.svd(X, compute_uv=False)[0]
    eta = frac * 2 / (10 * s * s)  # beta = 1, L = 1/eps = 10
    W = np.zeros((X.shape[1], Y.shape[1]))
    for _ in range(steps):
        G = X.T @ (X @ W - Y)
        W = W - eta * G / (np.abs(G) + 0.1)
    w_gd = np.linalg.lstsq(X, Y, rcond=None)[0]
    return W, w_gd


def sweep_vs_numpy(rounds: int = 24, block: int = 10) -> dict:
    """The float64 sweep's cost per instance against the numpy baseline on the same instances, both
    in this one process, finely interleaved: ``rounds`` times, ``block`` new instances go through
    :func:`verify.campaign.sweep.run_sweep` exactly as ``dspgd-verify sweep --preconditioners adam
    --sizes 6x24x2 --fractions 0.45,0.9 --jobs 1 --out FILE`` runs them (each check, its rows, the
    journal's append and fsync of ``FILE.partial.csv``), then the same ``block`` instances through
    :func:`numpy_adam` (problems built beforehand, as the baseline has no checks to make).  CPU
    time of each block; the ratio is the sum over rounds of the sweep's time over the numpy
    loop's, and the median of the per-round ratios is printed beside it.  Interleaving at this
    grain cancels the slow drifts of a shared machine's speed, which two long child processes
    (the earlier method: a 4- and a 64-seed sweep, their difference) do not.  The one-off costs
    of the command (imports, the symbolic facts, warm-up) are left out by a first, unmeasured block."""
    import io
    import statistics
    import tempfile

    from numeric.problem import random_problem
    from verify.campaign.journal import Journal
    from verify.campaign.sweep import Instance, Progress, parse_fractions, run_sweep
    from verify.check import Settings
    settings = Settings(dps=50, lrs=parse_fractions("0.45,0.9"), backend="float64")
    sweep_t, base_t = [], []
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(os.path.join(tmp, "out.csv"), [])
        quiet = Progress(rounds * block + block, stream=io.StringIO())
        run_sweep([Instance(6, 24, 2, s) for s in range(block)], ("adam",), settings, progress=quiet,
                  on_rows=journal.append)  # warm-up, not measured
        for r in range(1, rounds + 1):
            seeds = range(r * block, (r + 1) * block)
            insts = [Instance(6, 24, 2, s) for s in seeds]
            probs = [random_problem(6, 24, 2, seed=s) for s in seeds]
            t = CLOCK()
            run_sweep(insts, ("adam",), settings, progress=quiet, on_rows=journal.append)
            sweep_t.append((CLOCK() - t) / block)
            t = CLOCK()
            for p in probs:
                for f in (0.45, 0.9):
                    numpy_adam(p, f)
            base_t.append((CLOCK() - t) / block)
        journal.close()
    row = {"sweep_ms": 1e3 * sum(sweep_t) / rounds, "numpy_ms": 1e3 * sum(base_t) / rounds,
           "instances": rounds * block}
    row["ratio"] = row["sweep_ms"] / row["numpy_ms"]
    row["median_round_ratio"] = statistics.median(a / b for a, b in zip(sweep_t, base_t))
    print(f"  float64 sweep adam 6x24x2, two fractions, one process ({row['instances']} instances, {rounds} interleaved "
          f"rounds): {row['sweep_ms']:.1f} ms CPU per instance; numpy loop (400 steps per fraction) + lstsq W_GD: "
          f"{row['numpy_ms']:.2f} ms: {row['ratio']:.2f}x (median over rounds {row['median_round_ratio']:.2f}x)",
          flush=True)
    return row


# ----------------------------------------------------------------------------- 4. the slow cases
SLOW = {"locally Lipschitz user K": ["-m", "verify.cli", "check", "--K", "r**2/2 + r**4/4", "--structure", "isotropic",
                                     "--n", "5", "--d", "20", "--k", "2", "--lr-frac", "0.9"],
        "lr-study of a user K": ["-m", "verify.cli", "lr-study", "--K", "log(cosh(g))", "--structure", "entrywise",
                                 "--fractions", "0.05,0.1,0.2"]}


def slow_cases() -> list[dict]:
    rows = []
    for label, args in SLOW.items():
        wall, cpu, out, status = child(args)
        rows.append({"case": label, "wall": wall, "cpu": cpu, "status": status})
        print(f"  {label}: `dspgd-verify {' '.join(a if ' ' not in a else repr(a) for a in args[2:])}`: "
              f"{wall:.0f} s wall, {cpu:.0f} s CPU, exit {status}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sections 1 and 2 (small) only, one repeat")
    ap.add_argument("--only", choices=("user_k", "check", "sweep", "slow"), action="append")
    args = ap.parse_args()
    from numeric.backends.flint_loop import available
    if not available():
        sys.exit("python-flint is not installed: pip install -e '.[fast]'")
    only = set(args.only or ("user_k", "check", "sweep", "slow"))
    t0 = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {load()}", flush=True)
    out: dict = {}
    if "user_k" in only:
        print("1. user K vs catalogue K per iteration (flint, 10x40x3, 50 digits)")
        out["user_k"] = user_vs_catalogue(args.quick)
    if "check" in only:
        print("2. whole check vs bare flint iterations")
        out["check_small"] = check_vs_bare(10, 40, 3, 1 if args.quick else 3)
        if not args.quick:
            out["check_big"] = check_vs_bare(50, 400, 5, 2)
    if "sweep" in only and not args.quick:
        print("3. float64 sweep vs numpy")
        out["sweep"] = sweep_vs_numpy()
    if "slow" in only and not args.quick:
        print("4. the slow cases")
        out["slow"] = slow_cases()
    print("\ntargets:")
    for key, limit in TARGETS.items():
        if key not in out:
            continue
        worst = max(r["ratio"] for r in out[key]) if isinstance(out[key], list) else out[key]["ratio"]
        print(f"  {key}: {worst:.2f}x (target <= {limit}x) -> {'met' if worst <= limit else 'NOT met'}")
    print(f"\n{load()}; bench total {time.perf_counter() - t0:.0f} s")
    print("JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
