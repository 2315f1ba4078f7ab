"""The solve section of ``escalab run`` and the solve figures."""

from __future__ import annotations

import json

import escalab
from rich.console import Console

from escalab.report import solve_section
from escalab.report.game_tree import plot_game_tree
from escalab.report.phase_diagram import plot_phase_diagram
from escalab.solve.sequential import sequential_equilibrium
from escalab.solve.sweep import parse_axis, sweep


def quiet() -> Console:
    return Console(file=open("/dev/null", "w"), width=120)


def test_default_analysis_answers_the_articles_questions(default_scenario, tmp_path):
    record = solve_section.section(default_scenario, tmp_path, quiet())
    assert record is not None
    json.dumps(record)  # JSON-ready
    assert record["russia_uses_limited_weapons"] is True
    assert record["us_response"] == {"resolute": "answer_in_kind", "irresolute": "stop"}
    variant = record["without_low_yield"]
    assert variant["scenario"] == "escalate-to-deescalate-no-low-yield"
    assert variant["us_response"] == {"resolute": "stop", "irresolute": "stop"}
    assert variant["changes_outcome"] is True
    assert [d["action"] for d in record["on_path"]][0] == "limited_use"
    assert (tmp_path / "phase-diagram.png").read_bytes()[:4] == b"\x89PNG"
    assert record["phase_diagram"]["points"] == 101 * 81
    root = [r for r in record["thresholds"]["p_resolute"] if r["infoset"] == "russia_decides"][0]
    assert root["boundaries"][0]["exact"] == "3/4"


def test_a_resolute_prior_deters_in_both_variants(default_scenario, tmp_path):
    record = solve_section.section(default_scenario.with_params(p_resolute=0.9), tmp_path, quiet())
    assert record["russia_uses_limited_weapons"] is False
    # without the low-yield option the US cannot answer in kind, so the same prior no longer deters
    assert record["without_low_yield"]["russia_uses_limited_weapons"] is True


def test_no_sequential_form_gives_none(tmp_path):
    assert solve_section.section(escalab.load("kahn-game"), tmp_path, quiet()) is None


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
