"""Shared test settings: hypothesis runs derandomised so CI is reproducible run to run."""

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
