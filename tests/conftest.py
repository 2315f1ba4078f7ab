"""Shared test settings: hypothesis runs derandomised so CI is reproducible run to run, and solved
ladder equilibria are cached in a folder of this test session's own (never the user's cache, and
the default scenario is solved once per session, not once per test)."""

import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

settings.register_profile("escalab", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escalab")


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
