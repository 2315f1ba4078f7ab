"""The solve figures (the report's use of the solver is tested in tests/report/)."""

from __future__ import annotations

import escalab

from escalab.report.game_tree import plot_game_tree
from escalab.report.phase_diagram import plot_phase_diagram
from escalab.solve.sequential import sequential_equilibrium
from escalab.solve.sweep import parse_axis, sweep


def test_phase_diagram_one_and_two_axes(default_scenario, tmp_path):
    one = sweep(default_scenario, [parse_axis("p_resolute=0:1:30")])
    two = sweep(default_scenario, [parse_axis("p_resolute=0:1:30"), parse_axis("c_limited=0:20:20")])
    for res, name in ((one, "one.png"), (two, "two.png")):
        path = plot_phase_diagram(res, tmp_path / name)
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_game_tree_with_and_without_equilibrium(tmp_path):
    game = escalab.load("costly-signalling").compile("sequential")
    eq = sequential_equilibrium(game)
    assert plot_game_tree(game, tmp_path / "a.png", eq).stat().st_size > 10_000
    assert "<svg" in plot_game_tree(game, tmp_path / "b.svg").read_text()[:400]
