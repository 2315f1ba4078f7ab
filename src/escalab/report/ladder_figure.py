"""An escalation ladder drawn as a ladder: rungs bottom to top, coloured by band, thresholds marked.

Bands are what escalab's ladder crisis reasons with (settlement below, accidents in the nuclear
bands, strategic war at the top), so the figure makes them visible at a glance; rung values are
printed because the endings' payoffs use them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..scenario import LadderSpec  # noqa: E402
from ..scenario.schema import BANDS  # noqa: E402

BAND_COLOURS = {"de_escalation": "#a6d96a", "status_quo": "#d9ef8b", "conventional": "#fee08b",
                "nuclear_signalling": "#fdae61", "nuclear_use": "#f46d43", "strategic": "#a50026"}


def plot_ladder(ladder: LadderSpec, path: str | Path, marks: dict[str, str] | None = None) -> Path:
    """Draw ``ladder`` to ``path``; ``marks`` maps rung ids to a short note (e.g. 'start')."""
    path = Path(path)
    n = len(ladder.rungs)
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.26 * n + 1.2)))
    for i, r in enumerate(ladder.rungs):
        ax.barh(i, 1.0, left=0, height=0.86, color=BAND_COLOURS.get(r.band, "#cccccc"), edgecolor="#555555",
                lw=0.5)
        ax.text(0.02, i, f"{r.name}", va="center", ha="left", fontsize=7.5,
                color="white" if r.band == "strategic" else "black")
        ax.text(0.98, i, f"{r.value:g}", va="center", ha="right", fontsize=7.5,
                color="white" if r.band == "strategic" else "black")
        if marks and r.id in marks:
            ax.text(1.02, i, f"◀ {marks[r.id]}", va="center", ha="left", fontsize=7.5, color="#222222")
    index = {r.id: i for i, r in enumerate(ladder.rungs)}
    for th in ladder.thresholds:
        y = index[th.after] + 0.5
        ax.plot([-0.8, 1.0], [y, y], color="black", lw=1.2, ls="--")
        ax.text(-0.04, y + 0.08, th.name, va="bottom", ha="right", fontsize=6.5, style="italic")
    ax.set_xlim(-0.8 if ladder.thresholds else 0, 1.45 if marks else 1.0)
    ax.set_ylim(-0.6, n - 0.4)
    ax.axis("off")
    present = [b for b in BANDS if any(r.band == b for r in ladder.rungs)]
    ax.legend(handles=[Patch(facecolor=BAND_COLOURS[b], edgecolor="#555555", label=b.replace("_", " "))
                       for b in present], loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=7.5,
              frameon=False, title="band", title_fontsize=8)
    name = ladder.name or ladder.id
    # names often give the count already ("Compact Kahn Game ladder (9 rungs)")
    ax.set_title(name if f"{n} rungs" in name else f"{name} ({n} rungs)", fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
