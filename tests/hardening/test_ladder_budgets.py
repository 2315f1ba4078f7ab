"""Issue 8: a turn limit, a balance range or an exact analysis too big for memory is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from escalab.scenario import library

pytestmark = pytest.mark.timeout(120)
E2D = library.builtin_path("scenario", "escalate-to-deescalate")


def _variant(tmp_path: Path, old: str, new: str) -> str:
    text = E2D.read_text()
    assert old in text
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


def test_turn_limit_of_a_million_refused(invoke, tmp_path: Path) -> None:
    r = invoke("validate", _variant(tmp_path, "  turn_limit: 12\n", "  turn_limit: 1000000\n"))
    assert r.exit_code == 2
    assert "ladder_crisis.turn_limit: the turn limit is 1,000,000, over the limit 'turn-limit' of 10,000" in r.stderr


def test_huge_balance_range_refused(invoke, tmp_path: Path) -> None:
    text = E2D.read_text()
    start = text.index("  balance:")
    line = next(ln for ln in text[start:].splitlines() if "range:" in ln)
    r = invoke("validate", _variant(tmp_path, line, line.split("range:")[0] + "range: [-50000000, 50000000]"))
    assert r.exit_code == 2
    assert "the number of balance values in a range is 100,000,001, over the limit 'balance-range'" in r.stderr


def test_exact_analysis_budget(invoke) -> None:
    r = invoke("--limit", "state-space=1000", "simulate", "escalate-to-deescalate", "--exact")
    assert r.exit_code == 2
    # the first table of that size (payoffs, then the equilibrium, then the chain) is refused before it exists
    assert "escalate-to-deescalate: the" in r.stderr
    assert "the number of array cells for the exact analysis" in r.stderr
    assert "--limit state-space=N" in r.stderr


def test_payoff_tables_budget_before_monte_carlo(invoke) -> None:
    r = invoke("--limit", "state-space=1000", "simulate", "escalate-to-deescalate", "--runs", "10")
    assert r.exit_code == 2
    assert "escalate-to-deescalate: the payoff tables (types x endings x turns x balances x rungs)" in r.stderr
    assert "over the limit 'state-space' of 1,000" in r.stderr
