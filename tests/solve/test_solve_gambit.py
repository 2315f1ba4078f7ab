"""The pygambit bridge: Nash equilibria, logit QRE, mapping back to escalab ids."""

from __future__ import annotations

from fractions import Fraction

import pytest

from escalab.errors import ModelError, UsageError
from escalab.solve.gambit_bridge import nash, qre, qre_path


def _pure(eq):
    return {i: eq.choice(i) for i in eq.behaviour}


def test_m1_nash_includes_the_empty_threat(exact_game):
    res = nash(exact_game("deterrence-game", v=1, c_C=2, c_D=3), "enumpure")
    profiles = [_pure(e) for e in res.equilibria]
    assert {"challenger_decides": "challenge", "defender_decides": "concede"} in profiles
    assert {"challenger_decides": "status_quo", "defender_decides": "resist"} in profiles
    assert len(profiles) == 2
    assert res.method == "nash:enumpure"


def test_m2_chicken_three_equilibria_and_the_mixed_one(exact_game):
    T, R, S, P = 1, 0, -1, -10
    res = nash(exact_game("chicken", T=T, R=R, S=S, P=P), "enummixed")
    assert len(res.equilibria) == 3
    pure = [e for e in res.equilibria if e.is_pure]
    assert sorted(e.label for e in pure) == ["col_wins", "row_wins"]
    mixed = [e for e in res.equilibria if not e.is_pure]
    assert len(mixed) == 1
    q = Fraction(T - R, T - R + S - P)
    assert q == Fraction(1, 10)
    m = mixed[0]
    assert m.behaviour["row_decides"]["straight"] == q
    assert m.behaviour["col_decides"]["straight"] == q
    assert m.outcomes["straight/straight"] == q * q == Fraction(1, 100)


def test_m2_chicken_other_payoffs(exact_game):
    T, R, S, P = 5, 3, 1, -3
    res = nash(exact_game("chicken", T=T, R=R, S=S, P=P), "enummixed")
    mixed = [e for e in res.equilibria if not e.is_pure]
    assert mixed[0].behaviour["row_decides"]["straight"] == Fraction(T - R, T - R + S - P)


def test_beliefs_in_simultaneous_move_follow_the_mixed_strategy(exact_game):
    res = nash(exact_game("chicken"), "enummixed")
    m = [e for e in res.equilibria if not e.is_pure][0]
    assert m.beliefs["col_decides"] == {"swerve": Fraction(9, 10), "straight": Fraction(1, 10)}


def test_lcp_on_the_tree_returns_a_nash_equilibrium(exact_game):
    res = nash(exact_game("escalate-to-deescalate"), "lcp")
    assert len(res.equilibria) >= 1
    assert "sequence form" in res.note


def test_two_player_methods_refuse_more_players(exact_game):
    with pytest.raises(ModelError, match="two-player"):
        nash(exact_game("chain-store"), "enummixed")


def test_strategic_form_methods_refuse_huge_games(exact_game):
    with pytest.raises(ModelError, match="pure strategy profiles"):
        nash(exact_game("chain-store"), "enumpure")
    res = nash(exact_game("chain-store"), "logit")
    assert res.equilibria[0].label == "o_ccc"


def test_unknown_method(exact_game):
    with pytest.raises(UsageError, match="unknown Nash method"):
        nash(exact_game("chicken"), "simplex")


def test_qre_at_lambda_is_interior_and_moves_towards_the_spe(exact_game):
    game = exact_game("deterrence-game")
    low = qre(game, 0.5)
    high = qre(game, 20.0)
    assert low.extra["lambda"] == pytest.approx(0.5)
    for acts in low.behaviour.values():
        assert all(0 < p < 1 for p in acts.values())
    for eq in (low, high):
        for acts in eq.behaviour.values():
            assert sum(acts.values()) == pytest.approx(1)
    assert high.behaviour["defender_decides"]["concede"] > low.behaviour["defender_decides"]["concede"]
    assert high.behaviour["defender_decides"]["concede"] > 0.99
    # every information set is reached under a QRE, so beliefs are defined everywhere
    assert all(b is not None for b in high.beliefs.values())


