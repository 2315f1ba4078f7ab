"""Issue 11: parallel work from scripts and notebooks -- no `if __name__ == "__main__":` guard needed,
and a worker that dies is reported with what to do, not as a bare BrokenProcessPool."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from escalab.workers import WorkerError, WorkerPool, run_unordered

SCRIPT = """
print("script started")             # a child that re-ran this file would print it again
import json
import escalab
from escalab.simulate import Crisis
from escalab.solve.sweep import parse_axis, sweep

s = escalab.load("escalate-to-deescalate")
axes = [parse_axis("p_resolute=0:1:41"), parse_axis("c_limited=0:20:21")]
par, ser = sweep(s, axes, workers=2, chunk=100), sweep(s, axes)
crisis = Crisis.of(escalab.load("kahn-game-compact"))
mc = [crisis.monte_carlo(runs=6000, seed=3, workers=w, chunk_runs=1000).to_dict() for w in (2, 1)]
from escalab.wargame.store import SqliteStore
from escalab.wargame.tournament import make_plan, run_tournament
plan = make_plan(escalab.load("kahn-game-compact"), {"eq": "equilibrium", "lg": "logit:0.5"}, games=3, seed=5)
tables = []
for w in (2, 1):
    store = SqliteStore(f"t{w}.sqlite")
    tables.append(run_tournament(plan, store, db=f"t{w}.sqlite", workers=w).to_dict())
    assert len(store.games("finished")) == 12
    store.close()
print(json.dumps({"sweep": par.codes.tolist() == ser.codes.tolist() and par.labels == ser.labels,
                  "mc": mc[0] == mc[1], "tournament": tables[0] == tables[1]}))
"""


@pytest.mark.parametrize("threads", [0, 1], ids=["forked", "spawned"])
def test_a_script_without_a_main_guard_runs_workers(tmp_path, threads: int) -> None:
    """A script with one thread gets forked workers; one with a second thread running (as a notebook
    kernel has) gets spawned ones, which must not re-run the script either."""
    script = tmp_path / "study.py"                       # no `if __name__ == "__main__":` anywhere
    other = "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
    check = ("from escalab.workers import WorkerPool\n"
             f"assert WorkerPool(1).start == {'spawn' if threads else 'fork'!r}, WorkerPool(1).start\n")
    script.write_text(textwrap.dedent(SCRIPT).replace("import json\n", "import json\n" + other * threads + check))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("script started") == 1, proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == '{"sweep": true, "mc": true, "tournament": true}'


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_worker_that_dies_is_reported_with_what_to_do(start: str) -> None:
    with WorkerPool(2, start=start) as pool, pytest.raises(WorkerError) as info:
        run_unordered(pool, os._exit, [(3,)], lambda task, result: None, local=False)
    message = str(info.value)
    assert "worker process stopped" in message and 'if __name__ == "__main__":' in message
    assert "out of memory" in message


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_shared_inputs_reach_every_worker_once_per_pool(start: str) -> None:
    seen: list[tuple[int, int]] = []
    with WorkerPool(3, start=start) as pool:                          # two spawned workers and this process
        handle = pool.share(list(range(1000)))
        run_unordered(pool, _sum_shared, [(handle, k) for k in range(8)], lambda t, r: seen.append(r))
        path = handle.path
        assert os.path.exists(path)
    assert not os.path.exists(path)                      # removed with the pool
    assert sorted(seen) == [(k, sum(range(1000)) + k) for k in range(8)]


def _sum_shared(handle, k: int) -> tuple[int, int]:
    return k, sum(handle.get()) + k


def test_one_worker_is_this_process_and_spawns_nothing() -> None:
    with WorkerPool(1) as pool:
        assert pool.spawned == 0
        assert pool.submit(pow, 2, 10).result() == 1024
        seen: list[int] = []
        run_unordered(pool, pow, [(2, k) for k in range(5)], lambda t, r: seen.append(r))
    assert seen == [1, 2, 4, 8, 16]


def test_every_task_runs_once_and_the_caller_takes_its_share() -> None:
    """Workers are refilled from the pool's thread while this one runs tasks itself: every task
    runs exactly once, results reach ``on_result`` in this thread, and this process ran some."""
    import threading

    here, threads, seen = os.getpid(), set(), []

    def record(task, result) -> None:
        threads.add(threading.get_ident())
        seen.append((task[0], result))

    with WorkerPool(2) as pool:
        run_unordered(pool, _slow_pid, [(k,) for k in range(40)], record)
    assert sorted(k for k, _ in seen) == list(range(40))
    assert threads == {threading.get_ident()}
    pids = {pid for _, (_, pid) in seen}
    assert here in pids and len(pids) == 2


def _slow_pid(k: int) -> tuple[int, int]:
    import time

    time.sleep(0.01)
    return k, os.getpid()


def test_start_method_is_checked() -> None:
    with pytest.raises(ValueError, match="auto, fork or spawn"):
        WorkerPool(2, start="forkserver")


def _tree_nodes_limit() -> int:
    from escalab import limits

    return limits.limit("tree-nodes")


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_task_runs_under_the_limits_set_when_it_was_submitted(start: str) -> None:
    """The `escalab` script starts workers before --limit is read, and spawned workers never saw it:
    a task carries the limits its submitter had set (a sweep's worker rebuilds the scenario)."""
    from escalab import limits

    with WorkerPool(2, start=start) as pool:                 # started before the limit is raised
        with limits.raised(tree_nodes=123_456):
            raised = pool.submit(_tree_nodes_limit).result()
        plain = pool.submit(_tree_nodes_limit).result()
    assert raised == 123_456
    assert plain == limits.get("tree-nodes").default


def _limit_of(k: int) -> tuple[int, int]:
    return k, _tree_nodes_limit()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_tasks_sent_from_the_pools_own_thread_keep_the_callers_limits(start: str) -> None:
    """run_unordered sends most tasks from the pool's thread as others end; that thread has none of
    the caller's limits, so they are taken once from the caller."""
    from escalab import limits

    seen: list[tuple[int, int]] = []
    with WorkerPool(2, start=start) as pool, limits.raised(tree_nodes=7_654):
        run_unordered(pool, _limit_of, [(k,) for k in range(12)], lambda t, r: seen.append(r), local=False)
    assert sorted(seen) == [(k, 7_654) for k in range(12)]


def test_a_limit_given_on_the_command_line_holds_in_the_sweeps_workers(tmp_path) -> None:
    # the environment's limit is below the default tree; --limit raises it for the run, and the
    # workers (started by the escalab script before --limit was read) rebuild the tree under it
    env = {**os.environ, "ESCALAB_LIMIT_TREE_NODES": "10"}
    args = ["--limit", "tree-nodes=1000", "sweep", "escalate-to-deescalate", "--grid", "p_resolute=0:1:101",
            "--grid", "c_limited=0:20:101", "--chunk", "500", "--workers", "2", "--no-figure", "--out", "out"]
    proc = subprocess.run([sys.executable, "-c", "from escalab.cli.launch import main; main()", *args], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "sweep.csv").read_text().count("\n") == 101 * 101 + 1
