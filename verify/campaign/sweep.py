"""``dspgd-verify sweep``: the checks of :func:`verify.check.check` over many problems, in parallel.

One task per instance ``(n, d, k, seed)``: the random problem of :func:`numeric.problem.random_problem`
and every requested catalogue preconditioner on it, each with the learning-rate fractions given
(``eta = F * 2/(beta L sigma_max^2)``).  Tasks fan out with joblib: processes on this machine
(``--jobs N``, the loky backend), or, given ``--dask-scheduler ADDRESS``, the workers of a Dask
cluster (one future per instance).  Results come back unordered, are counted on stderr and handed
to ``on_rows`` as they arrive (the CLI appends them to its journal, so an interrupted campaign
keeps every finished instance: :mod:`verify.campaign.journal`).  A worker that dies becomes
``inconclusive`` rows of its instance with the reason, and the campaign goes on.

The table has one row per (instance, preconditioner, learning rate, claim) with the verdict and
the key numbers (:data:`COLUMNS`); claims without a learning rate (``lr_dependence``,
``assumptions``) have ``lr`` empty.  It is written as CSV (standard library) or Parquet (pandas
and pyarrow: the ``sweep`` extra).  The summary gives the counts per verdict per claim, the worst
``c_emp = ||W_inf - W0|| / ||W_GD - W0||``, and the largest learning-rate sensitivity
``max ||W_inf(eta_1) - W_inf(eta_2)|| / ||W_GD - W0||``.
"""
from __future__ import annotations

import csv
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from numeric.preconditioners.catalog import CATALOG
from numeric.errors import InputError
from numeric.params import parse_number
from numeric.problem import check_size, random_problem

from ..check import DEFAULT_FRACTIONS, Settings, check_by_name
from ..runs import LearningRate
from ..verdict import VERDICTS

EXTRA_HINT = "pip install joblib 'dask[distributed]' pandas pyarrow (or, from a clone, pip install '.[sweep]')"
DEFAULT_PRECONDITIONERS = ("gd", "ngd", "clip", "adam", "sign", "muon")
MAX_TASKS = 1_000_000
COLUMNS = ("instance", "n", "d", "k", "seed", "preconditioner", "params", "lr", "lr_fraction", "claim", "verdict",
           "distance", "error_bound", "c_empirical", "iterations", "seconds", "backend", "reason")
_SIZE = re.compile(r"^(\d{1,4})x(\d{1,5})x(\d{1,3})$")
_RANGE = re.compile(r"^(\d{1,10})\.\.(\d{1,10})$")


@dataclass(frozen=True)
class Instance:
    """One random problem of the sweep."""

    n: int
    d: int
    k: int
    seed: int

    @property
    def label(self) -> str:
        return f"{self.n}x{self.d}x{self.k}/s{self.seed}"


# ----------------------------------------------------------------------------- parsing
def parse_sizes(text: str) -> list[tuple[int, int, int]]:
    """``"6x24x2,3x8x1"`` -> ``[(6, 24, 2), (3, 8, 1)]`` (each validated: ``1 <= n < d``, within limits)."""
    out = []
    for part in _items(text, "--sizes"):
        m = _SIZE.match(part)
        if not m:
            raise InputError(f"--sizes: expected NxDxK (e.g. 6x24x2), got {part!r}")
        n, d, k = (int(g) for g in m.groups())
        try:
            check_size(n, d, k)
        except InputError as exc:
            raise InputError(f"--sizes {part}: {exc}") from None
        out.append((n, d, k))
    return out


