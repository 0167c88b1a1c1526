"""``dspgd-verify schema``: print the JSON Schema that every command's ``--json`` output follows."""
from __future__ import annotations

import json

from ..envelope import schema


def add_parser(sub) -> None:
    sub.add_parser("schema", help="print the JSON Schema of every command's --json output (docs/json.md)")


def cmd_schema(args) -> int:
    print(json.dumps(schema(), indent=2))
    return 0
