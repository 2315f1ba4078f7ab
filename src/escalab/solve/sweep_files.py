"""A sweep's table on disk: a columnar file (Parquet, or NumPy .npz without pyarrow) and a CSV.

Millions of rows must be written at the speed of the disk, not of a Python loop: a row is a few
values from small tables (each axis has a few thousand distinct values; there are a handful of
outcome labels), so every distinct value is formatted once. The end of a row (the last axes' values
and the outcome) takes few distinct values too, so those endings are prepared once, and a block of
rows is a gather of ready-made byte strings joined in C (four times faster than gathering padded
bytes into one array and dropping the padding).

The CSV is written as the grid is solved (:class:`CsvStream`): each solved range of points is
appended as soon as every range before it has been, by the process that collects the results, in
between its own share of the solving (with workers, the others take more of it), in blocks of
about 1.5 MB. Measured on the machine this was built on, 4 million points with two workers, this
took 2.15-2.31 s end to end against 2.43-2.57 s for the finished table's CSV cut into 12 MB blocks
that the workers formatted and wrote at offsets computed beforehand, with a third less system
time (small blocks reuse memory the process already holds; each 12 MB block was probably fresh
memory for the virtual machine to hand out), and one process appending contends with no other
for the file.

Numbers are written in their shortest round-trip form (``0.1``, ``0.0005002501250625312``, ``20``), so
reading the CSV back gives the same float64 values as the columnar file.

Columnar files keep the sweep's description (scenario, axes, labels, method) in their metadata, so
:func:`read_sweep` rebuilds the :class:`~escalab.solve.sweep.SweepResult` exactly.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UsageError
from .grid_order import RangeOrder

if TYPE_CHECKING:
    from .sweep import SweepResult

BLOCK_ROWS = 16_384             # rows per formatted block: about 1.5 MB of CSV, reused memory
SYNC_WINDOW = 32 << 20          # bytes of CSV written between background syncs (see CsvStream)
ENDINGS = 1 << 16               # most row endings (last axes' values x outcomes) prepared per process
META_KEY = b"escalab.sweep"


# ------------------------------------------------------------------------------ tokens
@dataclass(frozen=True)
class Tokens:
    """Padded byte tables: ``table[i, :length[i]]`` is token i; padding bytes are zero."""

    table: np.ndarray      # (n, width) uint8
    length: np.ndarray     # (n,) int64

    @classmethod
    def of(cls, texts: Sequence[bytes]) -> "Tokens":
        width = max(1, max((len(t) for t in texts), default=1))
        table = np.zeros((len(texts), width), dtype=np.uint8)
        for i, t in enumerate(texts):
            if b"\0" in t:
                raise ValueError("a CSV token contains a NUL byte")
            table[i, :len(t)] = np.frombuffer(t, dtype=np.uint8)
        return cls(table, np.array([len(t) for t in texts], dtype=np.int64))


def number_tokens(values: np.ndarray, suffix: bytes) -> Tokens:
    """Each value in its shortest round-trip form (NumPy's, the same as Python's repr, without a
    trailing ".0") + ``suffix``."""
    text = np.asarray(values, dtype=np.float64).astype("S")        # formatted in C, zero-padded
    raw = text.view(np.uint8).reshape(len(values), -1).copy()
    length = (raw != 0).sum(axis=1).astype(np.int64)
    rows = np.arange(len(values))
    whole = (length >= 2) & (raw[rows, np.maximum(length - 2, 0)] == ord(".")) & (raw[rows, length - 1] == ord("0"))
    raw[rows[whole], length[whole] - 1] = 0                 # "20.0" -> "20", as a person writes it
    raw[rows[whole], length[whole] - 2] = 0
    length = length - 2 * whole
    raw = raw[:, :int(length.max(initial=1))]           # NumPy pads to 32 bytes; keep the widest
    table = np.zeros((len(values), raw.shape[1] + len(suffix)), dtype=np.uint8)
    table[:, :raw.shape[1]] = raw
    for k, byte in enumerate(suffix):
        table[rows, length + k] = byte
    return Tokens(table, length + len(suffix))


def csv_row(fields: Sequence[str]) -> bytes:
    """One row exactly as :mod:`csv` writes it (minimal quoting, ``\\r\\n``)."""
    buf = io.StringIO()
    csv.writer(buf).writerow(fields)
    return buf.getvalue().encode("utf-8")


@dataclass(frozen=True)
class CsvLayout:
    """Everything needed to format any block of a sweep's CSV: the axes' tokens, the labels'."""

    shape: tuple[int, ...]
    axes: tuple[Tokens, ...]          # per axis: value + ","
    outcomes: Tokens                  # per code: outcome,path\r\n
    header: bytes

    @classmethod
    def of(cls, names: Sequence[str], values: Sequence[np.ndarray], labels: Sequence[str],
           paths: Sequence[str]) -> "CsvLayout":
        return cls(tuple(len(v) for v in values), tuple(number_tokens(v, b",") for v in values),
                   Tokens.of([csv_row([lab, p]) for lab, p in zip(labels, paths)]),
                   csv_row([*names, "outcome", "path"]))

    def indices(self, start: int, stop: int) -> list[np.ndarray]:
        """Per axis, the value index of each flat point in [start, stop) (last axis fastest)."""
        flat = np.arange(start, stop, dtype=np.int64)
        out: list[np.ndarray] = []
        for n in reversed(self.shape):
            flat, idx = np.divmod(flat, n)
            out.append(idx)
        return out[::-1]

    @cached_property
    def _endings(self) -> tuple[int, np.ndarray]:
        """``(m, endings)``: the row of point ``(i_0, ..., i_{d-1})`` with outcome code ``k`` is the
        tokens of ``i_0 .. i_{m-1}`` followed by ``endings[j * codes + k]``, where ``j`` is the
        point's flat index over the last ``d - m`` axes. Those axes are folded into the endings
        while there are at most :data:`ENDINGS` of them, so a row is usually two pieces, not d + 1."""
        endings, m = _objects(self.outcomes, 0, len(self.outcomes.length)), len(self.shape)
        while m > 0 and self.shape[m - 1] * len(endings) <= ENDINGS:
            m -= 1
            values = _objects(self.axes[m], 0, self.shape[m])
            endings = _objects_of([a + b for a in values for b in endings])
        return m, endings

    def block(self, codes: np.ndarray, start: int, stop: int) -> bytes:
        """The CSV bytes of rows [start, stop)."""
        m, endings = self._endings
        tail = int(np.prod(self.shape[m:], dtype=np.int64))
        within = np.arange(start, stop, dtype=np.int64) % tail
        columns = []
        for tok, idx in zip(self.axes[:m], self.indices(start, stop)[:m]):
            lo = int(idx.min(initial=0))             # only the values this block uses become objects
            columns.append(_objects(tok, lo, int(idx.max(initial=0)) + 1)[idx - lo])
        columns.append(endings[within * len(self.outcomes.length) + codes])
        rows = np.empty((stop - start, len(columns)), dtype=object)
        for k, column in enumerate(columns):
            rows[:, k] = column                               # the pieces of each row, side by side
        return b"".join(rows.reshape(-1).tolist())


