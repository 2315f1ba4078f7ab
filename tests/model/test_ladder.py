"""The ladder crisis state machine: exact transition distributions, accidents, misreadings, endings."""

from __future__ import annotations

import pytest

from escalab import load, loads
from escalab.errors import ModelError
from escalab.model import JointAction, LadderGame, LadderState

SMALL = """escalab: 1
id: small-ladder
title: A small ladder crisis
parameters:
  p_up: {default: 0.2}
  p_miss: {default: 0.1}
actors:
  a: {name: A}
  b: {name: B}
ladder_crisis:
  ladder:
    id: five
    rungs:
      - {id: give_up, name: Give up, value: -10, band: de_escalation}
      - {id: calm, name: Calm, value: 0, band: status_quo}
      - {id: pressure, name: Pressure, value: 10, band: conventional}
      - {id: threat, name: Threat, value: 100, band: nuclear_signalling}
      - {id: war, name: War, value: 1000, band: strategic}
  actors: [a, b]
  start: {a: pressure, b: pressure}
  balance: {initial: 0, range: [-2, 2], drift: 0, effect: {nuclear_signalling: 1}}
  accidents:
    nuclear_signalling: {up: p_up, down: 0.1, max_rungs: 1}
  misperception: p_miss
  turn_limit: 3
  capitulation_value: -10
  endings:
    settlement: {payoffs: {a: -turns, b: -turns}}
    a_capitulates: {payoffs: {a: -5, b: 5}}
    b_capitulates: {payoffs: {a: 5, b: -5}}
    strategic_war: {payoffs: {a: -100, b: -100 + peak / 1000}}
    turn_limit: {payoffs: {a: balance, b: -balance}}
"""
GIVE_UP, CALM, PRESSURE, THREAT, WAR = range(5)


@pytest.fixture()
def game() -> LadderGame:
    return loads(SMALL, "small.yaml").compile("ladder")


def test_initial_state(game: LadderGame) -> None:
    s = game.initial_state()
    assert s == LadderState(turn=0, positions=(PRESSURE, PRESSURE), perceived=(PRESSURE, PRESSURE),
                            signals=(None, None), balance=0, peak=PRESSURE)
    assert not s.terminal
    assert game.legal_actions(s, 0) == tuple(range(5))
    assert game.legal_signals(s, 1) == (None, 0, 1, 2, 3, 4)
    assert game.endings() == ("settlement", "a_capitulates", "b_capitulates", "strategic_war", "turn_limit")


def test_accident_and_perception_distributions(game: LadderGame) -> None:
    assert game.accident_outcomes(PRESSURE) == [(1.0, PRESSURE)]
    acc = dict((r, p) for p, r in game.accident_outcomes(THREAT))
    assert acc == pytest.approx({PRESSURE: 0.1, THREAT: 0.7, WAR: 0.2})
    seen = dict((r, p) for p, r in game.perception_outcomes(CALM))
    assert seen == pytest.approx({GIVE_UP: 0.05, CALM: 0.9, PRESSURE: 0.05})
    edge = dict((r, p) for p, r in game.perception_outcomes(WAR))
    assert edge == pytest.approx({THREAT: 0.05, WAR: 0.95})  # clamped at the top: mass kept


@pytest.mark.parametrize("actions", [(PRESSURE, PRESSURE), (THREAT, CALM), (THREAT, THREAT), (CALM, CALM),
                                     (GIVE_UP, PRESSURE), (WAR, CALM)])
def test_transitions_sum_to_one(game: LadderGame, actions: tuple[int, int]) -> None:
    out = game.transition(game.initial_state(), JointAction(actions))
    assert sum(p for p, _ in out) == pytest.approx(1.0)
    assert all(p > 0 for p, _ in out)
    assert len({s for _, s in out}) == len(out)  # merged, not duplicated


def test_threat_transition_in_detail(game: LadderGame) -> None:
    out = game.transition(game.initial_state(), JointAction((THREAT, PRESSURE)))
    war = sum(p for p, s in out if s.ending == "strategic_war")
    assert war == pytest.approx(0.2)
    # the balance moves by the band effect of the executed action
    executed_threat = [s for _, s in out if s.positions[0] == THREAT]
    assert {s.balance for s in executed_threat} == {1}
    # b misreads a's threat with probability p_miss
    seen = sum(p for p, s in out if s.positions[0] == THREAT and s.perceived[1] == THREAT)
    assert seen == pytest.approx(0.7 * 0.9)


def test_endings(game: LadderGame) -> None:
    s0 = game.initial_state()
    (p, settled), = game.transition(s0, JointAction((CALM, CALM)))
    assert p == 1 and settled.ending == "settlement" and settled.terminal
    assert game.returns(settled) == (-1.0, -1.0)
    (_, gave_up), = game.transition(s0, JointAction((GIVE_UP, PRESSURE)))
    assert gave_up.ending == "a_capitulates"
    assert game.returns(gave_up) == (-5.0, 5.0)
    (_, war), = game.transition(s0, JointAction((WAR, CALM)))
    assert war.ending == "strategic_war"
    assert game.returns(war) == (-100.0, -99.0)


def test_turn_limit_and_balance_capitulation(game: LadderGame) -> None:
    s = game.initial_state()
    for _ in range(3):
        dist = game.transition(s, JointAction((PRESSURE, PRESSURE)))
        assert len(dist) == 1 or sum(p for p, _ in dist) == pytest.approx(1)
        s = max(dist, key=lambda ps: ps[0])[1]
    assert s.ending == "turn_limit" and game.returns(s) == (0.0, 0.0)
    tough = load("escalate-to-deescalate").compile("ladder")
    state = tough.initial_state()
    lo, _ = tough.balance_range
    state = LadderState(turn=1, positions=state.positions, perceived=state.perceived, signals=(None, None),
                        balance=lo + 1, peak=state.peak)
    conv = tough.index("maximum_conventional_effort")
    outcomes = {s.ending for _, s in tough.transition(state, JointAction((conv, conv)))}
    assert outcomes == {"russia_capitulates"}


def test_errors_are_model_errors(game: LadderGame) -> None:
    s0 = game.initial_state()
    with pytest.raises(ModelError, match="only when the crisis has ended"):
        game.returns(s0)
    (_, done), = game.transition(s0, JointAction((CALM, CALM)))
    with pytest.raises(ModelError, match="has ended"):
        game.transition(done, JointAction((CALM, CALM)))
    assert game.legal_actions(done, 0) == ()
    with pytest.raises(ModelError, match="unknown rung"):
        game.index("nope")


def test_max_step_limits_moves_on_the_default() -> None:
    g = load("escalate-to-deescalate").compile("ladder")
    s = g.initial_state()
    assert g.spec.max_step == 3
    here = s.positions[0]
    assert all(abs(r - here) <= 3 for r in g.legal_actions(s, 0))
    with pytest.raises(ModelError, match="illegal action"):
        g.transition(s, JointAction((g.index("strategic_nuclear_war"), here)))


def test_observation(game: LadderGame) -> None:
    out = game.transition(game.initial_state(), JointAction((THREAT, PRESSURE), (WAR, None)))
    _, s = max(out, key=lambda ps: ps[0])
    obs_b = game.observe(s, 1)
    assert obs_b.actor == "b" and obs_b.own == PRESSURE and obs_b.opponent == THREAT
    assert obs_b.opponent_signal == WAR and obs_b.balance == -s.balance
    variables = game.observation_variables(obs_b)
    assert variables["opponent"] == 100.0 and variables["opponent_signal"] == 1000.0
    assert variables["losing"] is True
    assert "Threat" in game.describe_observation(obs_b)
