"""Shared test settings: hypothesis runs derandomised so CI is reproducible run to run; solved
ladder equilibria are cached in a folder of this test session's own (never the user's cache, and
the default scenario is solved once per session, not once per test); one default report, made
once through the CLI as a user makes it, shared by every test that reads one."""

import shutil
import tempfile

from hypothesis import HealthCheck, settings

settings.register_profile("escalab", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escalab")


import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from typer.testing import CliRunner, Result  # noqa: E402


@pytest.fixture
def invoke():
    """Run an ``escalab`` command in-process; no traceback may ever reach the user."""
    from escalab.cli.app import app

    runner = CliRunner()

    def run(*args: str) -> Result:
        result = runner.invoke(app, list(args))
        assert "Traceback" not in result.output
        assert "Traceback" not in result.stderr
        return result
    return run


def pytest_configure(config: pytest.Config) -> None:
    folder = tempfile.mkdtemp(prefix="escalab-test-cache-")
    config.stash[_CACHE] = folder
    os.environ["ESCALAB_CACHE_DIR"] = folder        # subprocesses of tests inherit it
    os.environ.pop("ESCALAB_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_CACHE, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


_CACHE = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _limits_of_its_own():
    """A ``--limit`` given to an in-process command (CliRunner) sets this process's budgets; without
    a reset it would carry over into every later test."""
    from escalab import limits
    saved = limits.overrides()
    yield
    limits.set_limits(saved, replace=True)


@pytest.fixture(scope="session")
def fast_simulation() -> None:
    """Fewer Monte Carlo runs: the tests check the report's plumbing, tests/simulate the rates."""
    from escalab.report import simulate_section

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
