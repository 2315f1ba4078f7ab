"""Backward induction with beliefs: the incomplete-information models and the default scenario."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import escalab
from escalab.errors import ModelError
from escalab.solve.gambit_bridge import limit_outcome, to_gambit
from escalab.solve.sequential import pure_sequential_equilibria, sequential_equilibrium, solve_sequential, structure


def test_default_scenario_answers(exact_game):
    eq = sequential_equilibrium(exact_game("escalate-to-deescalate"))
    assert eq.choice("russia_decides") == "limited_use"
    assert eq.choice("us_decides|resolute") == "answer_in_kind"
    assert eq.choice("us_decides|irresolute") == "stop"
    assert eq.choice("russia_after_answer") == "stop"
    # expected payoff of Russia: 0.3 * (-16) + 0.7 * 8, exactly
    assert eq.payoffs["russia"] == Fraction(3, 10) * -16 + Fraction(7, 10) * 8
    assert eq.label == "resolute: limited_exchange; irresolute: us_stops"


def test_beliefs_follow_bayes_on_the_path_and_trembles_off_it(exact_game):
    eq = sequential_equilibrium(exact_game("escalate-to-deescalate"))
    # Russia's first move: the prior
    assert eq.beliefs["russia_decides"] == {"resolute": Fraction(3, 10), "irresolute": Fraction(7, 10)}
    # only the resolute type answers in kind: Bayes puts all weight on it
    assert eq.beliefs["russia_after_answer"] == {"resolute/limited_use/answer_in_kind": 1,
                                                 "irresolute/limited_use/answer_in_kind": 0}
    # nobody continues conventionally: both types deviate once, so the prior again
    assert eq.beliefs["russia_after_continue"] == {"resolute/limited_use/continue": Fraction(3, 10),
                                                   "irresolute/limited_use/continue": Fraction(7, 10)}


def test_beliefs_agree_with_pygambit_where_the_profile_reaches(exact_game):
    game = exact_game("escalate-to-deescalate")
    eq = sequential_equilibrium(game)
    gg = to_gambit(game)
    profile = gg.game.mixed_behavior_profile(rational=True)
    for info in game.infosets:
        for action in gg.infosets[info.index].actions:
            profile[action] = eq.behaviour[info.label][action.label]
    assert profile.max_regret() == 0  # a Nash equilibrium, as every sequential equilibrium is
    for info in game.infosets:
        if profile.infoset_prob(gg.infosets[info.index]) > 0:
            for n in info.nodes:
                assert Fraction(profile.belief(gg.nodes[n])) == eq.beliefs[info.label][game.nodes[n].id]


def test_m4_threshold_with_defaults_and_other_values(exact_game):
    # p* = (u_stopped - L) / (u_stopped - u_answered) = 15/20 with the defaults
    below = sequential_equilibrium(exact_game("incomplete-resolve", p=0.74))
    above = sequential_equilibrium(exact_game("incomplete-resolve", p=0.76))
    assert below.choice("russia_decides") == "limited_use"
    assert above.choice("russia_decides") == "accept"
    u_s, u_a, L = 8, -20, -6
    p_star = Fraction(u_s - L, u_s - u_a)  # 1/2
    for p, expect in ((p_star - Fraction(1, 100), "limited_use"), (p_star + Fraction(1, 100), "accept")):
        game = exact_game("incomplete-resolve", u_stopped=u_s, u_answered=u_a, L=L, p=float(p))
        assert sequential_equilibrium(game).choice("russia_decides") == expect


def test_m6_perfect_deterrence_threshold(exact_game):
    a_DD, a_SQ, a_DC = -4, 0, 6
    threshold = Fraction(a_DC - a_SQ, a_DC - a_DD)  # 3/5
    for p_hard, deterred in ((0.55, False), (0.65, True)):
        eq = sequential_equilibrium(exact_game("perfect-deterrence", a_DD=a_DD, a_SQ=a_SQ, a_DC=a_DC, p_hard=p_hard))
        assert eq.choice("b_decides|hard") == "resist"
        assert eq.choice("b_decides|soft") == "concede"
        assert (eq.choice("a_decides") == "no_challenge") is deterred
        assert (p_hard > threshold) is deterred


def _separating(eqs):
    return [e for e in eqs
            if e.choice("defender_resolute") == "signal" and e.choice("defender_irresolute") == "no_signal"]


@pytest.mark.parametrize("k_res,k_irr,V,expected", [
    (2, 8, 5, True),    # single crossing: k_resolute <= V <= k_irresolute
    (6, 8, 5, False),   # signalling costs the resolute type more than it gains
    (2, 4, 5, False),   # the irresolute type would mimic
    (0, 0, 5, False),   # cheap talk cannot separate
])
def test_m7_separating_pbe_iff_single_crossing(exact_game, k_res, k_irr, V, expected):
    game = exact_game("costly-signalling", k_resolute=k_res, k_irresolute=k_irr, V=V)
    separating = _separating(pure_sequential_equilibria(game))
    assert bool(separating) is expected
    if separating:
        eq = separating[0]
        assert eq.choice("after_signal") == "back_down" and eq.choice("after_no_signal") == "challenge"
        assert eq.beliefs["after_signal"]["resolute/signal"] == 1


def test_vectorised_equals_per_point_solution(default_scenario):
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 1, 60)
    c = rng.uniform(0, 20, 60)
    game = default_scenario.compile("sequential")
    sol = solve_sequential(game, {"p_resolute": p, "c_limited": c})
    codes, labels, _ = sol.labels()
    for i in range(60):
        point = default_scenario.with_params(p_resolute=float(p[i]), c_limited=float(c[i]))
        eq = sequential_equilibrium(point.compile("sequential", exact=True))
        assert labels[codes[i]] == eq.label
        for info in game.infosets:
            assert info.actions[int(sol.choice[info.index][i])] == eq.choice(info.label)


def test_every_array_of_a_solution_has_one_entry_per_point(default_scenario):
    """Payoffs constant over the grid are kept as one entry inside the passes; what a reader gets
    has one entry per point all the same, equal to the one-point solution at that point."""
    p = np.linspace(0.05, 0.95, 9)
    game = default_scenario.compile("sequential")
    sol = solve_sequential(game, {"p_resolute": p})          # most payoffs do not depend on p_resolute
    arrays = [*sol.choice.values(), *sol.ties.values(), *sol.beliefs.values(), *sol.reach.values(),
              *sol.payoffs, *(q for qs in sol.action_values.values() for q in qs)]
    assert all(np.shape(a) == (9,) for a in arrays)
    for i in (0, 4, 8):
        one = solve_sequential(game, {"p_resolute": p[i:i + 1]})
        assert [float(v[0]) for v in one.payoffs] == [float(v[i]) for v in sol.payoffs]
        assert {n: float(b[0]) for n, b in one.beliefs.items()} == {n: float(b[i]) for n, b in sol.beliefs.items()}
        assert {t: float(r[0]) for t, r in one.reach.items()} == {t: float(r[i]) for t, r in sol.reach.items()}


@pytest.mark.parametrize("name", ["escalate-to-deescalate", "beer-quiche", "chain-store"])
def test_a_solve_leaves_no_reference_cycles(name):
    """A pass's arrays are freed when the solution is dropped, not at the garbage collector's next
    pass: a recursive closure over the node values once kept ~150 MB of a big sweep alive."""
    import gc

    scenario = escalab.load(name)
    game = scenario.compile("sequential")
    values = {k: np.linspace(0.5, 1.5, 50) * float(v) for k, v in scenario.values.items()}
    solve_sequential(game, values)
    gc.collect()
    gc.disable()
    try:
        solve_sequential(game, values)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_vectorised_agrees_with_pygambit_on_sample_points(default_scenario):
    rng = np.random.default_rng(3)
    game = default_scenario.compile("sequential")
    p = rng.uniform(0, 1, 8)
    c = rng.uniform(0, 20, 8)
    sol = solve_sequential(game, {"p_resolute": p, "c_limited": c})
    codes, labels, _ = sol.labels()
    for i in range(8):
        theirs = limit_outcome(game, {"p_resolute": float(p[i]), "c_limited": float(c[i])})
        assert theirs.label == labels[codes[i]]


def test_structure_check_and_fallback_flag(exact_game):
    assert structure(exact_game("escalate-to-deescalate")).applies
    assert structure(exact_game("costly-signalling")).applies
    chicken = structure(exact_game("chicken"))
    assert not chicken.applies and "col_decides" in chicken.reason


def test_cycling_points_are_flagged_not_guessed():
    # matching pennies written as a tree: no pure equilibrium, the passes cannot settle
    text = """
escalab: 1
id: pennies
title: pennies
actors: {a: {name: A}, b: {name: B}}
sequential:
  root: a
  nodes:
    a: {actor: a, moves: {h: {next: bh}, t: {next: bt}}}
    bh: {actor: b, infoset: b, moves: {h: {outcome: hh}, t: {outcome: ht}}}
    bt: {actor: b, infoset: b, moves: {h: {outcome: th}, t: {outcome: tt}}}
  outcomes:
    hh: {payoffs: {a: 1, b: -1}}
    ht: {payoffs: {a: -1, b: 1}}
    th: {payoffs: {a: -1, b: 1}}
    tt: {payoffs: {a: 1, b: -1}}
"""
    game = escalab.loads(text).compile("sequential", exact=True)
    assert not bool(solve_sequential(game).converged[0])
    with pytest.raises(ModelError, match="does not settle"):
        sequential_equilibrium(game)
    assert pure_sequential_equilibria(game) == []
