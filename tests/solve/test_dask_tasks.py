"""Issue 11: work on a Dask cluster -- a few tasks sized to the cluster, cut at whole chunks, and the
same results bit for bit from worker *processes* (the configuration the benchmark measures) as from
one process. Worker heaps: tests/test_heap.py."""

from __future__ import annotations


import pytest

from escalab.solve.dask_client import task_spans


@pytest.mark.parametrize("units", [1, 2, 3, 7, 62, 245, 611, 10_000])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_task_spans_cover_every_unit_once_in_order(units: int, workers: int) -> None:
    spans = task_spans(units, workers)
    assert spans[0][0] == 0 and spans[-1][1] == units
    assert all(a < b for a, b in spans) and all(b == c for (_, b), (c, _) in zip(spans, spans[1:]))
    sizes = [b - a for a, b in spans]
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)      # big tasks first, the tail smaller
    assert len(spans) <= 2 * workers * 4 + 4                      # a few per worker, not one per chunk


def test_the_tail_is_small_enough_to_balance_two_workers() -> None:
    sizes = [b - a for a, b in task_spans(611, 2)]
    assert sizes[0] <= 611 / 4 + 1                   # no worker starts with more than half its share
    assert sizes[-2] <= 611 / 32 + 1                 # the last full task is a sixteenth of a worker's share


def test_worker_processes_give_one_process_results_bit_for_bit() -> None:
    distributed = pytest.importorskip("distributed")
    import escalab
    from escalab.simulate import Crisis
    from escalab.solve.sweep import parse_axis, sweep

    scenario = escalab.load("escalate-to-deescalate")
    axes = [parse_axis("p_resolute=0:1:41"), parse_axis("c_limited=0:20:29")]
    crisis = Crisis.of(escalab.load("kahn-game"))
    specs = {"state_a": "logit:0.5", "state_b": "logit:0.5"}
    one_sweep = sweep(scenario, axes, chunk=50)
    one_mc = crisis.monte_carlo(specs, runs=20_000, seed=3, chunk_runs=1_000)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote_sweep = sweep(scenario, axes, chunk=50, scheduler=client)
        remote_mc = crisis.monte_carlo(specs, runs=20_000, seed=3, chunk_runs=1_000, scheduler=client)
    assert remote_sweep.labels == one_sweep.labels and remote_sweep.paths == one_sweep.paths
    assert remote_sweep.codes.tobytes() == one_sweep.codes.tobytes()
    assert remote_mc.to_dict() == one_mc.to_dict()


def test_a_clusters_workers_solve_under_the_clients_limits(monkeypatch) -> None:
    """--limit (or limits.raised) holds on the cluster's workers, which rebuild the scenario from its
    text: here their environment puts tree-nodes below the scenario's 23 nodes, the client raises it."""
    distributed = pytest.importorskip("distributed")
    import escalab
    from escalab import limits
    from escalab.solve.sweep import parse_axis, sweep

    scenario = escalab.load("escalate-to-deescalate")
    axes = [parse_axis("p_resolute=0:1:11"), parse_axis("c_limited=0:20:7")]
    here = sweep(scenario, axes)
    monkeypatch.setenv("ESCALAB_LIMIT_TREE_NODES", "10")       # inherited by the cluster's worker processes
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with limits.raised(tree_nodes=1000):
            remote = sweep(scenario, axes, chunk=10, scheduler=client)
    assert remote.codes.tobytes() == here.codes.tobytes()


def test_a_worker_keeps_its_heap_between_jobs_and_hands_it_back_when_idle(monkeypatch) -> None:
    """The memory kept for escalab's tasks (escalab.heap) stays mapped for the next job sent soon
    after, and goes back to the system once the worker has run none for KEEP_HEAP_WHEN_IDLE seconds."""
    distributed = pytest.importorskip("distributed")
    import time

    import escalab
    from escalab.solve import dask_client
    from escalab.solve.sweep import parse_axis, sweep

    def kept() -> bool:
        import escalab.heap

        return escalab.heap._kept

    scenario = escalab.load("escalate-to-deescalate")
    axes = [parse_axis("p_resolute=0:1:21"), parse_axis("c_limited=0:20:11")]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        monkeypatch.setattr(dask_client, "KEEP_HEAP_WHEN_IDLE", 60.0)
        sweep(scenario, axes, scheduler=client)
        assert list(client.run(kept).values()) == [True]          # the next job finds it mapped
        monkeypatch.setattr(dask_client, "KEEP_HEAP_WHEN_IDLE", 0.2)
        sweep(scenario, axes, scheduler=client)
        deadline = time.monotonic() + 30
        while list(client.run(kept).values()) != [False]:
            assert time.monotonic() < deadline, "the worker never handed its heap back"
            time.sleep(0.1)


def test_a_worker_whose_task_failed_still_hands_its_heap_back(monkeypatch) -> None:
    """Each task plans its worker's release as it ends, failed or not: no message from the client
    at the end of a job does it."""
    distributed = pytest.importorskip("distributed")
    import time

    from escalab.solve import dask_client
    from escalab.solve.sweep import solve_range

    def kept() -> bool:
        import escalab.heap

        return escalab.heap._kept

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        for keep in (60.0, 0.2):
            monkeypatch.setattr(dask_client, "KEEP_HEAP_WHEN_IDLE", keep)
            with pytest.raises(AttributeError):          # no grid to solve: the task fails on the worker
                dask_client.run_tasks(client, solve_range, None, [(0, 10)], lambda task, result: None)
            if keep == 60.0:
                assert list(client.run(kept).values()) == [True]        # the failed task had kept it
        deadline = time.monotonic() + 30
        while list(client.run(kept).values()) != [False]:
            assert time.monotonic() < deadline, "the worker never handed its heap back"
            time.sleep(0.1)


def test_an_address_this_process_has_a_client_for_is_served_by_that_client() -> None:
    """A second Client in the process that runs the scheduler could hang (see scheduler_client):
    the default Client connected there is used and left open; any other address gets a Client of
    its own, closed after the job."""
    distributed = pytest.importorskip("distributed")
    from escalab.solve.dask_client import scheduler_client

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        with scheduler_client(cluster.scheduler_address) as made:       # no Client in this process yet
            assert made.status == "running"
        assert made.status == "closed"
        with distributed.Client(cluster) as client:
            host, port = cluster.scheduler_address.removeprefix("tcp://").rsplit(":", 1)
            for address in (cluster.scheduler_address, f"{host}:{port}"):
                with scheduler_client(address) as used:
                    assert used is client
                assert client.status == "running"
            with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                          dashboard_address=":0") as other:      # the first has the default port
                with scheduler_client(other.scheduler_address) as elsewhere:
                    assert elsewhere is not client and elsewhere.status == "running"
                assert elsewhere.status == "closed" and client.status == "running"
