"""The compiled sequential game: Harsanyi expansion, information sets, payoffs, the GameState protocol."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from escalab import load, loads
from escalab.errors import ModelError
from escalab.model import CHANCE, TERMINAL, ExtensiveGame

FILES = Path(__file__).parents[1] / "scenario" / "files"


@pytest.fixture(scope="module")
def game() -> ExtensiveGame:
    return load("escalate-to-deescalate").compile()


def test_default_compiles_to_sequential(game: ExtensiveGame) -> None:
    assert isinstance(game, ExtensiveGame)
    assert game.players == ("russia", "us")
    assert game.info.has_chance and not game.info.perfect_information
    assert game.info.num_terminals == len(game.terminals()) == 14
    assert game.info.min_payoff == -100 and game.info.max_payoff == 8


def test_harsanyi_root_draws_the_us_type(game: ExtensiveGame) -> None:
    root = game.root
    assert root.kind == "chance" and root.source == "types"
    assert root.actions == ("resolute", "irresolute")
    assert root.probs == pytest.approx((0.3, 0.7))
    assert [e.source for e in game.prob_exprs[0]] == ["p_resolute", "1 - p_resolute"]
    exact = load("escalate-to-deescalate").compile(exact=True)
    assert exact.root.probs == (Fraction(3, 10), Fraction(7, 10))


def test_russia_cannot_see_the_us_type(game: ExtensiveGame) -> None:
    russia = game.player_index("russia")
    for infoset in game.infosets:
        if infoset.player == russia:
            types = {dict(game.nodes[n].type_profile)["us"] for n in infoset.nodes}
            assert types == {"resolute", "irresolute"}, infoset.label
            assert infoset.own_type is None
    labels = {s.label for s in game.infosets if s.player == russia}
    assert labels == {"russia_decides", "russia_after_continue", "russia_after_answer"}


def test_us_information_sets_split_by_type(game: ExtensiveGame) -> None:
    us = game.player_index("us")
    sets = [s for s in game.infosets if s.player == us]
    assert sorted(s.label for s in sets) == ["us_decides|irresolute", "us_decides|resolute"]
    for s in sets:
        assert len(s.nodes) == 1
        assert dict(game.nodes[s.nodes[0]].type_profile)["us"] == s.own_type


def test_payoffs_depend_on_type(game: ExtensiveGame) -> None:
    resolute = game.node_at(["resolute", "limited_use", "answer_in_kind", "stop"])
    irresolute = game.node_at(["irresolute", "limited_use", "answer_in_kind", "stop"])
    assert resolute.outcome == irresolute.outcome == "limited_exchange"
    assert resolute.payoffs == (-16.0, 1.0)    # us: stake_us - c_limited
    assert irresolute.payoffs == (-16.0, -7.0)  # us: stake_us - fear_irresolute * c_limited
    assert game.node_at(["resolute", "accept"]).payoffs == (-10.0, 5.0)


def test_rungs_are_kept_per_action(game: ExtensiveGame) -> None:
    node = game.node_at(["resolute"])
    assert dict(zip(node.actions, node.rungs)) == {"accept": "minimal_concession",
                                                    "limited_use": "limited_nuclear_use"}


def test_game_state_protocol(game: ExtensiveGame) -> None:
    state = game.new_initial_state()
    assert state.is_chance_node() and state.current_player() == CHANCE
    assert [a for a, _ in state.chance_outcomes()] == ["resolute", "irresolute"]
    state = state.apply_action("irresolute")
    assert state.current_player() == game.player_index("russia")
    assert state.legal_actions() == ("accept", "limited_use")
    assert state.information_state_string() == "russia_decides"
    state = state.apply_action("limited_use")
    assert state.information_state_string() == "us_decides|irresolute"
    assert state.legal_actions() == ("stop", "continue", "answer_in_kind", "escalate")
    end = state.apply_action("stop")
    assert end.is_terminal() and end.current_player() == TERMINAL
    assert end.returns() == (8.0, -5.0)
    assert end.outcome() == "us_stops"
    assert end.history() == ("irresolute", "limited_use", "stop")
    assert state.legal_actions() == ("stop", "continue", "answer_in_kind", "escalate")  # states are immutable


def test_protocol_errors_are_model_errors(game: ExtensiveGame) -> None:
    state = game.new_initial_state()
    with pytest.raises(ModelError, match="illegal action 'nuke'"):
        state.apply_action("nuke")
    with pytest.raises(ModelError, match="not terminal"):
        state.returns()
    with pytest.raises(ModelError, match="not a decision node"):
        state.information_state_string()
    with pytest.raises(ModelError, match="not a chance node"):
        state.apply_action("resolute").chance_outcomes()
    with pytest.raises(ModelError):
        game.node_at(["resolute", "surrender"])
    with pytest.raises(ModelError, match="unknown player"):
        game.player_index("china")


def test_vectorised_evaluation(game: ExtensiveGame) -> None:
    p = np.linspace(0, 1, 11)
    pay, probs = game.evaluate({"p_resolute": p, "stake_r": np.array([[10.0], [20.0]])})
    np.testing.assert_allclose(probs[0][0], p)
    np.testing.assert_allclose(probs[0][1], 1 - p)
    accept = game.node_at(["resolute", "accept"]).index
    np.testing.assert_allclose(np.asarray(pay[accept][0]).ravel(), [-10.0, -20.0])


def test_chance_inside_the_tree_and_two_typed_actors() -> None:
    text = """escalab: 1
