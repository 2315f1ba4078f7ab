"""The dynamics the simulator relies on: Payne's accident rule, misreadings, and the array form of
the model's transition."""

from __future__ import annotations

import numpy as np
import pytest

import escalab
from escalab.model.ladder import JointAction, LadderState
from escalab.simulate.montecarlo import _Kernel
from escalab.solve.ladder import ladder_arrays

from simulate_helpers import crisis, within


@pytest.mark.parametrize("risk", [1, 2, 3])
def test_kahn_game_accident_rule_is_payne_s(risk: int) -> None:
    """An action at 125 or above is pushed 1-3 rungs up with 5% x risk (5, 10, 15%); below 125, never."""
    game = escalab.load("kahn-game").with_params(risk_a=risk).compile("ladder")
    i = game.index("nuclear_signaling")
    outcomes = dict((r, p) for p, r in game.accident_outcomes(i, 0))
    assert outcomes[i] == pytest.approx(1 - 0.05 * risk)
    for shift in (1, 2, 3):
        assert outcomes[i + shift] == pytest.approx(0.05 * risk / 3)
    # The other actor keeps its own (low) risk; conventional actions never slip.
    assert dict((r, p) for p, r in game.accident_outcomes(i, 1))[i] == pytest.approx(0.95)
    below = game.index("maximum_conventional_effort")
    assert game.accident_outcomes(below, 0) == [(1.0, below)]


@pytest.mark.parametrize("risk", [1, 3])
def test_sampled_accidents_match_the_rule(risk: int) -> None:
    game = escalab.load("kahn-game").with_params(risk_a=risk).compile("ladder")
    kern = _Kernel.of(ladder_arrays(game))
    n = 400_000
    rng = np.random.default_rng(7)
    start = game.index("nuclear_threat")          # 350: three rungs above it exist
    x = kern.accident(0, np.full(n, start), rng.random(n))
    counts = np.bincount(x - start, minlength=4)
    assert within(counts[0], n, 1 - 0.05 * risk)
    for shift in (1, 2, 3):
        assert within(counts[shift], n, 0.05 * risk / 3)
    assert counts.sum() == n


def test_accidents_at_the_top_are_clipped_to_the_last_rung() -> None:
    game = escalab.load("kahn-game").compile("ladder")
    top = game.num_rungs - 1
    last_use = game.index("final_nuclear_warning")       # one below strategic war
    assert dict((r, p) for p, r in game.accident_outcomes(last_use, 0))[top] == pytest.approx(0.05)
    kern = _Kernel.of(ladder_arrays(game))
    x = kern.accident(0, np.full(200_000, last_use), np.random.default_rng(3).random(200_000))
    assert x.max() == top
    assert within(int(np.sum(x == top)), 200_000, 0.05)


def test_sampled_misreadings_match_the_model() -> None:
    game = escalab.load("escalate-to-deescalate").with_params(p_misread=0.2).compile("ladder")
    kern = _Kernel.of(ladder_arrays(game))
    n = 300_000
    for rung in (0, 4, game.num_rungs - 1):
        seen = kern.perceive(np.full(n, rung), np.random.default_rng(rung).random(n))
        for p, r in game.perception_outcomes(rung):
            assert within(int(np.sum(seen == r)), n, p), (rung, r)


def test_no_accidents_switch() -> None:
    quiet = crisis("kahn-game", accidents=False)
    assert not quiet.arrays.has_accidents
    assert np.allclose(quiet.arrays.accident[0], np.eye(quiet.game.num_rungs))


