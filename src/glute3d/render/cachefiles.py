"""The tissue cache's folder and files: plain data in ``.npz`` files, never pickles.

An entry is a tree of dicts (``str`` keys), lists, tuples, strings, numbers, booleans,
``None`` and numpy arrays (numbers or booleans).  It is stored as one uncompressed ``.npz``
file: the arrays of each dtype end to end in one member named after the dtype (``float64``,
``int64``, ``bool``, ...: a few members read much faster than one per array) and everything else
as JSON in the member ``meta`` (format version, key, and the tree with every array replaced by
its member, offset and shape).  Files are read with ``allow_pickle=False``, so reading a cache
file never runs code; the zip members' CRC-32 checks catch damaged bytes.

Every file the cache writes is named ``glute3d-tissue-v<format>-<key>.npz`` (the key is 24
hex digits of a checksum of the entry's inputs).  Only files named so are read, pruned or
cleared: anything else in the folder is left alone.  A missing, truncated, garbled, foreign or
older-format file reads as "not cached" (the caller makes the data again and overwrites it);
a folder that cannot be written only costs time.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> key = "0123456789abcdef01234567"
>>> write_entry(folder, key, {"name": "skin", "faces": np.zeros((2, 3), np.int32)})
True
>>> entry = read_entry(folder, key)
>>> entry["name"], entry["faces"].shape
('skin', (2, 3))
>>> cache_info(folder).entries, clear_cache(folder), cache_info(folder).entries
(1, 1, 0)
>>> folder.rmdir()
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.io.atomic import write_atomically

__all__ = [
    "FORMAT",
    "MAX_ENTRIES",
    "CacheInfo",
    "cache_dir",
    "cache_info",
    "clear_cache",
    "decode",
    "encode",
    "entry_name",
    "is_cache_file",
    "prune",
    "read_entry",
    "write_entry",
]

#: Version of the file layout; part of every file name and of every key.
FORMAT = 5
#: Entries kept in a folder; the least recently used beyond this are deleted.
MAX_ENTRIES = 40
_ENTRY = re.compile(r"glute3d-tissue-v[0-9]+-[0-9a-f]{24}\.npz")
#: Temporary files of :func:`glute3d.io.atomic.write_atomically` writing an entry.
_TEMP = re.compile(r"\.glute3d-tissue-v[0-9]+-[0-9a-f]{24}\.npz\.[A-Za-z0-9_]+\.tmp")
_KEY = re.compile(r"[0-9a-f]{24}")
_OFF = ("", "0", "off", "no", "false")


def cache_dir() -> Path | None:
    """Where generated soft tissues are kept between runs (``None``: no disk cache).

    ``$GLUTE3D_CACHE`` (``0``, ``off``, ``no``, ``false`` or empty: none), else
    ``$XDG_CACHE_HOME/glute3d``, else ``~/.cache/glute3d``.
    """
    env = os.environ.get("GLUTE3D_CACHE")
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glute3d"


def entry_name(key: str) -> str:
    """The file name of the entry with ``key`` (24 lowercase hex digits).

    Examples
    --------
    >>> entry_name("0123456789abcdef01234567")
    'glute3d-tissue-v5-0123456789abcdef01234567.npz'
    """
    if not _KEY.fullmatch(key):
        msg = f"a tissue cache key is 24 lowercase hex digits, got {key!r}; derive it from a sha256 hex digest"
        raise ValueError(msg)
    return f"glute3d-tissue-v{FORMAT}-{key}.npz"


def is_cache_file(name: str, *, temporary: bool = False) -> bool:
    """Whether a file name is one the cache writes (an entry, or with ``temporary`` also a
    half-written entry of an interrupted run).

    Examples
    --------
    >>> is_cache_file("glute3d-tissue-v5-0123456789abcdef01234567.npz"), is_cache_file("notes.npz")
    (True, False)
    """
    return bool(_ENTRY.fullmatch(name) or (temporary and _TEMP.fullmatch(name)))


# =============================================================================== plain data <-> bytes
class _Arrays:
    """The arrays of an entry, packed end to end per dtype (a view of its run on unpacking)."""

    def __init__(self) -> None:
        self.runs: dict[str, list[np.ndarray]] = {}
        self.sizes: dict[str, int] = {}

    def add(self, a: np.ndarray) -> list:
        """Store ``a``; its reference ``[member, offset, shape]``."""
        a = np.asarray(a, dtype=a.dtype.newbyteorder("="))
        member = a.dtype.name
        offset = self.sizes.get(member, 0)
        self.runs.setdefault(member, []).append(a.ravel())
        self.sizes[member] = offset + a.size
        return [member, offset, list(a.shape)]

    def members(self) -> dict[str, np.ndarray]:
        return {m: np.concatenate(parts) for m, parts in self.runs.items()}

    @staticmethod
    def get(members: dict[str, np.ndarray], ref: list) -> np.ndarray:
        """The array of reference ``ref`` (``ValueError`` or ``KeyError`` if it is not there)."""
        member, offset, shape = ref
        run = members[member]
        n = int(np.prod(shape, dtype=np.int64))
        if not (0 <= offset and offset + n <= run.size):
            msg = f"array reference {ref!r} outside the file's {run.size} {member} values: a damaged or forged entry"
            raise ValueError(msg)
        return run[offset : offset + n].reshape(shape)


def _pack(value: Any, arrays: _Arrays) -> Any:
    """``value`` as JSON-able data, its arrays stored in ``arrays`` (tagged nodes keep tuples,
    dicts and arrays apart from plain lists and objects)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"$array": arrays.add(value)}
    if isinstance(value, tuple):
        return {"$tuple": [_pack(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_pack(v, arrays) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": [[k, _pack(v, arrays)] for k, v in value.items()]}
    kind = f"array of dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
    msg = (
        f"the tissue cache stores plain data only (dicts with str keys, lists, tuples, str, numbers, "
        f"bool, None, numeric or bool arrays), got {kind}; convert it to those before caching"
    )
    raise TypeError(msg)


def _unpack(node: Any, members: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`_pack` (``ValueError`` or ``KeyError`` on anything else)."""
    if isinstance(node, list):
        return [_unpack(v, members) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        msg = f"a tagged node has one key ($array, $tuple or $dict), got {sorted(node)}: a damaged or forged entry"
        raise ValueError(msg)
    ((tag, body),) = node.items()
    if tag == "$array":
        return _Arrays.get(members, body)
    if tag == "$tuple":
        return tuple(_unpack(v, members) for v in body)
    if tag == "$dict":
        return {str(k): _unpack(v, members) for k, v in body}
    msg = f"unknown node tag {tag!r} (allowed: $array, $tuple, $dict): a damaged or forged entry"
    raise ValueError(msg)


def encode(tree: Any, key: str) -> bytes:
    """The ``.npz`` bytes of an entry.

    Raises
    ------
    TypeError
        Something in ``tree`` is not plain data.
    """
    arrays = _Arrays()
    meta = {"format": FORMAT, "key": key, "tree": _pack(tree, arrays)}
    members = arrays.members()
    members["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **members)  # type: ignore[arg-type]
    return buf.getvalue()


def decode(source: str | Path | io.BytesIO, key: str) -> Any:
    """The tree of an entry written by :func:`encode` with ``key``.

    Raises
    ------
    Exception
        Whatever a damaged, foreign or other-format file makes numpy, zipfile or json raise,
        and ``ValueError`` for a well-formed file that is not this entry.
    """
    with np.load(source, allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}  # reads every member: CRC-checked
    meta = json.loads(members.pop("meta").tobytes().decode())
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != key:
        msg = f"not an entry of format {FORMAT} with key {key!r}: a foreign, renamed or older file"
        raise ValueError(msg)
    return _unpack(meta["tree"], members)


# =============================================================================== entries in a folder
def read_entry(folder: Path, key: str) -> Any | None:
    """The entry ``key`` of ``folder``, or ``None`` when it is missing or cannot be used.

    A file that reads is touched (its time is when it was last used: see :func:`prune`).
    """
    path = Path(folder) / entry_name(key)
    try:
        tree = decode(path, key)
    except Exception:  # missing, truncated, garbled, foreign or older: make it again
        return None
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only folder: the entry still serves
    return tree


def write_entry(folder: Path, key: str, tree: Any, *, keep: int = MAX_ENTRIES) -> bool:
    """Store ``tree`` as entry ``key`` of ``folder`` (atomically), then prune; ``False`` if the
    folder cannot be created or written (a read-only cache only costs time).

    Raises
    ------
    TypeError
        Something in ``tree`` is not plain data (a programming error, not a disk problem).
    """
    data = encode(tree, key)
    try:
        write_atomically(Path(folder) / entry_name(key), data)
    except OSError:
        return False
    prune(folder, keep)
    return True


def _own_files(folder: Path | None, *, temporary: bool = False) -> list[os.DirEntry]:
    """The regular files of ``folder`` the cache wrote (never symbolic links or folders)."""
    if folder is None:
        return []
    try:
        with os.scandir(folder) as it:
            return sorted(
                (e for e in it if is_cache_file(e.name, temporary=temporary) and e.is_file(follow_symlinks=False)),
                key=lambda e: e.name,
            )
    except OSError:  # no folder (yet), or not a folder
        return []


def _remove(entries: list[os.DirEntry]) -> int:
    removed = 0
    for e in entries:
        try:
            os.unlink(e.path)
            removed += 1
        except OSError:
            pass  # gone already, or a read-only folder
    return removed


def prune(folder: Path | None, keep: int = MAX_ENTRIES) -> int:
    """Delete all but the ``keep`` most recently used entries of ``folder``; how many went.

    Only entries are considered (see :func:`is_cache_file`); other files stay.
    """

    def last_used(e: os.DirEntry) -> float:
        try:
            return e.stat(follow_symlinks=False).st_mtime
        except OSError:
            return 0.0

    entries = sorted(_own_files(folder), key=last_used, reverse=True)
    return _remove(entries[max(0, keep) :])


@dataclass(frozen=True)
class CacheInfo:
    """What the tissue cache holds.

    Attributes
    ----------
    folder : pathlib.Path or None
        The cache folder (``None``: the disk cache is off).
    entries : int
        Number of entries (files the cache wrote).
    bytes : int
        Their total size.
    """

    folder: Path | None
    entries: int
    bytes: int


def _folder(folder: str | Path | None) -> Path | None:
    return cache_dir() if folder is None else Path(folder)


def cache_info(folder: str | Path | None = None) -> CacheInfo:
    """Folder, number of entries and their total size (default folder: :func:`cache_dir`)."""
    where = _folder(folder)
    sizes = []
    for e in _own_files(where):
        try:
            sizes.append(e.stat(follow_symlinks=False).st_size)
        except OSError:
            continue
    return CacheInfo(where, len(sizes), int(sum(sizes)))


def clear_cache(folder: str | Path | None = None) -> int:
    """Delete every entry of the cache folder (default :func:`cache_dir`) and the leftovers of
    interrupted writes; other files stay.  Returns how many entries went."""
    where = _folder(folder)
    _remove([e for e in _own_files(where, temporary=True) if not is_cache_file(e.name)])
    return _remove(_own_files(where))
