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
    """What the tree's equilibrium says, from the solve record alone (no scenario's names assumed)."""
    eq = rec.get("equilibrium")
    if eq is None:
        return [f"Move tree: {rec['skipped']}"] if "skipped" in rec else []
    lines = [f"Equilibrium: {eq['path']} (outcome {eq['label']})."]
    alt = rec.get("alternatives")
    if alt and alt["count"] > 1:
        lines.append(f"It is one of {alt['count']} pure sequential equilibria, listed first because {alt['why_first']}; "
                     f"the other{'s' if alt['count'] > 2 else ''}: {'; '.join(alt['others'])}.")
    for text in (alt or {}).get("off_path", []):
        lines.append(f"Off the equilibrium path it rests on the {text}.")
    for d in rec.get("on_path", []):
        lines.append(f"On the equilibrium path {d['actor_name']} plays {d['action']} at {d['infoset']}.")
    rows = [r for r in rec.get("robustness", {}).get("rows", []) if r.get("nearest_outcome")]
    for r in rows[:2]:
        o = r["nearest_outcome"]
        lines.append(f"The outcome changes to {o['outcome_after']} when {r['parameter']} reaches "
                     f"{o['exact'] or format(o['at'], '.6g')} (it is {r['value']:g}).")
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
    for v in record.get("variants", {}).get("rows", []):
        lines.append(v["sentence"])
    if "simulate" in record:
        lines += _simulate_lines(record["simulate"])
    return lines


def print_findings(s: Scenario, record: dict[str, Any], console: Console) -> None:
    lines = findings(s, record)
    if lines:
        console.print(Panel(Text("\n".join(f"• {line}" for line in lines)), title=f"In short: {s.title}",
                            title_align="left"))
