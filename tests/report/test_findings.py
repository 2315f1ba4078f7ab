"""The "In short" sentences are drawn from the records alone and follow the parameters."""

from __future__ import annotations

import escalab
from escalab.report import solve_section
from escalab.report.colours import OutcomeColours
from escalab.report.findings import findings


def solve_record(s: escalab.Scenario) -> dict:
    return {"solve": solve_section.compute(s, OutcomeColours(), lambda msg: None)}


def test_findings_follow_the_parameters() -> None:
    s = escalab.load("escalate-to-deescalate").with_params(p_resolute=0.9)
    lines = findings(s, solve_record(s))
    assert "Equilibrium: accept (outcome conventional_defeat)." in lines
    assert "On the equilibrium path Russia plays accept at russia_decides." in lines


def test_findings_say_why_a_section_is_missing() -> None:
    s = escalab.load("kahn-game")
    assert findings(s, solve_record(s))[0].startswith("Move tree: the scenario has no move tree")
    assert findings(escalab.load("chicken"), {}) == []


def test_simulation_findings_name_each_sides_policy() -> None:
    row = {"configuration": "doctrine x", "accidents": True, "policies": {"a": "doctrine:x", "b": "doctrine:y"},
           "endings": {"settlement": {"p": 0.75}, "strategic_war": {"p": 0.25}}}
    assert findings(escalab.load("chicken"), {"simulate": {"rows": [row]}}) == [
        "Ladder crisis, a doctrine:x vs b doctrine:y (with accidents): most often settlement (75%); "
        "strategic war 25.0%."]
