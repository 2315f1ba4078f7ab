"""Issue 23, point 2: every budget is checked before the work, on every path into it.

No test here measures time: each replaces the work (the ladder equilibrium, a sweep's solve, the
report's sections, a socket connection) with a tripwire and asserts the refusal came without it.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from escalab import limits


class Tripped(AssertionError):
    """The work a budget should have refused ran."""


def _tripwire(*args, **kwargs):
    raise Tripped("the work started before its budget was checked")


@pytest.fixture(autouse=True)
def _no_limits_left_behind():
    yield
    limits.set_limits({}, replace=True)     # an in-process --limit must not reach the next test


@pytest.fixture()
def no_ladder_solve(monkeypatch):
    """The ladder crisis's equilibrium and arrays: neither may be built before a refusal."""
    import escalab.simulate.policies as policies
    import escalab.simulate.run as sim_run
    monkeypatch.setattr(policies, "solve_equilibrium", _tripwire)
    monkeypatch.setattr(sim_run, "ladder_arrays", _tripwire)


@pytest.fixture()
def no_workers(monkeypatch):
    import escalab.workers as workers
    monkeypatch.setattr(workers.WorkerPool, "__init__", _tripwire)


@pytest.fixture()
def no_connection(monkeypatch):
    monkeypatch.setattr(socket, "create_connection", _tripwire)


@pytest.mark.parametrize("runs", ["1000000000000", "100000000000000000000"])
def test_simulate_refuses_the_runs_before_solving_the_equilibrium(invoke, no_ladder_solve, no_workers, runs):
    r = invoke("simulate", "escalate-to-deescalate", "--runs", runs, "--workers", "2")
    assert r.exit_code == 2, r.output
    assert f"--runs: the number of Monte Carlo runs is {int(runs):,}, over the limit 'mc-runs'" in r.stderr


def test_the_api_refuses_the_runs_before_solving_the_equilibrium(monkeypatch):
    import escalab
    import escalab.simulate.policies as policies
    from escalab.simulate import Crisis
    crisis = Crisis.of(escalab.load("kahn-game-compact"))
    monkeypatch.setattr(policies, "solve_equilibrium", _tripwire)
    with pytest.raises(limits.LimitError, match="mc-runs"):
        crisis.monte_carlo(runs=10 ** 12)
    with pytest.raises(limits.LimitError, match="mc-runs"), limits.raised(mc_runs=10):
        crisis.monte_carlo(runs=11)


def test_exact_analysis_budget_before_its_policies_are_solved(invoke, monkeypatch):
    import escalab.simulate.policies as policies
    monkeypatch.setattr(policies, "solve_equilibrium", _tripwire)
    r = invoke("--limit", "state-space=1000", "simulate", "kahn-game-compact", "--exact")
    assert r.exit_code == 2, r.output
    assert "the exact analysis" in r.stderr and "over the limit 'state-space' of 1,000" in r.stderr


def test_a_lifted_state_space_the_machine_cannot_hold_is_refused_with_the_sizes(invoke, monkeypatch,
                                                                                no_ladder_solve):
    import escalab.simulate.run as sim_run
    from escalab.solve.ladder import ladder_arrays
    monkeypatch.setattr(sim_run, "ladder_arrays", ladder_arrays)        # the arrays are built: their check runs
    monkeypatch.setattr(limits, "available_memory", lambda: 1_000)
    r = invoke("--limit", "state-space=1e15", "simulate", "kahn-game-compact", "--exact")
    assert r.exit_code == 2, r.output
    assert "more than the 1.0 kB of memory available on this machine" in r.stderr and "need about" in r.stderr
    assert "MemoryError" not in r.stderr


