"""One default report, made once through the CLI as a user makes it, shared by the report tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalab.report import simulate_section


@pytest.fixture(scope="session")
def fast_simulation() -> None:
    """Fewer Monte Carlo runs: the tests check the report's plumbing, tests/simulate the rates."""
    mp = pytest.MonkeyPatch()
    mp.setattr(simulate_section, "RUNS", 2_000)
    yield
    mp.undo()


@pytest.fixture(scope="session")
def default_report(tmp_path_factory: pytest.TempPathFactory, fast_simulation: None) -> tuple[Path, dict, str]:
    """(output folder, results.json, terminal output) of ``escalab run --out report`` in a fresh folder."""
    from escalab.cli.app import app

    work = tmp_path_factory.mktemp("work")
    old = os.getcwd()
    os.chdir(work)            # relative --out as a user types it; no game store here
    try:
        result = CliRunner().invoke(app, ["run", "--out", "report"], terminal_width=120)
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output + result.stderr
    out = work / "report"
    return out, json.loads((out / "results.json").read_text(encoding="utf-8")), result.output