def parse_seeds(text: str) -> list[int]:
    """``"0..999"``, ``"1,5,7"`` or a mix (``"0..9,20"``); ranges include both ends."""
    out: list[int] = []
    for part in _items(text, "--seeds"):
        m = _RANGE.match(part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise InputError(f"--seeds: empty range {part!r}")
            if hi - lo >= MAX_TASKS:
                raise InputError(f"--seeds: range {part!r} has more than {MAX_TASKS} seeds")
            out.extend(range(lo, hi + 1))
        elif part.isdigit() and len(part) <= 10:
            out.append(int(part))
        else:
            raise InputError(f"--seeds: expected A..B or integers separated by commas, got {part!r}")
    if any(s > 2**32 - 1 for s in out):
        raise InputError("--seeds: seeds must lie in [0, 2^32 - 1]")
    return list(dict.fromkeys(out))


def parse_preconditioners(text: str) -> list[str]:
    names = _items(text, "--preconditioners")
    for name in names:
        if name not in CATALOG:
            raise InputError(f"--preconditioners: unknown preconditioner {name!r} (choose from {', '.join(CATALOG)})")
    return list(dict.fromkeys(names))


def parse_fractions(text: str | None) -> tuple[LearningRate, ...]:
    if text is None:
        return tuple(LearningRate("frac", f) for f in DEFAULT_FRACTIONS)
    out = []
    for part in _items(text, "--fractions"):
        v = parse_number(part, "--fractions")
        if not 0 < v < 1:
            raise InputError(f"--fractions must lie in (0, 1), got {part}")
        out.append(LearningRate("frac", v))
    return tuple(dict.fromkeys(out))


def _items(text: str, what: str) -> list[str]:
    items = [t.strip() for t in str(text).split(",")]
    if not items or any(not t for t in items) or len(text) > 10_000:
        raise InputError(f"{what}: expected a comma-separated list, got {text!r}")
    return items


def check_output(path: str | None) -> str | None:
    """The output format (``"csv"`` or ``"parquet"``), checked before any work is done."""
    if path is None:
        return None
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".csv", ".parquet"):
        raise InputError(f"--out {path!r}: unsupported extension {ext or '(none)'!r} (use .csv or .parquet)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise InputError(f"--out {path!r}: folder {folder!r} does not exist or is not writable")
    if ext == ".parquet":
        try:
            import pandas  # noqa: F401
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError(f"--out {path!r}: Parquet needs pandas and pyarrow: {EXTRA_HINT}") from None
    return ext[1:]


# ----------------------------------------------------------------------------- one task
def run_instance(inst: Instance, names: tuple, settings: Settings) -> list[dict]:
    """Every preconditioner of ``names`` on ``inst``'s random problem: the rows of the table.

    An internal error in one check becomes one ``inconclusive`` row (claim ``error``) with the
    message, so a long campaign keeps going and the failure is counted."""
    problem = random_problem(inst.n, inst.d, inst.k, seed=inst.seed)
    rows: list[dict] = []
    for name in names:
        t0 = time.perf_counter()
        try:
            record = check_by_name(problem, name, {}, settings, histories=False).record
        except Exception as exc:  # reported as a row, not hidden
            rows.append(_row(inst, name, None, None, "error", "inconclusive", reason=f"internal error: "
                             f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
                             seconds=time.perf_counter() - t0, backend=settings.backend))
            continue
        rows += rows_from_record(inst, name, record, time.perf_counter() - t0)
    return rows


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _row(inst: Instance, name: str, lr, frac, claim: str, verdict: str, **numbers) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(instance=inst.label, n=inst.n, d=inst.d, k=inst.k, seed=inst.seed, preconditioner=name,
               lr=lr, lr_fraction=frac, claim=claim, verdict=verdict)
    row.update(numbers)
    return row


def rows_from_record(inst: Instance, name: str, record: dict, seconds: float) -> list[dict]:
    """The JSON record of one check as table rows (numbers as floats; the record keeps the digits)."""
    st = record["settings"]
    fracs = dict(zip(st["lrs"], st.get("lr_fractions") or [None] * len(st["lrs"])))
    per_lr: dict = {}
    for c in record["claims"]:
        ev = c.get("evidence") or {}
        if c["id"] == "convergence":
            per_lr.setdefault(c.get("lr"), {})["iterations"] = ev.get("iterations")
        if c["id"] == "general_bound":
            per_lr.setdefault(c.get("lr"), {})["c_empirical"] = _num(ev.get("c_empirical"))
    rows = []
    params = _params_text(record)
    for c in record["claims"]:
        ev = c.get("evidence") or {}
        lr = c.get("lr")
        distance = next((_num(ev[key]) for key in ("distance_to_minnorm", "max_pairwise_distance", "c_empirical")
                         if key in ev), None)
        if c["id"] == "general_bound" and distance is not None:
            distance = abs(distance - 1)  # distance of c_emp from 1 (the left-invariant value)
        frac = fracs.get(lr)
        rows.append(_row(inst, name, lr, _num(frac), c["id"], c["verdict"], params=params,
                         distance=distance,
                         error_bound=_num(c.get("error_bound")), c_empirical=per_lr.get(lr, {}).get("c_empirical"),
                         iterations=per_lr.get(lr, {}).get("iterations"), seconds=round(seconds, 4),
                         backend=st.get("backend"), reason=c.get("reason")))
    return rows


# ----------------------------------------------------------------------------- fan out
class Progress:
    """A plain counter on stderr: done/total, elapsed, estimated time left."""

    def __init__(self, total: int, stream=None, every: float = 2.0):
        self.total, self.done, self.stream, self.every = total, 0, stream or sys.stderr, every
        self.start = self.last = time.perf_counter()

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            el = now - self.start
            left = el / self.done * (self.total - self.done) if self.done else float("nan")
            print(f"sweep: {self.done}/{self.total} instances ({100 * self.done / self.total:.0f}%), "
                  f"{el:.0f} s elapsed, ~{left:.0f} s left", file=self.stream, flush=True)


def _task(inst: Instance, names: tuple, settings: Settings, parent: int, task: Callable) -> tuple[Instance, list[dict]]:
    """One instance in a worker process.  A worker ignores SIGINT (the terminal sends it to the
    whole process group): the parent alone handles Ctrl-C and stops the workers, so no worker
    prints a ``KeyboardInterrupt`` traceback."""
    if os.getpid() != parent:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return inst, task(inst, names, settings)


def died_rows(inst: Instance, names: tuple, reason: str, backend: str | None) -> list[dict]:
    """The rows of an instance whose worker died: one ``inconclusive`` row per preconditioner."""
    return [_row(inst, name, None, None, "error", "inconclusive", reason=reason, backend=backend) for name in names]


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (the out-of-memory killer sends it)" if name == "SIGKILL" else ""
        return f"the worker process was killed by {name}{hint}"
    return f"the worker process exited with status {code}"


def _isolated_child(conn, inst: Instance, names: tuple, settings: Settings,
                    task: Callable) -> None:  # pragma: no cover - child
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.send(task(inst, names, settings))
    conn.close()


def run_isolated(inst: Instance, names: tuple, settings: Settings, task: Callable | None = None) -> list[dict]:
    """``run_instance`` in a fresh process of its own: a death there is this instance's alone,
    and becomes its rows (:func:`died_rows`) with the reason."""
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_isolated_child, args=(send, inst, names, settings, task or run_instance), daemon=True)
    proc.start()
    send.close()
    try:
        try:
            rows = receive.recv()
        except EOFError:
            rows = None
        proc.join()
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()
    if rows is None:
        return died_rows(inst, names, f"no result: {_exit_reason(proc.exitcode)} while checking this instance; "
                                      "the other instances went on", settings.backend)
    return rows


