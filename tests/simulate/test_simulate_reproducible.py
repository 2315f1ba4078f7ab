"""A seed gives bit-identical results whatever runs the chunks: one process, several, or Dask."""

from __future__ import annotations

import numpy as np
import pytest
from simulate_helpers import crisis

from escalab.errors import UsageError
from escalab.simulate import Plan
from escalab.simulate.montecarlo import run_chunks

SPECS = {"russia": "doctrine:escalate-to-deescalate", "us": "logit:2.0"}
RUNS, CHUNK = 9_000, 2_000           # five chunks, the last one short


@pytest.fixture(scope="module")
def plan() -> Plan:
    c = crisis("escalate-to-deescalate")
    return Plan(c.arrays, c.policies(SPECS), c.belief_tracks())


def _same(a, b) -> None:
    assert np.array_equal(a.endings, b.endings)
    assert np.array_equal(a.peak, b.peak)
    assert np.array_equal(a.duration, b.duration)
    assert a.steps == b.steps
    for x, y in (*zip(a.belief_sum, b.belief_sum), *zip(a.belief_true, b.belief_true),
                 (a.payoff_sum, b.payoff_sum), (a.payoff_sq, b.payoff_sq)):
        assert x.tobytes() == y.tobytes()          # floats too: bit for bit
    assert a.map_correct == b.map_correct


@pytest.fixture(scope="module")
def single(plan: Plan):
    return run_chunks(plan, RUNS, seed=42, workers=1, chunk_runs=CHUNK)


def test_same_seed_same_result_and_another_seed_differs(plan: Plan, single) -> None:
    _same(single, run_chunks(plan, RUNS, seed=42, chunk_runs=CHUNK))
    other = run_chunks(plan, RUNS, seed=43, chunk_runs=CHUNK)
    assert not np.array_equal(single.peak, other.peak) or not np.array_equal(single.duration, other.duration)
    assert single.endings.sum() == RUNS


@pytest.mark.parametrize("workers", [2, 3])
def test_local_processes(plan: Plan, single, workers: int) -> None:
    _same(single, run_chunks(plan, RUNS, seed=42, workers=workers, chunk_runs=CHUNK))


def test_dask_cluster(plan: Plan, single) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        _same(single, run_chunks(plan, RUNS, seed=42, scheduler=client, chunk_runs=CHUNK))
        _same(single, run_chunks(plan, RUNS, seed=42, scheduler=cluster.scheduler_address, chunk_runs=CHUNK))


def test_a_scheduler_address_alone(plan: Plan, single) -> None:
    """The command line's case: an address and no Client of the caller's in the process."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        _same(single, run_chunks(plan, RUNS, seed=42, scheduler=cluster.scheduler_address, chunk_runs=CHUNK))


def test_progress_reports_every_chunk(plan: Plan) -> None:
    seen: list[tuple[int, int]] = []
    run_chunks(plan, RUNS, seed=1, chunk_runs=CHUNK, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (RUNS, RUNS) and len(seen) == 5


def test_bad_counts(plan: Plan) -> None:
    with pytest.raises(UsageError, match="--runs"):
        run_chunks(plan, 0, seed=1)
    with pytest.raises(UsageError, match="--workers"):
        run_chunks(plan, 10, seed=1, workers=0)
    with pytest.raises(UsageError, match="--seed"):
        run_chunks(plan, 10, seed=-3)
    with pytest.raises(UsageError, match="chunk_runs"):          # was a ZeroDivisionError
        run_chunks(plan, 10, seed=1, chunk_runs=0)


@pytest.mark.parametrize("address", ["garbage", "tcp://host-without-port", "tcp://127.0.0.1:port", "tcp://h:0"])
def test_malformed_scheduler_address_is_bad_input(plan: Plan, address: str) -> None:
    """Regression: a malformed address reached distributed.Client, whose ValueError became exit 1."""
    with pytest.raises(UsageError, match="expected a Dask scheduler address"):
        run_chunks(plan, 10, seed=1, scheduler=address)