def test_a_lifted_grid_budget_the_machine_cannot_hold_ends_before_allocating(invoke, monkeypatch, tmp_path):
    """Once: 'internal error: MemoryError: Unable to allocate 931. GiB'."""
    import escalab.solve.sweep as sweep
    monkeypatch.setattr(sweep, "solve_range", _tripwire)
    monkeypatch.setattr(sweep, "GridCodes", _tripwire)
    r = invoke("--limit", "grid-points=1e12", "sweep", "deterrence-game", "--grid", "v=0:1:1000000",
               "--grid", "c_C=0:1:1000000", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2, r.output
    assert "the sweep's 1,000,000,000,000 points need about 8.0 TB, more than the" in r.stderr
    assert "of memory available on this machine" in r.stderr and "internal error" not in r.stderr
    monkeypatch.setattr(limits, "available_memory", lambda: 10 ** 6)          # 1 MB free: 200,000 points do not fit
    r = invoke("--limit", "grid-points=1e12", "sweep", "deterrence-game", "--grid", "v=0:1:1000",
               "--grid", "c_C=0:1:200", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "200,000 points need about 1.6 MB, more than the 1.0 MB" in r.stderr
    r = invoke("--limit", "grid-points=1e15", "sweep", "deterrence-game", "--grid", "v=0:1:100000000000000",
               "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "the 100,000,000,000,000 values of this axis" in r.stderr
    assert not (tmp_path / "o").exists()


def test_available_memory_is_what_the_kernel_says():
    free = limits.available_memory()
    if free is None:
        pytest.skip("this platform says nothing about its free memory")
    assert 0 < free < 10 ** 18
    with pytest.raises(limits.UsageError, match="the test's arrays need about 1000.0 PB, more than the .* of memory"):
        limits.check_memory(10 ** 18, "the test's arrays")
    limits.check_memory(free // 2, "half of it")


@pytest.mark.parametrize("command", [
    ["simulate", "kahn-game-compact", "--scheduler", "tcp://127.0.0.1:9"],
    ["sweep", "deterrence-game", "--grid", "v=0:1:3", "--scheduler", "tcp://127.0.0.1:9"],
    ["tournament", "kahn-game-compact", "--agent", "u=uniform", "--scheduler", "tcp://127.0.0.1:9"],
])
def test_a_dask_wait_of_years_is_refused_before_any_connection_or_work(invoke, tmp_path, monkeypatch, command,
                                                                       no_connection, no_ladder_solve):
    """Once: a dask-timeout raised to 10^9 waited (for 31 years) on a silent endpoint."""
    import escalab.solve.sweep as sweep
    monkeypatch.setattr(sweep, "solve_range", _tripwire)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "games.sqlite"
    extra = ["--db", str(db)] if command[0] == "tournament" else []
    r = invoke("--limit", "dask-timeout=1000000000", *command, *extra)
    assert r.exit_code == 2, r.output
    assert "the dask-timeout limit is 1,000,000,000 s; escalab waits at most 3,600 s" in r.stderr
    assert not db.exists() and list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------ run and run --from
def _results_file(path: Path, scenario: str, runs: int) -> Path:
    """A results.json as `escalab run` writes it for ``scenario``, with ``runs`` as its stored setting:
    every key --from reads, the document self-contained, the hash right (only the setting is large)."""
    import escalab
    from escalab.report import reproducibility
    from escalab.report.run import FORMAT
    s = escalab.load(scenario)
    doc = reproducibility.self_contained(s)
    settings = {"monte_carlo_runs": runs, "monte_carlo_seed": 0}
    data = {"reproducibility": reproducibility.block(s, doc, "escalab run", settings), "format": FORMAT,
            "scenario": {"id": s.id, "document": doc}, "solve": {}, "simulate": {}, "variants": {},
            "readiness": {}, "plays": {}, "colours": {}, "findings": [], "citation": "", "methods": ""}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture()
def no_report_work(monkeypatch, no_ladder_solve):
    import escalab.report.run as run_report
    from escalab.report import solve_section
    monkeypatch.setattr(run_report, "Presolve", _tripwire)
    monkeypatch.setattr(solve_section, "compute", _tripwire)


def test_run_from_a_stored_setting_over_the_budget_is_refused_before_any_work(invoke, tmp_path, no_report_work):
    """Once: a stored setting of 10^8 runs hung (for hours: it is 10^8 runs for each simulation)."""
    stored = _results_file(tmp_path / "results.json", "kahn-game-compact", 10 ** 8)
    r = invoke("run", "--from", str(stored))
    assert r.exit_code == 2, r.output
    assert f"'{stored}' (reproducibility.settings): 100,000,000 runs for each of the report's" in r.stderr
    assert "over the limit 'mc-runs' of 100,000,000" in r.stderr and "Reproduced" not in r.output


def test_run_counts_every_simulation_of_the_report_against_the_runs_budget(invoke, tmp_path, no_report_work,
                                                                           monkeypatch):
    from escalab.report import simulate_section
    from escalab.report.run import monte_carlo_simulations
    import escalab
    n = monte_carlo_simulations(escalab.load("kahn-game-compact"))
    assert n >= 4                                    # equilibrium and logit, with and without accidents, at least
    monkeypatch.setattr(simulate_section, "RUNS", 1_000)
    r = invoke("--limit", f"mc-runs={1_000 * n - 1}", "run", "kahn-game-compact", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2, r.output
    assert f"1,000 runs for each of the report's {n} Monte Carlo simulations" in r.stderr
    assert not (tmp_path / "o").exists()
