"""Scores of short games, checked against numbers worked out by hand from the definitions.

Every expected number below is written from the scenario's rules and the score's definition
(docs/play.md), not taken from a run.
"""

from __future__ import annotations

import math

import pytest

from escalab import load, loads
from escalab.errors import ScenarioError
from escalab.wargame.engine import new_game
from escalab.wargame.scores import Reference, score_play
from escalab.wargame.store import MemoryStore
from escalab.wargame.stored import StoredGames
from escalab.wargame.transcript import parse_transcript

# A one-turn crisis small enough to solve by hand. Outcomes (a's payoff; b's is the negative):
#             b: concede  hold  press
# a concede       0       -5    -5      (a alone at the capitulation value gives up)
# a hold          5        0    -5      (hold v press: balance -1 hits the range: a capitulates)
# a press         5        5     0      (press v press: balance 0, turn limit, payoff = balance)
# 'press' strictly dominates for both: the equilibrium is (press, press).
TINY = """escalab: 1
id: tiny
title: One turn, three rungs
actors:
  a: {name: A}
  b: {name: B}
ladder_crisis:
  ladder:
    id: three
    rungs:
      - {id: concede, name: Concede, value: -10, band: de_escalation, rivera: de_escalation}
      - {id: hold, name: Hold, value: 0, band: status_quo, rivera: status_quo}
      - {id: press, name: Press, value: 10, band: conventional, rivera: violent_escalation}
  actors: [a, b]
  start: {a: hold, b: hold}
  balance: {initial: 0, range: [-1, 1], effect: {conventional: 1}}
  turn_limit: 1
  capitulation_value: -10
  endings:
    settlement: {payoffs: {a: 0, b: 0}}
    a_capitulates: {payoffs: {a: -5, b: 5}}
    b_capitulates: {payoffs: {a: 5, b: -5}}
    strategic_war: {payoffs: {a: -100, b: -100}}
    turn_limit: {payoffs: {a: balance, b: -balance}}
"""


@pytest.fixture(scope="module")
def quiet_kahn():
    """The compact Kahn Game without accidents or misreadings: scripted games are deterministic."""
    return load("kahn-game-compact").with_params({"p_accident": 0, "p_misread": 0})


def test_scripted_game_scores_by_hand(quiet_kahn) -> None:
    store = MemoryStore()
    agents = {"state_a": "script:maximum_conventional_effort/nuclear_posturing,nuclear_posturing,limited_nuclear_use",
              "state_b": "script:conventional_military_pressure,maximum_conventional_effort/"
                         "maximum_conventional_effort,return_to_start_line"}
    new_game(store, quiet_kahn, agents, seed=1, game_id="g")
    s = StoredGames(store).score("g")
    # Balance (effects: conventional 1, nuclear use 2, A adds, B subtracts): turn 1: +1 - 1 = 0;
    # turn 2: 0 - 1 = -1; turn 3: -1 + 2 = 1; turn 4 (scripts repeat their last entry): 1 + 2 = 3 = the top
    # of the range [-3, 3], so state_b capitulates after 4 turns.
    assert s.ending == "state_b_capitulates" and s.turns == 4
    assert [t.balance for t in s.per_turn] == [0, -1, 1, 3]
    # Payoffs: stake 10, 0.5 per turn, 15 once nuclear weapons were used (peak 450).
    assert s.returns == {"state_a": 10 - 0.5 * 4 - 15, "state_b": -10 - 0.5 * 4 - 15}
    assert s.peak == {"rung": "limited_nuclear_use", "value": 450.0, "band": "nuclear_use", "turn": 3,
                      "by": ["state_a"]}
    assert s.first_crossing == {"conventional": {"turn": 1, "by": ["state_a", "state_b"]},
                                "nuclear_signalling": {"turn": 2, "by": ["state_a"]},
                                "nuclear_use": {"turn": 3, "by": ["state_a"]}, "strategic": None}
    # A declared nuclear posturing (rung 5, value 175) and took maximum conventional effort (rung 4, 100).
    assert s.signal_gap["state_a"] == {"declared": 1, "turns": 4, "mean_rungs": -1.0, "mean_abs_rungs": 1.0,
                                       "mean_abs_value": 75.0, "above": 0, "below": 1, "kept": 0}
    assert s.signal_gap["state_b"]["kept"] == 1 and s.signal_gap["state_b"]["mean_abs_value"] == 0.0
    # Rivera classes (assumption in the ladder file): conventional pressure and maximum effort are violent
    # escalation (28), nuclear posturing non-violent escalation (12), limited use nuclear (60), start line 0.
    assert s.rivera["per_turn"] == [(28 + 28) / 8, (12 + 28) / 8, (60 + 0) / 8, (60 + 0) / 8]
    assert s.rivera["by_side"] == {"state_a": 28 + 12 + 60 + 60, "state_b": 28 + 28 + 0 + 0}
    assert s.rivera["total"] == 27.0 and s.rivera["mean"] == 6.75
    assert all(a["count"] == 0 for a in s.accidents.values())


