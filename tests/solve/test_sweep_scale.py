"""Issue 11: sweeps that scale -- the same table bit for bit however the work is cut and run, a CSV
assembled in vectorised blocks (also by workers at offsets) equal to what the csv module writes, and
a columnar file that reads back equal to the CSV."""

from __future__ import annotations

import csv
import io
import json
import os

import numpy as np
import pytest

from escalab.solve import sweep_files
from escalab.solve.sweep import parse_axis, sweep
from escalab.solve.sweep_files import CsvStream, read_sweep, write_columnar, write_csv
from escalab.workers import WorkerPool

GRID = ("p_resolute=0:1:31", "c_limited=0:20:17")


@pytest.fixture(scope="module")
def axes():
    return [parse_axis(g) for g in GRID]


@pytest.fixture(scope="module")
def serial(axes):
    import escalab
    return sweep(escalab.load("escalate-to-deescalate"), axes)


def _same(a, b) -> None:
    assert a.labels == b.labels and a.paths == b.paths
    assert a.codes.dtype == b.codes.dtype and a.codes.tobytes() == b.codes.tobytes()


def test_the_grid_has_several_outcomes_numbered_by_first_appearance(serial) -> None:
    flat = serial.codes.reshape(-1)
    assert len(serial.labels) >= 3 and serial.codes.dtype == np.int8
    present, first = np.unique(flat, return_index=True)
    assert list(present[np.argsort(first)]) == list(range(len(serial.labels)))


def test_any_cut_and_any_runner_gives_the_same_table(default_scenario, axes, serial) -> None:
    _same(serial, sweep(default_scenario, axes, chunk=7))            # ranges cut mid-region
    _same(serial, sweep(default_scenario, axes, workers=2, chunk=50))
    with WorkerPool(2) as pool:                                       # one pool, several sweeps
        _same(serial, sweep(default_scenario, axes, pool=pool, chunk=13))
        _same(serial, sweep(default_scenario, axes, pool=pool))


def test_a_dask_cluster_gives_the_same_table(default_scenario, axes, serial) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        _same(serial, sweep(default_scenario, axes, scheduler=client, chunk=40))
        _same(serial, sweep(default_scenario, axes, scheduler=cluster.scheduler_address))


def _shortest(v: float) -> str:
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def test_csv_blocks_equal_the_csv_module(serial, tmp_path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([a.name for a in serial.axes] + ["outcome", "path"])
    for (i, j), k in np.ndenumerate(serial.codes):
        w.writerow([_shortest(serial.axes[0].values[i]), _shortest(serial.axes[1].values[j]), serial.labels[k],
                    serial.paths[k]])
    expected = buf.getvalue().encode()
    assert write_csv(serial, tmp_path / "one.csv").read_bytes() == expected


def test_the_csv_streamed_while_solving_is_the_same_file_however_the_ranges_arrive(
        default_scenario, axes, serial, tmp_path) -> None:
    """Ranges handed over in any order (as workers and Dask finish them), each with its own label
    numbering, give the file written from the whole result; so do a pool's and a cluster's sweeps."""
    expected = write_csv(serial, tmp_path / "whole.csv").read_bytes()
    flat = serial.codes.reshape(-1)
    cuts = [0, 5, 6, 200, 201, flat.size - 1, flat.size]
    ranges = [(a, b) for a, b in zip(cuts, cuts[1:])]
    stream = CsvStream(tmp_path / "shuffled.csv", [a.name for a in axes], [a.values for a in axes])
    for a, b in reversed(ranges):                  # the last first: nothing connects until range 0 arrives
        local, first = np.unique(flat[a:b], return_index=True)
        order = local[np.argsort(first)][::-1]     # a numbering of its own, unlike the merged one
        stream.add(a, np.array([list(order).index(c) for c in flat[a:b]], dtype=np.int8),
                   [(serial.labels[c], serial.paths[c]) for c in order])
    assert stream.finish(flat.size).read_bytes() == expected
    with WorkerPool(2) as pool:
        live = CsvStream(tmp_path / "pool.csv", [a.name for a in axes], [a.values for a in axes])
        sweep(default_scenario, axes, pool=pool, chunk=13, on_range=live.add)
        assert live.finish(flat.size).read_bytes() == expected


def test_csv_stream_syncs_in_the_background_and_closes_on_either_path(serial, axes, tmp_path) -> None:
    flat = serial.codes.reshape(-1)
    labels = list(zip(serial.labels, serial.paths))
    done = CsvStream(tmp_path / "done.csv", [a.name for a in axes], [a.values for a in axes])
    done.add(0, flat, labels)
    done.end(flat.size)                      # the sync starts; other files would be written now
    assert done.finish(flat.size).read_bytes() == write_csv(serial, tmp_path / "whole.csv").read_bytes()
    given_up = CsvStream(tmp_path / "given_up.csv", [a.name for a in axes], [a.values for a in axes])
    given_up.add(0, flat, labels)
    given_up.end(flat.size)
    given_up.close()                         # a later file failed: the sync ends, the file closes
    assert given_up._fh.closed and given_up._synced.done()
    short = CsvStream(tmp_path / "short.csv", [a.name for a in axes], [a.values for a in axes])
    short.add(0, flat[:10], labels)
    with pytest.raises(RuntimeError, match=f"10 of {flat.size} rows"):
        short.finish(flat.size)
    assert short._fh.closed


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="windows are synced where posix_fadvise exists")
def test_a_big_csv_is_synced_and_dropped_from_memory_a_window_at_a_time(serial, axes, tmp_path, monkeypatch) -> None:
    """Past every window of bytes a thread syncs what is written and drops it from the page cache;
    the file is the same, and a sync that fails is reported, not skipped."""
    flat, labels = serial.codes.reshape(-1), list(zip(serial.labels, serial.paths))
    expected = write_csv(serial, tmp_path / "whole.csv").read_bytes()
    synced: list[int] = []

    def record(fd: int, upto: int) -> None:
        assert os.fstat(fd).st_size >= upto         # only bytes already written are dropped
        synced.append(upto)
        real(fd, upto)

    real = sweep_files._sync_and_drop
    monkeypatch.setattr(sweep_files, "SYNC_WINDOW", 2_000)
    monkeypatch.setattr(sweep_files, "_sync_and_drop", record)
    stream = CsvStream(tmp_path / "windows.csv", [a.name for a in axes], [a.values for a in axes])
    for a in range(0, flat.size, 40):                # small ranges: many blocks, many windows
        stream.add(a, flat[a:a + 40], labels)
        if stream._window is not None:                # a window still syncing is skipped, not queued:
            stream._window.result()                   # here each one ends before the next rows
    assert stream.finish(flat.size).read_bytes() == expected
    assert len(synced) >= 5 and synced == sorted(synced) and synced[-1] <= len(expected)
    assert all(b - a >= 2_000 for a, b in zip(synced, synced[1:]))

    def failing(fd: int, upto: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sweep_files, "_sync_and_drop", failing)
    broken = CsvStream(tmp_path / "broken.csv", [a.name for a in axes], [a.values for a in axes])
    with pytest.raises(OSError, match="Input/output error") as failed:
        for a in range(0, flat.size, 40):
            broken.add(a, flat[a:a + 40], labels)
            if broken._window is not None:
                broken._window.exception()            # ended (with its error) before the next rows
        broken.finish(flat.size)
    assert failed.value.filename == str(tmp_path / "broken.csv")
    broken.close()
    assert broken._fh.closed


