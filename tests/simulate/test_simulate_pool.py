"""Issue 11: Monte Carlo on a worker pool started once -- same totals bit for bit as one process,
whatever the pool, the grouping of chunks into tasks, or the number of runs per chunk."""

from __future__ import annotations

import pytest
from simulate_helpers import crisis

from escalab.simulate import Plan
from escalab.simulate.montecarlo import WARM_MODULES, _tasks, run_chunks
from escalab.workers import WorkerPool

SPECS = {"russia": "doctrine:escalate-to-deescalate", "us": "logit:2.0"}


@pytest.fixture(scope="module")
def plan() -> Plan:
    c = crisis("escalate-to-deescalate")
    return Plan(c.arrays, c.policies(SPECS), c.belief_tracks())


def _bits(t) -> tuple:
    return (t.endings.tobytes(), t.peak.tobytes(), t.duration.tobytes(), t.steps, t.payoff_sum.tobytes(),
            t.payoff_sq.tobytes(), tuple(b.tobytes() for b in t.belief_sum), tuple(b.tobytes() for b in t.belief_true),
            tuple(t.map_correct), t.by_type.tobytes())


def test_one_pool_for_several_runs_gives_the_one_process_totals(plan: Plan) -> None:
    runs, chunk = 12_000, 700                         # 18 chunks, grouped several to a task
    with WorkerPool(2, warm=WARM_MODULES) as pool:
        for seed in (5, 6):
            single = run_chunks(plan, runs, seed=seed, chunk_runs=chunk)
            assert _bits(run_chunks(plan, runs, seed=seed, chunk_runs=chunk, pool=pool)) == _bits(single)
    assert single.endings.sum() == runs


def test_tasks_keep_chunks_consecutive_and_complete() -> None:
    sizes = [10] * 100 + [3]
    tasks = _tasks(sizes, 2)
    assert [c for t in tasks for c, _ in t] == list(range(101))
    assert all(1 <= len(t) <= 8 for t in tasks) and len(tasks) >= 13
    assert sum(n for t in tasks for _, n in t) == sum(sizes)
    assert _tasks([5], 4) == [[(0, 5)]]


def test_a_pool_and_a_scheduler_together_are_refused(plan: Plan) -> None:
    from escalab.errors import UsageError

    with WorkerPool(1) as pool, pytest.raises(UsageError, match="either --workers or --scheduler"):
        run_chunks(plan, 10, seed=1, pool=pool, scheduler="tcp://127.0.0.1:8786")
