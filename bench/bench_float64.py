"""Per-iteration cost of the float64 DSPGD loop against the flint loop at 50 digits (adam, eps 0.1,
square loss), measured in the same run, and the time of one float64 ``check`` on a campaign size.

    python bench/bench_float64.py          # about a minute on a 2-core machine

The loops run N1 and N2 fixed steps with the same drift checkpoints; the cost per step is
``(T(N2) - T(N1)) / (N2 - N1)`` (best of 3, CPU time of this process), so set-up cancels.
"float64" is ``numeric.backends.float64_loop.run_dspgd_float64`` with all its records; "longdouble"
is the rounding-check rerun as ``check`` runs it (``run_reference``: the same map in ``numpy.longdouble``,
recording only ``W_T`` and the residual norms).
"""
from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

CLOCK = time.process_time
SIZES = [(6, 24, 2), (10, 40, 3), (50, 400, 5)]
STEPS = {(6, 24, 2): (513, 1023), (10, 40, 3): (513, 1023), (50, 400, 5): (33, 63)}  # flint
STEPS64 = (1025, 4095)  # float64 and longdouble


def per_step(run, n1, n2):
    best = []
    for _ in range(3):
        t = CLOCK()
        run(n1)
        a = CLOCK() - t
        t = CLOCK()
        run(n2)
        b = CLOCK() - t
        best.append((b - a) / (n2 - n1))
    return max(min(best), 1e-9)


def main() -> int:
    from numeric.backends import flint_loop as flint_backend
    from numeric.backends import float64_loop as f64
    from numeric.preconditioners.catalog import make_preconditioner
    from numeric.exact_problem import ExactProblem
    from numeric.params import to_mpf
    from numeric.precision import working_precision
    from numeric.problem import random_problem
    from verify.check import Settings, check_by_name
    from verify.runs import LearningRate
    print("| n, d, k | flint 50 digits | float64 | longdouble | flint / float64 |")
    print("|---|---|---|---|---|")
    for (n, d, k) in SIZES:
        problem = random_problem(n, d, k, seed=0)
        with working_precision(50) as ctx:
            xp = ExactProblem.build(ctx, problem)
            pre = make_preconditioner("adam", {}, shape=(d, k))
            eta = f64.float64_eta(LearningRate("frac", Fraction(1, 2)).resolve(xp, pre)[0])
            n1, n2 = STEPS[(n, d, k)]
            t64 = per_step(lambda m: f64.run_dspgd_float64(xp, pre, eta, iterations=m), *STEPS64)
            tld = per_step(lambda m: f64.run_reference(xp, pre, eta, m), *STEPS64)
            if flint_backend.available():
                tfl = per_step(lambda m: flint_backend.run_dspgd_flint(xp, pre, to_mpf(ctx, eta), iterations=m), n1, n2)
                fl, ratio = f"{tfl * 1e3:.3f} ms", f"{tfl / t64:.1f}x"
            else:
                fl, ratio = "(no python-flint)", "-"
        print(f"| {n}, {d}, {k} | {fl} | {t64 * 1e6:.0f} us | {tld * 1e6:.0f} us | {ratio} |")
    problem = random_problem(6, 24, 2, seed=1)
    for backend in ("float64", "flint" if flint_backend.available() else "mpmath"):
        for name in ("adam", "muon"):
            check_by_name(problem, name, {}, Settings(backend=backend))  # facts cached, imports done
            t = time.perf_counter()
            check_by_name(problem, name, {}, Settings(backend=backend))
            print(f"check {name} 6x24x2 two learning rates, backend {backend}: {time.perf_counter() - t:.3f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
