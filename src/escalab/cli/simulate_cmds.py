"""``escalab simulate`` and ``escalab assess`` (issue 4)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the simulation commands to the app."""
