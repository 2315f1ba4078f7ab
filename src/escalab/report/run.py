"""``escalab run``: the full analysis of one scenario, section by section.

Each section takes the scenario, the output directory and a console, prints what it found, writes
its files, and returns a JSON-ready record that goes into ``summary.json``. Sections that do not
apply to a scenario return None. Later work adds sections here, in reading order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from ..scenario import Scenario
from .findings import print_findings
from .summary import scenario_overview

Section = Callable[[Scenario, Path, Console], dict[str, Any] | None]


def scenario_section(s: Scenario, out: Path, console: Console) -> dict[str, Any]:
    console.print(scenario_overview(s))
    path = out / "scenario.json"
    path.write_text(json.dumps(s.to_dict(), indent=2))
    console.print(f"[dim]wrote {path}[/]")
    return {"id": s.id, "title": s.title, "forms": list(s.forms), "file": str(path)}


def sections() -> list[tuple[str, Section]]:
    from . import simulate_section, solve_section
    return [("scenario", scenario_section), ("solve", solve_section.section),
            ("simulate", simulate_section.section)]


def run(s: Scenario, out: Path, console: Console) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {}
    for name, section in sections():
        result = section(s, out, console)
        if result is not None:
            record[name] = result
    print_findings(s, record, console)
    (out / "summary.json").write_text(json.dumps(record, indent=2, default=str))
    console.print(f"[dim]wrote {out / 'summary.json'}[/]")
    return record
