"""A finite war of attrition with a possibly tough defender (Kreps and Wilson 1982; Fudenberg and
Tirole 1991, ch. 6 style), whose perfect Bayesian equilibrium is derived here by hand with exact
rationals and checked against escalab's ladder equilibrium, its exact outcome distribution and its
Monte Carlo.

Each turn both sides concede (C) or fight (F) at once (files/war-of-attrition.yaml): conceding alone
is capitulation, both conceding settle, both fighting go on at a cost of 1/2 per turn for each; the
tough defender gains by fighting whatever happens, so it always fights. Measured from the cost
already sunk, the challenger a gets 1 from a settlement, -1 from capitulating, 0 when the defender
capitulates and 0 at the turn limit; the normal defender 1/2, 1, 0 and -1/2. No stage game has a pure
equilibrium on the path, so with μ = P(tough), x = P(normal concedes) (1 - μ), q = P(a concedes)
and W_a, W_n the values of going on after both fight:

    a indifferent:       -1 + 2x = (1 - x) W_a            =>  x = (1 + W_a) / (2 + W_a)
    normal indifferent:  q / 2 = q + (1 - q) W_n          =>  q = -W_n / (1/2 - W_n)
    Bayes' rule after both fight:  μ' = μ / (1 - x)

and the values a: -1 + 2x, normal: q / 2, tough: q + (1 - q) W_t do not depend on μ, so the
recursion runs backwards from W_a = 0, W_n = -1/2, W_t = 0 at the turn limit. With p_tough = 1/5
the posteriors are 7/30 and 7/20, points of the belief grid of sixtieths, so the comparison is exact.
"""

from __future__ import annotations

import math
from fractions import Fraction as Fr
from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.simulate import Crisis
from escalab.simulate.private_types import TypeTrack

WAR = Path(__file__).parent / "files" / "war-of-attrition.yaml"
PRIOR, COST, TURNS = Fr(1, 5), Fr(1, 2), 3
EQ = {"a": "equilibrium", "d": "equilibrium"}


def hand_equilibrium() -> list[dict[str, Fr]]:
    """Per turn: belief μ, P(normal concedes) p, P(a concedes) q; the values at the start of turn 0."""
    W_a, W_n, W_t = Fr(0), Fr(-1, 2), Fr(0)
    back = []
    for _ in range(TURNS):
        x = (1 + W_a) / (2 + W_a)
        q = -W_n / (Fr(1, 2) - W_n)
        V_a, V_n, V_t = -1 + 2 * x, q / 2, q + (1 - q) * W_t
        back.append({"x": x, "q": q, "V_a": V_a, "V_n": V_n, "V_t": V_t})
        W_a, W_n, W_t = V_a - COST, V_n - COST, V_t
    turns = back[::-1]
    mu = PRIOR
    for row in turns:
        row["mu"], row["p"] = mu, row["x"] / (1 - mu)
        assert 0 < row["p"] < 1 and 0 < row["q"] < 1
        mu = mu / (1 - row["x"])
    return turns


def hand_outcomes(turns: list[dict[str, Fr]]) -> dict[str, Fr]:
    out = dict.fromkeys(("settlement", "a_capitulates", "d_capitulates", "strategic_war", "turn_limit"), Fr(0))
    tough, normal = PRIOR, 1 - PRIOR            # the mass of each type still fighting
    for row in turns:
        p, q = row["p"], row["q"]
        out["a_capitulates"] += tough * q + normal * q * (1 - p)
        out["settlement"] += normal * q * p
        out["d_capitulates"] += normal * (1 - q) * p
        tough, normal = tough * (1 - q), normal * (1 - q) * (1 - p)
    out["turn_limit"] = tough + normal
    return out


def test_the_hand_derivation_is_the_textbook_one():
    turns = hand_equilibrium()
    assert [r["mu"] for r in turns] == [Fr(1, 5), Fr(7, 30), Fr(7, 20)]
    assert [r["p"] for r in turns] == [Fr(5, 28), Fr(10, 23), Fr(10, 13)]
    assert [r["q"] for r in turns] == [Fr(2, 5), Fr(1, 3), Fr(1, 2)]
    assert sum(hand_outcomes(turns).values()) == 1


@pytest.fixture(scope="module")
def war() -> Crisis:
    return Crisis.of(escalab.load(str(WAR)))


