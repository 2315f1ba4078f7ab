"""A game tree drawn with matplotlib, the equilibrium path highlighted.

A reader checks an equilibrium by following it through the tree: which moves are played, which
threats sit off the path, which nodes a player cannot tell apart. The figure shows exactly that --
decision nodes coloured by actor, chance nodes grey, information sets joined by dashed lines in
the actor's colour (explained once, in a key), the equilibrium path in thick red and every
equilibrium choice off the path in thinner red.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from .. import limits  # noqa: E402
from ..atomic import atomic_path  # noqa: E402
from ..errors import UsageError  # noqa: E402
from ..model import ExtensiveGame  # noqa: E402
from ..solve.assessment import Equilibrium  # noqa: E402

ACTOR_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
PATH_COLOUR = "#c0392b"


def _fmt(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return f"{f:.3g}" if not f.is_integer() else str(int(f))


def _layout(game: ExtensiveGame) -> tuple[dict[int, float], dict[int, int]]:
    x: dict[int, float] = {}
    depth: dict[int, int] = {0: 0}
    leaf = 0
    for n in game.nodes:
        for ch in n.children:
            depth[ch] = depth[n.index] + 1
    # leaves in pre-order get consecutive x; parents sit at the mean of their children
    for n in game.nodes:
        if n.kind == "terminal":
            x[n.index] = float(leaf)
            leaf += 1
    for n in reversed(game.nodes):
        if n.kind != "terminal":
            x[n.index] = sum(x[c] for c in n.children) / len(n.children)
    return x, depth


FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def check_figure(game: ExtensiveGame, path: str | Path) -> tuple[float, float]:
    """The figure size in inches, after checking the suffix and the budgets -- before any work.

    The figure grows with the tree and matplotlib allocates every pixel (a big tree once ended in
    ``std::bad_alloc``), so the node count and the size are refused by name.
    """
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise UsageError(f"cannot draw a game tree to '{path}': expected a file name ending in "
                         f"{', '.join(FIGURE_SUFFIXES)}")
    limits.FIGURE_NODES.check(len(game.nodes), where=f"--tree {path}")
    leaves = sum(1 for n in game.nodes if n.kind == "terminal")
    depth: dict[int, int] = {0: 0}
    for n in game.nodes:
        for ch in n.children:
            depth[ch] = depth[n.index] + 1
    size = (max(7.0, 1.25 * leaves), max(4.0, 1.6 * (max(depth.values()) + 1) + 1.2))
    limits.FIGURE_INCHES.check(round(max(size)), where=f"--tree {path}")
    return size


def plot_game_tree(game: ExtensiveGame, path: str | Path, equilibrium: Equilibrium | None = None,
                   title: str | None = None) -> Path:
    """Draw ``game`` to ``path`` (.png, .svg or .pdf by suffix), with ``equilibrium`` highlighted if given."""
    path = Path(path)
    size = check_figure(game, path)
    x, depth = _layout(game)
    leaves = sum(1 for n in game.nodes if n.kind == "terminal")
    levels = max(depth.values()) + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=size)
    # A wide tree is shown shrunk to the page: its text grows with it so that labels stay readable there.
    fs = min(1.7, max(1.0, size[0] / 10))
    scenario = getattr(game, "scenario", None)
    names = {a: spec.name for a, spec in scenario.spec.actors.items()} if scenario is not None else {}
    on_path = {0}
    chosen: set[tuple[int, int]] = set()
    if equilibrium is not None:
        for n in game.nodes:
            for k, ch in enumerate(n.children):
                if n.kind == "decision":
                    assert n.infoset is not None
                    p = float(equilibrium.behaviour[game.infosets[n.infoset].label][n.actions[k]])
                else:
                    p = float(n.probs[k])
                if p > 1e-6:
                    if n.kind == "decision":
                        chosen.add((n.index, ch))
                    if n.index in on_path:
                        on_path.add(ch)
    for n in game.nodes:
        for k, ch in enumerate(n.children):
            edge_on = n.index in on_path and ch in on_path
            picked = (n.index, ch) in chosen
            colour = PATH_COLOUR if (edge_on or picked) else "#999999"
            width = 3.2 if edge_on else (1.6 if picked else 1.0)
            ax.plot([x[n.index], x[ch]], [-depth[n.index], -depth[ch]], color=colour, lw=width, zorder=1,
                    solid_capstyle="round")
            label = n.actions[k]
            if n.kind == "chance":
                label += f" ({_fmt(n.probs[k])})"
            mx, my = (x[n.index] + x[ch]) / 2, -(depth[n.index] + depth[ch]) / 2
            ax.text(mx, my, _wrap(label, 10), fontsize=7 * fs, ha="center", va="center", zorder=3,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    bend = 0
    joined: dict[int, str] = {}           # player -> name, for those with nodes they cannot tell apart
    for info in game.infosets:
        if len(info.nodes) > 1:
            bend += 1
            colour = ACTOR_COLOURS[info.player % len(ACTOR_COLOURS)]
            members = sorted(info.nodes, key=lambda i: x[i])
            for a, b in zip(members, members[1:]):
                arc = FancyArrowPatch((x[a], -depth[a]), (x[b], -depth[b]), arrowstyle="-",
                                      connectionstyle=f"arc3,rad={-0.08 - 0.05 * (bend % 3)}", ls="--",
                                      color=colour, lw=1.1, alpha=0.8, zorder=0)
                ax.add_patch(arc)
            joined[info.player] = names.get(game.players[info.player], game.players[info.player])
    for n in game.nodes:
        px, py = x[n.index], -depth[n.index]
        if n.kind == "terminal":
            pays = ", ".join(_fmt(v) for v in n.payoffs)
            ax.plot(px, py, marker="s", ms=5, color="black", zorder=2)
            ax.text(px, py - 0.12, f"{_wrap(str(n.outcome))}\n({pays})", fontsize=6.5 * fs, ha="center", va="top")
        elif n.kind == "chance":
            ax.plot(px, py, marker="o", ms=11, color="#bbbbbb", mec="black", zorder=2)
            ax.text(px, py + 0.13, "chance", fontsize=7 * fs, ha="center", va="bottom")
        else:
            assert n.player is not None and n.infoset is not None
            colour = ACTOR_COLOURS[n.player % len(ACTOR_COLOURS)]
            ax.plot(px, py, marker="o", ms=11, color=colour, mec="black", zorder=2)
            ax.text(px, py + 0.13, _wrap(names.get(game.players[n.player], game.players[n.player]), 24),
                    fontsize=7.5 * fs, ha="center", va="bottom", color=colour, fontweight="bold", zorder=4,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xlim(-0.8, leaves - 0.2)
    ax.set_ylim(-levels - 0.2, 0.6)
    ax.axis("off")
    heading = title or game.scenario.title
    if equilibrium is not None:
        heading += f"\nequilibrium path (thick red): {equilibrium.path}"
    ax.set_title(heading, fontsize=10 * fs)
    payoff_order = "payoffs in the order: " + ", ".join(names.get(p, p) for p in game.players)
    fig.text(0.01, 0.01, payoff_order, fontsize=7 * fs, color="#555555")
    if joined:
        # one key for the dashed lines instead of a caption on each: captions ran into the labels
        # of the nodes around them
        handles = [Line2D([], [], ls="--", lw=1.1, color=ACTOR_COLOURS[p % len(ACTOR_COLOURS)],
                          label=f"{who} cannot tell apart the nodes this line joins")
                   for p, who in sorted(joined.items())]
        fig.legend(handles=handles, loc="lower right", bbox_to_anchor=(0.99, 0.0), frameon=False,
                   fontsize=7 * fs, handlelength=3)
    for text in fig.findobj(matplotlib.text.Text):
        text.set_text(_plain(text.get_text()))
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, format=path.suffix.lower()[1:])
    finally:
        plt.close(fig)
    return path


def _wrap(label: str, width: int = 14) -> str:
    """'expanded_war_after_answer' on two lines, so neighbouring leaves' labels do not overlap; ids
    read with spaces whatever their length ('us_stops' as 'us stops', like its longer neighbours)."""
    label = label.replace("_", " ")
    return textwrap.fill(label, width, break_long_words=False) if len(label) > width else label


def _plain(text: str) -> str:
    """User text drawn as written: a '$' would start matplotlib's math mode (and can fail to parse)."""
    return text.replace("\\$", "$").replace("$", "\\$")