def test_a_disk_that_fails_while_the_csv_is_written_is_reported_with_the_file_name(invoke, tmp_path,
                                                                                  monkeypatch) -> None:
    def full(fd: int, upto: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sweep_files, "SYNC_WINDOW", 2_000)
    monkeypatch.setattr(sweep_files, "_sync_and_drop", full)
    monkeypatch.setattr(sweep_files.os, "fsync", lambda fd: full(fd, 0))
    r = invoke("sweep", "--grid", GRID[0], "--grid", GRID[1], "--out", str(tmp_path / "out"), "--no-figure")
    assert r.exit_code == 2, r.output
    err = " ".join(r.stderr.split())
    assert f"cannot use '{tmp_path / 'out' / 'sweep.csv'}': No space left on device" in err
    assert "staging" not in err and "internal error" not in err
    assert not (tmp_path / "out").exists()               # nothing published, no folder left behind


def test_labels_that_need_quoting_are_quoted_like_the_csv_module(serial, tmp_path) -> None:
    odd = type(serial)(serial.scenario, serial.title, serial.axes, serial.codes,
                       ['a, "quoted" one'] + serial.labels[1:], ["x,y"] + serial.paths[1:], serial.method)
    rows = list(csv.reader(write_csv(odd, tmp_path / "q.csv").open(newline="")))
    first = int(np.argmax(odd.codes.reshape(-1) == 0)) + 1
    assert rows[first][2:] == ['a, "quoted" one', "x,y"]


@pytest.mark.parametrize("suffix", [".parquet", ".npz"])
def test_columnar_file_reads_back_equal_to_the_csv(serial, tmp_path, suffix) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    path = write_columnar(serial, tmp_path / f"s{suffix}")
    back = read_sweep(path)
    _same(serial, back)
    assert all(a.values.tobytes() == b.values.tobytes() for a, b in zip(serial.axes, back.axes))
    assert back.fixed == serial.fixed and back.method == serial.method
    rows = list(csv.DictReader(write_csv(serial, tmp_path / "s.csv").open(newline="")))
    flat = back.codes.reshape(-1)
    grid = np.meshgrid(*[a.values for a in back.axes], indexing="ij")
    for n, row in enumerate(rows):                       # exact floats: the CSV round-trips
        assert float(row["p_resolute"]) == grid[0].reshape(-1)[n]
        assert float(row["c_limited"]) == grid[1].reshape(-1)[n]
        assert (row["outcome"], row["path"]) == (back.labels[flat[n]], back.paths[flat[n]])
    if suffix == ".parquet":                             # and any Parquet reader sees plain columns
        import pyarrow.parquet as pq
        table = pq.read_table(path).to_pylist()
        assert len(table) == len(rows)
        assert {k: str(v) if k in ("outcome", "path") else v for k, v in table[5].items()} == \
            {"p_resolute": float(rows[5]["p_resolute"]), "c_limited": float(rows[5]["c_limited"]),
             "outcome": rows[5]["outcome"], "path": rows[5]["path"]}


