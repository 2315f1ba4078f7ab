"""A ladder-crisis equilibrium is solved once per machine: the disk cache of ``solve.ladder_cache``.

Counted, never timed: ``SOLVES`` (solves computed in this process), the cache's ``STATS`` and
what is in the cache folder. Every test has a cache folder of its own (``tmp_path``) and clears
this process's memo, so a solve that is not counted came from the disk.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.simulate import Crisis
from escalab.solve import ladder as solve_ladder
from escalab.solve import ladder_cache

TINY = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ESCALAB_CACHE_DIR", str(folder))
    monkeypatch.delenv("ESCALAB_CACHE", raising=False)
    solve_ladder.clear_memo()
    yield folder
    solve_ladder.clear_memo()


def tables(eq) -> list[np.ndarray]:  # noqa: ANN001
    return ([t.data for t in eq.strategy] + [t.own_class for t in eq.strategy] + [t.opp_class for t in eq.strategy]
            + [t.data for t in eq.action_values] + list(eq.values))


def assert_same(got, want) -> None:  # noqa: ANN001
    for a, b in zip(tables(got), tables(want), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    for name in ("mixed_stage_games", "unsettled", "epsilon"):
        assert getattr(got, name) == getattr(want, name)
    assert [(t.bal_lo, t.variants) for t in got.strategy + got.action_values] == \
        [(t.bal_lo, t.variants) for t in want.strategy + want.action_values]


def solve(scenario=None):  # noqa: ANN001, ANN201
    """A fresh process's view: memo empty, the equilibrium asked for."""
    solve_ladder.clear_memo()
    crisis = Crisis.of(scenario if scenario is not None else escalab.load(str(TINY)))
    return crisis, crisis.factory.equilibrium


def entry_files(folder: Path) -> list[Path]:
    return sorted((folder / "ladder").glob("*.eq"))


def test_a_hit_is_the_fresh_solve_bit_for_bit(own_cache: Path) -> None:
    before = solve_ladder.SOLVES["typed"]
    solve()
    assert len(entry_files(own_cache)) == 1
    hits = ladder_cache.STATS["hit"]
    crisis, eq = solve()
    assert solve_ladder.SOLVES["typed"] == before + 1           # the second came from the disk
    assert ladder_cache.STATS["hit"] == hits + 1
    assert eq.arrays is crisis.arrays
    fresh = solve_ladder._solve_equilibrium(crisis.arrays)
    assert_same(eq, fresh)
    assert eq.value() == fresh.value()
    specs = {"a": "equilibrium", "d": "logit:1"}
    assert crisis.exact(specs).to_dict() == Crisis.of(escalab.load(str(TINY))).exact(specs).to_dict()
    # the loaded tables are writable (copy-on-write): nothing written reaches the entry
    eq.strategy[0].data[...] = 7.0
    _, again = solve()
    assert_same(again, fresh)


