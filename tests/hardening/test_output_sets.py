"""Issue 23, point 1: no command removes or replaces what it did not write.

Each command's files in a folder are its own set (its own manifest): a new set replaces that
command's earlier set only. A device node or FIFO named as an output stays what it is: one named as
a file is written to as a stream, one in the way of a folder's output is refused by name.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from escalab import limits

SCRIPTED = ("-a", "state_a=script:return_to_start_line", "-a", "state_b=uniform", "--seed", "1")


@pytest.fixture(autouse=True)
def _no_limits_left_behind():
    yield
    limits.set_limits({}, replace=True)     # an in-process --limit must not reach the next test


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_run_then_sweep_then_simulate_into_one_folder_keep_every_file_of_each(invoke, tmp_path, monkeypatch):
    from escalab.report import simulate_section
    monkeypatch.setattr(simulate_section, "RUNS", 500)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "escalab-out" / "deterrence-game"      # the default folder of run and of sweep
    assert invoke("run", "deterrence-game").exit_code == 0
    report = _snapshot(folder)
    assert {"index.html", "results.json", "scenario.json", "tree.png"} <= set(report)
    r = invoke("sweep", "deterrence-game", "--grid", "v=0:1:5")
    assert r.exit_code == 0, r.stderr
    after_sweep = _snapshot(folder)
    assert {n: after_sweep.get(n) for n in report} == report          # every file of the report, unchanged
    sweep_files = {"sweep.csv", "sweep.json", "phase-diagram.png"}
    assert sweep_files <= set(after_sweep)
    r = invoke("simulate", "kahn-game-compact", "--runs", "50", "--out", str(folder))
    assert r.exit_code == 0, r.stderr
    after_all = _snapshot(folder)
    assert {n: after_all.get(n) for n in after_sweep} == after_sweep
    assert "simulate.json" in after_all
    # a new sweep replaces the sweep's own earlier set only: no figure now, so its figure goes
    r = invoke("sweep", "deterrence-game", "--grid", "v=0:1:3", "--no-figure")
    assert r.exit_code == 0, r.stderr
    last = _snapshot(folder)
    assert "phase-diagram.png" not in last and json.loads(last["sweep.json"])["points"] == 3
    assert {n: last.get(n) for n in report} == report and last["simulate.json"] == after_all["simulate.json"]


def test_a_file_the_command_did_not_write_is_refused_not_replaced(invoke, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text("my notes")
    r = invoke("sweep", "deterrence-game", "--grid", "v=0:1:3", "--out", str(out))
    assert r.exit_code == 2
    assert f"'{out / 'sweep.json'}'" in r.stderr and "not written by escalab sweep" in r.stderr
    assert (out / "sweep.json").read_text() == "my notes"
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json"]      # nothing of the set was published


def test_another_commands_file_of_the_same_name_is_refused(tmp_path):
    from escalab.atomic import output_set
    with output_set(tmp_path, "run") as outs:
        outs.write_text("results.json", "the report's")
    with pytest.raises(FileExistsError) as refused, output_set(tmp_path, "tournament") as outs:
        outs.write_text("results.csv", "x")
        outs.write_text("results.json", "the tournament's")
    assert refused.value.filename == str(tmp_path / "results.json")
    assert "written by escalab run" in refused.value.strerror
    assert (tmp_path / "results.json").read_text() == "the report's" and not (tmp_path / "results.csv").exists()


# ------------------------------------------------------------------ device nodes and FIFOs
def _char_device(path: Path) -> Path:
    """A character device like /dev/null (the same major and minor), made in the test's own folder."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    return path


def _node(kind: str, path: Path) -> Path:
    if kind == "chr":
        return _char_device(path)
    os.mkfifo(path)
    return path


def _is(kind: str, path: Path) -> bool:
    mode = os.lstat(path).st_mode
    return stat.S_ISCHR(mode) if kind == "chr" else stat.S_ISFIFO(mode)


@pytest.fixture(scope="module")
def played(tmp_path_factory) -> tuple[Path, str]:
    """A store with one short finished game (for export, score and fit), and a .efg file beside it."""
    from escalab.scenario import load
    from escalab.solve.efg import export_efg
    from escalab.wargame.engine import new_game
    from escalab.wargame.store import SqliteStore
    db = tmp_path_factory.mktemp("store") / "g.sqlite"
    export_efg(load("deterrence-game").compile("sequential"), db.with_name("game.efg"))
    store = SqliteStore(db)
    new_game(store, load("kahn-game-compact"), {"state_a": "equilibrium", "state_b": "uniform"}, seed=1, game_id="g1")
    store.close()
    return db, "g1"


