"""The closing "In short" of ``escalab run``: the sections' findings as plain sentences.

A newcomer should not have to read every table to learn the answer. This module reads only the
JSON records the sections return (the same ones saved in ``summary.json``), so it states nothing
the tables do not show.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from ..scenario import Scenario


def _solve_lines(s: Scenario, rec: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    eq = rec.get("equilibrium")
    if eq is None:
        return [f"Equilibrium: {rec['note']}"] if "note" in rec else []
    lines.append(f"Equilibrium ({eq['method']}): {eq['path']}.")
    if "russia_uses_limited_weapons" in rec:
        verb = "uses" if rec["russia_uses_limited_weapons"] else "does not use"
        lines.append(f"Russia {verb} limited nuclear weapons under these parameters.")
    for who, action in rec.get("us_response", {}).items():
        lines.append(f"The {who} US President's reply to limited use: {action.replace('_', ' ')}.")
    for param, regions in rec.get("thresholds", {}).items():
        for r in regions:
            if r.get("infoset") == "russia_decides" and r.get("boundaries"):
                lines.append(f"Threshold: {r['statement']}.")
    variant = rec.get("without_low_yield")
    if variant and "changes_outcome" in variant:
        after = variant["equilibrium"]["path"]
        lines.append(("Without the low-yield option the outcome changes: " if variant["changes_outcome"] else
                      "Without the low-yield option the outcome is the same: ") + f"{after}.")
    return lines


def _simulate_lines(rec: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for row in rec.get("rows", []):
        endings = row["endings"]
        top = max(endings, key=lambda e: endings[e]["p"])
        war = endings.get("strategic_war", {}).get("p", 0.0)
        acc = "with accidents" if row["accidents"] else "without accidents"
        who = " vs ".join(f"{actor} {spec}" for actor, spec in row["policies"].items())
        lines.append(f"Ladder crisis, {who} ({acc}): most often {top.replace('_', ' ')} "
                     f"({100 * endings[top]['p']:.0f}%); strategic war {100 * war:.1f}%.")
    return lines


def findings(s: Scenario, record: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "solve" in record:
        lines += _solve_lines(s, record["solve"])
    if "simulate" in record:
        lines += _simulate_lines(record["simulate"])
    return lines


def print_findings(s: Scenario, record: dict[str, Any], console: Console) -> None:
    lines = findings(s, record)
    if lines:
        console.print(Panel(Text("\n".join(f"• {line}" for line in lines)), title=f"In short: {s.title}",
                            title_align="left"))