def run_sweep(instances: list[Instance], names: tuple, settings: Settings, jobs: int = 1,
              scheduler: str | None = None, progress: Progress | None = None,
              on_rows: Callable[[Instance, list[dict]], None] | None = None,
              task: Callable[[Instance, tuple, Settings], list[dict]] | None = None) -> list[dict]:
    """All rows of the sweep.  ``scheduler``: a Dask scheduler address (``tcp://host:port``);
    otherwise ``jobs`` local processes (1: in this process).

    ``on_rows(instance, rows)`` is called as each instance finishes (the CLI appends the rows
    to its journal there).  A worker that dies (killed, out of memory) does not end the sweep:
    the instances it may have held are rerun one by one in processes of their own
    (:func:`run_isolated`), so the one that kills its worker becomes ``inconclusive`` rows with
    the reason and every other instance gets its real rows.  On Dask, a task that fails or
    whose workers die (``KilledWorker``) becomes such rows likewise.  ``task``: what runs one
    instance (default :func:`run_instance`; a module-level function, as it is pickled)."""
    progress = progress or Progress(len(instances))
    task = task or run_instance
    rows: list[dict] = []

    def take(inst: Instance, part: list[dict]) -> None:
        rows.extend(part)
        if on_rows is not None:
            on_rows(inst, part)
        progress.step()

    if scheduler is not None:
        _run_dask(instances, names, settings, scheduler, take, task)
    elif jobs <= 1:
        for inst in instances:
            take(inst, task(inst, names, settings))
    else:
        _run_local(instances, names, settings, jobs, take, task)
    return rows


