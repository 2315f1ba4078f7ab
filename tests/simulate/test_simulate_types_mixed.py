"""The Bayesian equilibrium of a ladder crisis with private types in mixed strategies: a stage game
without a pure perfect Bayesian equilibrium solved by hand, the largest gain from deviating
measured by the solver and checked from outside (best responses through the exact analysis), and
the mixed tables run alike by the exact analysis and Monte Carlo."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.simulate import Crisis, TablePolicy
from escalab.simulate import exact as exact_module
from escalab.simulate.exact import exact_analysis
from escalab.simulate.montecarlo import Plan, run_chunk
from escalab.simulate.private_types import TypeTrack
from escalab.solve.ladder_types import best_response_typed

PENNIES = Path(__file__).parent / "files" / "typed-pennies.yaml"
# The largest gain the pure-profile (ε-equilibrium) fallback leaves on escalate-to-deescalate with
# the belief lottery, measured with the mixed search switched off (ladder_types.MIXED_BUDGET = 0).
E2DE_EPSILON = 6.7469882716049385


def pennies(p_tough: float, turns: int = 1) -> Crisis:
    s = escalab.load(str(PENNIES)).with_params(p_tough=p_tough)
    spec = s.spec.model_copy(update={"ladder_crisis": s.spec.ladder_crisis.model_copy(update={"turn_limit": turns})})
    return Crisis.of(replace(s, spec=spec))


def first_turn(c: Crisis, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The challenger's mix and each defender type's mix at the start, at belief index g."""
    eq = c.factory.equilibrium
    at = (0, np.array([0]), np.array([0]), np.array([0]), np.array([0]))
    Gp = c.arrays.grid + 1
    return (eq.strategy[0].rows(*at, np.array([g]))[0], eq.strategy[1].rows(*at, np.array([g]))[0],
            eq.strategy[1].rows(*at, np.array([Gp + g]))[0])


@pytest.mark.parametrize("p_tough", [0.6, 0.8, 0.9])
def test_matching_pennies_against_a_tough_type_is_solved_by_hand(p_tough: float):
    """One turn, actions hold (H) and fight (F), no accidents, belief μ = P(tough) on the grid.

    Challenger a: +1 when the turn ends matched (H,H settles; F,F leaves the balance at 0),
    -1 when mismatched (balance ±1). The tough defender gets the opposite; the soft one holds
    whatever a does (0 > -3 against H, -1 > -2 against F). With q = P(tough holds):

        a plays H:  μ (q - (1 - q)) + (1 - μ)      a plays F:  μ ((1 - q) - q) - (1 - μ)

    Pure: H is a's best reply to a tough F exactly when μ <= 1/2; above that, (H, tough F) makes a
    switch to F, and against F the tough type holds, so no pure profile is an equilibrium. Mixed:
    the tough type is indifferent only when P(a holds) = 1/2, and a only when
    2 μ (2q - 1) = -2 (1 - μ), that is q = (2μ - 1) / (2μ). Values: a gets 0 (indifferent,
    H pays μ(2q - 1) + 1 - μ = 0), the tough type 0, the soft type -1/2 (settles or loses 1 on F).
    """
    c = pennies(p_tough)
    g = round(p_tough * c.arrays.grid)
    mu = g / c.arrays.grid
    sig_a, tough, soft = first_turn(c, g)
    hold = list(c.arrays.allowed[0]).index(c.game.index("hold"))
    q = (2 * mu - 1) / (2 * mu)
    assert sig_a[hold] == pytest.approx(0.5, abs=1e-12)
    assert tough[hold] == pytest.approx(q, abs=1e-12)
    assert soft[hold] == pytest.approx(1.0, abs=1e-12)
    eq = c.factory.equilibrium
    assert eq.mixed_stage_games > 0 and eq.unsettled == 0
    assert eq.epsilon <= 1e-9
    assert eq.value() == pytest.approx((0.0, (1 - mu) * -0.5), abs=1e-12)


def test_below_one_half_the_pure_equilibrium_stays():
    c = pennies(0.4)
    sig_a, tough, soft = first_turn(c, 4)
    hold = list(c.arrays.allowed[0]).index(c.game.index("hold"))
    assert (sig_a[hold], tough[hold], soft[hold]) == (1.0, 0.0, 1.0)