def test_cli_writes_the_same_files_with_workers_and_says_their_sizes(invoke, tmp_path) -> None:
    grid = ["--grid", GRID[0], "--grid", GRID[1]]
    one = invoke("sweep", *grid, "--out", str(tmp_path / "one"))
    two = invoke("sweep", *grid, "--workers", "2", "--chunk", "64", "--out", str(tmp_path / "two"))
    assert one.exit_code == 0 and two.exit_code == 0, one.stderr + two.stderr
    for name in ("sweep.csv", "sweep.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    _same(read_sweep(tmp_path / "one" / "sweep.parquet"), read_sweep(tmp_path / "two" / "sweep.parquet"))
    out = " ".join(two.stdout.split())
    for name in ("sweep.csv", "sweep.parquet", "sweep.json", "phase-diagram.png"):
        size = (tmp_path / "two" / name).stat().st_size
        assert f"{name} (" in out and f"wrote {tmp_path / 'two' / name} (" in out
        assert sweep_files_size_text(size) in out
    assert json.loads((tmp_path / "two" / "sweep.json").read_text())["points"] == 31 * 17


def sweep_files_size_text(size: int) -> str:
    from escalab.cli.sweep_cmds import human_size
    return human_size(size)


def test_without_pyarrow_the_columnar_file_is_npz(invoke, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sweep_files, "pyarrow_available", lambda: False)
    r = invoke("sweep", "--grid", "p_resolute=0:1:5", "--out", str(tmp_path), "--no-figure")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "sweep.npz").exists() and not (tmp_path / "sweep.parquet").exists()
    assert read_sweep(tmp_path / "sweep.npz").size == 5


@pytest.mark.parametrize("row_group", [1 << 20, 8, 15])
def test_parquet_rows_are_the_grid_in_row_major_order_for_three_axes(tmp_path, monkeypatch, row_group) -> None:
    """Also when the file is written a row group at a time in groups that cut the axes' periods
    (3, 15 and 105 rows) anywhere."""
    pq = pytest.importorskip("pyarrow.parquet")
    import itertools

    import escalab
    monkeypatch.setattr(sweep_files, "ROW_GROUP", row_group)
    axes = [parse_axis("p_resolute=0:1:7"), parse_axis("c_limited=0:20:5"), parse_axis("stake_r=1:20:3")]
    result = sweep(escalab.load("escalate-to-deescalate"), axes)
    path = write_columnar(result, tmp_path / "s.parquet")
    rows = pq.read_table(path).to_pydict()
    points = list(itertools.product(*(a.values.tolist() for a in axes)))
    assert list(zip(*(rows[a.name] for a in axes))) == points
    assert rows["outcome"] == [result.labels[c] for c in result.codes.reshape(-1)]
    assert rows["path"] == [result.paths[c] for c in result.codes.reshape(-1)]
    assert pq.ParquetFile(path).num_row_groups == -(-len(points) // row_group)
    _same(read_sweep(path), result)


@pytest.mark.parametrize("name", ["escalate-to-deescalate", "chain-store", "beer-quiche", "brinkmanship"])
def test_a_vectorised_pass_at_its_point_budget_fits_in_the_pass_memory(name) -> None:
    """pass_points' estimate is high: a pass of that many points allocates at most PASS_BYTES."""
    import tracemalloc

    import escalab
    from escalab.solve.sequential import solve_sequential
    from escalab.solve.sweep import PASS_BYTES, pass_points

    scenario = escalab.load(name)
    game = scenario.compile("sequential")
    n = pass_points(game)
    values = {k: np.linspace(0.5, 1.5, n) * float(v) for k, v in scenario.values.items()}
    solve_sequential(game, values)
    tracemalloc.start()
    try:
        solve_sequential(game, values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert PASS_BYTES / 3 < peak <= PASS_BYTES


def test_a_huge_chunk_is_cut_to_the_pass_memory_and_gives_the_same_table(default_scenario) -> None:
    import tracemalloc

    from escalab.solve.sweep import PASS_BYTES

    axes = [parse_axis("p_resolute=0:1:300"), parse_axis("c_limited=0:20:700")]     # 210,000 points
    expected = sweep(default_scenario, axes)
    tracemalloc.start()
    try:
        result = sweep(default_scenario, axes, chunk=10**7)     # one pass of 210,000 points: ~140 MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= PASS_BYTES + (8 << 20) <= 64 << 20      # a pass and the grid's codes, inside the kept heap
    assert result.codes.tobytes() == expected.codes.tobytes() and result.labels == expected.labels