def _run_local(instances: list[Instance], names: tuple, settings: Settings, jobs: int, take, task) -> None:
    try:
        from joblib import Parallel, delayed, parallel_config
    except ImportError:
        raise InputError(f"sweep with --jobs > 1 needs joblib: {EXTRA_HINT}") from None
    from concurrent.futures.process import BrokenProcessPool
    remaining = list(instances)
    parent = os.getpid()
    window = 2 * jobs  # tasks dispatched ahead (batch size 1): a dead worker held one of these
    while remaining:
        done: set[Instance] = set()
        try:
            with parallel_config(backend="loky", n_jobs=jobs):
                calls = (delayed(_task)(inst, names, settings, parent, task) for inst in remaining)
                for inst, part in Parallel(return_as="generator_unordered", batch_size=1,
                                           pre_dispatch=str(window))(calls):
                    done.add(inst)
                    take(inst, part)
            return
        except BrokenProcessPool:  # loky's TerminatedWorkerError: some worker died
            remaining = [i for i in remaining if i not in done]
            suspects, remaining = remaining[:window], remaining[window:]
            for inst in suspects:
                take(inst, run_isolated(inst, names, settings, task))


def _run_dask(instances: list[Instance], names: tuple, settings: Settings, scheduler: str, take, task) -> None:
    """One future per instance, at most a few per worker thread in flight; a failed future
    (``KilledWorker`` after Dask's own retries included) becomes its instance's rows."""
    from distributed import as_completed
    client = _dask_client(scheduler)
    pending: dict = {}
    try:
        threads = max(sum(client.nthreads().values()), 1)
        todo = iter(instances)
        ac = as_completed()

        def submit_next() -> None:
            inst = next(todo, None)
            if inst is not None:
                fut = client.submit(task, inst, names, settings, pure=False)
                pending[fut] = inst
                ac.add(fut)
        for _ in range(2 * threads):
            submit_next()
        for fut in ac:
            inst = pending.pop(fut)
            try:
                part = fut.result()
            except Exception as exc:  # the task's failure, or its workers' deaths
                part = died_rows(inst, names, f"no result from Dask: {type(exc).__name__}: "
                                              f"{' '.join(str(exc).split())[:200]}", settings.backend)
            take(inst, part)
            submit_next()
    finally:
        if pending:
            client.cancel(list(pending))
        client.close()


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"--dask-scheduler needs dask.distributed: {EXTRA_HINT}") from None
    if not re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://[\w.\-\[\]:/]{1,200}$", address):
        raise InputError(f"--dask-scheduler: expected an address like tcp://HOST:PORT, got {address!r}")
    try:
        return Client(address, timeout="15s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--dask-scheduler {address}: cannot connect ({type(exc).__name__})") from None


