"""The 'simulate' section of ``escalab run``: how the ladder crisis ends under different leaders.

Rows compare the fog-free equilibrium, a logit (boundedly rational) response, and the scenario's
doctrines, each with and without accidents, so a reader sees at once how much of the risk of
strategic war comes from choices and how much from chance. Doctrines are paired by a fixed rule:
the first actor follows the first doctrine in the file, the second actor each of the others in
turn (both the same one if the file has only one). Monte Carlo with a fixed seed keeps the section
to a few seconds; every rate carries its interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..scenario import Scenario
from ..simulate import Crisis, SimulationResult

RUNS = 20_000
SEED = 0
LOGIT_LAMBDA = 1.0
ENDING_COLOURS = {"settlement": "#4daf4a", "strategic_war": "#984ea3", "turn_limit": "#999999"}
CAPITULATION_COLOURS = ("#377eb8", "#ff7f00")
SHORT = {"settlement": "settled", "strategic_war": "war", "turn_limit": "limit"}


def configurations(s: Scenario) -> list[tuple[str, dict[str, str]]]:
    actors = s.spec.ladder_crisis.actors  # type: ignore[union-attr]
    rows = [("equilibrium", {a: "equilibrium" for a in actors}),
            (f"logit λ={LOGIT_LAMBDA:g}", {a: f"logit:{LOGIT_LAMBDA:g}" for a in actors})]
    doctrines = list(s.spec.doctrines)
    if doctrines:
        first, others = doctrines[0], doctrines[1:] or doctrines[:1]
        for d in others:
            rows.append((f"doctrine {d}", {actors[0]: f"doctrine:{first}", actors[1]: f"doctrine:{d}"}))
    return rows


def section(s: Scenario, out: Path, console: Console) -> dict[str, Any] | None:
    if s.spec.ladder_crisis is None:
        return None
    results: list[tuple[str, SimulationResult]] = []
    with console.status("simulating the ladder crisis"):
        for accidents in (True, False):
            crisis = Crisis.of(s, accidents=accidents)
            for label, specs in configurations(s):
                results.append((label, crisis.monte_carlo(specs, runs=RUNS, seed=SEED, beliefs=False)))
    endings = list(results[0][1].endings)
    first = configurations(s)[-1][1]
    actors = list(first)
    caption = (f"doctrine rows: {actors[0]} follows {first[actors[0]].partition(':')[2]}, {actors[1]} the doctrine "
               f"named" if len(configurations(s)) > 2 else "")
    console.print(_table(results, endings, caption))
    figure = out / "simulate_endings.png"
    _chart(results, endings, figure)
    console.print(f"[dim]wrote {figure}[/]")
    return {
        "method": "monte_carlo", "runs": RUNS, "seed": SEED, "logit_lambda": LOGIT_LAMBDA,
        "rows": [{"configuration": label, "accidents": r.accidents, "policies": r.policies,
                  "endings": {k: v.to_dict() for k, v in r.endings.items()}, "mean_duration": r.mean_duration}
                 for label, r in results],
        "figure": str(figure),
    }


def _table(results: list[tuple[str, SimulationResult]], endings: list[str], caption: str) -> Table:
    half = max((r.endings[e].ci[1] - r.endings[e].ci[0]) / 2 for _, r in results for e in endings)
    t = Table(title=f"Ladder crisis: how it ends, % of {RUNS:,} runs (95% intervals within ±{100 * half:.1f} pp)",
              title_justify="left", caption=caption, caption_justify="left")
    t.add_column("leaders", overflow="fold", min_width=14)
    t.add_column("acc.")
    for e in endings:
        t.add_column(SHORT.get(e, e.replace("_capitulates", " gives in")), justify="right")
    t.add_column("turns", justify="right")
    for i, (label, r) in enumerate(results):
        last_on = i + 1 < len(results) and results[i + 1][1].accidents != r.accidents
        t.add_row(label, "on" if r.accidents else "off", *(f"{100 * r.endings[e].p:.1f}" for e in endings),
                  f"{r.mean_duration:.1f}", end_section=last_on)
    return t


def _chart(results: list[tuple[str, SimulationResult]], endings: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{label} ({'accidents' if r.accidents else 'no accidents'})" for label, r in results]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(results) + 1.6))
    left = [0.0] * len(results)
    caps = iter(CAPITULATION_COLOURS)
    for e in endings:
        colour = ENDING_COLOURS.get(e) or next(caps, None)
        widths = [r.endings[e].p for _, r in results]
        ax.barh(labels, widths, left=left, label=e.replace("_", " "), color=colour)
        left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    ax.set_title("How the ladder crisis ends")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