def test_escalab_ladder_equilibrium_is_the_hand_derived_one(war: Crisis):
    eq = war.factory.equilibrium
    a, game = war.arrays, war.game
    assert eq.unsettled == 0 and eq.epsilon <= 1e-9 and eq.mixed_stage_games > 0
    G, Gp = a.grid, a.grid + 1
    F = game.index("fight")
    concede = [list(a.allowed[i]).index(game.index("concede")) for i in (0, 1)]
    tough, normal = a.type_names.index("tough"), a.type_names.index("normal")
    for t, row in enumerate(hand_equilibrium()):
        g = row["mu"] * G
        assert g.denominator == 1                       # the posterior is a grid point
        at = (t, np.array([F]), np.array([F]), np.array([0]), np.array([F]))
        s_a = eq.strategy[0].rows(*at, np.array([int(g)]))[0]
        s_tough = eq.strategy[1].rows(*at, np.array([tough * Gp + int(g)]))[0]
        s_normal = eq.strategy[1].rows(*at, np.array([normal * Gp + int(g)]))[0]
        assert s_a[concede[0]] == pytest.approx(float(row["q"]), abs=1e-9), t
        assert s_normal[concede[1]] == pytest.approx(float(row["p"]), abs=1e-9), t
        assert s_tough[concede[1]] == pytest.approx(0.0, abs=1e-12), t
    first = hand_equilibrium()[0]
    v_d = PRIOR * first["V_t"] + (1 - PRIOR) * first["V_n"]
    assert (first["V_a"], v_d) == (Fr(-5, 7), Fr(8, 25))
    assert eq.value() == pytest.approx((float(first["V_a"]), float(v_d)), abs=1e-9)


def test_bayes_rule_in_simulation_moves_the_belief_as_by_hand(war: Crisis):
    # After both fight at turn 0, the simulation's Bayes' rule (the engines' shared rule) under the
    # equilibrium lands exactly on the hand posterior 7/30, with no lottery.
    a = war.arrays
    track = TypeTrack.of(a, war.policies(EQ))
    F = war.game.index("fight")
    one = np.array([F])
    lo, w = track.lottery(0, one, one, np.array([0]), one, np.array([12]), one)
    assert (int(lo[0]), float(w[0])) == (14, 0.0)


def test_exact_outcome_distribution_is_the_hand_derived_one(war: Crisis):
    hand = hand_outcomes(hand_equilibrium())
    exact = war.exact(EQ)
    for e, p in hand.items():
        assert exact.endings[e].p == pytest.approx(float(p), abs=1e-9), e
    turns = hand_equilibrium()
    assert exact.payoffs["a"] == pytest.approx(float(turns[0]["V_a"]), abs=1e-9)


def test_monte_carlo_is_within_its_confidence_interval_of_the_hand_derivation(war: Crisis):
    hand = hand_outcomes(hand_equilibrium())
    runs = 200_000
    mc = war.monte_carlo(EQ, runs=runs, seed=11)
    for e, p in hand.items():
        se = math.sqrt(float(p * (1 - p)) / runs)
        assert abs(mc.endings[e].p - float(p)) <= 4 * se + 1e-12, (e, mc.endings[e].p, float(p))
    assert abs(mc.payoffs["a"] - float(hand_equilibrium()[0]["V_a"])) <= 4 * mc.payoff_se["a"]


def _with_grid(prior: float, grid: int) -> Crisis:
    from dataclasses import replace

    s = escalab.load(str(WAR)).with_params(p_tough=prior)
    lc = s.spec.ladder_crisis.model_copy(update={"belief_grid": grid})
    return Crisis.of(replace(s, spec=s.spec.model_copy(update={"ladder_crisis": lc})))


def test_the_grid_error_is_nil_where_the_posteriors_are_grid_points(war: Crisis):
    err = war.factory.equilibrium.grid_error()
    assert err is not None and err.largest <= 1e-9
    assert err.value == pytest.approx(war.factory.equilibrium.value(), abs=1e-12)


def test_the_grid_error_shrinks_as_the_grid_is_refined():
    # With p_tough = 0.33 the posteriors fall between grid points and, at the last turn, across the
    # belief (1/2) where the normal defender's value jumps: the lottery over grid points is then an
    # approximation, measured in the game with exact Bayes beliefs.
    errors = []
    for grid in (10, 20, 40):
        eq = _with_grid(0.33, grid).factory.equilibrium
        assert eq.unsettled == 0 and eq.epsilon <= 1e-9       # an equilibrium of the grid game, exactly
        errors.append(eq.grid_error().largest)
    assert errors[0] > errors[1] > errors[2] > 0, errors
    assert errors[2] < 0.01


def test_a_prior_between_grid_points_is_kept_exact():
    # p_tough = 0.33 on a grid of tenths: the crisis starts from the lottery 0.3 (chance 0.7) / 0.4
    # (chance 0.3), not from 0.3 rounded; the equilibrium's value is reported at 0.33 and is what the
    # exact analysis and Monte Carlo of its strategies find.
    c = _with_grid(0.33, 10)
    eq = c.factory.equilibrium
    track = TypeTrack.of(c.arrays, c.policies(EQ))
    assert [(round(p, 12), g) for p, g in track.starts()] == [(0.7, 3), (0.3, 4)]
    exact = c.exact(EQ)
    assert (exact.payoffs["a"], exact.payoffs["d"]) == pytest.approx(eq.value(), abs=1e-9)
    mc = c.monte_carlo(EQ, runs=100_000, seed=5)
    for actor, v in zip(("a", "d"), eq.value()):
        assert abs(mc.payoffs[actor] - v) <= 4 * mc.payoff_se[actor]
    rounded = _with_grid(0.3, 10).factory.equilibrium.value()
    assert abs(rounded[1] - eq.value()[1]) > 1e-3           # what rounding the prior to 0.3 would have given
