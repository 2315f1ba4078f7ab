"""Private types in simulated ladder crises: Bayes' rule by hand, the prior draw, exact analysis
against the state-by-state reference and against Monte Carlo, bit-identical engines, and the
Bayesian equilibrium's known limits."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.simulate import Crisis, Rate, TablePolicy
from escalab.simulate.exact import exact_analysis, reference_analysis
from escalab.simulate.montecarlo import Plan, run_chunk
from escalab.simulate.private_types import TypeTrack
from escalab.solve.ladder import ObsTable, solve_equilibrium
from escalab.solve.ladder_types import by_type

TINY = Path(__file__).parent / "files" / "typed-tiny.yaml"
POLICIES = [{"a": "logit:1", "d": "logit:1"}, {"a": "equilibrium", "d": "logit:0.5"},
            {"a": "level:2", "d": "level:1"}, {"a": "uniform", "d": "logit:2:myopic"}]


@pytest.fixture(scope="module")
def tiny() -> Crisis:
    return Crisis.of(escalab.load(str(TINY)))


def hand_policy(c: Crisis) -> TablePolicy:
    """The defender's table written by hand: the tough type always threatens, the soft one holds."""
    a = c.arrays
    A = len(a.allowed[1])
    Gp = a.grid + 1
    data = np.zeros((2 * Gp, 1, 1, 1, 1, A))
    data[:Gp, ..., list(a.allowed[1]).index(c.game.index("threat"))] = 1.0
    data[Gp:, ..., list(a.allowed[1]).index(c.game.index("hold"))] = 1.0
    zeros = np.zeros(a.num_rungs, dtype=np.int64)
    return TablePolicy("hand", 1, ObsTable(data, zeros, zeros, 0, 2 * Gp), a.allowed[1])


def test_bayes_rule_by_hand(tiny: Crisis):
    # Accidents: a threat is executed as war with probability 0.1; misreading: a rung is seen one
    # below or one above with 0.05 each. Prior P(tough) = 0.4, grid of tenths: belief index 4.
    track = TypeTrack.of(tiny.arrays, (tiny.factory.build("a", "uniform"), hand_policy(tiny)))
    assert track.start == 4
    g = tiny.game
    seen = np.array([g.index(r) for r in ("back", "hold", "fight", "threat", "war")])
    one = np.ones(len(seen), dtype=np.int64)
    lo, w = track.lottery(0, one * g.index("fight"), one * g.index("fight"), one * 0, one * g.index("fight"),
                          one * 4, seen)
    # P(seen | tough): threat 0.9 * 0.9 + 0.1 * 0.05 = 0.815, fight 0.9 * 0.05 = 0.045,
    # war 0.9 * 0.05 + 0.1 * 0.95 = 0.14, back and hold 0. P(seen | soft): hold 0.9, back and
    # fight 0.05 each. Posterior P(tough | fight) = 0.4 * 0.045 / (0.4 * 0.045 + 0.6 * 0.05) = 0.375.
    # Between grid points the posterior is the mean-preserving lottery over its neighbours: 0.375 is
    # 0.3 with chance 1/4 and 0.4 with chance 3/4; the others are grid points.
    assert list(lo) == [0, 0, 3, 10, 10]
    assert w == pytest.approx([0, 0, 0.75, 0, 0], abs=1e-12)
    assert 0.4 * 0.045 / (0.4 * 0.045 + 0.6 * 0.05) == pytest.approx(0.375)
    # drawn with a uniform: below the upper point's chance lands on it
    up = track.update(0, one * g.index("fight"), one * g.index("fight"), one * 0, one * g.index("fight"),
                      one * 4, seen, np.full(len(seen), 0.7))
    assert list(up) == [0, 0, 4, 10, 10]


def test_the_first_turn_moves_the_belief_as_bayes_rule_says(tiny: Crisis):
    # The exact analysis carries the belief in its state: after the first turn of the hand-written
    # defender against a challenger who always holds, the belief sits at 10 (threat or war seen),
    # 4 (fight, from either type) or 0 (hold or back), with the probabilities Bayes' rule uses.
    pols = (tiny.factory.build("a", "uniform"), hand_policy(tiny))
    ref = reference_analysis(tiny.game, tiny.arrays, pols, scenario="t")
    fast = exact_analysis(tiny.arrays, pols, scenario="t")
    for e in fast.endings:
        assert fast.endings[e].p == pytest.approx(ref.endings[e].p, abs=1e-12)
    assert fast.payoffs == pytest.approx(ref.payoffs, abs=1e-12)


@pytest.mark.parametrize("specs", POLICIES)
def test_exact_analysis_matches_the_reference_with_types(tiny: Crisis, specs: dict[str, str]):
    pols = tiny.policies(specs)
    fast = exact_analysis(tiny.arrays, pols, scenario="t")
    ref = reference_analysis(tiny.game, tiny.arrays, pols, scenario="t")
    for e in fast.endings:
        assert fast.endings[e].p == pytest.approx(ref.endings[e].p, abs=1e-12)
    for t in fast.by_type:
        for e in fast.endings:
            assert fast.by_type[t][e].p == pytest.approx(ref.by_type[t][e].p, abs=1e-12)
    assert fast.payoffs == pytest.approx(ref.payoffs, abs=1e-12)
    assert sum(r.p for r in fast.endings.values()) == pytest.approx(1.0)


