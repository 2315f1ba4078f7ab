"""The exact analysis of crises with private types whose belief moves (dense arrays per turn):
equal to the enumeration of states and to LadderGame.transition, on either actor typed and under
mixed policy tables, and equal to Monte Carlo on escalate-to-deescalate under logit play."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from simulate_helpers import crisis, disagreements

import escalab
from escalab.simulate import Crisis, SimulationResult, TablePolicy
from escalab.simulate import exact as exact_module
from escalab.simulate.exact import exact_analysis, reference_analysis
from escalab.solve.ladder import ObsTable

FILES = Path(__file__).parent / "files"
DEFENDER_TYPED = FILES / "typed-tiny.yaml"              # the second actor has the private type
CHALLENGER_TYPED = FILES / "typed-tiny-challenger.yaml"  # the first one does
CASES = [(DEFENDER_TYPED, {"a": "logit:1", "d": "logit:1"}), (DEFENDER_TYPED, {"a": "equilibrium", "d": "logit:0.5"}),
         (DEFENDER_TYPED, {"a": "level:2", "d": "level:1"}), (DEFENDER_TYPED, {"a": "uniform", "d": "logit:2:myopic"}),
         (CHALLENGER_TYPED, {"a": "logit:1", "d": "logit:1"}),
         (CHALLENGER_TYPED, {"a": "logit:0.5", "d": "equilibrium"}), (CHALLENGER_TYPED, {"a": "level:1", "d": "level:2"})]


@pytest.fixture(scope="module")
def tiny() -> dict[Path, Crisis]:
    return {path: Crisis.of(escalab.load(str(path))) for path in (DEFENDER_TYPED, CHALLENGER_TYPED)}


def _same(fast: SimulationResult, slow: SimulationResult) -> None:
    for table in ("endings", "peak", "duration"):
        mine, theirs = getattr(fast, table), getattr(slow, table)
        assert set(mine) == set(theirs), table
        for key in mine:
            assert mine[key].p == pytest.approx(theirs[key].p, abs=1e-12), (table, key)
    for t in slow.by_type:
        for e in slow.endings:
            assert fast.by_type[t][e].p == pytest.approx(slow.by_type[t][e].p, abs=1e-12)
    assert fast.payoffs == pytest.approx(slow.payoffs, abs=1e-12)


def _dense_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = exact_module._with_beliefs

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(exact_module, "_with_beliefs", spy)
    return calls


@pytest.mark.parametrize("path, specs", CASES, ids=[f"{p.stem}-{'-'.join(s.values())}" for p, s in CASES])
def test_dense_path_equals_the_enumeration_of_states(tiny: dict[Path, Crisis], path: Path, specs: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    c = tiny[path]
    pols = c.policies(specs)
    calls = _dense_calls(monkeypatch)
    fast = exact_analysis(c.arrays, pols, scenario="t")
    assert calls, "the dense path with beliefs was not taken"
    slow = exact_analysis(c.arrays, pols, scenario="t", method="sparse")
    _same(fast, slow)
    _same(fast, reference_analysis(c.game, c.arrays, pols, scenario="t"))
    # the same states, merged the same way: only exact zeros are left out
    assert fast.states == slow.states


def test_a_mixed_table_of_the_typed_actor(tiny: dict[Path, Crisis], monkeypatch: pytest.MonkeyPatch) -> None:
    # Equilibrium tables may mix (stage games without a pure equilibrium): a hand-written mixed
    # policy per type - the tough defender threatens 70% of the time and holds otherwise, the soft one
    # threatens 20% - moves the belief by Bayes' rule through both columns.
    c = tiny[DEFENDER_TYPED]
    a = c.arrays
    A, Gp = len(a.allowed[1]), a.grid + 1
    cols = [list(a.allowed[1]).index(c.game.index(r)) for r in ("threat", "hold")]
    data = np.zeros((2 * Gp, 1, 1, 1, 1, A))
    data[:Gp, ..., cols] = [0.7, 0.3]
    data[Gp:, ..., cols] = [0.2, 0.8]
    zeros = np.zeros(a.num_rungs, dtype=np.int64)
    mixed = TablePolicy("mixed", 1, ObsTable(data, zeros, zeros, 0, 2 * Gp), a.allowed[1])
    pols = (c.factory.build("a", "logit:1"), mixed)
    calls = _dense_calls(monkeypatch)
    fast = exact_analysis(a, pols, scenario="t")
    assert calls
    slow = exact_analysis(a, pols, scenario="t", method="sparse")
    _same(fast, slow)
    assert fast.states == slow.states


@pytest.mark.parametrize("logit", ["logit:0.5:myopic", pytest.param("logit:0.5", marks=pytest.mark.slow)])
def test_a_typed_crisis_under_logit_play_matches_monte_carlo(logit: str) -> None:
    # escalate-to-deescalate with both sides under logit play: the US President's type is private and
    # Russia's belief moves every turn. Its enumeration meets about a million states; the dense path
    # takes a second. Every ending, overall and given each type, within 3 standard errors (5 + 10
    # comparisons: about 4% of seeds would miss one by chance, so the seed is fixed), and the
    # peaks, durations and payoffs at a family-wise level of 0.1% (simulate_helpers.disagreements).
    # Myopic logit needs no equilibrium (seconds); lookahead logit reads the perfect Bayesian
    # equilibrium's values, whose solve takes most of a minute or more.
    c = crisis("escalate-to-deescalate")
    specs = {"russia": logit, "us": logit}
    exact = c.exact(specs)
    assert exact.states > 500_000
    runs = 200_000
    mc = c.monte_carlo(specs, runs=runs, seed=3, beliefs=False)
    assert sum(r.p for r in exact.endings.values()) == pytest.approx(1.0)
    for e, r in exact.endings.items():
        assert abs(mc.endings[e].p - r.p) <= 3 * math.sqrt(r.p * (1 - r.p) / runs) + 1e-12, e
    for t, rates in exact.by_type.items():
        n = next(iter(mc.by_type[t].values())).n
        for e, r in rates.items():
            assert abs(mc.by_type[t][e].p - r.p) <= 3 * math.sqrt(r.p * (1 - r.p) / n) + 1e-12, (t, e)
    assert not disagreements(exact, mc)
    assert set(exact.by_type) == {"resolute", "irresolute"}
    assert exact.by_type["resolute"] != exact.by_type["irresolute"]


def test_dense_arrays_over_the_budget_fall_back_to_the_enumeration(tiny: dict[Path, Crisis],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The dense path holds balance x peak x beliefs x rungs^4 x types cells (x3 in its scatter); a
    # crisis whose arrays exceed the state-space budget is enumerated instead, with the same result.
    c = tiny[DEFENDER_TYPED]
    pols = c.policies({"a": "logit:1", "d": "logit:1"})
    full = exact_analysis(c.arrays, pols, scenario="t")
    monkeypatch.setenv("ESCALAB_LIMIT_STATE_SPACE", "100000")
    calls = _dense_calls(monkeypatch)
    small = exact_analysis(c.arrays, pols, scenario="t")
    assert not calls
    _same(small, full)