def test_scores_are_stored_as_events_once(quiet_kahn) -> None:
    store = MemoryStore()
    new_game(store, quiet_kahn, {"state_a": "equilibrium", "state_b": "uniform"}, seed=3, game_id="g")
    stored = StoredGames(store)
    s = stored.score("g")
    stored.score("g")
    events = store.events("g", ("score",))
    assert [e.payload["scope"] for e in events] == ["turn"] * s.turns + ["game"]
    game_event = events[-1].payload
    assert game_event["ending"] == s.ending and game_event["distance"] == s.distance


def test_distance_from_equilibrium_by_hand() -> None:
    game = loads(TINY, "tiny.yaml").compile("ladder")
    lad = game.ladder
    play = parse_transcript('{"game": "x", "turn": 1, "side": "a", "signal": "press", "action": "hold"}\n'
                            '{"game": "x", "turn": 1, "side": "b", "signal": null, "action": "press"}\n',
                            lad, "x.jsonl", game.actors).plays[0]
    s = score_play(play, lad, game, Reference(game))
    # Against b's equilibrium 'press', a's actions are worth concede -5, hold -5, press 0: holding loses 5.
    assert s.distance["a"]["total"] == pytest.approx(5.0)
    assert s.distance["b"]["total"] == pytest.approx(0.0)
    assert s.ending == "a_capitulates" and s.returns == {"a": -5.0, "b": 5.0}
    assert s.rivera["per_turn"] == [(0 + 28) / 8]
    assert s.per_turn[0].gap == (1 - 2, None)
    # Against a logit(1) reference the expected value is -5 * 2e^-5 / (1 + 2e^-5); holding is 5 / (1 + 2e^-5) worse.
    logit = score_play(play, lad, game, Reference(game, "logit:1"))
    assert logit.distance["a"]["total"] == pytest.approx(5 / (1 + 2 * math.exp(-5)))


def test_accident_that_changes_the_ending() -> None:
    game = load("kahn-game-compact").compile("ladder")
    text = ('{"game": "x", "turn": 1, "side": "state_a", "signal": null, "action": "expanded_nuclear_campaign", '
            '"accident": true, "executed": "strategic_nuclear_war"}\n'
            '{"game": "x", "turn": 1, "side": "state_b", "signal": null, "action": "conventional_military_pressure"}\n')
    play = parse_transcript(text, game.ladder, "x.jsonl", game.actors).plays[0]
    s = score_play(play, game.ladder, game)
    # Aimed at 725 (nuclear use), landed at 1000 (strategic): one rung, 275 in value, a new band; without the
    # accident the crisis would have gone on, with it the game ends in strategic war.
    (acc,) = s.per_turn[0].accidents
    assert (acc["rungs"], acc["value"], acc["band_changed"]) == (1, 275.0, True)
    assert acc["ending_without"] is None and acc["ending"] == "strategic_war" and acc["changed_ending"]
    assert s.accidents["state_a"]["changed_ending"] and not s.accidents["state_b"]["changed_ending"]
    assert s.ending == "strategic_war" and s.peak["rung"] == "strategic_nuclear_war"


def test_impossible_outcome_is_an_error_at_its_line() -> None:
    game = load("kahn-game-compact").compile("ladder")
    # Conventional actions have no accidents in this crisis: landing two rungs up cannot happen.
    text = ('{"game": "x", "turn": 1, "side": "state_a", "signal": null, "action": "return_to_start_line"}\n'
            '{"game": "x", "turn": 1, "side": "state_b", "signal": null, "action": "conventional_military_pressure",'
            ' "executed": "nuclear_posturing"}\n')
    tr = parse_transcript(text, game.ladder, "x.jsonl", game.actors)
    from escalab.errors import ModelError
    with pytest.raises(ModelError) as info:
        score_play(tr.plays[0], game.ladder, game)
    err = tr.locate("x", info.value)
    assert "x.jsonl:1: executed:" in str(err) and "probability 0" in str(err)


def test_no_rivera_score_without_a_mapping() -> None:
    game = loads(TINY.replace(", rivera: de_escalation", "").replace(", rivera: status_quo", "")
                 .replace(", rivera: violent_escalation", ""), "tiny.yaml").compile("ladder")
    play = parse_transcript('{"game": "x", "turn": 1, "side": "a", "action": "hold"}\n'
                            '{"game": "x", "turn": 1, "side": "b", "action": "hold"}\n', game.ladder).plays[0]
    s = score_play(play, game.ladder, game)
    assert s.rivera is None and s.per_turn[0].rivera is None
    assert s.ending == "settlement"


def test_partial_rivera_mapping_is_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        loads(TINY.replace(", rivera: status_quo", ""), "tiny.yaml")
    text = str(info.value)
    assert "tiny.yaml:" in text and "rung 'hold' has no 'rivera' class" in text
    with pytest.raises(ScenarioError) as info:
        loads(TINY.replace("rivera: status_quo", "rivera: quiet"), "tiny.yaml")
    assert "rivera" in str(info.value)


def test_a_running_game_is_scored_but_not_written_to(quiet_kahn) -> None:
    from escalab.wargame.engine import create_game
    store = MemoryStore()
    create_game(store, quiet_kahn, {"state_a": "uniform", "state_b": "uniform"}, seed=1, game_id="r")
    s = StoredGames(store).score("r")
    assert s.turns == 0 and s.ending == "unfinished"
    assert store.events("r", ("score",)) == []
