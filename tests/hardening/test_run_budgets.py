"""Issue 8: Monte Carlo runs and grid points are budgets checked before any work or allocation."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("runs", ["1000000000000", "100000000000000000000"])
def test_huge_runs_refused_before_chunks_are_planned(invoke, runs: str) -> None:
    r = invoke("simulate", "escalate-to-deescalate", "--runs", runs)
    assert r.exit_code == 2
    assert f"--runs: the number of Monte Carlo runs is {int(runs):,}, over the limit 'mc-runs' of 100,000,000" \
        in r.stderr and "--limit mc-runs=N" in r.stderr


@pytest.mark.parametrize("grids, total", [(["v=0:1:30000000"], "30,000,000"),
                                          (["v=0:1:5000", "c_C=0:1:5000"], "25,000,000")])
def test_grid_points_budget(invoke, grids: list[str], total: str) -> None:
    args = [x for g in grids for x in ("--grid", g)]
    r = invoke("sweep", "deterrence-game", *args)
    assert r.exit_code == 2
    assert f"the number of grid points in a sweep is {total}, over the limit 'grid-points' of 20,000,000" in r.stderr


def test_grid_points_budget_can_be_lowered(invoke, tmp_path) -> None:
    r = invoke("--limit", "grid-points=10", "sweep", "deterrence-game", "--grid", "v=0:1:11",
               "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "is 11, over the limit 'grid-points' of 10" in r.stderr
