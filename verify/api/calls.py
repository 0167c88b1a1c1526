"""Keyword arguments -> the command line's validated arguments -> the same run as ``dspgd-verify``.

Each call builds the argument list of its command (so defaults, bounds and error messages are
the CLI's), adds the values text cannot carry (a :class:`Problem`, exact parameter values), and
runs the command's ``run_*`` function.  Floats become exact rationals (``Fraction(0.1)`` is
``3602879701896397/36028797018963968``, the binary value), never rounded decimals.
"""
from __future__ import annotations

from fractions import Fraction
from numbers import Integral, Real
from typing import Any, Iterable

import numpy as np

from numeric.errors import InputError
from numeric.problem import Problem

from .results import ProofResult, Result
from .sympy_input import sympy_to_text


def _number(value: Any, what: str) -> Fraction:
    """int, float (exactly), Fraction, or text (the CLI's number syntax)."""
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, (Integral, Fraction)):
        return Fraction(value)
    if isinstance(value, Real):
        if not np.isfinite(float(value)):
            raise InputError(f"{what}: {value!r} is not finite")
        return Fraction(float(value))
    if isinstance(value, str):
        from numeric.params import parse_number
        return parse_number(value, what)
    raise InputError(f"{what}: expected int, float, str or Fraction, got {type(value).__name__}")


def _text(value: Any, what: str) -> str:
    """A number as the CLI's exact ``p/q`` text."""
    f = _number(value, what)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _params(params: dict | None) -> dict[str, Fraction]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InputError(f"params must be a dict of name -> number, got {type(params).__name__}")
    out = {}
    for k, v in params.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise InputError(f"params: {k!r} is not a parameter name")
        out[k] = _number(v, f"params[{k!r}]")
    return out


