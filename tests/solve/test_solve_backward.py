"""Backward induction on perfect-information games: the textbook results, ties, exactness."""

from __future__ import annotations

from fractions import Fraction

import pytest

import escalab
from escalab.errors import ModelError
from escalab.solve.backward import subgame_perfect
from escalab.solve.sequential import sequential_equilibrium


def test_m1_deterrence_spe_is_challenge_concede(exact_game):
    result = subgame_perfect(exact_game("deterrence-game", v=1, c_C=2, c_D=3))
    eq = result.equilibrium
    assert eq.choice("challenger_decides") == "challenge"
    assert eq.choice("defender_decides") == "concede"
    assert eq.label == "defender_concedes"
    assert eq.payoffs == {"challenger": Fraction(1), "defender": Fraction(-1)}
    assert result.ties == ()


def test_m1_defender_resists_when_conflict_is_cheaper_than_conceding(exact_game):
    eq = subgame_perfect(exact_game("deterrence-game", v=3, c_C=2, c_D=1)).equilibrium
    assert eq.choice("defender_decides") == "resist"
    assert eq.choice("challenger_decides") == "status_quo"


def test_exact_tie_is_reported_with_every_maximiser(exact_game):
    result = subgame_perfect(exact_game("deterrence-game", v=2, c_C=2, c_D=2))
    tie = result.choice_at("challenge")
    assert tie.maximisers == ("concede", "resist")
    assert tie.action == "concede"
    assert result.equilibrium.ties == {"defender_decides": ("concede", "resist")}


def test_off_path_choices_are_part_of_the_profile(exact_game):
    result = subgame_perfect(exact_game("deterrence-game", v=3, c_C=2, c_D=1))
    defender = result.choice_at("challenge")
    assert defender.on_path is False and defender.action == "resist"


def test_m3_spe_path_and_removing_answer_in_kind(exact_game):
    with_option = subgame_perfect(exact_game("e2d-perfect-information")).equilibrium
    # defaults: Russia stops after an answer (a_R=-12 > e_R=-20), so the US answers (-3 > -5)
    assert with_option.choice("russia_after_answer") == "stop"
    assert with_option.choice("us_decides") == "answer_in_kind"
    assert with_option.path == "accept"
    without = subgame_perfect(exact_game("e2d-perfect-information-no-low-yield")).equilibrium
    assert "answer_in_kind" not in without.behaviour["us_decides"]
    assert without.path == "limited_use > stop"
    assert without.label == "us_stops"


def test_m3_russia_escalates_after_answer_iff_e_r_above_a_r(exact_game):
    eq = subgame_perfect(exact_game("e2d-perfect-information", e_R=-11)).equilibrium
    assert eq.choice("russia_after_answer") == "escalate"
    # then answering costs the US e_US=-30 < -G: it stops, and limited use pays
    assert eq.choice("us_decides") == "stop"
    assert eq.path == "limited_use > stop"


def test_m8_chain_store_every_entrant_enters_and_monopolist_cooperates(exact_game):
    result = subgame_perfect(exact_game("chain-store"))
    eq = result.equilibrium
    game = exact_game("chain-store")
    for choice in result.choices:
        expected = "cooperate" if choice.actor == "monopolist" else "enter"
        assert choice.action == expected, choice
    assert eq.path == "enter > cooperate > enter > cooperate > enter > cooperate"
    assert eq.payoffs["monopolist"] == 3 * 2
    assert all(eq.payoffs[f"entrant_{k}"] == 2 for k in (1, 2, 3))
    assert len(result.choices) == sum(1 for n in game.nodes if n.kind == "decision")


def test_chance_nodes_are_averaged_exactly(exact_game):
    # brinkmanship: general war with probability r at every step; values must be exact rationals
    result = subgame_perfect(exact_game("brinkmanship"))
    root_value = result.node_values["root"]
    assert all(isinstance(v, Fraction) for v in root_value)
    float_result = subgame_perfect(escalab.load("brinkmanship").compile("sequential"))
    assert [c.action for c in float_result.choices] == [c.action for c in result.choices]
    assert float(root_value[0]) == pytest.approx(float_result.node_values["root"][0], abs=1e-12)


def test_exact_and_float_agree_on_default_core(exact_game):
    exact = subgame_perfect(exact_game("e2d-perfect-information"))
    flt = subgame_perfect(escalab.load("e2d-perfect-information").compile("sequential"))
    assert [c.action for c in exact.choices] == [c.action for c in flt.choices]
    assert {a: float(v) for a, v in exact.equilibrium.payoffs.items()} == flt.equilibrium.payoffs


def test_exact_distinguishes_what_floats_cannot():
    # 0.1 + 0.2 versus 0.3: exactly a tie, in floats a difference of one ulp
    text = """
escalab: 1
id: ulp
title: ulp
parameters: {a: {default: 0.1}, b: {default: 0.2}, c: {default: 0.3}}
actors: {p: {name: P}}
sequential:
  root: n
  nodes:
    n: {actor: p, moves: {x: {outcome: ox}, y: {outcome: oy}}}
  outcomes:
    ox: {payoffs: {p: a + b}}
    oy: {payoffs: {p: c}}
"""
    s = escalab.loads(text)
    exact = subgame_perfect(s.compile(exact=True))
    assert exact.choice_at("root").maximisers == ("x", "y")
    assert 0.1 + 0.2 != 0.3  # the float game sees no tie; the tolerance in the float solver does
    assert subgame_perfect(s.compile()).choice_at("root").maximisers == ("x", "y")


def test_imperfect_information_is_refused_with_a_pointer(exact_game):
    with pytest.raises(ModelError, match="not a game of perfect information"):
        subgame_perfect(exact_game("chicken"))


def test_vectorised_solver_agrees_with_backward_induction(exact_game):
    for name in ("deterrence-game", "e2d-perfect-information", "chain-store", "brinkmanship"):
        game = exact_game(name)
        bi = subgame_perfect(game).equilibrium
        seq = sequential_equilibrium(game)
        assert seq.behaviour == bi.behaviour, name
        assert seq.payoffs == bi.payoffs, name
