"""`escalab show` with names that more than one kind of document uses."""

from typer.testing import CliRunner

from escalab.cli.app import app

runner = CliRunner()


def test_shared_name_shows_the_scenario_and_says_so() -> None:
    result = runner.invoke(app, ["show", "kahn-game-compact"])
    assert result.exit_code == 0
    assert "names a scenario and a ladder" in result.output
    assert "The Kahn Game on the compact ladder" in result.output


def test_kind_picks_the_ladder() -> None:
    result = runner.invoke(app, ["show", "kahn-game-compact", "--kind", "ladder"])
    assert result.exit_code == 0
    assert "Ladder kahn-game-compact" in result.output and "Complete surrender" in result.output


def test_kind_that_does_not_match_explains() -> None:
    result = runner.invoke(app, ["show", "defcon", "--kind", "ladder"])
    assert result.exit_code == 2
    assert "'defcon' is not a built-in ladder; it is a built-in readiness scale" in result.output


def test_unknown_kind_is_rejected() -> None:
    result = runner.invoke(app, ["show", "defcon", "--kind", "rung"])
    assert result.exit_code == 2
    assert "--kind must be one of: scenario, ladder, readiness_scale" in result.output
