"""A store file is untrusted input: damaged or edited logs, foreign SQLite files, read-only commands,
two processes on one game, and what `escalab games` says about each game (issue 23)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import escalab
from escalab.errors import UsageError
from escalab.wargame.engine import new_game, play
from escalab.wargame.store import GameTaken, SqliteStore

SCENARIO = "kahn-game-compact"
AGENTS = {"state_a": "logit:1", "state_b": "uniform"}
TYPED = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"
READERS = (("games",), ("replay", "g1"), ("export", "g1", "--out", "{out}"), ("score", "g1"), ("resume", "g1"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one finished game 'g1' of at least three turns, closed (no -wal file left)."""
    db = tmp_path_factory.mktemp("store") / "g.sqlite"
    scenario = escalab.load(SCENARIO)
    store = SqliteStore(db)
    shared: dict = {}
    seed = next(s for s in range(200) if new_game(SqliteStore(":memory:"), scenario, AGENTS, s, shared=shared)
                .state.turn >= 3)
    new_game(store, scenario, AGENTS, seed, game_id="g1", shared=shared)
    store.close()
    return db


@pytest.fixture
def db(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "g.sqlite"
    shutil.copy(pristine, copy)
    return copy


def edit(db: Path, sql: str, *args: object) -> None:
    con = sqlite3.connect(db)
    with con:
        con.execute(sql, args)
    con.close()


def seq_of(db: Path, kind: str, actor: str | None = None, last: bool = False) -> int:
    con = sqlite3.connect(db)
    rows = [s for s, a in con.execute("SELECT seq, actor FROM events WHERE game_id='g1' AND kind=? ORDER BY seq",
                                      (kind,)) if actor is None or a == actor]
    con.close()
    return rows[-1] if last else rows[0]


def run_all(invoke, db: Path, tmp_path: Path) -> list[tuple[tuple[str, ...], object]]:
    out = []
    for args in READERS:
        args = tuple(a.format(out=tmp_path / "export") for a in args)
        out.append((args, invoke(*args, "--db", str(db))))
    return out


def message(r: object) -> str:
    return " ".join((r.stderr + r.output).split())  # type: ignore[attr-defined]


EDITS = {
    "deleted move": (lambda db: edit(db, "DELETE FROM events WHERE game_id='g1' AND seq=?",
                                     seq_of(db, "move", "state_b", last=True)), "is missing"),
    "changed returns": (lambda db: edit(db, "UPDATE events SET payload=json_set(payload, '$.returns.state_a', 99.5) "
                                            "WHERE game_id='g1' AND kind='game_end'"), "the stored payoffs"),
    "changed ending": (lambda db: edit(db, "UPDATE events SET payload=json_set(payload, '$.ending', 'peace') "
                                           "WHERE game_id='g1' AND kind='game_end'"), "the stored ending 'peace'"),
    "unknown actor": (lambda db: edit(db, "UPDATE events SET actor='mallory' WHERE game_id='g1' AND seq=?",
                                      seq_of(db, "move")), "unknown actor 'mallory'"),
    "payload not JSON": (lambda db: edit(db, "UPDATE events SET payload='{\"actor\": ' WHERE game_id='g1' AND seq=?",
                                         seq_of(db, "move")), "the payload is not valid JSON"),
    "payload nested too deeply": (lambda db: edit(db, "UPDATE events SET payload=? WHERE game_id='g1' AND seq=?",
                                                  "[" * 100_000 + "]" * 100_000, seq_of(db, "move")),
                                  "the payload is not valid JSON"),
    "payload not an object": (lambda db: edit(db, "UPDATE events SET payload='[1, 2]' WHERE game_id='g1' AND seq=?",
                                              seq_of(db, "move")), "not a JSON object"),
    "move without action": (lambda db: edit(db, "UPDATE events SET payload=json_remove(payload, '$.action') "
                                                "WHERE game_id='g1' AND seq=?", seq_of(db, "move")),
                            "the payload is not what escalab writes"),
    "changed move": (lambda db: edit(db, "UPDATE events SET payload=json_set(payload, '$.action', 0) "
                                         "WHERE game_id='g1' AND seq=?", seq_of(db, "move", "state_a")),
                     "is not one the rules allow"),
    "edited statement": (lambda db: edit(db, "UPDATE events SET payload=json_set(payload, '$.statement', 'We yield.') "
                                             "WHERE game_id='g1' AND seq=?", seq_of(db, "move")),
                         "it does not follow from the events before it"),
    "inserted event": (lambda db: edit(db, "UPDATE events SET seq=seq+1000 WHERE game_id='g1' AND kind='game_end'"),
                       "is missing"),
    "removed end": (lambda db: edit(db, "DELETE FROM events WHERE game_id='g1' AND kind IN ('game_end', 'score')"),
                    "recorded as finished but its log has no end"),
    "edited observation": (lambda db: edit(db, "UPDATE events SET payload=json_set(payload, '$.opponent_signal', 3), "
                                               "chain=NULL WHERE game_id='g1' AND seq=?", seq_of(db, "observation")),
                           "the observation of state_a on turn 1 is missing or not what the outcome shows"),
    "text not UTF-8": (lambda db: edit(db, "UPDATE events SET actor=CAST(X'8341' AS TEXT) WHERE game_id='g1' AND seq=?",
                                       seq_of(db, "move")), "text that is not UTF-8"),
    "agents not JSON": (lambda db: edit(db, "UPDATE games SET agents_json='nope' WHERE game_id='g1'"),
                        "its record is damaged or was edited"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edited_store_exits_2_naming_the_game_and_what_is_wrong(invoke, db: Path, tmp_path: Path, name: str):
    change, expected = EDITS[name]
    change(db)
    for args, r in run_all(invoke, db, tmp_path):
        assert r.exit_code == 2, (args, r.output, r.stderr)             # never a score, never an internal error
        text = message(r)
        assert "internal error" not in text and "g1" in text and expected in text, (args, text)
    assert not (tmp_path / "export").exists()


def test_an_edited_event_is_named_by_its_number(invoke, db: Path):
    seq = seq_of(db, "move", "state_b", last=True)
    edit(db, "DELETE FROM events WHERE game_id='g1' AND seq=?", seq)
    text = message(invoke("replay", "g1", "--db", str(db)))
    assert f"game 'g1', event {seq + 1}" in text and f"event {seq} is missing" in text and "the log was changed" in text


def test_a_changed_type_draw_is_seen(invoke, tmp_path: Path):
    db = tmp_path / "t.sqlite"
    r = invoke("play", str(TYPED), "--agent", "a=uniform", "--agent", "d=equilibrium", "--seed", "1", "--db", str(db),
               "--id", "g1")
    assert r.exit_code == 0, r.output
    con = sqlite3.connect(db)
    (drawn,) = con.execute("SELECT json_extract(payload, '$.type') FROM events WHERE game_id='g1' AND "
                           "kind='type_draw' AND actor='d'").fetchone()
    con.close()
    types = escalab.load(str(TYPED)).compile("ladder").type_names[1]
    other = next(t for t in types if t != drawn)
    edit(db, "UPDATE events SET payload=json_set(payload, '$.type', ?) WHERE game_id='g1' AND kind='type_draw' "
             "AND actor='d'", other)
    for args, r in run_all(invoke, db, tmp_path):
        assert r.exit_code == 2, (args, r.output)
        assert "are not the draw of seed 1" in message(r) and "the log was changed" in message(r), args


def test_a_damaged_page_exits_2_in_every_command(invoke, db: Path, tmp_path: Path):
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page:3 * page] = b"\xa5" * (2 * page)                  # the tables' pages overwritten with noise
    db.write_bytes(bytes(data))
    for args, r in run_all(invoke, db, tmp_path):
        assert r.exit_code == 2, (args, r.output, r.stderr)
        text = message(r)
        assert "internal error" not in text and "g.sqlite" in text, (args, text)
        assert "damaged" in text, (args, text)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_foreign_sqlite_file_is_not_a_store_and_is_left_unchanged(invoke, tmp_path: Path):
    foreign = tmp_path / "contacts.sqlite"
    con = sqlite3.connect(foreign)
    with con:
        con.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        con.execute("INSERT INTO contacts VALUES ('Ada', '123')")
    con.close()
    before = sha(foreign)
    for args, r in run_all(invoke, foreign, tmp_path):
        assert r.exit_code == 2, (args, r.output)
        assert "'contacts.sqlite' is not an escalab store" in message(r), args
    r = invoke("play", SCENARIO, "--agent", "state_a=uniform", "--agent", "state_b=uniform", "--db", str(foreign))
    assert r.exit_code == 2 and "is not an escalab store" in message(r)
    assert sha(foreign) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.sqlite"]


def test_read_only_commands_never_write_to_the_store(invoke, db: Path, tmp_path: Path):
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=DELETE")              # as a store copied or archived may be
    con.close()
    before = sha(db)
    for args in (("games",), ("replay", "g1"), ("export", "g1", "--out", str(tmp_path / "x")), ("fit", "g1",
                 "--actor", "state_a")):
        r = invoke(*args, "--db", str(db))
        assert r.exit_code == 0, (args, r.output, r.stderr)
    assert sha(db) == before
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_store_that_cannot_be_written_gives_a_message_not_an_operational_error(db: Path):
    store = SqliteStore(db)
    store._db.execute("PRAGMA query_only=ON")              # what a read-only file or mount does to writes
    with pytest.raises(UsageError, match="cannot write game 'g1' in the game store 'g.sqlite': it is read-only"):
        store.append("g1", 9, "score", None, {})
    with pytest.raises(UsageError, match="read-only"):
        store.claim("g1")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_store_file_is_named(invoke, db: Path):
    db.chmod(0o444)
    r = invoke("resume", "g1", "--db", str(db))
    assert r.exit_code == 2 and "is read-only" in message(r)


# ----------------------------------------------------------------------------- one game, one process
def test_a_second_player_of_a_claimed_game_is_refused(db: Path):
    first, second = SqliteStore(db), SqliteStore(db)
    holder = first.claim("g1")
    with pytest.raises(GameTaken, match=r"game 'g1' is being played by process \d+ on this machine"):
        play(second, "g1")
    first.release("g1", holder)
    assert play(second, "g1").ended                          # free again: the finished game is read back


def moves(db: Path, game: str) -> list[tuple[int, str]]:
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("SELECT turn, actor FROM events WHERE game_id=? AND kind='move' ORDER BY seq",
                           (game,)).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def escalab_cmd() -> list[str]:
    exe = shutil.which("escalab")
    return [exe] if exe else [sys.executable, "-c", "from escalab.cli.app import main; main()"]


def test_two_resumes_of_one_game_one_plays_the_other_is_told(invoke, tmp_path: Path):
    db = tmp_path / "g.sqlite"
    scenario = escalab.load(SCENARIO)
    seed = next(s for s in range(200) if new_game(SqliteStore(":memory:"), scenario, AGENTS, s).state.turn >= 4)
    from escalab.wargame.engine import create_game
    create_game(SqliteStore(db), scenario, AGENTS, seed, game_id="twice")
    proc = subprocess.Popen([*escalab_cmd(), "resume", "twice", "--db", str(db), "--pace", "0.4"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None and not moves(db, "twice"):
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        second = invoke("resume", "twice", "--db", str(db))
        assert second.exit_code == 2, second.output
        assert "game 'twice' is being played by process" in message(second)
        listed = invoke("games", "--db", str(db), "--status", "running")
        assert listed.exit_code == 0 and "twice" in listed.output
    finally:
        out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    got = moves(db, "twice")
    assert len(got) == len(set(got)) and len(got) % 2 == 0 # each side's move of each turn stored once
    assert invoke("games", "--db", str(db), "--status", "finished").output.count("twice") == 1


def test_games_tells_running_paused_finished_and_interrupted_apart(invoke, tmp_path: Path):
    db = tmp_path / "g.sqlite"
    scenario = escalab.load(SCENARIO)
    from escalab.wargame.engine import create_game
    store = SqliteStore(db)
    new_game(store, scenario, AGENTS, 1, game_id="done")
    for gid in ("live", "crashed", "stopped"):
        create_game(store, scenario, AGENTS, 1, game_id=gid)
    store.claim("live")                                      # held by this (live) process
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    edit(db, "INSERT INTO leases VALUES ('crashed', 'x', ?, ?, '1', '2026-01-01')", dead.pid,
         socket.gethostname())                              # claimed by a process that died without a word
    store.set_status("stopped", "paused")
    r = invoke("games", "--db", str(db))
    assert r.exit_code == 0, r.output
    status = {line.split()[0]: line.split()[2] for line in r.output.splitlines()[1:] if line.strip()
              and line.split()[0] in ("done", "live", "crashed", "stopped")}
    assert status == {"done": "finished", "live": "running", "crashed": "interrupted", "stopped": "paused"}
    for wanted, gid in (("interrupted", "crashed"), ("paused", "stopped"), ("running", "live")):
        listed = invoke("games", "--db", str(db), "--status", wanted).output
        assert gid in listed and "done" not in listed
    r = invoke("resume", "crashed", "--db", str(db))         # an interrupted game's stale claim is taken over
    assert r.exit_code == 0, r.output
    r = invoke("resume", "live", "--db", str(db))
    assert r.exit_code == 2 and "is being played by process" in message(r) and "--take-over" in message(r)


def test_a_store_from_before_the_hash_chain_still_reads_and_is_chained_from_then_on(invoke, db: Path):
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE events DROP COLUMN chain")
    con.execute("DROP TABLE leases")
    con.commit()
    con.close()
    assert invoke("games", "--db", str(db)).exit_code == 0
    assert invoke("replay", "g1", "--db", str(db)).exit_code == 0
    assert invoke("score", "g1", "--db", str(db)).exit_code == 0        # appends score events, chained
    con = sqlite3.connect(db)
    chained = con.execute("SELECT kind FROM events WHERE game_id='g1' AND chain IS NOT NULL").fetchall()
    con.close()
    assert chained and {k for (k,) in chained} == {"score"}
    assert invoke("replay", "g1", "--db", str(db)).exit_code == 0


def test_the_report_says_a_foreign_default_store_is_not_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from escalab.report import plays_section
    foreign = tmp_path / "escalab-games.sqlite"
    con = sqlite3.connect(foreign)
    with con:
        con.execute("CREATE TABLE notes (body TEXT)")
    con.close()
    before = sha(foreign)
    monkeypatch.setenv("ESCALAB_DB", str(foreign))
    assert "is not an escalab store" in plays_section.compute(escalab.load(SCENARIO))["skipped"]
    assert sha(foreign) == before


def test_a_fork_made_but_not_played_is_paused_not_interrupted(invoke, db: Path):
    r = invoke("fork", "g1", "--turn", "2", "--no-play", "--db", str(db))
    assert r.exit_code == 0, r.output
    (child,) = [g for g in SqliteStore(db).games() if g.parent_game == "g1"]
    assert child.status == "paused"
    assert child.game_id in invoke("games", "--db", str(db), "--status", "paused").output


def test_a_tournament_resumes_only_its_own_games_from_a_store(tmp_path: Path):
    from escalab.wargame.engine import create_game
    from escalab.wargame.tournament import make_plan, run_tournament
    scenario = escalab.load(SCENARIO)
    plan = make_plan(scenario, {"u": "uniform"}, games=1, seed=0)
    (task,) = plan.tasks()
    store = SqliteStore(tmp_path / "g.sqlite")
    # the same game id, but settings that would send an LLM's requests elsewhere
    create_game(store, scenario, dict(task.agents), task.seed, game_id=task.game_id,
                options={"llm": {"base_url": "http://203.0.113.9/v1"}})
    with pytest.raises(UsageError, match=f"game '{task.game_id}' in the store is not this tournament's game"):
        run_tournament(plan, store)