def _rewrite_header(path: Path, change) -> None:  # noqa: ANN001
    """Change an entry's header and give it a valid checksum again (only the header check can refuse it)."""
    raw = bytearray(path.read_bytes())
    magic = len(ladder_cache.MAGIC)
    (start,) = struct.unpack("<Q", raw[magic:magic + 8])
    header = json.loads(bytes(raw[magic + 8:start]).rstrip(b"\0"))
    change(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= start - magic - 8
    raw[magic + 8:start] = text + b"\0" * (start - magic - 8 - len(text))
    body = len(raw) - ladder_cache.DIGEST
    raw[body:] = ladder_cache.checksum(np.frombuffer(bytes(raw[:body]), dtype=np.uint64))
    path.write_bytes(bytes(raw))


def _flip(path: Path, where: float) -> None:
    raw = bytearray(path.read_bytes())
    at = int(len(raw) * where)
    raw[at] ^= 0x10
    path.write_bytes(bytes(raw))


DAMAGE = {
    "a flipped byte in the tables": lambda p: _flip(p, 0.6),
    "a flipped byte in the header": lambda p: _flip(p, 0.002),
    "a flipped byte in the checksum": lambda p: _flip(p, 0.99999999),
    "cut off": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "cut off at a block": lambda p: p.write_bytes(p.read_bytes()[: -ladder_cache.DIGEST - 8 * ladder_cache.BLOCK]),
    "empty": lambda p: p.write_bytes(b""),
    "another version inside": lambda p: _rewrite_header(p, lambda h: h.update(escalab="0.0.1")),
    "another format inside": lambda p: _rewrite_header(p, lambda h: h.update(format=99)),
    "a field missing": lambda p: _rewrite_header(p, lambda h: h["fields"].pop("unsettled")),
    "a field renamed": lambda p: _rewrite_header(p, lambda h: h["fields"].update(unsettle=h["fields"].pop("unsettled"))),
    "a table past the end": lambda p: _rewrite_header(p, lambda h: h["arrays"][0].__setitem__(2, 10 ** 12)),
    "an object dtype": lambda p: _rewrite_header(p, lambda h: h["arrays"][0].__setitem__(0, "|O")),
    "not JSON": lambda p: _rewrite_header(p, lambda h: h.clear()),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_entry_is_solved_again_and_rewritten(own_cache: Path, damage: str) -> None:
    _, first = solve()
    (path,) = entry_files(own_cache)
    DAMAGE[damage](path)
    before, rejected = solve_ladder.SOLVES["typed"], ladder_cache.STATS["rejected"]
    crisis, eq = solve()
    assert solve_ladder.SOLVES["typed"] == before + 1            # not trusted: solved again
    assert ladder_cache.STATS["rejected"] == rejected + 1
    assert_same(eq, first)
    hits = ladder_cache.STATS["hit"]
    _, again = solve()                                           # ... and rewritten: the next one hits
    assert solve_ladder.SOLVES["typed"] == before + 1 and ladder_cache.STATS["hit"] == hits + 1
    assert_same(again, first)


def test_another_escalab_version_or_solver_source_is_another_entry(own_cache: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    solve()
    before = solve_ladder.SOLVES["typed"]
    solve()
    assert solve_ladder.SOLVES["typed"] == before                # the same code: a hit
    ladder_cache.code_digest.cache_clear()
    monkeypatch.setattr(escalab, "__version__", "999.0")
    solve()
    assert solve_ladder.SOLVES["typed"] == before + 1            # a stale entry is never served
    ladder_cache.code_digest.cache_clear()
    monkeypatch.setattr(escalab, "__version__", escalab.__version__)
    monkeypatch.setattr(ladder_cache, "SOLVER_SOURCES", ladder_cache.SOLVER_SOURCES + ("__init__.py",))
    solve()
    assert solve_ladder.SOLVES["typed"] == before + 2            # an edited solver neither
    monkeypatch.setattr(ladder_cache, "SOLVER_SOURCES", ("no-such-file.py",))
    ladder_cache.code_digest.cache_clear()
    assert ladder_cache.entry_key("x") is None                   # a source that cannot be read: no cache
    ladder_cache.code_digest.cache_clear()


def test_another_parameter_value_misses(own_cache: Path) -> None:
    base = escalab.load(str(TINY))
    before = solve_ladder.SOLVES["typed"]
    solve(base)
    solve(base.with_params({"p_tough": 0.7}))
    solve(base.with_params({"c_soft": 10}))
    assert solve_ladder.SOLVES["typed"] == before + 3
    assert len(entry_files(own_cache)) == 3
    _, eq = solve(base.with_params({"p_tough": 0.7}))
    assert solve_ladder.SOLVES["typed"] == before + 3
    assert float(eq.arrays.type_prior[0]) == 0.7


PROBE = """
import escalab, json
from escalab.simulate import Crisis
from escalab.solve import ladder, ladder_cache
eq = Crisis.of(escalab.load({path!r})).factory.equilibrium
print(json.dumps({{"solves": sum(ladder.SOLVES.values()), "hits": ladder_cache.STATS["hit"],
                  "value": list(eq.value())}}))
"""


def test_a_second_process_loads_what_the_first_solved(own_cache: Path) -> None:
    _, eq = solve()
    mtime = entry_files(own_cache)[0].stat().st_mtime_ns
    out = subprocess.run([sys.executable, "-c", PROBE.format(path=str(TINY))], capture_output=True, text=True,
                         env=os.environ | {"ESCALAB_CACHE_DIR": str(own_cache)}, timeout=300, check=True)
    got = json.loads(out.stdout)
    assert got == {"solves": 0, "hits": 1, "value": list(eq.value())}
    assert [p.name for p in entry_files(own_cache)] != [] and entry_files(own_cache)[0].stat().st_mtime_ns >= mtime


def test_a_process_that_misses_while_another_solves_waits_for_it(own_cache: Path) -> None:
    """The slot is locked while it is solved: a second process asking meanwhile loads the result
    (if it asks only after the entry is written, it hits too: the test cannot fail by being slow)."""
    crisis = Crisis.of(escalab.load(str(TINY)))
    key = solve_ladder.arrays_key(crisis.arrays)
    with ladder_cache.slot(key) as disk:
        proc = subprocess.Popen([sys.executable, "-c", "print('asking', flush=True)\n" + PROBE.format(path=str(TINY))],
                                stdout=subprocess.PIPE, text=True, env=os.environ | {"ESCALAB_CACHE_DIR": str(own_cache)})
        assert proc.stdout.readline().strip() == "asking"
        try:
            proc.wait(timeout=2)            # blocked on the lock: it cannot have finished
        except subprocess.TimeoutExpired:
            pass
        assert proc.poll() is None
        assert disk.load(crisis.arrays) is None
        assert disk.store(solve_ladder._solve_equilibrium(crisis.arrays))
    out, _ = proc.communicate(timeout=300)
    assert json.loads(out)["solves"] == 0 and json.loads(out)["hits"] == 1


def test_an_unusable_folder_means_no_cache_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        invoke) -> None:  # noqa: ANN001
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ESCALAB_CACHE_DIR", str(blocker / "cache"))     # cannot be made, even as root
    before, unwritable = solve_ladder.SOLVES["typed"], ladder_cache.STATS["unwritable"]
    crisis, eq = solve()
    _, again = solve()
    assert solve_ladder.SOLVES["typed"] == before + 2
    assert ladder_cache.STATS["unwritable"] == unwritable + 2
    assert_same(eq, solve_ladder._solve_equilibrium(crisis.arrays))
    assert_same(again, eq)
    solve_ladder.clear_memo()
    result = invoke("simulate", str(TINY), "--runs", "200", "--seed", "1")
    assert result.exit_code == 0, result.output


def test_off_neither_reads_nor_writes(own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    solve()
    assert len(entry_files(own_cache)) == 1
    monkeypatch.setenv("ESCALAB_CACHE", "off")
    before = solve_ladder.SOLVES["typed"]
    solve()
    assert solve_ladder.SOLVES["typed"] == before + 1            # the entry there is not read
    solve(escalab.load(str(TINY)).with_params({"p_tough": 0.7}))
    assert len(entry_files(own_cache)) == 1                      # nor is one written


def test_the_folder_keeps_to_its_budget(own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = escalab.load(str(TINY))
    solve(base)
    (first,) = entry_files(own_cache)
    size = first.stat().st_size
    monkeypatch.setenv("ESCALAB_LIMIT_CACHE_BYTES", str(2 * size + size // 2))   # room for two
    solve(base.with_params({"p_tough": 0.7}))
    later = first.stat().st_mtime + 60
    os.utime(first, (later, later))                               # the first is used again (a hit): kept
    solve(base.with_params({"p_tough": 0.2}))
    names = {p.name for p in entry_files(own_cache)}
    assert len(names) == 2 and first.name in names
    monkeypatch.setenv("ESCALAB_LIMIT_CACHE_BYTES", str(size - 1))   # one entry is over the budget: none written
    ladder_cache.clear()
    solve(base.with_params({"c_soft": 10}))
    assert entry_files(own_cache) == []


def test_cache_clear_command(own_cache: Path, invoke) -> None:  # noqa: ANN001
    solve()
    assert entry_files(own_cache)
    result = invoke("cache", "clear")
    assert result.exit_code == 0, result.output
    assert "1 solved equilibrium" in result.output and str(own_cache) not in result.output
    assert entry_files(own_cache) == []
    result = invoke("cache", "clear")
    assert result.exit_code == 0 and "nothing to delete" in result.output


# ``escalab run`` solves a variant's crisis in a second process (report/presolve.py): with the cache
# on, the result comes back through the disk (not pickled), and a variant already there starts nothing.
def test_a_variant_solved_alongside_comes_back_through_the_disk(own_cache: Path, monkeypatch) -> None:  # noqa: ANN001
    from escalab.report import presolve

    base = escalab.load(str(TINY))
    variant = base.with_params({"p_tough": 0.7})
    monkeypatch.setattr("escalab.report.variants.separate_crises", lambda s: [variant])
    monkeypatch.setattr(presolve, "MIN_STATES", 0)
    ahead = presolve.Presolve(base, workers=2)
    assert ahead.started == 1
    assert ahead.collect() == 1
    assert len(solve_ladder._memo) == 0                          # nothing was sent back
    before = solve_ladder.SOLVES["typed"]
    crisis, eq = solve(variant)
    assert solve_ladder.SOLVES["typed"] == before               # the worker's solve, from the disk
    assert_same(eq, solve_ladder._solve_equilibrium(crisis.arrays))
    assert presolve.Presolve(base, workers=2).started == 0      # already on disk: no worker


def test_spawned_tournament_workers_load_the_equilibrium(own_cache: Path, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A tournament's spawned workers (a terminal's progress bar makes fork unsafe) start without
    this process's memo: they load the crisis from the disk instead of solving it once each. A solve
    anywhere would rewrite the entry (a new file), so the entry's inode is the evidence."""
    from escalab import workers
    from escalab.wargame.store import SqliteStore
    from escalab.wargame.tournament import make_plan, run_tournament

    from escalab.wargame import engine

    monkeypatch.setattr(workers, "fork_is_safe", lambda: False)
    engine.compiled.cache_clear()               # a crisis compiled by an earlier test holds its equilibrium
    sc = escalab.load(str(TINY))
    plan = make_plan(sc, {"eq": "equilibrium", "lg": "logit:0.5"}, games=3, seed=1)   # solves it here
    (entry,) = entry_files(own_cache)           # the games' own crisis (as their stored scenario compiles)
    inode = entry.stat().st_ino
    db = tmp_path / "t.sqlite"
    store = SqliteStore(db)
    try:
        with workers.WorkerPool(2) as pool:
            assert pool.start == "spawn"
        res = run_tournament(plan, store, db=str(db), workers=2)
    finally:
        store.close()
    assert sum(r["games"] for r in res.rows) == 12
    assert [p.stat().st_ino for p in entry_files(own_cache)] == [inode]


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALAB_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ladder_cache.folder() == tmp_path / "mine" / "ladder"
    monkeypatch.delenv("ESCALAB_CACHE_DIR")
    assert ladder_cache.folder() == tmp_path / "xdg" / "escalab" / "ladder"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")              # the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ladder_cache.folder() == tmp_path / "home" / ".cache" / "escalab" / "ladder"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert ladder_cache.folder() == tmp_path / "home" / ".cache" / "escalab" / "ladder"
