"""docs/limits.md names every limit with its default and how to raise it, and every limit is enforced."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from escalab import limits

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "escalab").rglob("*.py")
                   if p.name != "limits.py")
CONSTANT = {lim.name: name for name, lim in vars(limits).items() if isinstance(lim, limits.Limit)}


@pytest.mark.parametrize("name", sorted(limits.LIMITS))
def test_every_limit_documented_with_default_and_how_to_raise(name: str) -> None:
    lim = limits.LIMITS[name]
    row = next((ln for ln in DOC.splitlines() if ln.startswith(f"| `{name}` |")), None)
    assert row is not None, f"docs/limits.md has no row for {name}"
    assert f"| {lim.default:,} |" in row and f"--limit {name}=N" in row and lim.env in row


@pytest.mark.parametrize("name", sorted(limits.LIMITS))
def test_every_limit_is_enforced_somewhere(name: str) -> None:
    const = CONSTANT[name]
    assert re.search(rf"\b{const}\.(check|value|refusal)\(|limit\(\"{name}\"\)|get\(\"{name}\"\)"
                     rf"|read_(text|bounded)\([^)]*\blimits\.{const}\b", SOURCE), \
        f"limit {name} ({const}) is defined but nothing checks it"


def test_dask_trust_warning() -> None:
    assert "unpickling runs code on your machine" in DOC and "connect only to a scheduler" in DOC
