"""Error messages say what was expected, in the author's terms (not pydantic's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalab.errors import ScenarioError
from escalab.scenario import loads

FILES = Path(__file__).parent / "files"
BASE = (FILES / "base.yaml").read_text(encoding="utf-8")


def problems(old: str, new: str) -> list[tuple[str, str]]:
    assert old in BASE
    with pytest.raises(ScenarioError) as info:
        loads(BASE.replace(old, new, 1), "m.yaml", FILES)
    assert all(p.file for p in info.value.problems)
    return [(p.path, p.message) for p in info.value.problems]


@pytest.mark.parametrize("old, new, path, message", [
    ("escalab: 1", "escalab: true", "escalab", "expected the schema version 1, got True"),
    ("escalab: 1", "escalab: 2", "escalab", "unsupported schema version 2 (this escalab reads version 1: "
                                            "write 'escalab: 1')"),
    ("range: [0, 1]", "range: [0]", "parameters.p.range", "too few items: item 2 is missing (write [low, high])"),
    ("range: [0, 1]", "range: [0, 1, 2]", "parameters.p.range", "expected at most 2 item(s), got 3"),
    ("  cost: {default: 2", "  my-cost: {default: 2", "parameters.my-cost",
     "'my-cost' is not a valid parameter name (use letters, digits and '_', starting with a letter or '_'; no '-')"),
    ("readiness: scales/alert.yaml", "readiness: my scale", "actors.a.readiness",
     "'my scale' is neither a built-in name (letters, digits, '_' and '-') nor a path to a .yaml, .yml or .json file"),
    ("readiness: scales/alert.yaml", "readiness: [alert]", "actors.a.readiness",
     "expected a string or a mapping, got a list ['alert']"),
    ("status_quo: {payoffs: {a: 0, b: 0}}", "status_quo: {payoffs: {a: true, b: 0}}",
     "sequential.outcomes.status_quo.payoffs.a",
     "expected a number or an expression (text) or a mapping, got a boolean True"),
    ("status_quo: {payoffs: {a: 0, b: 0}}", "status_quo: {payoffs: {a: , b: 0}}",
     "sequential.outcomes.status_quo.payoffs.a",
     "expected a number or an expression (text) or a mapping, got nothing (null)"),
    ("back_down: {outcome: status_quo, rung: calm}", "back_down: status_quo",
     "sequential.nodes.start.moves.back_down", "expected a mapping, got a string 'status_quo'"),
    ("default: 2,", "default: .nan,", "parameters.cost.default", "expected a finite number, got a number nan"),
    ("default: 2,", "default: '2',", "parameters.cost.default", "expected a number, got a string '2'"),
    ("title: A base crisis", "title: 5", "title", "expected a string, got an integer 5"),
    ("root: start", "root: [start]", "sequential.root", "expected a string, got a list ['start']"),
])
def test_shape_messages(old: str, new: str, path: str, message: str) -> None:
    assert (path, message) in problems(old, new)


def test_unknown_key_lists_the_keys_allowed_there() -> None:
    found = problems("back_down: {outcome: status_quo", "back_down: {outcom: status_quo")
    assert ("sequential.nodes.start.moves.back_down.outcom",
            "unknown key 'outcom' (expected one of: next, outcome, rung, label, doc)") in found
    # the move now has no target: that is reported too, once the shape is right -- not before
    assert len(found) == 1


def test_strict_integers_and_booleans_in_a_ladder_crisis() -> None:
    text = (BASE + """ladder_crisis:
  actors: [a, b]
  start: {a: calm, b: calm}
  signals: 'yes'
  turn_limit: '5'
  balance: {initial: 0.5}
  endings: {}
""")
    with pytest.raises(ScenarioError) as info:
        loads(text, "m.yaml", FILES)
    found = {(p.path, p.message) for p in info.value.problems}
    assert ("ladder_crisis.signals", "expected true or false, got a string 'yes'") in found
    assert ("ladder_crisis.turn_limit", "expected an integer, got a string '5'") in found
    assert ("ladder_crisis.balance.initial", "expected an integer, got a number 0.5") in found


def test_messages_for_meaning_name_what_exists() -> None:
    found = problems("      actor: b\n", "      actor: B\n")
    assert found == [("sequential.nodes.respond.actor", "unknown actor 'B' (known actors: a, b)")]
    found = problems("fight: {outcome: war, rung: war}", "fight: {outcome: war, rung: nuclear_war}")
    assert found == [("sequential.nodes.respond.moves.fight.rung", "unknown rung 'nuclear_war' (not on ladder 'tiny')")]
    found = problems("a: -cost, b: {resolute", "a: -cost, b: {resolut")
    assert ("sequential.outcomes.war.payoffs.b.resolut",
            "unknown type 'resolut' (types of 'b': resolute, irresolute)") in found
    assert ("sequential.outcomes.war.payoffs.b", "missing payoff for type 'resolute' of actor 'b'") in found
