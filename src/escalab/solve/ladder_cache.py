"""Solved ladder-crisis equilibria kept on disk, so a crisis is solved once per machine.

A typed equilibrium of the default scenario takes half a minute and a gigabyte to solve, and
``play``, ``resume``, ``replay``, ``simulate``, ``score``, ``tournament`` and ``run`` all stand on
it. :func:`~escalab.solve.ladder.solve_equilibrium` asks this cache before it solves and fills it
after.

**Key.** The digest of everything a solve reads (``arrays_key``) together with escalab's version,
NumPy's and pygambit's versions and a digest of the solver's own source files
(``SOLVER_SOURCES``): a new release, or a solver edited during development, never meets an
equilibrium the running code would not compute. A hit is the bytes a fresh solve wrote, so it is
that solve, bit for bit.

**Entry.** One file per equilibrium, ``<key>.eq`` in the cache folder's ``ladder`` folder: a
JSON header naming each field, the raw bytes of each array (64-byte aligned) and a checksum of all
that (:func:`checksum`). It is *mapped*, not read (copy-on-write, so the tables stay writable): the 0.5 GB of the
default scenario cost the check of the checksum, a few hundredths of a second, and processes that
load it share the pages. Entries are written under a temporary name and renamed (``escalab.atomic``), so a reader
sees a whole entry or none. An entry holds numbers and JSON only, no pickle: reading one runs no
code. Anything wrong with an entry (a flipped byte, a cut-off file, another version or format, a
field the code does not know) makes it a miss: it is deleted, solved again and rewritten.

**Budget and switch.** The ``cache-bytes`` limit bounds the folder: after a write the entries
used least recently are deleted until the rest fit (an entry bigger than the limit is not
written). ``ESCALAB_CACHE=off`` turns the cache off; a folder that cannot be made or written
leaves escalab without a cache, never without an answer.

**One solve, several processes.** A process that misses takes a lock file for the key while it
solves; another process (a tournament's worker, a Dask worker on this machine) that misses the
same key meanwhile waits for that lock, then loads what the first wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import struct
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..atomic import atomic_path

FORMAT = 1
MAGIC = b"escalab-ladder-eq\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0"[:24]
ALIGN = 64
BLOCK = 4096                  # words per block of the checksum (32 kB)
DIGEST = 32                   # bytes of the checksum, at the end of an entry
SUFFIX = ".eq"
SOLVER_SOURCES = ("ladder.py", "ladder_types.py")   # in this folder: the code that computes an entry
# (this module only stores it: a change to the layout of an entry raises FORMAT)
DTYPES = frozenset({"<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1", "<u8", "<u4"})
WAIT_SECONDS = 900.0          # longest wait for another process solving the same crisis; then solve here
STATS: Counter[str] = Counter()   # "hit", "miss", "rejected", "written", "unwritable": what the cache did here


# ----------------------------------------------------------------------------- where, and whether
def enabled() -> bool:
    return os.environ.get("ESCALAB_CACHE", "").strip().lower() not in ("off", "0", "no", "false")


def root() -> Path | None:
    """escalab's cache folder: ``$ESCALAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/escalab``, else
    ``~/.cache/escalab`` (None without a home folder: then there is no cache)."""
    given = os.environ.get("ESCALAB_CACHE_DIR", "").strip()
    if given:
        return Path(given).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    except RuntimeError:            # no HOME and no password entry (a bare container)
        return None
    return base / "escalab"


def folder() -> Path:
    """Where ladder equilibria are kept (see :func:`root`; a path that is never a folder without one)."""
    base = root()
    return base / "ladder" if base is not None else Path(os.devnull) / "ladder"


@lru_cache(maxsize=1)
def code_digest() -> str | None:
    """escalab's, NumPy's and pygambit's versions and the solver's sources, digested (None when a
    source cannot be read: then nothing is cached, as an entry could not be tied to its code)."""
    from importlib import metadata

    from .. import __version__

    h = hashlib.sha256(f"escalab {__version__}; numpy {np.__version__}; ".encode())
    try:
        h.update(f"pygambit {metadata.version('pygambit')}; ".encode())
    except metadata.PackageNotFoundError:
        h.update(b"no pygambit; ")
    here = Path(__file__).resolve().parent
    for name in SOLVER_SOURCES:
        try:
            h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
        except OSError:
            return None
    return h.hexdigest()


def entry_key(arrays_key: str) -> str | None:
    code = code_digest()
    if code is None:
        return None
    return hashlib.sha256(f"{FORMAT}:{arrays_key}:{code}".encode()).hexdigest()[:40]


# ----------------------------------------------------------------------------- one entry
class _Unknown(TypeError):
    """A field value this format cannot hold: the equilibrium is not cached (never an error)."""


def _encode(value: Any, out: list[np.ndarray]) -> Any:
    from .ladder import ObsTable

    if isinstance(value, np.ndarray):
        out.append(np.ascontiguousarray(value))
        return {"array": len(out) - 1}
    if isinstance(value, ObsTable):
        return {"obs": {f.name: _encode(getattr(value, f.name), out) for f in fields(ObsTable)}}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, out) for v in value]}
    if isinstance(value, float):
        return {"float": value.hex()}
    if value is None or isinstance(value, (bool, int, str)):
        return {"value": value}
    raise _Unknown(type(value).__name__)


def _decode(node: Any, arrays: list[np.ndarray]) -> Any:
    from .ladder import ObsTable

    (kind, body), = node.items()
    if kind == "array":
        return arrays[body]
    if kind == "obs":
        if set(body) != {f.name for f in fields(ObsTable)}:
            raise ValueError("the fields of ObsTable changed")
        return ObsTable(**{k: _decode(v, arrays) for k, v in body.items()})
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in body)
    if kind == "float":
        return float.fromhex(body)
    if kind == "value":
        return body
    raise ValueError(f"unknown node {kind!r}")


def checksum(words: np.ndarray) -> bytes:
    """The digest of an entry's body (64-bit words): SHA-256 of the sums of its blocks of
    ``BLOCK`` words, mod 2^64. Any changed word changes its block's sum; a block lost, zeroed or
    moved changes the sequence. Five to ten times faster than CRC-32 on the default scenario's
    0.5 GB, as the sums run at memory speed (and a hit must take well under 0.2 s)."""
    whole = len(words) // BLOCK * BLOCK
    sums = words[:whole].reshape(-1, BLOCK).sum(axis=1, dtype=np.uint64)
    return hashlib.sha256(sums.tobytes() + words[whole:].tobytes()).digest()


def _path(key: str) -> Path:
    return folder() / f"{key}{SUFFIX}"


def write(key: str, eq: Any) -> bool:
    """Write ``eq`` (a LadderEquilibrium) as entry ``key``; False where it is not (too big, the
    folder unwritable, a field this format cannot hold). Then trim the folder to the budget."""
    arrays: list[np.ndarray] = []
    try:
        tree = {f.name: _encode(getattr(eq, f.name), arrays) for f in fields(eq) if f.name != "arrays"}
    except _Unknown:
        return False
    layout, offset = [], 0
    for a in arrays:
        layout.append([a.dtype.str, list(a.shape), offset])
        offset += -(-a.nbytes // ALIGN) * ALIGN
    header = {"format": FORMAT, "key": key, "fields": tree, "arrays": layout}
    from .. import __version__
    header["escalab"] = __version__
    raw = json.dumps(header, separators=(",", ":")).encode()
    start = len(MAGIC) + 8 + len(raw)
    start += -start % ALIGN
    size = start + offset + DIGEST
    budget = limits.CACHE_BYTES.value()
    if size > budget:
        return False
    path = _path(key)
    try:
        with atomic_path(path) as tmp, open(tmp, "w+b") as fh:
            fh.write(MAGIC + struct.pack("<Q", start) + raw + b"\0" * (start - len(MAGIC) - 8 - len(raw)))
            for a in arrays:
                fh.write(memoryview(a.reshape(-1).view(np.uint8)) if a.size else b"")
                fh.write(b"\0" * (-a.nbytes % ALIGN))
            fh.flush()
            body = size - DIGEST
            with mmap.mmap(fh.fileno(), body, access=mmap.ACCESS_READ) as mem:
                words = np.frombuffer(mem, dtype=np.uint64, count=body // 8)
                digest = checksum(words)
                del words
            fh.write(digest)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        STATS["unwritable"] += 1
        return False
    STATS["written"] += 1
    trim(budget, keep=path)
    return True


def read(key: str, arrays: Any) -> Any:
    """Entry ``key`` as a LadderEquilibrium tied to ``arrays``, or None (absent, or not to be
    trusted: then it is deleted, so the caller's solve rewrites it)."""
    path = _path(key)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; the mapping outlives it
    except OSError:
        return None
    try:
        with fh:
            size = os.fstat(fh.fileno()).st_size
            if size < len(MAGIC) + 8 + DIGEST:
                raise ValueError("too short")
            mem = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
        eq = _parse(mem, size, key, arrays)
    except Exception:  # noqa: BLE001 - any fault in an entry makes it a miss, never an error
        STATS["rejected"] += 1
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    STATS["hit"] += 1
    with contextlib.suppress(OSError):
        os.utime(path)              # most recently used: trimmed last
    return eq


def _parse(mem: Any, size: int, key: str, arrays: Any) -> Any:
    from .. import __version__
    from .ladder import LadderEquilibrium

    view = memoryview(mem)
    if bytes(view[:len(MAGIC)]) != MAGIC or size % 8:
        raise ValueError("not an entry")
    if checksum(np.frombuffer(mem, dtype=np.uint64, count=(size - DIGEST) // 8)) != bytes(view[size - DIGEST:]):
        raise ValueError("checksum")
    (start,) = struct.unpack("<Q", view[len(MAGIC):len(MAGIC) + 8])
    header = json.loads(bytes(view[len(MAGIC) + 8:start]).rstrip(b"\0"))
    if header.get("format") != FORMAT or header.get("key") != key or header.get("escalab") != __version__:
        raise ValueError("another format, key or version")
    tables = []
    for dtype, shape, offset in header["arrays"]:
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype}")
        count = int(np.prod(shape, dtype=np.int64))
        at = start + int(offset)
        if at < start or at + count * np.dtype(dtype).itemsize > size - DIGEST:
            raise ValueError("an array past the end")
        tables.append(np.frombuffer(mem, dtype=dtype, count=count, offset=at).reshape(shape))
    tree = header["fields"]
    names = {f.name for f in fields(LadderEquilibrium)} - {"arrays"}
    if set(tree) != names:
        raise ValueError("the fields of LadderEquilibrium changed")
    return LadderEquilibrium(arrays=arrays, **{k: _decode(v, tables) for k, v in tree.items()})


# ----------------------------------------------------------------------------- the folder
def entries() -> list[tuple[Path, os.stat_result]]:
    """The entries, most recently used first."""
    try:
        found = [(p, p.stat()) for p in folder().glob(f"*{SUFFIX}")]
    except OSError:
        return []
    return sorted(found, key=lambda e: e[1].st_mtime, reverse=True)


def trim(budget: int, keep: Path | None = None) -> int:
    """Delete the entries used least recently until the rest fit in ``budget`` bytes; returns how
    many were deleted (``keep``, the entry just written, stays)."""
    found = entries()
    total = sum(st.st_size for path, st in found if path == keep)
    gone = 0
    for path, st in found:
        if path == keep:
            continue
        if total + st.st_size <= budget:
            total += st.st_size
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            gone += 1
        with contextlib.suppress(OSError):
            path.with_suffix(".lock").unlink()
    return gone


def clear() -> tuple[int, int]:
    """Delete every entry (and lock file); returns (entries, bytes) deleted."""
    n, size = 0, 0
    for path, st in entries():
        with contextlib.suppress(OSError):
            path.unlink()
            n, size = n + 1, size + st.st_size
    with contextlib.suppress(OSError):
        for lock in folder().glob("*.lock"):
            with contextlib.suppress(OSError):
                lock.unlink()
    return n, size


def cached(arrays_key: str) -> bool:
    """Whether this machine's cache holds the crisis (an entry is there; it is checked when loaded)."""
    key = entry_key(arrays_key) if enabled() else None
    return key is not None and _path(key).is_file()


# ----------------------------------------------------------------------------- the solver's view
class Slot:
    """The cache's place for one crisis, held while the caller looks it up and solves it."""

    def __init__(self, key: str):
        self.key = key

    def load(self, arrays: Any) -> Any:
        eq = read(self.key, arrays)
        if eq is None:
            STATS["miss"] += 1
        return eq

    def store(self, eq: Any) -> bool:
        return write(self.key, eq)


@contextlib.contextmanager
def slot(arrays_key: str) -> Iterator[Slot | None]:
    """The cache slot for a crisis (None when the cache is off), locked against other processes
    solving the same crisis while the block runs (where locking works: a folder that cannot be
    written has no lock, and no cache)."""
    key = entry_key(arrays_key) if enabled() else None
    if key is None:
        yield None
        return
    lock = _lock(key)
    try:
        yield Slot(key)
    finally:
        if lock is not None:
            os.close(lock)          # closing releases the lock


def _lock(key: str) -> int | None:
    try:
        import fcntl
    except ImportError:             # pragma: no cover - not POSIX: no lock, at worst two solves
        return None
    try:
        folder().mkdir(parents=True, exist_ok=True)
        fd = os.open(folder() / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # a process's own: a forked child holds none
            return fd
        except (BlockingIOError, PermissionError):
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.05)
        except OSError:             # a file system without locks
            os.close(fd)
            return None
