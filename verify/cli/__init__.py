"""The ``dspgd-verify`` command line: one module per command, plus the shared argument parsing.

``app`` builds the parser and dispatches (``main``, ``entry_point``: the console script);
``check``, ``proofs``, ``catalog``, ``margin``, ``lr_study``, ``selftest`` and ``sweep`` each own
one command's arguments and output.  The names users import from ``verify.cli`` (``main``,
``entry_point``, ``build_parser``, ``parse_claim``) are resolved lazily here, so importing one
command module does not load the others.
"""
from __future__ import annotations

_LAZY = {"main": "verify.cli.app", "entry_point": "verify.cli.app", "build_parser": "verify.cli.app",
         "EXIT_BAD_INPUT": "verify.cli.app", "EXIT_INTERNAL": "verify.cli.app",
         "parse_claim": "verify.claims.parse"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'verify.cli' has no attribute {name!r}")