@pytest.mark.parametrize("name", ["escalate-to-deescalate", "kahn-game"])
def test_arrays_agree_with_transition(name: str) -> None:
    """The vectorised balance, peak and ending give the same next states as LadderGame.transition."""
    game = escalab.load(name).compile("ladder")
    a = ladder_arrays(game)
    rng = np.random.default_rng(11)
    R = game.num_rungs
    lo, hi = game.balance_range
    for _ in range(150):
        p = (int(rng.integers(R)), int(rng.integers(R)))
        state = LadderState(turn=int(rng.integers(game.spec.turn_limit)), positions=p, perceived=(p[1], p[0]),
                            signals=(None, None), balance=int(rng.integers(lo + 1, hi)),
                            peak=int(max(p[0], p[1], rng.integers(R))))
        acts = tuple(int(rng.choice(game.legal_actions(state, i))) for i in (0, 1))
        expected: dict[tuple, float] = {}
        for prob, nxt in game.transition(state, JointAction(acts)):
            key = (nxt.positions, nxt.balance, nxt.peak, nxt.ending)
            expected[key] = expected.get(key, 0.0) + prob
        got: dict[tuple, float] = {}
        for x0 in range(R):
            for x1 in range(R):
                w = a.accident[0][acts[0], x0] * a.accident[1][acts[1], x1]
                if w == 0:
                    continue
                nb, nk, code = a.advance(state.balance, state.peak, x0, x1, state.turn + 1)
                ending = None if int(code) < 0 else a.endings[int(code)]
                key = ((x0, x1), int(nb), int(nk), ending)
                got[key] = got.get(key, 0.0) + w
        assert got.keys() == expected.keys()
        for key in got:
            assert got[key] == pytest.approx(expected[key])


def test_miscalculation_risk_is_checked_with_its_location(tmp_path) -> None:
    text = (escalab.scenario.library.builtin_path("scenario", "kahn-game").read_text()
            .replace("miscalculation_risk: {state_a: risk_a, state_b: risk_b}",
                     "miscalculation_risk: {state_a: risk_a, nobody: 2, state_b: 30}"))
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(escalab.ScenarioError) as info:
        escalab.load(str(path))
    messages = [(p.path, p.message, p.line) for p in info.value.problems]
    assert any(path_ == "ladder_crisis.miscalculation_risk.nobody" and "not one of the crisis actors" in m
               and line is not None for path_, m, line in messages)
    assert any(path_ == "ladder_crisis.miscalculation_risk.state_b" and "above 1" in m
               for path_, m, _ in messages)


DOWNHILL = """
escalab: 1
id: downhill
extends: kahn-game-compact
title: Accidents both ways
ladder_crisis:
  accidents:
    conventional: {up: 0.1, down: 0.2, max_rungs: 2}
    nuclear_signalling: {up: p_accident, down: 0.1, max_rungs: 3}
"""


def test_accidents_down_the_ladder_sample_as_stated() -> None:
    game = escalab.loads(DOWNHILL, base_dir=escalab.scenario.library.builtin_path("scenario", "kahn-game").parent)\
        .compile("ladder")
    kern = _Kernel.of(ladder_arrays(game))
    n = 400_000
    for rung in (game.index("conventional_military_pressure"), game.index("nuclear_posturing"), 0):
        x = kern.accident(1, np.full(n, rung), np.random.default_rng(rung).random(n))
        for p, r in game.accident_outcomes(rung, 1):
            assert within(int(np.sum(x == r)), n, p), (rung, r)
        assert set(np.unique(x)) == {r for _, r in game.accident_outcomes(rung, 1)}


def test_exact_and_monte_carlo_agree_with_accidents_both_ways() -> None:
    from escalab.simulate import Crisis
    scenario = escalab.loads(DOWNHILL, base_dir=escalab.scenario.library.builtin_path("scenario", "kahn-game").parent)
    c = Crisis.of(scenario)
    specs = {"state_a": "uniform", "state_b": "doctrine:brinkmanship"}
    exact = c.exact(specs)
    mc = c.monte_carlo(specs, runs=60_000, seed=4, beliefs=False)
    for k, r in exact.endings.items():
        se = (r.p * (1 - r.p) / 60_000) ** 0.5
        assert abs(mc.endings[k].p - r.p) <= 3 * se + 1e-12, k
