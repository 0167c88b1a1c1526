"""The ``dspgd-verify`` command line (the contract is in ``docs/cli.md``): the parser and the dispatch.

Each command lives in its own module of :mod:`verify.cli`; this one builds the parser from
them, runs the command and turns bad input into one line on stderr with exit status 2.

Exit status: 0 every outcome as the papers predict (``check``, ``margin``; see docs/cli.md) or
the command succeeded; 1 an outcome against a prediction, or a claim nothing predicts refuted;
3 inconclusive; 2 bad input (one line on stderr, no traceback); 4 internal error.
130 interrupted (Ctrl-C, SIGINT); 143 terminated (SIGTERM).  Both stops cancel queued jobs and kill
the workers at once, and a sweep keeps the rows of its finished instances (``--resume`` continues it).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from numeric.errors import InputError

from . import catalog as catalog_cmd
from . import check as check_cmd
from . import lr_study as lr_study_cmd
from . import margin as margin_cmd
from . import proofs as proofs_cmd
from . import selftest as selftest_cmd
from . import schema as schema_cmd
from . import sweep as sweep_cmd
from ..envelope import tool_version
from ..progress import level_for
from .args import EXIT_BAD_INPUT, EXIT_INTERNAL, Parser, int_in

__all__ = ["build_parser", "main", "entry_point", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED",
           "EXIT_TERMINATED"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143   # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up path for an interrupt runs for it too."""


def _on_sigterm(signum, frame):
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, in the order of ``dspgd-verify --help``."""
    p = Parser(prog="dspgd-verify", description="Verify claims about dual space preconditioned gradient descent.")
    p.add_argument("--version", action="version", version=f"dspgd-verify {tool_version()}")
    common = Parser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="progress on stderr with one line per finished run (iterations, stop reason, seconds)")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    sub.add_parser = _with_parents(sub.add_parser, common)
    check_cmd.add_parser(sub, int_in)
    lr_study_cmd.add_lr_study_parser(sub, int_in)
    proofs_cmd.add_parser(sub, int_in)
    margin_cmd.add_parser(sub, int_in)
    selftest_cmd.add_parser(sub)
    catalog_cmd.add_parser(sub)
    sweep_cmd.add_parser(sub)
    schema_cmd.add_parser(sub)
    return p


def _with_parents(add_parser, common):
    """Every subcommand accepts ``-q``/``-v`` (after the command name)."""
    def add(name, **kw):
        return add_parser(name, parents=[common, *kw.pop("parents", [])], **kw)
    return add


#: command name -> the function that runs it (returns the exit status)
COMMANDS = {"check": check_cmd.cmd_check, "lr-study": lr_study_cmd.cmd_lr_study, "proofs": proofs_cmd.cmd_proofs,
            "margin": margin_cmd.cmd_margin, "selftest": selftest_cmd.cmd_selftest, "catalog": catalog_cmd.cmd_catalog,
            "sweep": sweep_cmd.cmd_sweep, "schema": schema_cmd.cmd_schema}
#: commands that may run minutes inside one job: a "still running" line every 30 s on a terminal
HEARTBEAT_COMMANDS = ("check", "proofs", "margin", "lr-study")


def main(argv: list[str] | None = None) -> int:
    """Run one command; SIGTERM is handled like Ctrl-C while it runs (the previous handler is
    restored on return)."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        args.argv = argv
        with level_for(quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False)) as level:
            if level >= 1 and args.command in HEARTBEAT_COMMANDS:  # a sign of life during one long run
                from .limits import heartbeat
                with heartbeat(args.command):
                    return COMMANDS[args.command](args)
            return COMMANDS[args.command](args)
    except InputError as exc:
        msg = " ".join(str(exc).split())
        print(f"dspgd-verify: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Terminated:
        print("dspgd-verify: terminated (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("dspgd-verify: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug, not bad input: one line, full traceback on request
        if os.environ.get("DSPGD_VERIFY_DEBUG"):
            raise
        print(f"dspgd-verify: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
              "(set DSPGD_VERIFY_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL



def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
