"""Proved facts of a K, cached by a key of its canonical expression, in memory and on disk.

Proving the facts of a K (convexity, ``grad K(0) = 0``, the Lipschitz constant, invariances)
is SymPy work of 0.1 s to seconds, and a campaign or a hypothesis run meets the same K again and
again.  :func:`cached_facts` proves each K once:

* **key**: SHA-256 of the K's canonical description (``sympy.srepr`` of its expressions, its
  structure, its parameters, its shape for a general K: whatever the facts depend on), the tool's
  version and a digest of the ``symbolic`` package's source, so a changed prover never reads
  facts proved by an older one;
* **memory**: a dictionary per process (bounded);
* **disk**: one JSON file per key in ``$DSPGD_VERIFY_CACHE_DIR``, else the user cache folder
  (``$XDG_CACHE_HOME/dspgd-verify`` or ``~/.cache/dspgd-verify``), under a folder named by the
  tool's version.  A file is written to a temporary name and renamed (atomic on POSIX), so
  processes writing the same key concurrently each leave a complete file, and a reader never
  sees half of one; an unreadable or corrupt file is ignored (and overwritten).
  ``DSPGD_VERIFY_CACHE=off`` disables the disk (the memory cache stays).

Facts that are ``unknown`` because SymPy ran out of time are never cached: on a faster or less
loaded machine they may be decided.  Everything else (proved, refuted with its counterexample,
unknown for a mathematical reason) is a deterministic function of the key.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from .facts import Fact

MEMORY_LIMIT = 256
TIMEOUT_MARK = "did not decide this within"
_memory: dict[str, dict] = {}
_digest: list[str] = []


def _tool_version() -> str:
    try:
        from importlib.metadata import version
        return version("dspgd-verify")
    except Exception:  # not installed (running from a source tree)
        return "0.1.0"


def source_digest() -> str:
    """SHA-256 (16 hex digits) of the tool's version and every ``symbolic/*.py`` file."""
    if not _digest:
        h = hashlib.sha256(_tool_version().encode())
        for path in sorted(Path(__file__).parent.glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
        _digest.append(h.hexdigest()[:16])
    return _digest[0]


def cache_dir() -> Path | None:
    """The disk cache folder, or None when disabled."""
    if os.environ.get("DSPGD_VERIFY_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    root = os.environ.get("DSPGD_VERIFY_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "dspgd-verify")
    return Path(root) / _tool_version() / "facts"


def key_of(*parts) -> str:
    """The cache key of a K described by ``parts`` (strings, numbers, tuples)."""
    text = json.dumps([source_digest(), *[_canon(p) for p in parts]], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _canon(p):
    if isinstance(p, dict):
        return {str(k): _canon(v) for k, v in sorted(p.items(), key=lambda kv: str(kv[0]))}
    if isinstance(p, (list, tuple)):
        return [_canon(v) for v in p]
    if p is None or isinstance(p, (bool, int, float, str)):
        return p
    return str(p)


def cached_facts(key: str, prove: Callable[[], dict]) -> dict:
    """The facts stored under ``key``, else ``prove()`` (stored when every fact was decided
    without a time-out).  Returns a new dict each time (callers may add facts to it)."""
    if key in _memory:
        return dict(_memory[key])
    facts = _read(key)
    if facts is None:
        facts = prove()
        if not any(TIMEOUT_MARK in f.detail for f in facts.values()):
            _write(key, facts)
        else:
            return dict(facts)
    if len(_memory) >= MEMORY_LIMIT:
        _memory.clear()
    _memory[key] = dict(facts)
    return dict(facts)


def clear_memory() -> None:
    """Forget the in-process cache (tests)."""
    _memory.clear()


def _read(key: str) -> dict | None:
    d = cache_dir()
    if d is None:
        return None
    try:
        data = json.loads((d / f"{key}.json").read_text())
        return {name: Fact(**fact) for name, fact in data["facts"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(key: str, facts: dict) -> None:
    d = cache_dir()
    if d is None:
        return
    data = {"facts": {name: {"name": f.name, "statement": f.statement, "status": f.status, "method": f.method,
                             "detail": f.detail, "counterexample": f.counterexample} for name, f in facts.items()}}
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{key[:16]}.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, d / f"{key}.json")
    except (OSError, TypeError, ValueError):  # a read-only home, an unserializable counterexample: no disk cache
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


def profile_key(prof) -> str:
    """The key of a :class:`~symbolic.structures.ProfileK`."""
    import sympy as sp
    return key_of("profile", prof.structure, sp.srepr(prof.f), sp.srepr(prof.x),
                  None if prof.L is None else sp.srepr(prof.L), None if prof.f_neg is None else sp.srepr(prof.f_neg),
                  prof.params, prof.source)


def general_key(gk) -> str:
    """The key of a :class:`~symbolic.general.GeneralK`."""
    import sympy as sp
    over = getattr(gk, "grad_override", None)
    return key_of("general", sp.srepr(gk.expr), gk.d, gk.k, None if over is None else sp.srepr(over),
                  getattr(gk, "params", {}), getattr(gk, "source", ""))


def facts_of(sym) -> dict:
    """``sym.facts()`` through the cache, for a ProfileK or a GeneralK (anything else: proved afresh)."""
    from .general import GeneralK
    from .structures import ProfileK
    if isinstance(sym, ProfileK):
        return cached_facts(profile_key(sym), sym.facts)
    if isinstance(sym, GeneralK):
        return cached_facts(general_key(sym), sym.facts)
    return sym.facts()
