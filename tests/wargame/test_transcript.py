"""The plain JSONL transcript: exported games score as they do from the store; bad lines are located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalab import load
from escalab.wargame.engine import new_game
from escalab.wargame.store import SqliteStore


@pytest.fixture()
def played(tmp_path: Path) -> Path:
    """Three stored games with accidents (no misreadings: the transcript format does not carry them)."""
    db = tmp_path / "games.sqlite"
    store = SqliteStore(db)
    sc = load("kahn-game-compact").with_params({"p_accident": 0.3, "p_misread": 0})
    for k in range(3):
        new_game(store, sc, {"state_a": "doctrine:brinkmanship", "state_b": "logit:0.5"}, seed=k, game_id=f"g{k}")
    store.close()
    return db


def test_exported_transcript_scores_as_the_store(invoke, played: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    r = invoke("export", "g0", "g1", "g2", "--db", str(played), "--out", str(out))
    assert r.exit_code == 0, r.output
    jsonl = out / "transcript.jsonl"
    from_file = tmp_path / "file.json"
    r = invoke("score", str(jsonl), "--scenario", "kahn-game-compact", "--set", "p_accident=0.3",
               "--set", "p_misread=0", "-o", str(from_file))
    assert r.exit_code == 0, r.output
    from_store = tmp_path / "store.json"
    r = invoke("score", "g0", "g1", "g2", "--db", str(played), "-o", str(from_store))
    assert r.exit_code == 0, r.output
    a, b = json.loads(from_file.read_text()), json.loads(from_store.read_text())
    assert len(a) == len(b) == 3
    for x, y in zip(a, b):
        for key in ("game_id", "turns", "ending", "peak", "first_crossing", "signal_gap", "accidents", "rivera",
                    "distance", "returns"):
            assert x[key] == y[key], key
    assert sum(s["accidents"]["state_a"]["count"] + s["accidents"]["state_b"]["count"] for s in a) > 0


def test_ladder_only_scores(invoke, tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"game": "g", "turn": 1, "side": "usa", "signal": "nuclear_signaling", "action": "military_posturing"}\n'
                 '{"game": "g", "turn": 1, "side": "ussr", "signal": null, "action": "economic_pressure"}\n'
                 '{"game": "g", "turn": 1, "side": "prc", "signal": null, "action": "return_to_start_line"}\n')
    out = tmp_path / "s.json"
    r = invoke("score", str(f), "--ladder", "kahn-game-30", "-o", str(out))
    assert r.exit_code == 0, r.output
    (s,) = json.loads(out.read_text())
    # Three sides (a multi-nation harness): posturing 4 + non-violent escalation 12 + status quo 0, over 8.
    assert s["sides"] == ["usa", "ussr", "prc"] and s["rivera"]["per_turn"] == [16 / 8]
    assert s["distance"] is None and s["peak"]["rung"] == "military_posturing"
    assert s["signal_gap"]["usa"]["mean_rungs"] == -7.0


BAD = [
    ('{"game": "g", "turn": 1, "side": "state_a", "action": "nuke"}',
     "bad.jsonl:1: action: expected a rung id of ladder 'kahn-game-compact'"),
    ('{"game": "g", "turn": 0, "side": "state_a", "action": "return_to_start_line"}',
     "bad.jsonl:1: turn: expected a whole number >= 1, got 0"),
    ('{"game": "g", "turn": 1, "side": "state_a"}', "bad.jsonl:1: action: missing"),
    ('{"game": "g", "turn": 1, "side": "state_a", "action": "return_to_start_line", "colour": "red"}',
     "bad.jsonl:1: colour: unknown field"),
    ('[1, 2]', "bad.jsonl:1: expected a JSON object, got list"),
    ('{"game": "g", "turn": 1', "bad.jsonl:1: expected one JSON object per line"),
    ('{"game": "g", "turn": 1, "side": "state_a", "action": "return_to_start_line", "accident": "yes"}',
     "bad.jsonl:1: accident: expected true or false"),
    ('{"game": "g", "turn": 1, "side": "state_a", "action": "return_to_start_line", "accident": false, '
     '"executed": "complete_surrender"}', "bad.jsonl:1: accident: expected true"),
    ('{"game": "g", "turn": 1, "side": "", "action": "return_to_start_line"}', "bad.jsonl:1: side: expected a non-empty"),
]


@pytest.mark.parametrize("line,expected", BAD)
def test_bad_line_is_located(invoke, tmp_path: Path, line: str, expected: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(line + "\n")
    import os
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = invoke("score", "bad.jsonl", "--ladder", "kahn-game-compact")
    finally:
        os.chdir(cwd)
    assert r.exit_code == 2
    assert expected in r.stderr.replace("\n  ", " ")


def test_structure_errors(invoke, tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"game": "g", "turn": 1, "side": "state_a", "action": "return_to_start_line"}\n'
                 '{"game": "g", "turn": 1, "side": "state_a", "action": "return_to_start_line"}\n'
                 '{"game": "g", "turn": 3, "side": "state_a", "action": "return_to_start_line"}\n'
                 '{"game": "g", "turn": 3, "side": "state_b", "action": "return_to_start_line"}\n'
                 '{"game": "h", "turn": 1, "side": "state_a", "action": "return_to_start_line"}\n'
                 '{"game": "h", "turn": 1, "side": "russia", "action": "return_to_start_line"}\n')
    r = invoke("score", str(f), "--scenario", "kahn-game-compact")
    assert r.exit_code == 2
    err = r.stderr
    assert ":2: side: duplicate line for side 'state_a' at turn 1 of game 'g' (first at line 1)" in err
    assert ":6: side: expected one of the crisis actors (state_a, state_b), got 'russia'" in err
    assert ":1: side: turn 1 of game 'g' has no line for side 'state_b'" in err
    assert ":5: side: turn 1 of game 'h' has no line for side 'state_b'" in err


def test_illegal_rung_for_the_crisis_is_located(invoke, tmp_path: Path) -> None:
    # kahn-game restricts actions to 12 of its 30 rungs: economic pressure is not among them.
    f = tmp_path / "t.jsonl"
    f.write_text('{"game": "g", "turn": 1, "side": "state_a", "action": "military_posturing"}\n'
                 '{"game": "g", "turn": 1, "side": "state_b", "action": "economic_pressure"}\n')
    r = invoke("score", str(f), "--scenario", "kahn-game")
    assert r.exit_code == 2
    assert "t.jsonl:2: action: game g: turn 1: state_b took 'economic_pressure', which is not a legal action" \
        in r.stderr.replace("\n", " ")


def test_score_needs_a_ladder(invoke, tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"game": "g", "turn": 1, "side": "a", "action": "hold"}\n')
    r = invoke("score", str(f))
    assert r.exit_code == 2 and "--ladder" in r.stderr
    r = invoke("score", str(tmp_path / "missing.jsonl"), "--ladder", "kahn-game-30")
    assert r.exit_code == 2 and "missing.jsonl" in r.stderr
