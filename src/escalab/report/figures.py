"""Every figure of the report, drawn from the scenario and the numbers in ``results.json``.

Each function writes one PNG into the staging folder of the run's output set and returns its file
name, or None with nothing written when the figure does not apply. Drawing only from the results
record (plus the scenario) is what lets ``--from`` redraw a report from a stored run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..scenario import Scenario  # noqa: E402
from .colours import ending_colours  # noqa: E402
from .findings import ending_name  # noqa: E402
from .game_tree import plot_game_tree  # noqa: E402
from .ladder_figure import plot_ladder  # noqa: E402
from .phase_diagram import plot_phase_diagram  # noqa: E402
from .solve_section import solve_point, sweep_from_record  # noqa: E402

MAX_TREE_LEAVES = 48


def tree(s: Scenario, results: dict[str, Any], where: Path) -> str | None:
    solve = results.get("solve", {})
    if "sequential" not in s.forms or solve.get("facts", {}).get("terminal_nodes", 0) > MAX_TREE_LEAVES:
        return None
    got = solve_point(s)
    game, eq = (s.compile("sequential"), None) if isinstance(got, str) else (got[0], got[2])
    plot_game_tree(game, where / "tree.png", eq)
    return "tree.png"


def ladders(s: Scenario, results: dict[str, Any], where: Path) -> dict[str, str]:
    out = {}
    solve = results.get("solve", {})
    if s.ladder is not None:
        marks: dict[str, str] = {}
        for d in solve.get("on_path", []):
            if d.get("rung"):
                note = f"{d['actor_name']}: {d.get('action_label', d['action'])}"
                marks[d["rung"]] = f"{marks[d['rung']]}; {note}" if d["rung"] in marks else note
        plot_ladder(s.ladder, where / "ladder.png", marks)
        out["tree"] = "ladder.png"
    lc = s.spec.ladder_crisis
    if lc is not None and s.crisis_ladder is not None:
        marks = {}
        for actor, rung in lc.start.items():
            marks[rung] = (marks[rung] + ", " if rung in marks else "start: ") + s.spec.actors[actor].name
        plot_ladder(s.crisis_ladder, where / "crisis-ladder.png", marks)
        out["crisis"] = "crisis-ladder.png"
    return out


def phase(s: Scenario, rec: dict[str, Any], colours: dict[str, str], where: Path, name: str, title: str
          ) -> str | None:
    if "axes" not in rec:
        return None
    result = sweep_from_record(rec, s.id, title)
    plot_phase_diagram(result, where / name, title=title, colours_by_label=colours, mark=rec.get("default"))
    return name


def endings(s: Scenario, sim: dict[str, Any], where: Path) -> str | None:
    if "rows" not in sim:
        return None
    rows, names = sim["rows"], sim["endings"]
    colours = ending_colours(names)
    labels = [f"{r['configuration']} ({'accidents' if r['accidents'] else 'no accidents'})" for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.6))
    left = np.zeros(len(rows))
    for e in names:
        widths = np.array([r["endings"][e]["p"] for r in rows])
        ax.barh(labels, widths, left=left, label=ending_name(s, e), color=colours[e])
        left += widths
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"probability ({sim['runs']:,} Monte Carlo runs per row, seed {sim['seed']})")
    ax.set_title("How the ladder crisis ends")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)
    fig.savefig(where / "endings.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return "endings.png"


def readiness(rec: dict[str, Any], where: Path) -> dict[str, str]:
    out = {}
    for a in rec.get("actors", []):
        looks = [("prior", a["prior"])] + [(r["look"], r["posterior"]) for r in a["rows"]]
        fig, ax = plt.subplots(figsize=(9, 0.42 * len(looks) + 1.6))
        left = np.zeros(len(looks))
        cmap = plt.get_cmap("YlOrRd")
        n = len(a["levels"])
        for i, name in enumerate(a["level_names"]):
            widths = np.array([p[i] for _, p in looks])
            ax.barh([lbl for lbl, _ in looks], widths, left=left, color=cmap(0.15 + 0.8 * i / max(1, n - 1)),
                    edgecolor="white", label=name)
            left += widths
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability of each readiness level")
        ax.set_title(f"Readiness of {a['name']}: what one look says")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(5, n), fontsize=8, frameon=False,
                  title="level (lowest readiness first)", title_fontsize=8)
        name = f"readiness-{a['actor']}.png"
        fig.savefig(where / name, dpi=120, bbox_inches="tight")
        plt.close(fig)
        out[a["actor"]] = name
    return out