def _exact(c: Crisis, pols, eq_pols):  # noqa: ANN001, ANN202
    """Exact analysis in which the observer's Bayes' rule reads the equilibrium table of the typed
    actor whatever it plays (a deviation is unilateral, unseen as a change of strategy)."""
    real = TypeTrack.of

    class Track:
        @staticmethod
        def of(a, _policies):  # noqa: ANN001, ANN205
            return real(a, eq_pols)

    saved = exact_module.TypeTrack
    exact_module.TypeTrack = Track
    try:
        return exact_analysis(c.arrays, pols, scenario="pennies", method="sparse")
    finally:
        exact_module.TypeTrack = saved


@pytest.mark.parametrize("p_tough", [0.55, 0.8])
def test_no_actor_gains_by_deviating_over_several_turns(p_tough: float):
    # Four turns: the belief after each turn moves with the tough type's mix, so later stage games
    # are played at posteriors the mix itself sets. The solver measures its largest gain from
    # deviating; from outside, a best response of either actor (each type on its own) against the
    # equilibrium, run through the exact analysis, earns no more than the equilibrium does.
    c = pennies(p_tough, turns=4)
    eq = c.factory.equilibrium
    assert eq.mixed_stage_games > 0 and eq.unsettled == 0 and eq.epsilon <= 1e-9
    a = c.arrays
    eq_pols = c.policies({"a": "equilibrium", "d": "equilibrium"})
    base = _exact(c, eq_pols, eq_pols)
    assert base.payoffs["a"] == pytest.approx(eq.value()[0], abs=1e-12)
    assert base.payoffs["d"] == pytest.approx(eq.value()[1], abs=1e-12)
    for player, actor in enumerate(("a", "d")):
        br = best_response_typed(a, player, eq.strategy[1 - player], belief=eq.strategy[a.typed])
        pols = list(eq_pols)
        pols[player] = TablePolicy("best response", player, br, a.allowed[player])
        dev = _exact(c, tuple(pols), eq_pols)
        assert dev.payoffs[actor] <= base.payoffs[actor] + 1e-9, actor
        assert dev.payoffs[actor] == pytest.approx(base.payoffs[actor], abs=1e-9), actor


def test_exact_analysis_matches_monte_carlo_under_the_mixed_equilibrium():
    c = pennies(0.8, turns=4)
    runs = 200_000
    exact = c.exact({"a": "equilibrium", "d": "equilibrium"})
    mc = c.monte_carlo({"a": "equilibrium", "d": "equilibrium"}, runs=runs, seed=3)
    assert sum(0 < r.p < 1 for r in exact.endings.values()) >= 2      # a mixed crisis, not a sure outcome
    for e, r in exact.endings.items():
        se = math.sqrt(max(r.p * (1 - r.p), 1e-12) / runs)
        assert abs(mc.endings[e].p - r.p) <= 3 * se, (e, mc.endings[e].p, r.p)
    for actor, v in exact.payoffs.items():
        assert abs(mc.payoffs[actor] - v) <= 3 * mc.payoff_se[actor] + 1e-12


def test_numba_and_numpy_engines_agree_on_mixed_tables():
    pytest.importorskip("numba")
    c = pennies(0.8, turns=4)
    plan = Plan(c.arrays, c.policies({"a": "equilibrium", "d": "equilibrium"}))
    x = run_chunk(plan, 7, 1, 5_000, engine="numpy")
    y = run_chunk(plan, 7, 1, 5_000, engine="numba")
    for name in ("endings", "peak", "duration", "payoff_sum", "payoff_sq", "by_type"):
        assert np.array_equal(getattr(x, name), getattr(y, name)), name


@pytest.mark.slow
def test_mixing_shrinks_the_approximation_on_escalate_to_deescalate():
    # The stage games left approximate are those where no equilibrium is found with the supports
    # searched within the per-turn budget; some are solved in mixed strategies, and the largest gain
    # left is measured (it is not above the pure-profile fallback's: the worst stage games stay
    # unsolved, so it does not shrink yet).
    eq = Crisis.of(escalab.load("escalate-to-deescalate")).factory.equilibrium
    assert eq.mixed_stage_games > 0
    assert 0 <= eq.epsilon <= E2DE_EPSILON + 1e-9
