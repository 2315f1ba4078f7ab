"""Which form of a crisis reads each parameter: declared where only one does, and true."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

import escalab
from escalab.cli.app import app
from escalab.report.run import scenario_record
from escalab.solve.ladder import ladder_arrays

TREE_ONLY = {"c_expand_r", "c_expand_r_answered", "c_expand_us"}
LADDER_ONLY = {"c_war_turn", "p_accident", "p_misread"}


def test_the_default_scenario_declares_its_one_form_parameters() -> None:
    s = escalab.load("escalate-to-deescalate")
    own = s.own_parameters()
    assert set(own["sequential"]) == TREE_ONLY and set(own["ladder_crisis"]) == LADDER_ONLY
    assert {n for n, p in s.parameters.items() if p.form == "sequential"} == TREE_ONLY
    assert {n for n, p in s.parameters.items() if p.form == "ladder_crisis"} == LADDER_ONLY
    assert s.parameter_forms()["p_resolute"] == ("sequential", "ladder_crisis")     # a type prior: both


def _ladder_payoffs(s: escalab.Scenario) -> np.ndarray:
    a = ladder_arrays(s.compile("ladder"))
    return np.concatenate([a.payoffs_by_type(i).ravel() for i in (0, 1)])


def _tree_payoffs(s: escalab.Scenario) -> list[tuple[float, ...]]:
    return [tuple(float(v) for v in n.payoffs) for n in s.compile().terminals()]


def test_what_the_declaration_says_is_what_the_forms_do() -> None:
    """A tree-only parameter moves no ladder payoff and a ladder-only one no tree payoff; a shared one
    moves both (so the declarations are facts about the compiled forms, not labels)."""
    s = escalab.load("escalate-to-deescalate")
    ladder, tree = _ladder_payoffs(s), _tree_payoffs(s)
    for name in TREE_ONLY:
        t = s.with_params(**{name: float(s.values[name]) + 7})
        assert np.array_equal(_ladder_payoffs(t), ladder) and _tree_payoffs(t) != tree, name
    c = s.with_params(c_war_turn=2.0)
    assert _tree_payoffs(c) == tree and not np.array_equal(_ladder_payoffs(c), ladder)
    both = s.with_params(c_first_use=5.0)
    assert _tree_payoffs(both) != tree and not np.array_equal(_ladder_payoffs(both), ladder)


def test_validate_show_and_the_report_record_say_so() -> None:
    runner = CliRunner()
    out = " ".join(runner.invoke(app, ["validate", "docs/tutorial/blockade.yaml"], terminal_width=200).stdout.split())
    assert "parameters read only by the move tree (sequential): c_clash, resolve" in out
    shown = " ".join(runner.invoke(app, ["show", "escalate-to-deescalate"], terminal_width=200).stdout.split())
    assert ("Read only by the move tree (sequential): c_expand_r, c_expand_r_answered, c_expand_us; read only by "
            "the ladder crisis (ladder_crisis): c_war_turn, p_accident, p_misread") in shown
    rec = {p["name"]: p["read_by"] for p in scenario_record(escalab.load("escalate-to-deescalate"))["parameters"]}
    assert rec["c_expand_r"] == ["sequential"] and rec["p_misread"] == ["ladder_crisis"]
    assert rec["stake_r"] == ["sequential", "ladder_crisis"]