id: two-types
title: Two actors with types and a chance move
parameters:
  p: {default: 0.25}
  q: {default: 0.5}
actors:
  a: {name: A, types: {hawk: p, dove: 1 - p}}
  b: {name: B, types: {strong: q, weak: 1 - q}}
sequential:
  root: storm
  nodes:
    storm:
      chance:
        calm: {prob: 0.75, next: a_moves}
        crisis: {prob: 0.25, outcome: accident}
    a_moves:
      actor: a
      moves: {push: {next: b_moves}, wait: {outcome: quiet}}
    b_moves:
      actor: b
      moves: {yield: {outcome: win_a}, resist: {outcome: fight}}
  outcomes:
    accident: {payoffs: {a: -1, b: -1}}
    quiet: {payoffs: {a: 0, b: 0}}
    win_a: {payoffs: {a: {hawk: 2, dove: 1}, b: -1}}
    fight: {payoffs: {a: {hawk: 1, dove: -2}, b: {strong: 1, weak: -3}}}
"""
    g = loads(text, "two.yaml").compile()
    assert g.root.actions == ("a:hawk,b:strong", "a:hawk,b:weak", "a:dove,b:strong", "a:dove,b:weak")
    assert sum(g.root.probs) == pytest.approx(1)
    assert g.root.probs[0] == pytest.approx(0.125)
    storm = g.node_at(["a:hawk,b:strong"])
    assert storm.kind == "chance" and storm.probs == pytest.approx((0.75, 0.25))
    a_sets = [s for s in g.infosets if s.player == 0]
    b_sets = [s for s in g.infosets if s.player == 1]
    assert sorted(s.label for s in a_sets) == ["a_moves|dove", "a_moves|hawk"]
    assert all(len(s.nodes) == 2 for s in a_sets + b_sets)  # each side is unsure of the other's type
    fight = g.node_at(["a:dove,b:weak", "calm", "push", "resist"])
    assert fight.payoffs == (-2.0, -3.0)
    exact = loads(text, "two.yaml").compile(exact=True)
    assert exact.root.probs[0] == Fraction(1, 8)


def test_shared_infoset_without_types() -> None:
    text = (FILES / "base.yaml").read_text()
    g = loads(text, "b.yaml", FILES).compile()
    assert len(g.infosets) == 3
    with pytest.raises(ModelError, match="no ladder form"):
        loads(text, "b.yaml", FILES).compile("ladder")
