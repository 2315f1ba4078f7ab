"""The phase diagram of a sweep: which equilibrium outcome holds in which region of parameters.

This is the figure the article's question calls for ("when does escalate-to-deescalate work?"):
regions coloured by outcome, so a reader sees where the boundaries run without reading a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba_array  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..solve.sweep import SweepResult  # noqa: E402

PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
           "#ccb974", "#64b5cd", "#1b9e77", "#d95f02"]


def _axis_label(result: SweepResult, name: str) -> str:
    unit = result.units.get(name, "")
    return f"{name} ({unit})" if unit else name


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.replace("; ", ";\u00a0").split(" "), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return "\n".join(lines).replace("\u00a0", " ")


# cells per axis an image keeps: the axes are about 900 pixels wide at the figure's dpi, so a finer
# grid only costs resampling time (a 2000 x 2000 sweep's figure drew in 1 s, now in half that)
MAX_CELLS = 1000


def _at_most(codes: np.ndarray, cells: int) -> np.ndarray:
    """Every k-th cell along each axis longer than ``cells``: the nearest-neighbour pick the renderer
    would make anyway at under one pixel per cell."""
    steps = tuple(max(1, -(-n // cells)) for n in codes.shape)
    return codes[tuple(slice(None, None, k) for k in steps)]


def _coloured(codes: np.ndarray, colours: list[str]) -> np.ndarray:
    """The image's pixels, coloured here: matplotlib would map the codes through the colour map at
    every draw, and a saved figure with a tight bounding box is drawn twice (the same pixels; a
    2000 x 2000 sweep's figure took a tenth less time)."""
    lut = np.round(to_rgba_array(colours) * 255).astype(np.uint8)
    return lut[codes]


def _evenly_spaced(values: np.ndarray) -> bool:
    steps = np.diff(values)
    return len(values) > 1 and bool(np.allclose(steps, steps[0], rtol=1e-6, atol=0.0)) and steps[0] > 0


def plot_phase_diagram(result: SweepResult, path: str | Path, title: str | None = None,
                       colours_by_label: Mapping[str, str] | None = None,
                       mark: Mapping[str, float] | None = None) -> Path:
    """Write the phase diagram of a one- or two-parameter sweep as a PNG (or any matplotlib format).

    ``colours_by_label`` fixes each outcome's colour (so one outcome keeps its colour across
    figures); ``mark`` is a point (parameter -> value) drawn as a star, e.g. the defaults.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(result.labels)
    colours = [(colours_by_label or {}).get(label) or PALETTE[k % len(PALETTE)]
               for k, label in enumerate(result.labels)]
    fig, ax = plt.subplots(figsize=(8.5, 6.2))
    if len(result.axes) == 1:
        x = result.axes[0].values
        ax.imshow(_coloured(result.codes.reshape(1, -1), colours), aspect="auto",
                  interpolation="nearest", extent=(x[0], x[-1], 0, 1))
        ax.set_yticks([])
        ax.set_xlabel(_axis_label(result, result.axes[0].name))
    elif len(result.axes) == 2:
        xa, ya = result.axes
        if _evenly_spaced(xa.values) and _evenly_spaced(ya.values):
            # the same cells as pcolormesh(shading="nearest"), drawn as one image: a 2000 x 2000 grid
            # takes a fraction of a second instead of several (issue 11)
            hx, hy = (xa.values[1] - xa.values[0]) / 2, (ya.values[1] - ya.values[0]) / 2
            ax.imshow(_coloured(_at_most(result.codes, MAX_CELLS).T, colours), origin="lower", aspect="auto",
                      interpolation="nearest",
                      extent=(xa.values[0] - hx, xa.values[-1] + hx, ya.values[0] - hy, ya.values[-1] + hy))
        else:
            ax.pcolormesh(xa.values, ya.values, result.codes.T, cmap=ListedColormap(colours),
                          norm=BoundaryNorm(np.arange(-0.5, n + 0.5, 1), n), shading="nearest")
        ax.set_xlabel(_axis_label(result, xa.name))
        ax.set_ylabel(_axis_label(result, ya.name))
    else:
        plt.close(fig)
        raise ValueError("a phase diagram shows one or two swept parameters")
    if mark:
        names = [a.name for a in result.axes]
        if all(nm in mark for nm in names):
            xy = (mark[names[0]], mark[names[1]] if len(names) == 2 else 0.5)
            ax.plot(*xy, marker="*", ms=16, color="white", mec="black", mew=1.2, zorder=5, ls="none",
                    label="the scenario's values")
            ax.annotate("scenario's values", xy, xytext=(8, 8), textcoords="offset points", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "black", "alpha": 0.85})
    present = np.flatnonzero(result.code_counts()).tolist()   # no sort of the grid
    handles = [Patch(facecolor=colours[k], edgecolor="black", label=_wrap(result.labels[k])) for k in present]
    ax.legend(handles=handles, title="equilibrium outcome", loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncol=1 if max(len(result.labels[k]) for k in present) > 40 else 2, fontsize=8, title_fontsize=9,
              frameon=False)
    fixed = ", ".join(f"{k}={v:g}" for k, v in result.fixed.items())
    ax.set_title(title or f"{result.title}: equilibrium outcome", fontsize=11)
    if fixed:
        fig.text(0.01, 0.005, _wrap(f"other parameters: {fixed}", 150), fontsize=6, color="#555555",
                 va="bottom")
    fig.tight_layout()
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path
