"""``escalab solve`` and ``escalab sweep`` (issue 3)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the solve commands to the app."""
