"""What ``escalab run`` says about the move tree is checked against the solver, on every built-in."""

from __future__ import annotations

import pytest

import escalab
from escalab.report import solve_section
from escalab.report.colours import OutcomeColours
from escalab.report.findings import findings
from escalab.scenario import library
from escalab.solve.assessments import sequential_equilibria

INTERNAL = ("reached by different player moves", "does not settle", "backward induction with beliefs",
            "Traceback", "KeyError")
FAST = ["beer-quiche", "seltens-horse", "chicken", "costly-signalling", "incomplete-resolve", "perfect-deterrence"]


def _record(name: str) -> dict:
    s = escalab.load(name)
    return {"solve": solve_section.compute(s, OutcomeColours(), lambda msg: None)}


@pytest.mark.parametrize("name", FAST)
def test_findings_never_print_an_internal_message(name):
    lines = findings(escalab.load(name), _record(name))
    assert lines and lines[0].startswith("Equilibrium: ")
    assert not [x for x in lines if any(bad in x for bad in INTERNAL)]


@pytest.mark.parametrize("name", ["beer-quiche", "costly-signalling", "seltens-horse", "chicken"])
def test_the_headline_and_its_alternatives_are_the_solvers(name):
    rec = _record(name)["solve"]
    ranked, _ = sequential_equilibria(escalab.load(name).compile("sequential", exact=True))
    assert rec["equilibrium"]["path"] == ranked[0].path
    alt = rec["alternatives"]
    assert alt["count"] == len(ranked) and alt["others"] == [e.path for e in ranked[1:]]
    assert alt["off_path"] == [t for r in ranked[0].belief_ranges if len(r.nodes) > 1 for t in r.texts]
    if "intuitive criterion, which" in alt["why_first"]:
        assert ranked[0].refinements["intuitive"] is True
        assert any(e.refinements["intuitive"] is False for e in ranked[1:])


def test_costly_signalling_run_reports_the_separating_equilibrium():
    lines = findings(escalab.load("costly-signalling"), _record("costly-signalling"))
    assert lines[0] == ("Equilibrium: resolute: resolute signalled deterred; irresolute: irresolute quiet "
                        "challenged (path resolute: signal > back_down; irresolute: no_signal > challenge).")
    assert "passes Cho and Kreps's intuitive criterion" in lines[1]


def test_every_builtin_with_a_tree_has_an_equilibrium_to_report():
    for name in library.builtin_names("scenario"):
        s = escalab.load(name)
        if "sequential" in s.forms and name not in FAST:
            got = solve_section.solve_point(s)
            assert not isinstance(got, str), (name, got)


@pytest.mark.parametrize("name", ["beer-quiche", "seltens-horse", "costly-signalling", "chicken"])
def test_every_explained_choice_is_a_best_reply_at_the_beliefs_shown(name):
    """Off the path the report shows a belief from the equilibrium's range, so the arithmetic it
    prints never contradicts the choice (at Beer-Quiche's quiche set: belief weak 1/2, a tie)."""
    rec = _record(name)["solve"]
    for x in rec["explanations"]:
        best = max(o["value"] for o in x["options"])
        chosen = next(o for o in x["options"] if o["action"] == x["chosen"])
        assert chosen["value"] >= best - 1e-12, x["sentence"]
    if name == "beer-quiche":
        (quiche,) = [x for x in rec["explanations"] if x["infoset"] == "quiche"]
        assert quiche["beliefs"] == {"weak/quiche": "0.5", "strong/quiche": "0.5"}
