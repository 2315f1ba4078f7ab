"""The human terminal agent, driven through an input stream as a person would type."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import escalab
from escalab.wargame.engine import build_view, new_game, play, read_game
from escalab.wargame.human import HumanAgent, HumanIO, ladder_table
from escalab.wargame.protocol import AgentQuit
from escalab.wargame.store import MemoryStore

SCENARIO = "kahn-game-compact"


def human_io(text: str, width: int = 160) -> tuple[HumanIO, io.StringIO]:
    out = io.StringIO()
    return HumanIO(io.StringIO(text), Console(file=out, width=width, highlight=False)), out


@pytest.fixture(scope="module")
def first_view():
    mem = MemoryStore()
    from escalab.wargame.engine import create_game
    rec = create_game(mem, escalab.load(SCENARIO), {"state_a": "uniform", "state_b": "uniform"}, seed=1)
    return build_view(read_game(mem, rec.game_id), 0)


def test_invalid_input_is_re_prompted_until_valid(first_view):
    typed = "\n".join([
        "banana",                      # signal: not a rung
        "42",                          # signal: no such rung
        "nuclear_posturing",           # signal by id: accepted
        "",                            # action: empty is not an action
        "-",                           # action: 'no signal' is no action either
        "4",                           # action by number: accepted
        "We will not be moved.",       # statement
    ]) + "\n"
    hio, out = human_io(typed)
    move = HumanAgent(hio).act(first_view)
    assert (move.signal, move.action, move.statement, move.source) == (5, 4, "We will not be moved.", "human")
    shown = out.getvalue()
    assert "'banana' is not a rung" in shown
    assert "signal '42' is not allowed now" in shown
    assert shown.count("Your action (rung number or id)") == 3


def test_signal_may_be_left_out_and_action_given_by_id(first_view):
    hio, _ = human_io("\nreturn_to_start_line\n\n")
    move = HumanAgent(hio).act(first_view)
    assert (move.signal, move.action, move.statement) == (None, 2, "")


def test_the_screen_draws_the_ladder_with_thresholds_and_both_positions(first_view):
    out = io.StringIO()
    Console(file=out, width=160).print(ladder_table(first_view))
    text = out.getvalue()
    for name in first_view.ladder.rung_names:
        assert name in text
    for threshold, _ in first_view.ladder.thresholds:
        assert threshold in text
    assert "YOU" in text and "state_b (as seen)" in text
    # thresholds sit just above their rung: 'No nuclear use' between posturing and limited nuclear use
    lines = text.splitlines()
    at = {k: next(i for i, line in enumerate(lines) if k in line)
          for k in ("Limited nuclear use", "No nuclear use", "Nuclear posturing")}
    assert at["Limited nuclear use"] < at["No nuclear use"] < at["Nuclear posturing"]


def test_quit_and_closed_input_stop_the_game_for_a_resume(first_view):
    with pytest.raises(AgentQuit, match="quit"):
        HumanAgent(human_io("quit\n")[0]).act(first_view)
    with pytest.raises(AgentQuit, match="closed"):
        HumanAgent(human_io("5\n")[0]).act(first_view)         # the action prompt finds no more input


def test_a_human_game_through_the_engine_then_resumed_after_quitting():
    mem = MemoryStore()
    scenario = escalab.load(SCENARIO)
    hio, out = human_io("\n3\nhold\n" + "quit\n")
    from escalab.wargame.engine import create_game
    rec = create_game(mem, scenario, {"state_a": "human", "state_b": "script:3"}, seed=4)
    with pytest.raises(AgentQuit):
        play(mem, rec.game_id, io=hio)
    stopped = read_game(mem, rec.game_id)
    assert stopped.state.turn == 1 and stopped.turns[0].moves[0].statement == "hold"
    hio2, _ = human_io("\n3\n\n" * 10)
    log = play(mem, rec.game_id, io=hio2)
    assert log.ended and all(p.moves[0].action == 3 for p in log.turns)


def test_hot_seat_hides_each_screen_behind_a_pass_the_keyboard_prompt():
    """Two humans at one terminal: before each side's screen a pass-the-keyboard prompt, after each
    move a 'recorded' prompt; one side's screen never follows the other's without one between."""
    scenario = escalab.load(SCENARIO)
    turn = "\n\n3\nA speaks\n\n" + "\n\n4\nB speaks\n\n"     # Enter, signal, action, statement, Enter (each side)
    hio, out = human_io(turn * 6)
    log = new_game(MemoryStore(), scenario, {"state_a": "human", "state_b": "human"}, seed=2, io=hio)
    assert log.ended
    text = out.getvalue()
    import re
    screens = [m.group(0) for m in re.finditer(r"Pass the keyboard to \w+|\w+ · turn \d+|\w+'s move is recorded",
                                                text)]
    expected = []
    for t in range(1, log.state.turn + 1):
        for actor in ("state_a", "state_b"):
            expected += [f"Pass the keyboard to {actor}", f"{actor} · turn {t}", f"{actor}'s move is recorded"]
    assert len(screens) == len(expected)
    assert all(e in s for e, s in zip(expected, screens))
    # and each side read the other's statement, never its own as the opponent's
    assert all(p.moves[0].statement == "A speaks" and p.moves[1].statement == "B speaks" for p in log.turns)
    assert 'The opponent said: "B speaks"' in text and 'The opponent said: "A speaks"' in text
