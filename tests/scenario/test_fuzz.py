"""Mutate the built-in documents at random: loading must succeed or raise ScenarioError, nothing else.

The mutations are the mistakes people make by hand (a deleted or misspelt key, a value of the
wrong type, a reference to something that does not exist, a dropped list item, a stray character)
and a few no one makes on purpose. Any other exception is a crash a CLI user would meet as exit 1.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import escalab
from escalab.errors import EscalabError, ScenarioError
from escalab.model import JointAction
from escalab.scenario import library, validate_text

LIBRARY = Path(escalab.__file__).parent / "library"
FILES = sorted(p for folder in ("scenarios", "ladders", "scales") for p in (LIBRARY / folder).glob("*.yaml"))
TEXTS = {p: p.read_text(encoding="utf-8") for p in FILES}
DATA = {p: yaml.safe_load(t) for p, t in TEXTS.items()}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "1 - p", "p_resolute", "__import__('os')", "1/0", "a.b", "lambda: 1", "2 **",
                     "kahn-44", "defcon", "ladders/none.yaml", "escalate-to-deescalate", "nuclear_use",
                     "strategic", "max(1)", "0.5", "-1", "1e400", "((1)", "settlement"]),
    st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, path + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, path + (i,)))
    return out


def _strings(node: Any) -> list[str]:
    found: list[str] = []
    for p in _paths(node):
        if p and isinstance(p[-1], str):
            found.append(p[-1])
        v = _get(node, p)
        if isinstance(v, str) and len(v) < 40:
            found.append(v)
    return found or ["x"]


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    path = draw(st.sampled_from(FILES))
    if draw(st.integers(0, 9)) == 0:
        return str(path), _mutate_text(draw, TEXTS[path])
    data = copy.deepcopy(DATA[path])
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate(draw, data)
    return str(path), yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _mutate_text(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["drop_line", "insert_char", "indent", "truncate"]))
    if kind == "drop_line":
        del lines[i]
    elif kind == "indent":
        lines[i] = "  " + lines[i]
    elif kind == "truncate":
        lines = lines[:i]
    else:
        j = draw(st.integers(0, len(lines[i])))
        ch = draw(st.sampled_from(list(":-[]{}#&*!|>'\"%@`, \t")))
        lines[i] = lines[i][:j] + ch + lines[i][j:]
    return "\n".join(lines) + "\n"


def _expression(draw: st.DrawFn, params: list[str]) -> str:
    """A random, mostly well-formed expression over the document's parameters and special values."""
    atoms = st.one_of(st.sampled_from(params + ["turns", "peak", "own", "losing", "unknown_name"]),
                      st.integers(-3, 1000).map(str), st.sampled_from(["0.5", "1e308", "0", "1e-320"]))
    expr = draw(atoms)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["+", "-", "*", "/", "**", "^", "<", "==", "and", "or", "if", "fn"]))
        other = draw(atoms)
        if op == "if":
            expr = f"({expr} if {other} else {draw(atoms)})"
        elif op == "fn":
            fn = draw(st.sampled_from(["min", "max", "abs", "exp", "log", "sqrt", "where", "clip"]))
            expr = f"{fn}({expr}, {other})"
        else:
            expr = f"({expr} {op} {other})"
    return expr


def _mutate(draw: st.DrawFn, data: Any) -> Any:
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["delete", "rename", "replace", "reference", "drop_item", "duplicate_item",
                                 "number", "expression", "expression"]))
    if not path:
        return draw(values) if kind == "replace" else data
    parent = _get(data, path[:-1])
    key = path[-1]
    if kind == "delete" or kind == "drop_item":
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        new = draw(st.one_of(st.sampled_from(_strings(data)), st.text(max_size=8)))
        parent[new] = parent.pop(key)
    elif kind == "reference":
        parent[key] = draw(st.sampled_from(_strings(data)))
    elif kind == "duplicate_item" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    elif kind == "expression":
        params = list(data.get("parameters", {})) if isinstance(data, dict) and \
            isinstance(data.get("parameters"), dict) else []
        parent[key] = _expression(draw, params)
    elif kind == "number" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
        parent[key] = parent[key] * draw(st.sampled_from([-1, 0, 2, 10, 1000])) + draw(st.sampled_from([0, 0.5, 1]))
    else:
        parent[key] = draw(values)
    return data


@settings(max_examples=300)
@given(mutated())
def test_mutated_documents_fail_only_with_scenario_error(case: tuple[str, str]) -> None:
    origin, text = case
    name = Path(origin).name
    base_dir = Path(origin).parent
    try:
        result = validate_text(text, name, base_dir)
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError must carry at least one problem"
        for p in exc.problems:
            assert p.file, f"problem without a file: {p}"
            assert p.message
            assert str(p).startswith(p.file)
        return
    if isinstance(result, escalab.Scenario):
        _exercise(result)


def _exercise(scenario: escalab.Scenario) -> None:
    """What loads must also compile and play one step, or fail with an escalab error."""
    for form in scenario.forms:
        try:
            game = scenario.compile(form)
            if form == "sequential":
                scenario.compile(form, exact=True)
                state = game.new_initial_state()
                while not state.is_terminal():
                    state = state.apply_action(state.legal_actions()[-1])
                assert len(state.returns()) == len(scenario.actors)
            else:
                start = game.initial_state()
                joint = JointAction((game.legal_actions(start, 0)[-1], game.legal_actions(start, 1)[-1]))
                outcomes = game.transition(start, joint)
                assert abs(sum(p for p, _ in outcomes) - 1) < 1e-9
                for _, nxt in outcomes:
                    if nxt.terminal:
                        game.returns(nxt)
        except EscalabError:
            pass


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_unmutated_builtins_load(path: Path) -> None:
    assert validate_text(TEXTS[path], path.name, path.parent) is not None


def test_fuzz_covers_every_kind_of_builtin() -> None:
    kinds = {DATA[p].get("kind", "scenario") for p in FILES}
    assert kinds == {"scenario", "ladder", "readiness_scale"}
    assert len(FILES) >= len(library.builtin_names("scenario")) + 5


BUILTIN_SCENARIOS = library.builtin_names("scenario")


@functools.lru_cache(maxsize=None)
def _builtin(name: str) -> escalab.Scenario:
    return escalab.load(name)  # scenarios are immutable: safe to share


@st.composite
def parameter_changes(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    name = draw(st.sampled_from(BUILTIN_SCENARIOS))
    params = list(_builtin(name).parameters) or ["none"]
    keys = draw(st.lists(st.sampled_from(params + ["not_a_parameter"]), min_size=1, max_size=3, unique=True))
    values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**9, 10**9),
                       st.sampled_from([0, 1, 0.5, -1, 2, "0.5", None, True]))
    return name, {k: draw(values) for k in keys}


@settings(max_examples=150)
@given(parameter_changes())
def test_with_params_fails_only_with_usage_error(case: tuple[str, dict[str, object]]) -> None:
    name, values = case
    scenario = _builtin(name)
    try:
        changed = scenario.with_params(values)
    except escalab.UsageError:
        return
    _exercise(changed)