def _objects(tok: Tokens, lo: int, hi: int) -> np.ndarray:
    return _objects_of([tok.table[i, :n].tobytes() for i, n in enumerate(tok.length[lo:hi].tolist(), lo)])


def _objects_of(texts: list[bytes]) -> np.ndarray:
    out = np.empty(len(texts), dtype=object)      # filled, not np.array(texts): that would make fixed-width bytes
    out[:] = texts
    return out


class CsvStream:
    """A sweep's CSV written while its grid is solved (see the module docstring).

    ``add(start, codes, labels)`` takes a solved range -- its first point's flat index, one code per
    point, and the (outcome, path) label of each code -- in any order; ranges are appended in grid
    order as soon as they connect, so the file is the same, byte for byte, however the grid was cut
    and whoever solved it. Labels are numbered by first appearance, as the sweep numbers them
    (:mod:`.grid_order`), and the row endings are prepared again only when a new label turns up.

    Every :data:`SYNC_WINDOW` bytes a thread writes what is done to disk and drops it from the page
    cache (where the platform offers ``posix_fadvise``), so a file of hundreds of megabytes passes
    through a few tens of megabytes of memory that the next blocks reuse, and the sync at the end
    has one window left to write. Memory the system has not used lately is the expensive kind on a
    virtual machine, whose host backs it on first touch: on the machine measured, the 365 MB CSV of
    4 million points took 0.52-0.79 s to write and publish this way against 1.20-1.96 s with one
    sync at the end (six interleaved runs each).
    """

    def __init__(self, path: str | Path, names: Sequence[str], values: Sequence[np.ndarray]):
        self.path = Path(path)
        self._layout = CsvLayout.of(names, values, [], [])          # labels are added as they turn up
        self._order = RangeOrder()          # ranges connected in grid order, labels numbered as the sweep's
        self._sync: ThreadPoolExecutor | None = None
        self._synced: Future | None = None
        self._window: Future | None = None      # the sync of a window under way
        self._written = self._window_end = 0
        self._fh = open(self.path, "wb")
        self._put(self._layout.header)

    def _put(self, data: bytes) -> None:
        with self._named():
            self._fh.write(data)
            self._written += len(data)
            if self._written - self._window_end >= SYNC_WINDOW and hasattr(os, "posix_fadvise") \
                    and (self._window is None or self._window.done()):
                if self._window is not None:
                    self._window.result()               # a failed sync is reported, not skipped
                self._fh.flush()
                self._sync = self._sync or ThreadPoolExecutor(max_workers=1)
                self._window_end = self._written
                self._window = self._sync.submit(_sync_and_drop, self._fh.fileno(), self._written)

    @contextlib.contextmanager
    def _named(self) -> Iterator[None]:
        """A failed write or sync (a full disk) names this file: the OS error alone names none."""
        try:
            yield
        except OSError as exc:
            if exc.filename is not None:
                raise
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from exc

    def add(self, start: int, codes: np.ndarray, labels: Sequence[tuple[str, str]]) -> None:
        for at, connected, remap in self._order.add(start, codes, list(labels)):
            if len(self._order.labels) != len(self._layout.outcomes.length):      # a label turned up
                self._layout = replace(self._layout, outcomes=Tokens.of([csv_row(list(k)) for k in self._order.labels]))
            rows = remap[connected] if len(remap) else connected
            for s in range(0, rows.size, BLOCK_ROWS):
                part = rows[s:s + BLOCK_ROWS]
                self._put(self._layout.block(part, at + s, at + s + part.size))

    def end(self, total: int) -> None:
        """After the last range: check that every one of ``total`` points was written and start
        syncing the file to disk on a thread (it waits on the disk, not on the CPU), so the caller
        writes its other files meanwhile; :meth:`finish` waits for it."""
        if self._order.next != total or self._order.waiting:     # sweep hands over every range; a caller may not
            raise RuntimeError(f"CSV has {self._order.next} of {total} rows; ranges from "
                               f"{self._order.waiting} never connected")
        if self._synced is None:
            self._fh.flush()
            self._sync = self._sync or ThreadPoolExecutor(max_workers=1)
            self._synced = self._sync.submit(os.fsync, self._fh.fileno())   # after any window's sync

    def finish(self, total: int) -> Path:
        """The file synced and closed, every one of ``total`` points written."""
        try:
            with self._named():
                self.end(total)
                assert self._synced is not None
                self._synced.result()
                if self._window is not None:
                    self._window.result()
        finally:
            self.close()
        return self.path

    def close(self) -> None:
        """Close the file: after :meth:`finish` nothing is left to do; before it, the caller gives up
        and discards the file."""
        if self._sync is not None:
            self._sync.shutdown(wait=True)           # a sync under way ends before its file closes
        self._fh.close()


