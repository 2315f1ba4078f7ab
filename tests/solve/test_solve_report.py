"""The solve figures (the report's use of the solver is tested in tests/report/)."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest
from matplotlib.colors import to_rgb

import escalab
from escalab.report.game_tree import plot_game_tree
from escalab.report.phase_diagram import PALETTE, plot_phase_diagram
from escalab.solve.sequential import sequential_equilibrium
from escalab.solve.sweep import parse_axis, sweep


def test_phase_diagram_one_and_two_axes(default_scenario, tmp_path):
    one = sweep(default_scenario, [parse_axis("p_resolute=0:1:30")])
    two = sweep(default_scenario, [parse_axis("p_resolute=0:1:30"), parse_axis("c_limited=0:20:20")])
    for res, name in ((one, "one.png"), (two, "two.png")):
        path = plot_phase_diagram(res, tmp_path / name)
        assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("grid", [["p_resolute=0:1:300"], ["p_resolute=0:1:90", "c_limited=0:20:70"],
                                  ["p_resolute=0:1:2500", "c_limited=0:20:7"]])
def test_phase_diagram_paints_each_outcome_over_its_share_of_the_grid(default_scenario, tmp_path, grid):
    """Each outcome's colour covers the share of the plot that its points hold on the evenly spaced
    grid, also where the image keeps every k-th cell of a long axis."""
    res = sweep(default_scenario, [parse_axis(g) for g in grid])
    pixels = np.round(matplotlib.image.imread(plot_phase_diagram(res, tmp_path / "p.png"))[..., :3] * 255)
    colours = np.round(np.array([to_rgb(PALETTE[k]) for k in range(len(res.labels))]) * 255)
    painted = np.array([np.all(pixels == c, axis=-1).sum() for c in colours], dtype=float)
    shares = np.bincount(res.codes.ravel(), minlength=len(res.labels)) / res.size
    assert (shares > 0.05).sum() >= 2                   # a diagram with regions, not one colour
    np.testing.assert_allclose(painted / painted.sum(), shares, atol=0.02)


def test_game_tree_with_and_without_equilibrium(tmp_path):
    game = escalab.load("costly-signalling").compile("sequential")
    eq = sequential_equilibrium(game)
    assert plot_game_tree(game, tmp_path / "a.png", eq).stat().st_size > 10_000
    assert "<svg" in plot_game_tree(game, tmp_path / "b.svg").read_text()[:400]
