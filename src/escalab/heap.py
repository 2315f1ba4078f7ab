"""The C heap kept for reuse while escalab's array kernels run (glibc's ``mallopt``).

A vectorised solve of one chunk allocates a few dozen NumPy temporaries of ~128 kB each (16,384
float64 points) and frees them all at the end of the pass. glibc adapts its thresholds to the
largest block freed so far: it gives the top of the heap back to the system whenever more than
twice that much (~256 kB here) is free, so every next chunk page-faults all of its memory afresh.
On the virtual machine measured, where the host backs a page only when it is first touched, the
solve of a 4-million-point sweep took 2.96 s with 830,000 page faults instead of 1.24 s with
12,000. The thresholds set here are where glibc's own adaptation tops out on 64-bit Linux (blocks
under 32 MB come from the heap; up to 64 MB of free heap is kept), so a process in this state
is one glibc could reach by itself after freeing a 32 MB array.

In a plain process they are set once and stay. Where the environment fixes the thresholds (Dask's
nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_`` so that an idle worker's memory goes back
to the system), they are set while escalab's tasks run and the environment's values come back
with :func:`release_heap` after the job -- on a Dask worker once no task has used the heap for a
few seconds (:func:`heap_uses` tells whether one has), so that jobs sent one after another, as a
sensitivity study sends them, do not each fault their memory in afresh.

Usable by every layer (like ``errors`` and ``workers``): it imports nothing from escalab.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

__all__ = ["heap_uses", "release_heap", "steady_heap"]

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_MMAP, _KEEP_TRIM = 32 << 20, 64 << 20      # where glibc's own adaptive thresholds top out
_FIXED_BY = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
_lock = threading.Lock()
_users = 0
_entries = 0            # blocks run under steady_heap so far in this process
_kept = False


@lru_cache(maxsize=1)
def _glibc() -> Any:
    """glibc's ``mallopt`` and ``malloc_trim``; None on other platforms and C libraries."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):
        return None


def _fixed_by_environment() -> bool:
    return any(name in os.environ for name in _FIXED_BY)


def _setting(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@contextlib.contextmanager
def steady_heap() -> Iterator[None]:
    """Freed memory stays in the heap for the next allocation while the block runs (and, in a
    plain process, afterwards). Nested and threaded uses share one setting."""
    global _users, _entries, _kept
    libc = _glibc()
    if libc is None:
        yield
        return
    with _lock:
        _entries += 1
        if not _kept:
            libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_MMAP)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_TRIM)
            _kept = True
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1


def heap_uses() -> int:
    """How many blocks have run under :func:`steady_heap` in this process: given back to
    :func:`release_heap`, it releases only if none has started since."""
    return _entries


def release_heap(unless_used_since: int | None = None) -> None:
    """After a job: where the environment fixed the thresholds, its values again and the memory
    kept for the job handed back, unless a task is running here -- or, with ``unless_used_since``
    (a :func:`heap_uses` count), one has started since that count. A no-op in a plain process."""
    global _kept
    libc = _glibc()
    if libc is None or not _fixed_by_environment():
        return
    with _lock:
        if _kept and _users == 0 and unless_used_since in (None, _entries):
            libc.mallopt(_M_MMAP_THRESHOLD, _setting("MALLOC_MMAP_THRESHOLD_", 128 << 10))
            libc.mallopt(_M_TRIM_THRESHOLD, _setting("MALLOC_TRIM_THRESHOLD_", 128 << 10))
            libc.malloc_trim(0)
            _kept = False
