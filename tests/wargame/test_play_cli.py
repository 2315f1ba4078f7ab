"""The play commands: kill -9 and resume, replay, fork, export, games, and exit codes for bad input."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import escalab
from escalab.wargame.engine import new_game, outcome
from escalab.wargame.scores import play_from_events
from escalab.wargame.store import MemoryStore, SqliteStore
from escalab.wargame.transcript import read_transcript

SCENARIO = "kahn-game-compact"
AGENTS = ("--agent", "state_a=logit:1", "--agent", "state_b=uniform")


def long_seed(turns: int = 4) -> int:
    """The first seed whose game lasts at least ``turns`` turns (found by playing, not hard-coded)."""
    scenario = escalab.load(SCENARIO)
    mem = MemoryStore()
    shared: dict = {}
    return next(s for s in range(100) if new_game(mem, scenario, {"state_a": "logit:1", "state_b": "uniform"}, s,
                                                  shared=shared).state.turn >= turns)


def moves_in(db: Path, game: str) -> list[tuple[int, str, str]]:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as con:
        try:
            return con.execute("SELECT turn, actor, payload FROM events WHERE game_id=? AND kind='move' "
                               "ORDER BY seq", (game,)).fetchall()
        except sqlite3.OperationalError:      # the file exists, the tables not yet
            return []


def escalab_cmd() -> list[str]:
    """The installed script of the interpreter running the tests (a venv's own, not one on PATH)."""
    exe = Path(sys.executable).with_name("escalab")
    return [str(exe)] if exe.is_file() else [sys.executable, "-c", "from escalab.cli.app import main; main()"]


def test_kill_9_mid_game_then_resume_loses_no_move_and_ends_as_the_uninterrupted_game(tmp_path: Path):
    seed = long_seed()
    db = tmp_path / "games.sqlite"
    cmd = escalab_cmd()
    proc = subprocess.Popen([*cmd, "play", SCENARIO, *AGENTS, "--seed", str(seed), "--db", str(db), "--id", "victim",
                             "--pace", "0.4"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists() and len(moves_in(db, "victim")) >= 3:     # turn 2 half played: one side has moved
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the game ended before it could be killed: {proc.stderr.read()!r}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    before = moves_in(db, "victim")
    assert len(before) >= 3
    assert SqliteStore(db).game("victim").status == "running"
    done = subprocess.run([*cmd, "resume", "victim", "--db", str(db)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    assert "resumes at turn" in done.stdout and "ended" in done.stdout
    after = moves_in(db, "victim")
    assert after[:len(before)] == before                           # every acknowledged move kept, as it was
    assert len({(t, a) for t, a, _ in after}) == len(after)       # none asked and stored twice
    # the same game played without interruption
    whole = subprocess.run([*cmd, "play", SCENARIO, *AGENTS, "--seed", str(seed), "--db", str(db), "--id", "whole"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert whole.returncode == 0, whole.stderr
    store = SqliteStore(db)
    assert outcome(store.events("victim")) == outcome(store.events("whole"))


@pytest.fixture
def played(invoke, tmp_path: Path):
    db = tmp_path / "g.sqlite"
    r = invoke("play", SCENARIO, *AGENTS, "--seed", str(long_seed(3)), "--db", str(db), "--id", "g1")
    assert r.exit_code == 0, r.output
    return db


def test_play_prints_the_id_and_each_turn(invoke, played: Path):
    r = invoke("replay", "g1", "--db", str(played))
    assert r.exit_code == 0 and "game g1" in r.output and "ended:" in r.output
    r = invoke("games", "--db", str(played))
    assert r.exit_code == 0 and "g1" in r.output and "finished" in r.output


def test_replay_from_agent_replies_is_identical(invoke, played: Path):
    r = invoke("replay", "g1", "--db", str(played), "--agent-replies")
    assert r.exit_code == 0, r.output
    assert "identical" in r.output


def test_fork_from_the_cli(invoke, played: Path):
    r = invoke("fork", "g1", "--turn", "2", "--agent", "state_b=doctrine:brinkmanship", "--db", str(played))
    assert r.exit_code == 0, r.output
    assert "fork of g1 at turn 2" in r.output
    store = SqliteStore(played)
    child = next(g for g in store.games() if g.parent_game == "g1")
    assert (child.parent_turn, child.agents["state_b"]) == (2, "doctrine:brinkmanship")
    turn1 = [e.payload for e in store.events("g1", ("move",)) if e.turn == 1]
    assert [e.payload for e in store.events(child.game_id, ("move",)) if e.turn == 1] == turn1


def test_export_round_trip(invoke, played: Path, tmp_path: Path):
    out = tmp_path / "export"
    r = invoke("export", "g1", "--out", str(out), "--db", str(played))
    assert r.exit_code == 0, r.output
    store = SqliteStore(played)
    game = escalab.load(SCENARIO).compile("ladder")
    events = store.events("g1")
    from_store = play_from_events("g1", events, game.rung_ids)
    from_file = read_transcript(out / "transcript.jsonl", game.ladder, game.actors)
    assert len(from_file.plays) == 1

    def plain(play):                  # what the plain format holds (it has no perceived rungs)
        return [[(s.action, s.signal, s.action if s.executed is None else s.executed, s.statement) for s in turn]
                for turn in play.turns]
    assert plain(from_file.plays[0]) == plain(from_store)         # the same moves, signals, accidents
    rows = list(csv.DictReader((out / "turns.csv").open()))
    assert len(rows) == 2 * len(from_store.turns)
    assert [json.loads(line)["seq"] for line in (out / "events.jsonl").open()] == [e.seq for e in events]
    games = list(csv.DictReader((out / "games.csv").open()))
    assert games[0]["game"] == "g1" and games[0]["status"] == "finished"
    for f in out.iterdir():
        assert str(tmp_path) not in f.read_text()                # no absolute path of this machine


@pytest.mark.parametrize("args,message", [
    (("play", SCENARIO, "--agent", "state_a=logit:2"), "no agent for state_b"),
    (("play", SCENARIO, "--agent", "state_a=wizard", "--agent", "state_b=uniform"), "unknown agent 'wizard'"),
    (("play", SCENARIO, "--agent", "usa=uniform", "--agent", "state_b=uniform"), "unknown actor 'usa'"),
    (("play", SCENARIO, "--agent", "state_a", "--agent", "state_b=uniform"), "expects ACTOR=SPEC"),
    (("play", SCENARIO, *AGENTS, "--fallback", "human"), "--fallback must be a simulation policy"),
    (("play", SCENARIO, *AGENTS, "--pace", "-1"), "--pace must be between 0 and 3600 seconds"),
    (("play", "chicken", "--agent", "a=uniform"), "has no ladder crisis"),
    (("play", SCENARIO, "--agent", "state_a=script:moon", "--agent", "state_b=uniform"), "'moon' is not a rung"),
    (("replay", "nope"), "unknown game 'nope'"),
    (("resume", "nope"), "unknown game 'nope'"),
    (("fork", "g1", "--turn", "99"), "--turn must be between 1 and"),
    (("fork", "g1", "--turn", "1", "--agent", "state_b=wizard"), "unknown agent 'wizard'"),
    (("export", "g1", "nope", "--out", "x"), "unknown game 'nope'"),
    (("games", "--status", "odd"), "--status must be running, paused, finished or interrupted"),
])
def test_bad_input_exits_2_with_a_message(invoke, played: Path, args, message):
    r = invoke(*args, "--db", str(played))
    assert r.exit_code == 2, r.output
    assert message in " ".join((r.stderr or r.output).split())


def test_a_missing_store_is_named(invoke, tmp_path: Path):
    r = invoke("games", "--db", str(tmp_path / "none.sqlite"))
    assert r.exit_code == 2 and "no game store at" in r.stderr
    assert not (tmp_path / "none.sqlite").exists()


def test_play_ends_with_the_scores_of_the_stored_game(invoke, tmp_path: Path):
    from escalab.wargame.stored import StoredGames
    db = tmp_path / "g.sqlite"
    r = invoke("play", SCENARIO, *AGENTS, "--seed", str(long_seed(3)), "--db", str(db), "--id", "s1")
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    scores = StoredGames(SqliteStore(db)).score("s1", write=False)
    assert f"scores: peak {scores.peak['rung']} (value {scores.peak['value']:g}, {scores.peak['band']})" in text
    assert f"Rivera escalation score mean {scores.rivera['mean']:.2f}" in text
    assert "escalab score s1" in text


def test_play_with_private_types_says_the_types_at_the_end(invoke, tmp_path: Path):
    tiny = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"
    db = tmp_path / "g.sqlite"
    r = invoke("play", str(tiny), "--agent", "a=uniform", "--agent", "d=equilibrium", "--seed", "1",
               "--db", str(db), "--id", "t1")
    assert r.exit_code == 0, r.output
    drawn = next(e.payload["type"] for e in SqliteStore(db).events("t1", ("type_draw",)) if e.actor == "d")
    assert f"types: d was {drawn}" in " ".join(r.output.split())
