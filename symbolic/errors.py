"""Errors raised by the symbolic layer for bad user input."""
from __future__ import annotations


class ExpressionError(ValueError):
    """A user expression was refused.

    The message is one line and names the offending token (the source segment, name,
    operator or limit), so the command line can print it as-is with exit status 2.
    """
