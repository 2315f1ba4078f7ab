"""Loading: files and built-ins, extends, remove_moves, relative references, loads, validate_*."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import escalab
from escalab.errors import ScenarioError
from escalab.scenario import (LadderSpec, ReadinessScaleSpec, Scenario, load, load_ladder, load_scale, loads,
                              validate_file, validate_text)

FILES = Path(__file__).parent / "files"


def test_load_file_resolves_relative_ladder_and_scale_files() -> None:
    s = load(FILES / "base.yaml")
    assert isinstance(s, Scenario)
    assert s.ladder is not None and s.ladder.id == "tiny"
    assert [r.id for r in s.ladder.rungs] == ["calm", "pressure", "threat", "war"]
    assert s.scales["a"].id == "alert"
    assert s.forms == ("sequential",)
    assert s.source.endswith("base.yaml")


def test_load_accepts_str_path_and_builtin_name() -> None:
    assert load(str(FILES / "base.yaml")).id == "base"
    assert load("escalate-to-deescalate").id == "escalate-to-deescalate"
    assert escalab.load is load


def test_extends_overrides_a_parameter_default_by_bare_number() -> None:
    child = load(FILES / "child.yaml")
    assert child.id == "child"
    assert child.values == {"p": 0.4, "cost": 5}
    # the rest of the parameter definition is inherited
    assert child.parameters["cost"].range == (0, 10)
    assert child.parameters["cost"].doc == "The cost of war."
    assert child.spec.extends == "base.yaml"


def test_extends_chains_and_full_parameter_override() -> None:
    g = load(FILES / "grandchild.yaml")
    assert g.values == {"p": 0.9, "cost": 5}
    assert g.spec.remove_moves == ["respond.threaten"]


def test_remove_moves_deletes_the_move_from_the_compiled_game() -> None:
    base = load(FILES / "base.yaml").compile()
    child = load(FILES / "child.yaml").compile()
    def respond_actions(game):
        return {n.actions for n in game.nodes if n.source == "respond"}
    assert respond_actions(base) == {("concede", "threaten", "fight")}
    assert respond_actions(child) == {("concede", "fight")}
    # the tree as written still holds the move; only the compiled game drops it
    assert "threaten" in load(FILES / "child.yaml").spec.sequential.nodes["respond"].moves


def test_builtin_variant_removes_low_yield_option() -> None:
    s = load("escalate-to-deescalate-no-low-yield")
    game = s.compile()
    us_actions = {n.actions for n in game.nodes if n.source == "us_decides"}
    assert us_actions == {("stop", "continue", "escalate")}


def test_loads_with_base_dir_resolves_extends_and_ladder_files() -> None:
    text = "escalab: 1\nid: from-text\ntitle: From text\nextends: child.yaml\nparameters: {p: 0.5}\n"
    s = loads(text, "inline.yaml", FILES)
    assert s.id == "from-text" and s.values["p"] == 0.5 and s.values["cost"] == 5
    assert s.ladder.id == "tiny"


def test_loads_extends_a_builtin() -> None:
    s = loads("escalab: 1\nid: mine\ntitle: Mine\nextends: escalate-to-deescalate\nparameters: {p_resolute: 0.8}\n")
    assert s.values["p_resolute"] == 0.8
    assert s.forms == ("sequential", "ladder")


def test_loads_names_the_text_in_errors() -> None:
    with pytest.raises(ScenarioError) as info:
        loads("escalab: 1\nid: x\n", "my-crisis.yaml")
    assert {p.file for p in info.value.problems} == {"my-crisis.yaml"}
    assert {p.path for p in info.value.problems} == {"title", "actors"}


def test_error_in_extended_file_is_located_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("escalab: 1\nid: b\ntitle: B\nactors: {a: {name: A, bogus: 1}}\n")
    (tmp_path / "child.yaml").write_text("escalab: 1\nid: c\ntitle: C\nextends: base.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "child.yaml")
    p = info.value.problems[0]
    assert p.file.endswith("base.yaml") and p.line == 4 and p.path == "actors.a.bogus"


def test_validate_file_dispatches_on_kind() -> None:
    assert isinstance(validate_file(FILES / "ladders" / "tiny.yaml"), LadderSpec)
    assert isinstance(validate_file(FILES / "scales" / "alert.yaml"), ReadinessScaleSpec)
    assert isinstance(validate_file(FILES / "base.yaml"), Scenario)
    assert isinstance(validate_text((FILES / "ladders" / "tiny.yaml").read_text(), "t.yaml"), LadderSpec)


def test_load_ladder_and_scale_by_name_and_path() -> None:
    assert load_ladder("kahn-44").id == "kahn-44"
    assert load_ladder(FILES / "ladders" / "tiny.yaml").id == "tiny"
    assert load_scale("defcon").id == "defcon"


def test_loading_a_ladder_as_a_scenario_says_so() -> None:
    with pytest.raises(ScenarioError, match="expected a scenario document"):
        load(FILES / "ladders" / "tiny.yaml")
    with pytest.raises(ScenarioError, match="expected a ladder document"):
        load_ladder(FILES / "base.yaml")


def test_unknown_builtin_and_missing_file() -> None:
    with pytest.raises(ScenarioError) as info:
        load("no-such-scenario")
    p = info.value.problems[0]
    assert "unknown built-in scenario 'no-such-scenario'" in p.message
    assert "escalate-to-deescalate" in p.message and p.file == "no-such-scenario"
    with pytest.raises(ScenarioError, match="file not found"):
        load("missing/crisis.yaml")
    with pytest.raises(ScenarioError, match="file not found"):
        validate_file(FILES / "nope.yaml")


def test_copied_file_keeps_working_with_its_ladder(tmp_path: Path) -> None:
    shutil.copytree(FILES, tmp_path / "copy")
    assert load(tmp_path / "copy" / "child.yaml").ladder.id == "tiny"


def test_self_extends_is_a_cycle(tmp_path: Path) -> None:
    f = tmp_path / "me.yaml"
    f.write_text("escalab: 1\nid: me\ntitle: Me\nextends: ./me.yaml\n")
    with pytest.raises(ScenarioError, match="forms a cycle"):
        load(f)


def test_not_utf8_and_directory(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        validate_file(f)
    with pytest.raises(ScenarioError, match="cannot read"):
        validate_file(tmp_path)


def test_all_problems_reported_at_once() -> None:
    text = (FILES / "base.yaml").read_text().replace("fight: {outcome: war, rung: war}",
                                                     "fight: {outcome: wat, rung: warr}")
    with pytest.raises(ScenarioError) as info:
        loads(text, "two.yaml", FILES)
    messages = " | ".join(p.message for p in info.value.problems)
    assert "unknown outcome 'wat'" in messages and "unknown rung 'warr'" in messages


def test_union_errors_name_the_member_meant() -> None:
    text = "escalab: 1\nid: x\ntitle: X\nladder: {id: inline}\nactors: {a: {name: A}}\n"
    with pytest.raises(ScenarioError) as info:
        loads(text, "u.yaml")
    # a mapping was meant as an inline ladder: no "expected a string" noise
    assert [(p.path, p.message) for p in info.value.problems] == [("ladder.rungs", "missing required key 'rungs'")]
    with pytest.raises(ScenarioError) as info:
        loads(text.replace("{id: inline}", "5"), "u.yaml")
    assert info.value.problems[0].message == "expected a string or a mapping, got an integer 5"


def test_inline_ladder_and_scale() -> None:
    text = """escalab: 1
id: inline
title: Inline ladder and scale
ladder:
  id: two
  rungs:
    - {id: low, name: Low, value: 0, band: status_quo}
    - {id: high, name: High, value: 1, band: strategic}
actors:
  a:
    name: A
    readiness: {id: s, levels: [{id: l1}, {id: l2}]}
  b: {name: B}
sequential:
  root: n
  nodes:
    n: {actor: a, moves: {go: {outcome: o, rung: high}}}
  outcomes:
    o: {payoffs: {a: 1, b: 2}}
"""
    s = loads(text, "inline.yaml")
    assert s.ladder.id == "two" and s.scales["a"].id == "s"
    with pytest.raises(ScenarioError, match="duplicate rung id 'low'"):
        loads(text.replace("id: high", "id: low").replace("rung: high", "rung: low"), "inline.yaml")