def _sync_and_drop(fd: int, upto: int) -> None:
    """The first ``upto`` bytes of the file to disk, then out of the page cache (see :class:`CsvStream`)."""
    os.fdatasync(fd)
    os.posix_fadvise(fd, 0, upto, os.POSIX_FADV_DONTNEED)


def write_csv(result: "SweepResult", path: str | Path) -> Path:
    """Write the sweep's CSV (one row per point) at ``path``."""
    stream = CsvStream(path, [a.name for a in result.axes], [a.values for a in result.axes])
    try:
        stream.add(0, result.codes, list(zip(result.labels, result.paths)))
    except BaseException:
        stream.close()
        raise
    return stream.finish(result.size)


# ------------------------------------------------------------------------------ columnar
def pyarrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def columnar_suffix() -> str:
    """``.parquet`` when pyarrow can be imported, else ``.npz``."""
    return ".parquet" if pyarrow_available() else ".npz"


def _meta(result: "SweepResult") -> dict[str, Any]:
    return {"scenario": result.scenario, "title": result.title, "axes": [a.name for a in result.axes],
            "shape": list(result.codes.shape), "labels": result.labels, "paths": result.paths,
            "method": result.method, "pygambit_points": result.gambit_points, "fixed": result.fixed,
            "units": result.units}


