"""The 'solve' section of ``escalab run`` (equilibria, credibility, phase diagram)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from ..scenario import Scenario


def section(s: Scenario, out: Path, console: Console) -> dict[str, Any] | None:
    return None  # filled in by the solve work (issue 3)