def test_monte_carlo_draws_the_types_with_the_prior(tiny: Crisis):
    runs = 40_000
    mc = tiny.monte_carlo({"a": "logit:1", "d": "logit:1"}, runs=runs, seed=11)
    tough = next(iter(mc.by_type["tough"].values())).n
    soft = next(iter(mc.by_type["soft"].values())).n
    assert tough + soft == runs
    assert abs(tough / runs - 0.4) <= 3 * math.sqrt(0.4 * 0.6 / runs)


@pytest.mark.parametrize("specs", POLICIES[:3])
def test_exact_analysis_matches_monte_carlo_within_three_standard_errors(tiny: Crisis, specs: dict[str, str]):
    runs = 200_000
    exact = tiny.exact(specs)
    mc = tiny.monte_carlo(specs, runs=runs, seed=5)
    for e, r in exact.endings.items():
        se = math.sqrt(max(r.p * (1 - r.p), 1e-12) / runs)
        assert abs(mc.endings[e].p - r.p) <= 3 * se, (e, mc.endings[e].p, r.p)
    for actor, v in exact.payoffs.items():
        assert abs(mc.payoffs[actor] - v) <= 3 * mc.payoff_se[actor] + 1e-12
    for t, rates in exact.by_type.items():
        n = next(iter(mc.by_type[t].values())).n
        for e, r in rates.items():
            assert abs(mc.by_type[t][e].p - r.p) <= 3 * math.sqrt(max(r.p * (1 - r.p), 1e-12) / n) + 1e-12


@pytest.mark.parametrize("specs", POLICIES)
def test_numba_and_numpy_engines_agree_bit_for_bit_with_types(tiny: Crisis, specs: dict[str, str]):
    pytest.importorskip("numba")
    plan = Plan(tiny.arrays, tiny.policies(specs))
    a = run_chunk(plan, 3, 2, 5_000, engine="numpy")
    b = run_chunk(plan, 3, 2, 5_000, engine="numba")
    for name in ("endings", "peak", "duration", "payoff_sum", "payoff_sq", "by_type"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.steps == b.steps


@pytest.mark.parametrize("prior, theta", [(1.0, 0), (0.0, 1)])
def test_a_sure_prior_gives_the_complete_information_equilibrium(prior: float, theta: int):
    # With the type known for sure, the perfect Bayesian equilibrium is the equilibrium of the
    # crisis in which that type's payoffs are common knowledge.
    crisis = Crisis.of(escalab.load(str(TINY)).with_params(p_tough=prior))
    typed = crisis.factory.equilibrium
    plain = solve_equilibrium(by_type(crisis.arrays, theta))
    assert typed.unsettled == 0
    assert typed.value() == pytest.approx(plain.value(), abs=1e-9)


def test_the_belief_grid_error_shrinks_as_the_grid_is_refined():
    # The grid is a stated approximation; its effect on the ending distribution is measured by refining.
    s = escalab.load(str(TINY))
    spec = s.spec.model_copy(update={"ladder_crisis": s.spec.ladder_crisis.model_copy(update={"belief_grid": 40})})
    fine = Crisis.of(replace(s, spec=spec)).exact({"a": "logit:1", "d": "logit:1"})
    coarse = Crisis.of(s).exact({"a": "logit:1", "d": "logit:1"})
    gap = max(abs(fine.endings[e].p - coarse.endings[e].p) for e in fine.endings)
    assert gap < 0.05


@pytest.mark.slow
def test_the_prior_of_resolve_moves_the_ending_distribution():
    # The consequence: escalate-to-deescalate's ladder no longer ignores p_resolute.
    results = {}
    for p in (0.0, 1.0):
        results[p] = Crisis.of(escalab.load("escalate-to-deescalate").with_params(p_resolute=p)).exact()
    low, high = results[0.0].endings, results[1.0].endings
    assert low["us_capitulates"].p > 0.9
    assert high["russia_capitulates"].p > 0.9
    assert list(results[0.0].by_type) == ["irresolute"] and list(results[1.0].by_type) == ["resolute"]


@pytest.mark.parametrize("specs", [{"a": "logit:1", "d": "uniform"}, {"a": "level:2", "d": "uniform"},
                                   {"a": "uniform", "d": "uniform"}])
def test_the_factorised_exact_analysis_matches_the_enumeration_of_states(tiny: Crisis, specs: dict[str, str]):
    # Without signals and moving beliefs the exact analysis takes its factorised shortcut.
    pols = tiny.policies(specs)
    fast = exact_analysis(tiny.arrays, pols, scenario="t")
    slow = exact_analysis(tiny.arrays, pols, scenario="t", method="sparse")
    ref = reference_analysis(tiny.game, tiny.arrays, pols, scenario="t")
    for other in (slow, ref):
        for field in ("endings", "peak", "duration"):
            mine, theirs = getattr(fast, field), getattr(other, field)
            for key in set(mine) | set(theirs):
                assert mine.get(key, Rate(0.0)).p == pytest.approx(theirs.get(key, Rate(0.0)).p, abs=1e-12)
        assert fast.payoffs == pytest.approx(other.payoffs, abs=1e-12)
    for t in fast.by_type:
        for e in fast.endings:
            assert fast.by_type[t][e].p == pytest.approx(slow.by_type[t][e].p, abs=1e-12)
