"""The one reader of ``.npz`` files (``check --problem``, ``margin --problem``): bounded before reading.

A hostile or damaged file must be refused with one line and little memory.  Before any array
data is read, :func:`load_npz`:

1. refuses anything that is not a regular file (a FIFO would block forever, a device never
   ends) and files above :data:`MAX_FILE_BYTES`;
2. reads the zip's end-of-central-directory record itself and refuses more than
   :data:`MAX_MEMBERS` members (a few MB of directory would otherwise become tens of MB of
   Python objects);
3. refuses duplicate member names and ambiguous ones: numpy's ``NpzFile["X"]`` reads a member
   named exactly ``X`` when there is one and ``X.npy`` otherwise, so an archive holding both
   could pass a check of one and load the other;
4. reads each wanted member's ``.npy`` header (magic, shape, dtype) and refuses a non-numeric
   dtype (pickled objects, strings, void records), an item size above 16 bytes, and a declared
   size above the caller's per-array limit of entries;
5. hands the declared shapes to the caller's ``check_shapes`` (e.g. ``n < d``, matching rows),
   and only then reads the arrays, from exactly the members whose headers were checked.

Peak memory for a refused file is therefore a few kilobytes of headers, and for an accepted
file the declared sizes, which the caller bounds.
"""
from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping

import numpy as np

from .errors import InputError

MAX_FILE_BYTES = 256 * 2**20
MAX_MEMBERS = 64
MAX_ITEMSIZE = 16
_EOCD = b"PK\x05\x06"
_READ_ERRORS = (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError,
                zlib.error, struct.error, MemoryError, TypeError)


def _first(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


def _regular_file(path: str) -> int:
    """The size of ``path`` after checking it is a regular file within :data:`MAX_FILE_BYTES`."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or _first(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a device or socket")
        raise InputError(f"{path} is {kind}, not a regular .npz file")
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(f"{path} is {st.st_size} bytes, above the limit of {MAX_FILE_BYTES} bytes for an .npz file")
    return st.st_size


def _member_count(fh, size: int, path: str) -> None:
    """Refuse a non-zip file, and a zip whose directory declares too many members (read from its end)."""
    fh.seek(0)
    magic = fh.read(6)
    if magic.startswith(b"\x93NUMPY"):
        raise InputError(f"{path} is a single .npy array, not an .npz archive (save with numpy.savez)")
    if not (magic.startswith(b"PK\x03\x04") or magic.startswith(_EOCD)):
        raise InputError(f"{path} is not an .npz archive (save with numpy.savez)")
    tail = min(size, 65536 + 22)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(_EOCD)
    if at < 0 or at + 22 > len(data):
        raise InputError(f"{path} is not a readable .npz archive (no zip directory at its end)")
    entries = struct.unpack("<H", data[at + 10: at + 12])[0]
    if entries > MAX_MEMBERS:  # 0xFFFF (zip64) included: numpy never writes that many arrays
        raise InputError(f"{path} declares {entries} members, above the limit of {MAX_MEMBERS}")


def _header(zf: zipfile.ZipFile, member: str) -> tuple[tuple[int, ...], np.dtype]:
    with zf.open(member) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:  # format 3.0 (utf-8 field names): numpy has no public reader for its header
            shape, _, dtype = np.lib.format._read_array_header(f, version)
    return tuple(int(v) for v in shape), np.dtype(dtype)


def load_npz(path: str, required: tuple[str, ...], optional: tuple[str, ...] = (),
             max_entries: int = 4_000_000, limits: Mapping[str, int] | None = None,
             check_shapes: Callable[[dict[str, tuple[int, ...]]], None] | None = None,
             what: str = "file") -> dict[str, np.ndarray]:
    """The named real arrays of ``path`` (module docstring: every check runs before any data is read).

    ``max_entries``: the most entries one array may declare (``limits``: per name, overriding it);
    ``check_shapes(shapes)``: raises :class:`InputError` on declared shapes the caller refuses."""
    size = _regular_file(path)
    try:
        with open(path, "rb") as fh:
            _member_count(fh, size, path)
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                names = zf.namelist()
                dup = sorted({n for n in names if names.count(n) > 1})
                if dup:
                    raise InputError(f"{path}: member name {dup[0]!r} appears more than once (ambiguous)")
                stems = [n[:-4] if n.endswith(".npy") else n for n in names]
                amb = sorted({s for s in stems if stems.count(s) > 1})
                if amb:
                    raise InputError(f"{path}: both {amb[0]!r} and {amb[0] + '.npy'!r} are members; numpy would "
                                     f"read one and a check the other (ambiguous, refused)")
                member = {s: n for s, n in zip(stems, names)}
                missing = [a for a in required if a not in member]
                if missing:
                    raise InputError(f"{path}: missing array(s) {', '.join(missing)} (need {', '.join(required)}"
                                     + (f"; optional {', '.join(optional)}" if optional else "")
                                     + f"; found: {', '.join(sorted(member)) or 'none'})")
                wanted = [a for a in required + optional if a in member]
                shapes = {}
                for name in wanted:
                    try:
                        shape, dtype = _header(zf, member[name])
                    except _READ_ERRORS as exc:
                        raise InputError(f"{path}: cannot read array {name}: {_first(exc)}") from None
                    if dtype.kind not in "fiu" or dtype.hasobject:
                        raise InputError(f"{path}: {name} must be a real numeric array, got dtype {dtype}")
                    if dtype.itemsize > MAX_ITEMSIZE:
                        raise InputError(f"{path}: {name} has items of {dtype.itemsize} bytes (dtype {dtype}), "
                                         f"above {MAX_ITEMSIZE}")
                    entries = 1
                    for v in shape:
                        entries *= v
                    limit = (limits or {}).get(name, max_entries)
                    if entries > limit:
                        raise InputError(f"{path}: array {name} declares shape {shape} ({entries} entries), "
                                         f"above the limit of {limit} entries (refused before reading it)")
                    shapes[name] = shape
                if check_shapes is not None:
                    check_shapes(shapes)
                out = {}
                for name in wanted:
                    try:
                        with zf.open(member[name]) as f:
                            a = np.lib.format.read_array(f, allow_pickle=False)
                    except _READ_ERRORS as exc:
                        raise InputError(f"{path}: cannot read array {name}: {_first(exc)}") from None
                    if a.shape != shapes[name]:  # pragma: no cover - read_array follows the header
                        raise InputError(f"{path}: array {name} changed shape while reading")
                    out[name] = a
                return out
    except InputError:
        raise
    except _READ_ERRORS as exc:
        raise InputError(f"cannot read {what} {path}: {_first(exc)}") from None


__all__ = ["load_npz", "MAX_FILE_BYTES", "MAX_MEMBERS", "MAX_ITEMSIZE"]
