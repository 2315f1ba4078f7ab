"""The compiled engine (numba) and the NumPy reference give bit-identical results for a seed.

Both draw the same uniforms from the same generator calls; the kernel must then apply the same
operations to them. Checked on every built-in ladder crisis, with and without accidents, under
deterministic and stochastic policies and readiness beliefs, and on variants of the dynamics the
built-in crises do not reach (downward accidents, no misperception, doctrines in rule form).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from simulate_helpers import crisis, ladder_scenarios

from escalab.errors import UsageError
from escalab.simulate import Plan
from escalab.simulate import montecarlo as mc
from escalab.simulate.exact import exact_analysis
from escalab.simulate.policies import DoctrinePolicy, PolicyFactory

pytestmark = pytest.mark.skipif(not mc.numba_available(), reason="numba is not installed")

RUNS, CHUNK, SEED = 2_500, 1_000, 11        # three chunks, the last one short


def _same(a: mc.ChunkTotals, b: mc.ChunkTotals) -> None:
    for x, y in ((a.endings, b.endings), (a.peak, b.peak), (a.duration, b.duration),
                 (a.payoff_sum, b.payoff_sum), (a.payoff_sq, b.payoff_sq),
                 *zip(a.belief_sum, b.belief_sum), *zip(a.belief_true, b.belief_true)):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()     # floats too: bit for bit
    assert a.steps == b.steps
    assert a.map_correct == b.map_correct


def _both(plan: Plan, runs: int = RUNS, seed: int = SEED) -> mc.ChunkTotals:
    ref = mc.run_chunks(plan, runs, seed, chunk_runs=CHUNK, engine="numpy")
    fast = mc.run_chunks(plan, runs, seed, chunk_runs=CHUNK, engine="numba")
    _same(ref, fast)
    return fast


def _specs(name: str) -> list[dict[str, str]]:
    c = crisis(name)
    a0, a1 = c.game.actors
    docs = list(c.scenario.spec.doctrines)
    return [{a0: f"doctrine:{docs[0]}", a1: "logit:2.0"},          # the benchmark's pair
            {a0: "uniform", a1: "level:2"},                        # stochastic against deterministic table
            {a0: "logit:1:myopic", a1: "equilibrium"},             # both stochastic
            {a0: f"doctrine:{docs[1]}", a1: f"doctrine:{docs[-1]}"}]  # both doctrines, signals


@pytest.mark.parametrize("accidents", [True, False], ids=["accidents", "no-accidents"])
@pytest.mark.parametrize("name", ladder_scenarios())
def test_builtin_crises_bit_identical(name: str, accidents: bool) -> None:
    c = crisis(name, accidents)
    assert c.arrays.misperception > 0 and c.arrays.has_accidents == accidents
    for specs in _specs(name):
        plan = Plan(c.arrays, c.policies(specs), c.belief_tracks())
        tot = _both(plan)
        assert tot.endings.sum() == RUNS


def test_downward_accidents_and_no_misperception() -> None:
    c = crisis("kahn-game-compact")
    a = c.arrays
    pols = c.policies({"state_a": "uniform", "state_b": "logit:1"})
    down = np.where(np.arange(a.num_rungs) >= 2, 0.2, 0.0)
    variants = [dataclasses.replace(a, acc_down=down, acc_k=np.full(a.num_rungs, 2)),    # slips both ways
                dataclasses.replace(a, misperception=0.0),
                dataclasses.replace(a, acc_up=(np.zeros(a.num_rungs), np.zeros(a.num_rungs)), misperception=0.0)]
    uniforms = []
    for v in variants:
        plan = Plan(v, pols)
        uniforms.append(plan.uniforms)
        _both(plan)
    assert uniforms == [6, 4, 2]


def test_doctrines_in_rule_form() -> None:
    """Doctrines too large to tabulate run as rules, evaluated outside the kernel each turn."""
    c = crisis("escalate-to-deescalate")
    rules = PolicyFactory(c.game, c.arrays, tabulate=False)
    pols = (rules.build("russia", "doctrine:escalate-to-deescalate"), c.policies({"us": "logit:2.0"})[1])
    assert isinstance(pols[0], DoctrinePolicy)
    table = Plan(c.arrays, c.policies({"russia": "doctrine:escalate-to-deescalate", "us": "logit:2.0"}))
    plan = Plan(c.arrays, pols, c.belief_tracks())
    tot = _both(plan)
    # ... and the rule form gives what the table gives.
    _same(mc.run_chunks(dataclasses.replace(plan, beliefs=()), RUNS, SEED, chunk_runs=CHUNK),
          mc.run_chunks(table, RUNS, SEED, chunk_runs=CHUNK))
    assert tot.steps > RUNS


def test_numba_agrees_with_exact_analysis() -> None:
    c = crisis("escalate-to-deescalate")
    specs = {"russia": "doctrine:escalate-to-deescalate", "us": "logit:2.0"}
    exact = exact_analysis(c.arrays, c.policies(specs), scenario="escalate-to-deescalate")
    res = mc.monte_carlo(Plan(c.arrays, c.policies(specs)), 40_000, 3, scenario="escalate-to-deescalate",
                         engine="numba")
    for ending, rate in res.endings.items():
        p = exact.endings[ending].p
        assert abs(rate.p - p) <= 4 * np.sqrt(p * (1 - p) / res.runs) + 1e-12, ending


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    c = crisis("kahn-game-compact")
    pols = c.policies({"state_a": "uniform", "state_b": "uniform"})
    assert mc.resolve_engine(None) == "numba"
    with pytest.raises(UsageError, match="engine"):
        Plan(c.arrays, pols, engine="fortran")
    with pytest.raises(UsageError, match="engine"):
        mc.run_chunk(Plan(c.arrays, pols), 1, 0, 10, engine="cuda")
    monkeypatch.setattr(mc, "numba_available", lambda: False)
    assert mc.resolve_engine(None) == "numpy"                 # the fallback
    with pytest.raises(UsageError, match="numba"):
        mc.resolve_engine("numba")
    ref = mc.run_chunks(Plan(c.arrays, pols), 500, 5, chunk_runs=200)
    monkeypatch.undo()
    _same(ref, mc.run_chunks(Plan(c.arrays, pols, engine="numba"), 500, 5, chunk_runs=200))