FOLDER_COMMANDS = {
    "run": lambda out, db: ["run", "deterrence-game", "--out", out],
    "sweep": lambda out, db: ["sweep", "deterrence-game", "--grid", "v=0:1:3", "--out", out],
    "simulate": lambda out, db: ["simulate", "kahn-game-compact", "--runs", "20", "--out", out],
    "tournament": lambda out, db: ["tournament", "kahn-game-compact", "--agent", "u=uniform", "--games", "1",
                                   "--db", db, "--out", out],
    "export": lambda out, db: ["export", "g1", "--db", db, "--out", out],
}


@pytest.mark.parametrize("kind", ["chr", "fifo"])
@pytest.mark.parametrize("command", sorted(FOLDER_COMMANDS))
def test_a_node_given_as_an_output_folder_stays_a_node(invoke, tmp_path, played, monkeypatch, command, kind):
    from escalab.report import simulate_section
    monkeypatch.setattr(simulate_section, "RUNS", 200)
    node = _node(kind, tmp_path / "node")
    r = invoke(*FOLDER_COMMANDS[command](str(node), str(played[0])))
    assert r.exit_code == 2, r.output
    assert f"'{node}'" in r.stderr and "not a folder" in r.stderr
    assert _is(kind, node)


@pytest.mark.parametrize("kind", ["chr", "fifo"])
@pytest.mark.parametrize("command, name", [("run", "index.html"), ("sweep", "sweep.json"),
                                           ("simulate", "simulate.json"), ("tournament", "results.csv"),
                                           ("export", "games.csv")])
def test_a_node_at_an_outputs_name_in_the_folder_is_refused_and_stays(invoke, tmp_path, played, monkeypatch,
                                                                       command, name, kind):
    from escalab.report import simulate_section
    monkeypatch.setattr(simulate_section, "RUNS", 200)
    out = tmp_path / "out"
    out.mkdir()
    node = _node(kind, out / name)
    r = invoke(*FOLDER_COMMANDS[command](str(out), str(played[0])))
    assert r.exit_code == 2, r.output
    assert f"'{node}'" in r.stderr and ("character device" in r.stderr or "FIFO" in r.stderr)
    assert _is(kind, node)
    assert [p.name for p in out.iterdir()] == [name]            # nothing else of the set was published


FILE_OPTIONS = {
    "solve --json": lambda p, db: ["solve", "deterrence-game", "--json", p],
    "solve --tree": lambda p, db: ["solve", "deterrence-game", "--tree", p],
    "solve --efg": lambda p, db: ["solve", "deterrence-game", "--efg", p],
    "score --out": lambda p, db: ["score", "g1", "--db", db, "--out", p],
    "fit --out": lambda p, db: ["fit", "g1", "--actor", "state_b", "--db", db, "--out", p],
    "import-efg --out": lambda p, db: ["import-efg", str(Path(db).with_name("game.efg")), "--out", p, "--force"],
}
SUFFIX = {"solve --tree": ".png", "solve --efg": ".efg", "import-efg --out": ".yaml"}


@pytest.mark.parametrize("option", sorted(FILE_OPTIONS))
def test_a_character_device_named_as_an_output_file_is_written_as_a_stream(invoke, tmp_path, played, option):
    node = _char_device(tmp_path / f"null{SUFFIX.get(option, '.json')}")
    r = invoke(*FILE_OPTIONS[option](str(node), str(played[0])))
    assert r.exit_code == 0, r.output + r.stderr
    assert _is("chr", node)
    assert [p.name for p in tmp_path.iterdir()] == [node.name]       # no temporary file beside it either


@pytest.mark.parametrize("option", sorted(FILE_OPTIONS))
def test_a_fifo_named_as_an_output_file_gets_the_output_and_stays_a_fifo(invoke, tmp_path, played, option):
    fifo = _node("fifo", tmp_path / f"pipe{SUFFIX.get(option, '.json')}")
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)       # someone reads it (the pipe holds 64 kB)
    try:
        r = invoke(*FILE_OPTIONS[option](str(fifo), str(played[0])))
        assert r.exit_code == 0, r.output + r.stderr
        got = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert got and _is("fifo", fifo)
    if option.endswith("--json") or option.endswith("--out") and not option.startswith("import"):
        json.loads(got)


def test_a_fifo_nobody_reads_is_refused_at_once_and_stays(invoke, tmp_path):
    fifo = _node("fifo", tmp_path / "pipe.json")
    r = invoke("solve", "deterrence-game", "--json", str(fifo))
    assert r.exit_code == 2 and f"'{fifo}'" in r.stderr and "nobody reads" in r.stderr
    assert _is("fifo", fifo)


def test_a_socket_named_as_an_output_file_is_refused_and_stays(invoke, tmp_path):
    import socket
    path = tmp_path / "s.json"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        r = invoke("solve", "deterrence-game", "--json", str(path))
    assert r.exit_code == 2 and f"'{path}'" in r.stderr and "socket" in r.stderr
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
