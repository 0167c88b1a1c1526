"""The JSON Schema of every command's ``--json`` output (``output.schema.json``, package data)."""