# ----------------------------------------------------------------------------- output
def _params_text(record: dict) -> str:
    """The preconditioner's parameters as compact JSON (``{"eps": "0.1"}``; exact decimals)."""
    import json
    return json.dumps(record.get("preconditioner", {}).get("params", {}), sort_keys=True, separators=(",", ":"))


def write_rows(rows: list[dict], path: str, fmt: str, argv: list[str] | None = None) -> None:
    """CSV with the standard library; Parquet through pandas + pyarrow, with one float column
    ``param_<name>`` per preconditioner parameter and the tool's version, the schema version and
    the command line as file metadata (key ``dspgd-verify``)."""
    if fmt == "csv":
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        return
    import json

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..envelope import SCHEMA_VERSION, tool
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    parsed = [json.loads(p) if p else {} for p in df["params"]]
    for name in sorted({k for p in parsed for k in p}):
        df[f"param_{name}"] = [_num(p.get(name)) for p in parsed]
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {**(table.schema.metadata or {}),
            b"dspgd-verify": json.dumps({"tool": tool(), "schema_version": SCHEMA_VERSION, "argv": argv}).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)


def summarize(rows: list[dict], n_instances: int, seconds: float) -> dict:
    """Counts per verdict per claim, the worst c_emp, the largest learning-rate sensitivity, timing."""
    counts: dict = {}
    for r in rows:
        counts.setdefault(r["claim"], dict.fromkeys(VERDICTS, 0))[r["verdict"]] += 1
    gb = [r for r in rows if r["claim"] == "general_bound" and r["c_empirical"] is not None]
    worst = max(gb, key=lambda r: r["c_empirical"], default=None)
    lrd = [r for r in rows if r["claim"] == "lr_dependence" and r["distance"] is not None]
    sens = max(lrd, key=lambda r: r["distance"], default=None)
    return {"instances": n_instances, "rows": len(rows), "seconds": round(seconds, 2),
            "seconds_per_instance": round(seconds / max(n_instances, 1), 4), "counts": counts,
            "worst_c_empirical": None if worst is None else
            {k: worst[k] for k in ("c_empirical", "instance", "preconditioner", "lr")},
            "largest_lr_sensitivity": None if sens is None else
            {"distance": sens["distance"], "instance": sens["instance"], "preconditioner": sens["preconditioner"]},
            "refuted": [{k: r[k] for k in ("instance", "preconditioner", "lr", "claim", "reason")}
                        for r in rows if r["verdict"] == "refuted"][:20]}


def summary_text(s: dict) -> str:
    """The summary as a terminal table."""
    lines = [f"{'claim':<18}" + "".join(f"{v:>16}" for v in VERDICTS)]
    for claim, c in sorted(s["counts"].items()):
        lines.append(f"{claim:<18}" + "".join(f"{c[v]:>16}" for v in VERDICTS))
    w = s["worst_c_empirical"]
    if w:
        lines.append(f"\nworst c_emp = {w['c_empirical']:.10g} ({w['preconditioner']}, {w['instance']}, lr {w['lr']})")
    lr = s["largest_lr_sensitivity"]
    if lr:
        lines.append(f"largest learning-rate sensitivity ||W_inf(eta1) - W_inf(eta2)||/||W_GD - W0|| = "
                     f"{lr['distance']:.4g} ({lr['preconditioner']}, {lr['instance']})")
    for r in s["refuted"]:
        lines.append(f"REFUTED {r['claim']} {r['preconditioner']} {r['instance']} lr {r['lr']}: {r['reason']}")
    lines.append(f"\n{s['instances']} instances, {s['rows']} rows in {s['seconds']:.1f} s "
                 f"({s['seconds_per_instance']:.3f} s per instance, wall clock)")
    return "\n".join(lines)