def test_qre_beliefs_are_bayes_over_types(exact_game):
    eq = qre(exact_game("escalate-to-deescalate"), 1.0)
    b = eq.beliefs["russia_decides"]
    assert b["resolute"] == pytest.approx(0.3) and b["irresolute"] == pytest.approx(0.7)
    after = eq.beliefs["russia_after_answer"]
    assert sum(after.values()) == pytest.approx(1)
    # the resolute type answers more often, so Russia's posterior after an answer rises above the prior
    assert after["resolute/limited_use/answer_in_kind"] > 0.3


def test_qre_at_zero_is_uniform(exact_game):
    eq = qre(exact_game("chicken"), 0)
    assert eq.behaviour["row_decides"] == {"swerve": 0.5, "straight": 0.5}


def test_qre_path_at_given_lambdas_and_whole_branch(exact_game):
    game = exact_game("deterrence-game")
    pts = qre_path(game, [0.1, 1.0, 10.0])
    assert [p.extra["lambda"] for p in pts] == pytest.approx([0.1, 1.0, 10.0])
    concede = [p.behaviour["defender_decides"]["concede"] for p in pts]
    assert concede == sorted(concede)
    branch = qre_path(game)
    assert len(branch) > 3 and branch[-1].extra["lambda"] > branch[0].extra["lambda"]
    with pytest.raises(UsageError):
        qre_path(game, [0.0])


@pytest.mark.timeout(30)
@pytest.mark.parametrize("lam", [float("inf"), float("nan"), -1.0, 1e308, 1e7])
def test_qre_rejects_lambdas_pygambit_cannot_reach(exact_game, lam):
    # Regression: an infinite lambda passed the ">= 0" check and pygambit's path following never ended;
    # a finite 1e308 did not end either (issue 23), and 10^12 took a minute.
    with pytest.raises(UsageError, match="a number from 0 to 1e[+]06"):
        qre(exact_game("deterrence-game"), lam)
    with pytest.raises(UsageError, match="> 0 and at most 1e[+]06"):
        qre_path(exact_game("deterrence-game"), [1.0, lam])


def test_qre_profile_is_a_logit_fixed_point_at_every_information_set(exact_game):
    """The profile rebuilt from pygambit's flat QRE entries, mapped back to our ids, must be the logit
    response to its own action values at every information set (values computed by pygambit from the
    profile, with its beliefs): p(a) = exp(lam v(a)) / sum_b exp(lam v(b))."""
    import math

    from escalab.solve.gambit_bridge import to_gambit

    game = exact_game("escalate-to-deescalate")
    lam = 0.7
    eq = qre(game, lam)
    gg = to_gambit(game)
    profile = gg.game.mixed_behavior_profile()
    for info in game.infosets:
        for action in gg.infosets[info.index].actions:
            profile[action] = eq.behaviour[info.label][action.label]
    for info in game.infosets:
        actions = list(gg.infosets[info.index].actions)
        values = [float(profile.action_value(a)) for a in actions]
        top = max(values)
        weights = [math.exp(lam * (v - top)) for v in values]
        for a, w in zip(actions, weights):
            assert eq.behaviour[info.label][a.label] == pytest.approx(w / sum(weights), abs=1e-6), \
                (info.label, a.label)


def test_float_chance_probabilities_that_miss_one_by_an_ulp_reach_gambit():
    """Regression: with --float and p_resolute=0.7 the chance node is (0.7, 0.30000000000000004); the
    decimals sum to 1.00000000000000004 and pygambit refused them (exit 1). At the compiled values
    the bridge must make them sum to one as it already did for swept values."""
    import escalab
    from escalab.solve.gambit_bridge import to_gambit

    game = escalab.load("escalate-to-deescalate").with_params(p_resolute=0.7).compile("sequential")
    assert sum(Fraction(repr(p)) for p in game.nodes[0].probs) != 1     # the float problem is real
    gg = to_gambit(game)
    assert [a.prob for a in gg.game.root.infoset.actions] == [Fraction(7, 10), Fraction(3, 10)]
    assert len(nash(game, "lcp").equilibria) == 1
    # p = 0.7 is below p* = 3/4: the sequential equilibrium, a Nash equilibrium, has Russia use limited weapons
    labels = [e.label for e in nash(game, "enumpure").equilibria]
    assert "resolute: limited_exchange; irresolute: us_stops" in labels