def _many(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _parse(argv: list[str]):
    from verify.cli.app import build_parser
    return build_parser().parse_args(argv)


def _flags(argv: list[str], flags: dict[str, Any]) -> list[str]:
    for flag, value in flags.items():
        for v in _many(value):
            argv += [flag, v if isinstance(v, str) else _text(v, flag) if not isinstance(v, Integral) else str(v)]
    return argv


def _unknown(kwargs: dict, known: set, command: str) -> None:
    bad = sorted(set(kwargs) - known)
    if bad:
        raise InputError(f"{command}: unknown keyword argument(s) {', '.join(bad)} (accepted: {', '.join(sorted(known))})")


def random_problem(n: int = 6, d: int = 24, k: int = 2, seed: int = 0, *, w0: str = "zero",
                   loss: str = "square") -> Problem:
    from numeric.losses import make_loss
    from numeric.problem import random_problem as rp
    for v, what in ((n, "n"), (d, "d"), (k, "k"), (seed, "seed")):
        if isinstance(v, bool) or not isinstance(v, Integral) or v < (0 if what == "seed" else 1):
            raise InputError(f"random_problem: {what} must be a {'non-negative' if what == 'seed' else 'positive'} "
                             f"integer, got {v!r}")
    if w0 not in ("zero", "random"):
        raise InputError(f"random_problem: w0 must be 'zero' or 'random', got {w0!r}")
    return rp(int(n), int(d), int(k), seed=int(seed), w0=w0, loss=make_loss(loss))


def problem(X: Any, Y: Any, W0: Any = None, *, loss: str = "square") -> Problem:
    from numeric.losses import make_loss
    try:
        Xa = np.asarray(X, dtype=float)
        Ya = np.asarray(Y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"problem: X and Y must be numeric arrays ({exc})") from None
    if Ya.ndim == 1:
        Ya = Ya[:, None]
    if Xa.ndim != 2 or Ya.ndim != 2:
        raise InputError(f"problem: X must be n x d and Y n x k, got shapes {Xa.shape} and {Ya.shape}")
    W0a = np.zeros((Xa.shape[1], Ya.shape[1])) if W0 is None else np.asarray(W0, dtype=float)
    if W0a.ndim == 1 and Ya.shape[1] == 1:
        W0a = W0a[:, None]
    try:
        return Problem(X=Xa, Y=Ya, W0=W0a, loss=make_loss(loss), source="arrays")
    except (TypeError, ValueError) as exc:
        raise InputError(f"problem: {exc}") from None


CHECK_FLAGS = {"n": "--n", "d": "--d", "k": "--k", "seed": "--seed", "w0": "--w0", "loss": "--loss",
               "loss_delta": "--loss-delta", "lr": "--lr", "lr_frac": "--lr-frac", "dps": "--dps",
               "backend": "--backend", "claims": "--claim", "tol": "--tol", "max_iter": "--max-iter",
               "timeout": "--timeout", "solver": "--solver", "jobs": "--jobs", "structure": "--structure",
               "preconditioner": "--preconditioner", "update": "--update"}


def check(K: Any = None, *, params: dict | None = None, problem: Problem | None = None, H: Any = None,
          strict: bool = False, **kwargs: Any) -> Result:
    _unknown(kwargs, set(CHECK_FLAGS), "check")
    argv = ["check"]
    if K is not None:
        argv += ["--K", K if isinstance(K, str) else sympy_to_text(K)]
    if problem is not None and not isinstance(problem, Problem):
        raise InputError(f"check: problem must be a Problem (verify.problem(X, Y) or verify.random_problem()), "
                         f"got {type(problem).__name__}")
    if problem is not None and any(kwargs.get(x) is not None for x in ("n", "d", "k", "seed", "w0")):
        raise InputError("check: problem excludes n/d/k/seed/w0")
    args = _parse(_flags(argv, {CHECK_FLAGS[k]: v for k, v in kwargs.items() if v is not None}))
    pv = _params(params)
    args.param_values = pv
    args.param = [f"{k}={v}" for k, v in pv.items()] or None
    args.strict = strict
    if problem is not None:
        args.problem_value = (problem, None if H is None else np.asarray(H, dtype=float))
    elif H is not None:
        raise InputError("check: H needs a problem (verify.problem(X, Y))")
    from verify.cli.check import run_check
    records, histories = run_check(args)
    return Result("check", records, histories, strict=strict)


MARGIN_FLAGS = {"model": "--model", "n": "--n", "d": "--d", "k": "--k", "seed": "--seed", "problem": "--problem",
                "steps": "--steps", "lr": "--lr", "alpha": "--alpha", "beta1": "--beta1", "beta2": "--beta2",
                "tol": "--tol", "claims": "--claim", "ratio": "--ratio", "solver": "--solver",
                "timeout": "--timeout", "jobs": "--jobs"}


def margin(optimizer: str | None = None, *, strict: bool = False, **kwargs: Any) -> Result:
    _unknown(kwargs, set(MARGIN_FLAGS), "margin")
    argv = ["margin"] + (["--optimizer", optimizer] if optimizer is not None else [])
    args = _parse(_flags(argv, {MARGIN_FLAGS[k]: v for k, v in kwargs.items() if v is not None}))
    from verify.cli.margin import run_margin
    return Result("margin", run_margin(args), strict=strict or bool(args.claim))


LR_FLAGS = {"structure": "--structure", "n": "--n", "d": "--d", "k": "--k", "seed": "--seed", "w0": "--w0",
            "loss": "--loss", "dps": "--dps", "backend": "--backend", "max_iter": "--max-iter",
            "timeout": "--timeout"}


def lr_study(preconditioner: str | None = None, *, K: Any = None, params: dict | None = None,
             fractions: Any = None, problem: Problem | None = None, **kwargs: Any) -> Result:
    _unknown(kwargs, set(LR_FLAGS), "lr_study")
    argv = ["lr-study"] + (["--preconditioner", preconditioner] if preconditioner else [])
    if K is not None:
        argv += ["--K", K if isinstance(K, str) else sympy_to_text(K)]
    if fractions is not None:
        argv += ["--fractions", fractions if isinstance(fractions, str)
                 else ",".join(_text(f, "fractions") for f in _many(fractions))]
    args = _parse(_flags(argv, {LR_FLAGS[k]: v for k, v in kwargs.items() if v is not None}))
    pv = _params(params)
    args.param_values = pv
    args.param = [f"{k}={v}" for k, v in pv.items()] or None
    if problem is not None:
        if not isinstance(problem, Problem):
            raise InputError(f"lr_study: problem must be a Problem, got {type(problem).__name__}")
        args.problem_value = (problem, None)
    from verify.cli.lr_study import run_lr_study
    study = run_lr_study(args)
    return Result("lr-study", [study.record], study=study)


def prove(only: Any = None, *, preconditioner: str | None = None, K: Any = None, structure: str | None = None,
          params: dict | None = None, examples: int | None = None, seed: int | None = None,
          out: str | None = None) -> ProofResult:
    argv = ["proofs"]
    for rid in _many(only):
        argv += ["--only", str(rid)]
    if preconditioner:
        argv += ["--preconditioner", preconditioner]
    if K is not None:
        argv += ["--K", K if isinstance(K, str) else sympy_to_text(K)]
    argv = _flags(argv, {f: v for f, v in (("--structure", structure), ("--examples", examples),
                                           ("--seed", seed), ("--out", out)) if v is not None})
    for k, v in _params(params).items():
        argv += ["--param", f"{k}={v.numerator}/{v.denominator}"]
    args = _parse(argv)
    from verify.cli.proofs import prepare_context, run_proofs
    context = prepare_context(args)
    return ProofResult(run_proofs(args, context), context.name)
