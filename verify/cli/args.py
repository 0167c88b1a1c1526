"""Argument parsing shared by every command: one-line errors with exit status 2, bounded integers.

Exit status: 0 every applicable claim verified; 1 some claim refuted; 3 inconclusive;
2 bad input (one line on stderr, no traceback); 4 internal error; 130 interrupted (Ctrl-C);
143 terminated (SIGTERM).
"""
from __future__ import annotations

import argparse

from numeric.errors import InputError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 4


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.endswith("expected one argument"):
            message += " (a value that starts with '-' is written --OPTION=VALUE, e.g. --K=-r**2)"
        raise InputError(message)


def int_in(lo: int, hi: int, what: str):
    """argparse type: an integer in ``[lo, hi]`` (ArgumentTypeError keeps the message)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} outside [{lo}, {hi}]")
        return v
    parse.__name__ = what
    return parse

#: what each exit status of ``check`` and ``margin`` means (docs/cli.md)
STATUS_MEANING = {0: "every outcome as predicted", 1: "an outcome against a prediction, or a claim refuted",
                  3: "some claim inconclusive"}
#: the same statuses judged on the verdicts alone (--strict, or --claim on margin)
STRICT_MEANING = {0: "strict: every claim verified or not applicable", 1: "strict: some claim refuted",
                  3: "strict: some claim inconclusive"}


def status_line(status: int, strict_status: int, strict: bool) -> str:
    """``exit status S (what S means; ...)``: in strict mode S is the verdicts' status, so the line
    says so instead of "as predicted"."""
    if strict:
        return f"exit status {status} ({STRICT_MEANING[status]}; the papers' predictions are in the last line)"
    return f"exit status {status} ({STATUS_MEANING[status]}; strict status {strict_status})"


def provenance(args) -> dict:
    """Tool version, command line and date (UTC) of this run, for reports."""
    import datetime
    import shlex
    import sys

    from ..envelope import tool
    argv = getattr(args, "argv", None)
    line = "dspgd-verify " + " ".join(shlex.quote(a) for a in argv) if argv is not None else "(Python API)"
    return {"tool": tool(), "command_line": line,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": sys.version.split()[0]}


def resolve_backend(name: str, accepted: tuple[str, ...]) -> str:
    """The DSPGD loop ``--backend name`` asks for: one of ``accepted`` (else :class:`InputError`),
    ``flint`` only where python-flint is installed, ``auto`` resolved to flint when it is (else
    mpmath)."""
    from numeric.backends.flint_loop import available
    if name not in accepted:
        raise InputError(f"--backend {name!r} is not available (accepted: {', '.join(accepted)})")
    if name == "flint" and not available():
        raise InputError("--backend flint needs python-flint: pip install python-flint "
                         "(or, from a clone, pip install '.[fast]')")
    if name == "auto":
        return "flint" if available() else "mpmath"
    return name
