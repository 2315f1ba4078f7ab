"""Every pure sequential equilibrium with its belief ranges, and the refinement labels, against
results from the literature (Cho-Kreps's Beer-Quiche, Selten's horse, Spence-style signalling,
the incomplete-information threshold of escalate-to-deescalate) and against pygambit."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import escalab
from escalab.errors import ModelError
from escalab.solve import gambit_bridge
from escalab.solve.assessments import (check_budget, is_nash, label_refinements, profile_of,
                                       pure_sequential_equilibria, sequential_equilibria, signal_game)


def _choices(eq) -> dict[str, str | None]:
    return {label: eq.choice(label) for label in eq.behaviour}


# ----------------------------------------------------------------------------- Beer-Quiche
def test_beer_quiche_has_two_pooling_families_and_no_separating_one(exact_game):
    eqs, note = sequential_equilibria(exact_game("beer-quiche"))
    assert "every pure-strategy" in note
    assert [e.path for e in eqs] == ["beer > no_duel", "quiche > no_duel"]
    beer, quiche = eqs
    # pooling: both types choose the same breakfast (so no separating equilibrium exists)
    for e, food in ((beer, "beer"), (quiche, "quiche")):
        assert e.choice("breakfast|weak") == e.choice("breakfast|strong") == food
    assert _choices(beer)["quiche"] == "duel" and _choices(quiche)["beer"] == "duel"
    # on the path: the prior, by Bayes' rule
    assert beer.beliefs["beer"] == {"weak/beer": Fraction(1, 10), "strong/beer": Fraction(9, 10)}
    # off the path: the receiver duels iff it believes the sender weak with probability >= 1/2
    (rng,) = [r for r in beer.belief_ranges if r.infoset == "quiche"]
    assert rng.interval == (Fraction(1, 2), Fraction(1)) and rng.group == ("weak/quiche",)
    assert rng.texts == ("belief weak|quiche >= 1/2",)
    (rng,) = [r for r in quiche.belief_ranges if r.infoset == "beer"]
    assert rng.texts == ("belief weak|beer >= 1/2",)


def test_beer_quiche_only_the_beer_pooling_passes_the_intuitive_criterion(exact_game):
    game = exact_game("beer-quiche")
    assert signal_game(game) is not None
    beer, quiche = sequential_equilibria(game)[0]
    assert beer.refinements == {"subgame_perfect": True, "sequential": True, "intuitive": True}
    assert quiche.refinements == {"subgame_perfect": True, "sequential": True, "intuitive": False}


def test_beer_quiche_with_a_weak_prior_above_one_half_has_no_pure_equilibrium(exact_game):
    """By hand, p_weak = 0.6: on the prior the receiver duels whatever it sees, so each type eats
    its preferred breakfast -- which reveals it, and then the weak type is better off drinking beer.
    No pure profile survives; the equilibrium is a hybrid (mixed) one, found as the logit limit."""
    game = exact_game("beer-quiche", p_weak=0.6)
    assert pure_sequential_equilibria(game) == []
    (eq,), note = sequential_equilibria(game)
    assert eq.method == "logit-limit" and "no pure-strategy sequential equilibrium" in note
    assert not eq.is_pure and eq.refinements["sequential"] is True


def test_beer_quiche_json_carries_exact_beliefs_and_machine_readable_ranges(invoke, tmp_path):
    out = tmp_path / "bq.json"
    r = invoke("solve", "beer-quiche", "--method", "sequential", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    assert "belief weak|quiche >= 1/2" in " ".join(r.stdout.split())
    beer = json.loads(out.read_text())["equilibria"][0]
    assert beer["beliefs"]["beer"] == {"weak/beer": "1/10", "strong/beer": "9/10"}
    assert "quiche" not in beer["beliefs"]
    rng = beer["belief_ranges"]["quiche"]
    assert rng["interval"] == {"nodes": ["weak/quiche"], "lo": "1/2", "hi": "1"}
    (c,) = rng["constraints"]
    # duel pays weak - strong, so it is a best reply iff belief(weak) - belief(strong) >= 0
    assert c == {"coefficients": {"weak/quiche": "1", "strong/quiche": "-1"}, "op": ">=", "rhs": "0"}
    assert beer["refinements"]["intuitive"] is True


# ----------------------------------------------------------------------------- Selten's horse
def test_seltens_horse_dcl_is_nash_but_not_sequential(exact_game):
    game = exact_game("seltens-horse")
    nash = [label_refinements(game, e) for e in gambit_bridge.nash(game, "enumpure").equilibria]
    dcl = [e for e in nash if e.path == "D > L"]
    assert len(dcl) == 1
    # the horse has no proper subgame (player 3's set straddles both branches), so subgame
    # perfection cannot rule (D, c, L) out; sequential rationality at player 2's node does
    assert dcl[0].refinements == {"subgame_perfect": True, "sequential": False, "intuitive": None}
    sigma, _ = profile_of(game, dcl[0])
    assert is_nash(game, sigma)


def test_seltens_horse_sequential_equilibria_rest_on_player_3_doubting_a_dropout(exact_game):
    game = exact_game("seltens-horse")
    eqs = pure_sequential_equilibria(game)
    assert {tuple(_choices(e).values()) for e in eqs} == {("C", "c", "R"), ("C", "d", "R")}
    ccr = next(e for e in eqs if e.choice("p2_decides") == "c")
    # R beats L iff belief(after D) * 2 <= belief(after C, d) * 1, i.e. belief(after D) <= 1/3
    (rng,) = [r for r in ccr.belief_ranges if r.infoset == "p3_decides"]
    assert rng.texts == ("belief D|p3_decides <= 1/3",)
    assert rng.interval == (0, Fraction(1, 3))


@pytest.mark.parametrize("name", ["beer-quiche", "seltens-horse"])
def test_credibility_works_on_games_the_vectorised_solver_cannot_settle(invoke, name):
    r = invoke("solve", name, "--credibility")
    assert r.exit_code == 0, r.stderr
    assert "credible?" in r.stdout


def test_seltens_horse_credibility_calls_player_2s_c_empty(exact_game):
    from escalab.solve.credibility import credibility
    report = credibility(exact_game("seltens-horse"))
    c = [t for t in report.threats if t.infoset == "p2_decides" and t.action == "c"]
    assert [(t.credible, t.gap) for t in c] == [(False, -3.0)]      # 1 against 4 once there
    r = [t for t in report.threats if t.infoset == "p3_decides" and t.action == "R"]
    assert r[0].credible and r[0].support == ("belief D|p3_decides <= 1/3",)


# ----------------------------------------------------------------------------- costly signalling
def test_costly_signalling_separating_equilibrium_is_found_intuitive_and_ranked_first(exact_game):
    """Defaults k_resolute = 2 <= V = 5 <= k_irresolute = 8: the single-crossing condition holds."""
    eqs, _ = sequential_equilibria(exact_game("costly-signalling"))
    first = eqs[0]
    assert first.choice("defender_resolute") == "signal" and first.choice("defender_irresolute") == "no_signal"
    assert first.choice("after_signal") == "back_down" and first.choice("after_no_signal") == "challenge"
    assert first.refinements["intuitive"] is True
    pooling = [e for e in eqs if e.choice("defender_resolute") == e.choice("defender_irresolute")]
    assert pooling and all(e.refinements["intuitive"] is False for e in pooling)


def test_costly_signalling_without_single_crossing_has_no_separating_equilibrium(exact_game):
    eqs, _ = sequential_equilibria(exact_game("costly-signalling", k_irresolute=4))   # V = 5 > 4
    assert not [e for e in eqs if e.choice("defender_resolute") != e.choice("defender_irresolute")]


def test_solve_reports_the_separating_equilibrium_first(invoke, tmp_path):
    out = tmp_path / "cs.json"
    r = invoke("solve", "costly-signalling", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    first = json.loads(out.read_text())["equilibria"][0]
    assert first["path"] == "resolute: signal > back_down; irresolute: no_signal > challenge"


# ----------------------------------------------------------------------------- E2DE threshold
def test_e2de_incomplete_information_threshold_is_exact(exact_game):
    """Russia uses limited weapons iff p < p* = (u_stopped - L) / (u_stopped - u_answered) = 3/4
    (defaults); exactly at p* it is indifferent, and both choices are sequential equilibria."""
    def russia(p):
        return {e.choice("russia_decides") for e in pure_sequential_equilibria(exact_game("escalate-to-deescalate",
                                                                                           p_resolute=p))}
    assert russia(Fraction(3, 4) - Fraction(1, 10**6)) == {"limited_use"}
    assert russia(Fraction(3, 4)) == {"limited_use", "accept"}
    assert russia(Fraction(3, 4) + Fraction(1, 10**6)) == {"accept"}


def test_a_fraction_on_the_command_line_keeps_the_exact_tie(invoke, tmp_path):
    """With L = -3 and u_answered = -6, p* = (5 + 3) / (5 + 6) = 8/11, which no float equals."""
    out = tmp_path / "t.json"
    r = invoke("solve", "incomplete-resolve", "--set", "L=-3", "--set", "u_answered=-6", "--set", "p=8/11",
               "--method", "sequential", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    eqs = json.loads(out.read_text())["equilibria"]
    assert {e["behaviour"]["russia_decides"]["accept"] for e in eqs} == {0.0, 1.0}
    assert {e["ties"].get("russia_decides") is None for e in eqs}
    floats = escalab.load("incomplete-resolve").with_params(L=-3, u_answered=-6, p=8 / 11)
    assert len(pure_sequential_equilibria(floats.compile("sequential", exact=True))) == 1


# ----------------------------------------------------------------------------- budgets and input
def test_enumeration_refuses_over_budget_naming_the_limit(exact_game):
    game = exact_game("escalate-to-deescalate")
    with pytest.raises(ModelError, match=r"128 pure behaviour profiles.*limited to 100.*--max-profiles 128"):
        check_budget(game, 100)


def test_over_budget_exits_2(invoke):
    r = invoke("solve", "--method", "sequential", "--max-profiles", "10")
    assert r.exit_code == 2 and "--max-profiles" in r.stderr


def test_a_game_with_only_mixed_equilibria_gets_the_logit_limit_labelled():
    text = """
escalab: 1
id: pennies
title: matching pennies in sequence, the second player blind
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
    assert pure_sequential_equilibria(game) == []
    (eq,), note = sequential_equilibria(game)
    assert eq.method == "logit-limit" and "logit" in note
    assert eq.behaviour["a"]["h"] == pytest.approx(0.5, abs=1e-3)
    assert eq.refinements["sequential"] is True


def test_the_empty_threat_of_m1_is_labelled_neither_subgame_perfect_nor_sequential(exact_game):
    """M1 with v = 1, c_D = 3: (status quo, resist) is Nash, but resisting costs 3 against 1."""
    game = exact_game("deterrence-game", v=1, c_C=2, c_D=3)
    labelled = {e.label: e.refinements for e in
                (label_refinements(game, e) for e in gambit_bridge.nash(game, "enumpure").equilibria)}
    assert labelled["status_quo"] == {"subgame_perfect": False, "sequential": False, "intuitive": None}
    assert labelled["defender_concedes"] == {"subgame_perfect": True, "sequential": True, "intuitive": None}