def write_columnar(result: "SweepResult", path: str | Path) -> Path:
    """Write the sweep as Parquet (``.parquet``, needs pyarrow) or NumPy (``.npz``), by suffix.

    Parquet holds one row per point: the swept values (float64) and the outcome and path as
    dictionary-encoded strings, so the file is a few bytes per point and loads straight into
    pandas, polars or DuckDB. The .npz holds the grid itself: each axis's values and one small
    integer code per point.
    """
    path = Path(path)
    if path.suffix == ".parquet":
        _write_parquet(result, path)
    elif path.suffix == ".npz":
        _write_npz(result, path)
    else:
        raise UsageError(f"{path}: a sweep's columnar file ends in .parquet or .npz")
    return path


def _index_type(n: int) -> Any:
    return np.int8 if n <= 127 else np.int16 if n <= 32_767 else np.int32


ROW_GROUP = 1 << 20     # rows per Parquet row group: pyarrow's default size, built one at a time


def _write_parquet(result: "SweepResult", path: Path) -> None:
    """Every column dictionary-encoded from the sweep's own small tables (no hashing of millions of
    values): the swept values from their axis, outcome and path from the label tables.

    The table is built and written one row group at a time, so its columns take a row group's
    memory, reused from one to the next, not the whole grid's in fresh memory (which a virtual
    machine's host backs on first touch); the file is the one a single ``write_table`` makes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    codes = result.codes.reshape(-1)
    shape = tuple(len(a) for a in result.axes)
    names = [a.name for a in result.axes] + ["outcome", "path"]
    # point i's index on axis k, last axis fastest, repeats with this period: each value repeated
    # for the axes after it (no divmod over millions of int64s)
    periods = [np.repeat(np.arange(len(a), dtype=_index_type(len(a))), math.prod(shape[k + 1:]))
               for k, a in enumerate(result.axes)]
    values = [_arrow(np.asarray(a.values, dtype=np.float64)) for a in result.axes]
    texts = []
    for labels in (result.labels, result.paths):
        distinct = list(dict.fromkeys(labels))
        texts.append((np.array([distinct.index(t) for t in labels], dtype=_index_type(len(distinct))),
                      _arrow_strings(distinct)))
    writer = None
    try:
        for start in range(0, max(codes.size, 1), ROW_GROUP):
            stop = min(codes.size, start + ROW_GROUP)
            part = codes[start:stop]
            columns = [pa.DictionaryArray.from_arrays(_arrow(_cyclic(p, start, stop)), v)
                       for p, v in zip(periods, values)]
            columns += [pa.DictionaryArray.from_arrays(_arrow(remap[part] if len(remap) else remap), dictionary)
                        for remap, dictionary in texts]
            table = pa.Table.from_arrays(columns, names=names)
            if writer is None:      # the file's schema carries the metadata; a row group's need not
                schema = table.schema.with_metadata({META_KEY: json.dumps(_meta(result)).encode()})
                writer = pq.ParquetWriter(path, schema, compression="zstd",
                                          write_statistics=[a.name for a in result.axes])
            writer.write_table(table, row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()


def _cyclic(period: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Entries [start, stop) of ``period`` repeated end to end (a view where they lie in one period)."""
    n, a = len(period), start % len(period)
    if a + (stop - start) <= n:
        return period[a:a + stop - start]
    rest = stop - start - (n - a)
    return np.concatenate([period[a:], *([period] * (rest // n)), period[:rest % n]])


# Arrow arrays are built from their buffers: pa.array() on anything imports pandas to check whether
# it was given a pandas object, which costs a sweep command a fifth of a second for nothing.
def _arrow(values: np.ndarray) -> Any:
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _arrow_strings(texts: Sequence[str]) -> Any:
    import pyarrow as pa

    data = [t.encode("utf-8") for t in texts]
    offsets = np.cumsum([0, *(len(b) for b in data)], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def _write_npz(result: "SweepResult", path: Path) -> None:
    arrays = {f"axis_{k}": a.values for k, a in enumerate(result.axes)}
    with open(path, "wb") as fh:          # a file object: np.savez would add .npz to a str path
        np.savez(fh, codes=result.codes, meta=np.array(json.dumps(_meta(result))), **arrays)


def _dictionary(column: Any) -> Any:
    import pyarrow as pa

    arr = column.combine_chunks()
    return arr if pa.types.is_dictionary(arr.type) else arr.dictionary_encode()


def read_sweep(path: str | Path) -> "SweepResult":
    """The :class:`SweepResult` stored in a ``.parquet`` or ``.npz`` file written by :func:`write_columnar`."""
    from .sweep import Axis, SweepResult

    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            values = [np.array(data[f"axis_{k}"]) for k in range(len(meta["axes"]))]
            codes = np.array(data["codes"])
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[META_KEY])
        shape = meta["shape"]
        values = []
        stride = int(np.prod(shape))
        for name, n in zip(meta["axes"], shape):
            stride //= n
            values.append(table.column(name).to_numpy()[::stride][:n].copy())
        outcome, path_col = (_dictionary(table.column(k)) for k in ("outcome", "path"))
        keys = {(o, p): k for k, (o, p) in enumerate(zip(meta["labels"], meta["paths"]))}
        o_dict, p_dict = outcome.dictionary.to_pylist(), path_col.dictionary.to_pylist()
        o_idx = outcome.indices.to_numpy().astype(np.int64)
        p_idx = path_col.indices.to_numpy().astype(np.int64)
        pair = o_idx * len(p_dict) + p_idx
        lookup = np.full(len(o_dict) * len(p_dict), -1, dtype=np.int64)
        for i, o in enumerate(o_dict):
            for j, p in enumerate(p_dict):
                lookup[i * len(p_dict) + j] = keys.get((o, p), -1)
        codes = lookup[pair].reshape(shape).astype(_index_type(len(meta["labels"])))
    else:
        raise UsageError(f"{path}: expected a .parquet or .npz file written by escalab sweep")
    axes = [Axis(name, v) for name, v in zip(meta["axes"], values)]
    return SweepResult(meta["scenario"], meta["title"], axes, codes, meta["labels"], meta["paths"], meta["method"],
                       meta["pygambit_points"], meta["fixed"], meta["units"])


__all__ = ["CsvLayout", "CsvStream", "columnar_suffix", "pyarrow_available", "read_sweep", "write_columnar",
           "write_csv"]
