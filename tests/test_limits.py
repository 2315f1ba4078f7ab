"""Budgets: named, defaulted, raisable by flag or environment, refusals that say how to raise them."""

import pytest

from escalab import limits
from escalab.errors import UsageError
from escalab.limits import LimitError


def test_refusal_names_limit_size_and_how_to_raise() -> None:
    with pytest.raises(LimitError) as info:
        limits.GRID_POINTS.check(10**9, where="--grid")
    text = str(info.value)
    assert "--grid: the number of grid points in a sweep is 1,000,000,000" in text
    assert "'grid-points' of 20,000,000" in text
    assert "--limit grid-points=N" in text and "ESCALAB_LIMIT_GRID_POINTS=N" in text
    assert isinstance(info.value, UsageError)


def test_environment_and_context_raise_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALAB_LIMIT_GRID_POINTS", "2e9")
    limits.GRID_POINTS.check(10**9)
    with limits.raised(grid_points=10):
        with pytest.raises(LimitError):
            limits.GRID_POINTS.check(11)
    monkeypatch.setenv("ESCALAB_LIMIT_GRID_POINTS", "lots")
    with pytest.raises(UsageError, match="ESCALAB_LIMIT_GRID_POINTS"):
        limits.GRID_POINTS.value()


def test_limit_option_parsing() -> None:
    assert limits.parse_limit_option("tree-nodes=1_000_000") == ("tree-nodes", 1_000_000)
    with pytest.raises(UsageError, match="known limits"):
        limits.parse_limit_option("nodes=3")
    with pytest.raises(UsageError, match="not a whole number"):
        limits.parse_limit_option("tree-nodes=-3")


def test_every_limit_is_in_the_documented_table() -> None:
    """docs/limits.md lists every budget with its default, so a user can find the one a refusal names."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text(encoding="utf-8")
    for lim in limits.LIMITS.values():
        assert f"| `{lim.name}` | {lim.default:,} | {lim.what} |" in text, lim.name
