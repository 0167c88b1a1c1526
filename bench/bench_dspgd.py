"""Per-iteration cost of DSPGD (adam, eps = 0.1, square loss), and where a ``check`` spends its time.

Run from the repository root (python-flint installed, ``pip install -e ".[fast]"``)::

    python bench/bench_dspgd.py            # about 3 minutes on a 2-core machine
    python bench/bench_dspgd.py --quick    # fewer iterations, a smoke run

Every baseline is measured in the same run, on the same problem and the same eta:

(a) naive    an ``mpmath.matrix`` loop written the obvious way: ``R = X*W - Y``, ``G = X.T*R``,
             ``U = G.apply(adam)``, ``W = W - eta*U``;
(b) mpmath   the project's reference loop, ``numeric.backends.mpmath_loop.run_dspgd(iterations=N)``
             (with everything it records: norms, path length, drift checkpoints, loss);
(c) flint    the project's python-flint loop, ``numeric.backends.flint_loop.run_dspgd_flint``
             (same records);
(d) raw      a bare python-flint loop with none of the project's code: the three ``arb_mat``
             products, the entrywise adam map and the update, nothing recorded.

Each time is the best of ``REPEATS`` runs of a fixed number of iterations, divided by that
number.  Then ``dspgd-verify check --preconditioner adam --n 10 --d 40 --k 3 --dps 50`` is
timed in a fresh process per backend, with a breakdown (imports, symbolic facts, the
iterations at P digits, the rerun at P + 20, everything else = claims), and the headline
``dspgd-verify check`` (every catalogue entry, default problem) is timed with the flint backend.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SIZES = [(10, 40, 3), (50, 400, 5)]
DIGITS = [30, 50, 100]
REPEATS = 3
# per size: naive and raw run N steps (cost = T/N); the project's loops run N1 and N2 steps with
# the same drift checkpoints (1, 2, 4, ..., 2^j and the end), cost = (T(N2) - T(N1))/(N2 - N1),
# so their one-off set-up and the logarithmically many checkpoints cancel out
PLAN = {(10, 40, 3): {"naive": 60, "mpmath": (65, 127), "flint": (513, 1023), "raw": 1000},
        (50, 400, 5): {"naive": 3, "mpmath": (5, 7), "flint": (33, 63), "raw": 60}}
# CPU time of this process: the loops are single-threaded, and on a shared machine wall time also
# counts the time other processes hold the core
CLOCK = time.process_time
CHECK_ARGS = ["check", "--preconditioner", "adam", "--n", "10", "--d", "40", "--k", "3", "--dps", "50"]


# ----------------------------------------------------------------------------- the four loops
def naive_loop(problem, dps, eta_float, iters):
    """(a): mpmath.matrix, the obvious way (a private context, no project code)."""
    import mpmath
    mp = mpmath.MPContext()
    mp.dps = dps
    X = mp.matrix(problem.X.tolist())
    Y = mp.matrix(problem.Y.tolist())
    W = mp.matrix(problem.d, problem.k)
    XT = X.T
    eta = mp.mpf(eta_float)
    eps = mp.mpf(1) / 10
    adam = lambda g: g / (abs(g) + eps)  # noqa: E731
    t0 = CLOCK()
    for _ in range(iters):
        R = X * W - Y
        G = XT * R
        U = G.apply(adam)
        W = W - eta * U
    return CLOCK() - t0, [[W[i, j] for i in range(problem.d)] for j in range(problem.k)]


def project_mpmath(xp, pre, eta, iters):
    from numeric.backends.mpmath_loop import run_dspgd
    t0 = CLOCK()
    traj = run_dspgd(xp, pre, eta, iterations=iters)
    return CLOCK() - t0, traj.W


def project_flint(xp, pre, eta, iters):
    from numeric.backends.flint_loop import run_dspgd_flint
    t0 = CLOCK()
    traj = run_dspgd_flint(xp, pre, eta, iterations=iters)
    return CLOCK() - t0, traj.W


def raw_flint(problem, prec, eta_float, iters):
    """(d): python-flint only; its precision is set here and restored."""
    import flint
    from flint import arb, arb_mat
    d, k = problem.d, problem.k
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        X = arb_mat(problem.X.tolist())
        XT = X.transpose()
        Y = arb_mat(problem.Y.tolist())
        W = arb_mat(d, k)
        eta = arb(eta_float)
        eps = (arb(1) / 10).mid()
        t0 = CLOCK()
        for _ in range(iters):
            R = (X * W - Y).mid()
            G = (XT * R).mid()
            U = arb_mat(d, k, [g / (abs(g) + eps) for g in G.entries()]).mid()
            W = (W - U * eta).mid()
        elapsed = CLOCK() - t0
        return elapsed, [[W[i, j] for i in range(d)] for j in range(k)]
    finally:
        flint.ctx.prec = old


def best(fn, repeats):
    return min(fn()[0] for _ in range(repeats))


def per_iteration(quick: bool) -> list[dict]:
    from numeric.preconditioners.catalog import make_preconditioner
    from numeric.exact_problem import ExactProblem
    from numeric.precision import working_precision
    from numeric.problem import random_problem
    rows = []
    for (n, d, k) in SIZES:
        problem = random_problem(n, d, k, seed=0)
        pre = make_preconditioner("adam", {})
        plan = PLAN[(n, d, k)]
        big = (n, d, k) != SIZES[0]
        reps = 1 if quick else REPEATS
        slow_reps = 1 if quick or big else REPEATS  # the two mpmath loops at the big size
        for dps in DIGITS:
            with working_precision(dps) as ctx:
                xp = ExactProblem.build(ctx, problem)
                eta_float = float(ctx.mpf("0.9") * 2 / (10 * xp.sigma_max ** 2))  # 0.9 * 2/(L sigma_max^2), L = 1/eps
                eta = ctx.mpf(eta_float)
                # sanity and warm-up: the four loops give the same W after 3 steps
                Ws = [naive_loop(problem, dps, eta_float, 3)[1], project_mpmath(xp, pre, eta, 3)[1],
                      project_flint(xp, pre, eta, 3)[1], raw_flint(problem, ctx.prec, eta_float, 3)[1]]
                Ws = [[[ctx.mpf(x._mpf_) for x in c] for c in W] for W in Ws]
                diff = max(abs(W[j][i] - Ws[1][j][i]) for W in Ws for i in range(d) for j in range(k))
                na, nr = plan["naive"], plan["raw"]
                if quick:
                    na, nr = max(1, na // 3), max(1, nr // 10)
                t_a = best(lambda: naive_loop(problem, dps, eta_float, na), slow_reps) / na
                (m1, m2), (f1, f2) = plan["mpmath"], plan["flint"]
                t_b = (best(lambda: project_mpmath(xp, pre, eta, m2), slow_reps)
                       - best(lambda: project_mpmath(xp, pre, eta, m1), slow_reps)) / (m2 - m1)
                t_c = (best(lambda: project_flint(xp, pre, eta, f2), reps)
                       - best(lambda: project_flint(xp, pre, eta, f1), reps)) / (f2 - f1)
                t_d = best(lambda: raw_flint(problem, ctx.prec, eta_float, nr), reps) / nr
            row = {"n": n, "d": d, "k": k, "dps": dps, "naive_ms": 1e3 * t_a, "mpmath_ms": 1e3 * t_b,
                   "flint_ms": 1e3 * t_c, "raw_ms": 1e3 * t_d, "max_diff": float(diff)}
            rows.append(row)
            print(f"  n={n} d={d} k={k} dps={dps}: naive {row['naive_ms']:.3f} ms, mpmath {row['mpmath_ms']:.3f} ms, "
                  f"flint {row['flint_ms']:.4f} ms, raw {row['raw_ms']:.4f} ms  "
                  f"(the four W agree to {row['max_diff']:.1e} after 3 steps)", flush=True)
    return rows


# ----------------------------------------------------------------------------- one check, broken down
def breakdown_child(backend: str) -> None:
    """Run in a fresh process: time the imports, the facts, the runs, the reruns of one check."""
    t_start = time.perf_counter()
    import importlib
    vc = importlib.import_module("verify.check")  # verify.check is also the API's function
    import verify.cli.app as cli
    import verify.runs as vr
    import numeric.backends.mpmath_loop as nd
    import numeric.backends.flint_loop as fb
    t_import = time.perf_counter() - t_start
    acc = {"facts": 0.0, "iterations": 0.0, "rerun": 0.0}

    def timed(fn, key_of):
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                acc[key_of(kw)] += time.perf_counter() - t0
        return wrapper

    loop_key = lambda kw: "rerun" if kw.get("iterations") is not None else "iterations"  # noqa: E731
    vc._facts = timed(vc._facts, lambda kw: "facts")
    vr.run_dspgd = timed(nd.run_dspgd, loop_key)
    fb.run_dspgd_flint = timed(fb.run_dspgd_flint, loop_key)
    t0 = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        stdout, sys.stdout = sys.stdout, devnull
        try:
            status = cli.main(CHECK_ARGS + ["--backend", backend])
        finally:
            sys.stdout = stdout
    t_check = time.perf_counter() - t0
    print(json.dumps({"backend": backend, "status": status, "import": t_import, "check": t_check,
                      "claims": t_check - sum(acc.values()), **acc}))


def run_child(args: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"{args} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, proc.stdout


def check_breakdowns() -> list[dict]:
    out = []
    for backend in ("mpmath", "flint"):
        wall, stdout = run_child([os.path.abspath(__file__), "--breakdown", backend])
        rec = json.loads(stdout.strip().splitlines()[-1])
        rec["wall"] = wall
        out.append(rec)
        print(f"  check adam 10x40x3 dps 50, {backend}: wall {wall:.2f} s = start+import {wall - rec['check']:.2f} "
              f"+ facts {rec['facts']:.2f} + iterations {rec['iterations']:.2f} + rerun {rec['rerun']:.2f} "
              f"+ claims {rec['claims']:.2f}", flush=True)
    return out


def headline(backends) -> dict:
    walls = {}
    for backend in backends:
        wall, _ = run_child(["-m", "verify.cli", "check", "--backend", backend])
        walls[backend] = wall
        print(f"  headline `dspgd-verify check --backend {backend}`: {wall:.1f} s", flush=True)
    return walls


# ----------------------------------------------------------------------------- report
def report(rows, breakdowns, walls) -> None:
    print("\nPer-iteration cost (adam eps=0.1, square loss; best of %d):\n" % REPEATS)
    print("| n, d, k | digits | naive mpmath.matrix | project mpmath | project flint | raw flint "
          "| mpmath vs naive | flint vs naive | flint / raw |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']}, {r['d']}, {r['k']} | {r['dps']} | {r['naive_ms']:.2f} ms | {r['mpmath_ms']:.2f} ms "
              f"| {r['flint_ms']:.3f} ms | {r['raw_ms']:.3f} ms | {r['naive_ms'] / r['mpmath_ms']:.1f}x faster "
              f"| {r['naive_ms'] / r['flint_ms']:.0f}x faster | {r['flint_ms'] / r['raw_ms']:.2f} |")
    print("\nGrowth of the per-iteration cost:")
    for key, label in (("naive_ms", "naive"), ("mpmath_ms", "mpmath"), ("flint_ms", "flint"), ("raw_ms", "raw")):
        parts = []
        for size in SIZES:
            by = {r["dps"]: r[key] for r in rows if (r["n"], r["d"], r["k"]) == size}
            parts.append(f"{size}: 100 vs 30 digits x{by[100] / by[30]:.2f}")
        big = [r for r in rows if (r["n"], r["d"], r["k"]) == SIZES[1] and r["dps"] == 50][0][key]
        small = [r for r in rows if (r["n"], r["d"], r["k"]) == SIZES[0] and r["dps"] == 50][0][key]
        print(f"  {label:7s} {'; '.join(parts)}; {SIZES[1]} vs {SIZES[0]} at 50 digits x{big / small:.0f}")
    nd = SIZES[1][0] * SIZES[1][1] * SIZES[1][2] / (SIZES[0][0] * SIZES[0][1] * SIZES[0][2])
    print(f"  (n*d*k grows x{nd:.0f}, d*k x{SIZES[1][1] * SIZES[1][2] / (SIZES[0][1] * SIZES[0][2]):.0f})")
    if breakdowns:
        print("\n`dspgd-verify check --preconditioner adam --n 10 --d 40 --k 3 --dps 50` (fresh process):\n")
        print("| backend | wall | start + imports | symbolic facts | iterations (P=50) | rerun (P=70) | claims |")
        print("|---|---|---|---|---|---|---|")
        for b in breakdowns:
            print(f"| {b['backend']} | {b['wall']:.2f} s | {b['wall'] - b['check']:.2f} s | {b['facts']:.2f} s "
                  f"| {b['iterations']:.2f} s | {b['rerun']:.2f} s | {b['claims']:.2f} s |")
    for backend, wall in walls.items():
        print(f"\nheadline `dspgd-verify check --backend {backend}` (8 preconditioners x 2 learning rates): {wall:.1f} s")
    small50 = [r for r in rows if (r["n"], r["d"], r["k"]) == (10, 40, 3) and r["dps"] == 50]
    if small50:
        r = small50[0]
        print("\nGoals at n=10, d=40, k=3, 50 digits:")
        print(f"  flint >= 20x faster than naive: {r['naive_ms'] / r['flint_ms']:.0f}x "
              f"-> {'met' if r['naive_ms'] / r['flint_ms'] >= 20 else 'NOT met'}")
        print(f"  flint within 1.5x of raw flint: {r['flint_ms'] / r['raw_ms']:.2f}x "
              f"-> {'met' if r['flint_ms'] / r['raw_ms'] <= 1.5 else 'NOT met'}")
    if "flint" in walls:
        print(f"  headline check under 60 s with flint: {walls['flint']:.1f} s "
              f"-> {'met' if walls['flint'] < 60 else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations, one repeat, no headline (a smoke run)")
    ap.add_argument("--breakdown", metavar="BACKEND", help=argparse.SUPPRESS)
    ap.add_argument("--headline-mpmath", action="store_true", help="also time the headline with mpmath (~30 s)")
    args = ap.parse_args()
    if args.breakdown:
        breakdown_child(args.breakdown)
        return
    from numeric.backends.flint_loop import available
    if not available():
        sys.exit("python-flint is not installed: pip install -e '.[fast]'")
    t0 = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
    rows = per_iteration(args.quick)
    breakdowns = check_breakdowns()
    walls = {} if args.quick else headline(["flint"] + (["mpmath"] if args.headline_mpmath else []))
    report(rows, breakdowns, walls)
    print(f"\nbench total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
