"""The documentation is tested: tutorial files load, examples run, commands print what is shown,
and the reference mentions every key of the language."""

from __future__ import annotations

import doctest
import re
import shlex
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

import escalab
from escalab.cli.app import app
from escalab.scenario import schema, validate_file

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial"
REFERENCE = DOCS / "scenario-language.md"
MARKDOWN = sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("path", sorted(TUTORIAL.glob("*.yaml")), ids=lambda p: p.name)
def test_tutorial_file_is_valid(path: Path) -> None:
    obj = validate_file(path)
    if isinstance(obj, escalab.Scenario):
        for form in obj.forms:
            obj.compile(form)


def test_tutorial_mistake_file_fails() -> None:
    with pytest.raises(escalab.ScenarioError) as info:
        validate_file(TUTORIAL / "mistakes" / "blockade-typo.yaml")
    assert len(info.value.problems) == 2


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.name)
def test_markdown_doctests(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples use paths relative to the repository root
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS,
                              raise_on_error=False, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {path.name}"


def test_the_tutorial_has_examples() -> None:
    assert doctest.DocTestParser().get_examples((DOCS / "tutorial.md").read_text(encoding="utf-8"))


def test_package_docstring_example() -> None:
    assert doctest.testmod(escalab, raise_on_error=False).failed == 0


def _console_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every '$ escalab ...' line in ```console blocks."""
    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                runs.append((line[2:], []))
            elif runs:
                runs[-1][1].append(line)
    return runs


TUTORIAL_COMMANDS = _console_blocks((DOCS / "tutorial.md").read_text(encoding="utf-8"))


def test_tutorial_shows_validate_show_and_run() -> None:
    verbs = {shlex.split(cmd)[1] for cmd, _ in TUTORIAL_COMMANDS}
    assert {"validate", "show", "run"} <= verbs


@pytest.mark.parametrize("command, expected", TUTORIAL_COMMANDS, ids=[c for c, _ in TUTORIAL_COMMANDS])
def test_tutorial_commands(command: str, expected: list[str], tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)
    assert args[0] == "escalab"
    args = args[1:]
    if "--out" in args:  # write into a temporary directory, not the working tree
        args[args.index("--out") + 1] = str(tmp_path / "out")
    result = CliRunner().invoke(app, args, terminal_width=200)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    wants_error = any(line.startswith("error:") for line in expected)
    assert result.exit_code == (2 if wants_error else 0), output
    normalised = [" ".join(line.split()) for line in output.splitlines()]
    for line in expected:
        if line.strip() in ("", "..."):
            continue
        assert " ".join(line.split()) in normalised, f"{line!r} not printed by '{command}':\n{output}"
    if "--out" in args:
        assert (tmp_path / "out" / "scenario.json").is_file()


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found.add(model)
        for f in model.model_fields.values():
            todo.extend(_nested(f.annotation))
    return found


def _nested(tp: object) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _nested(arg)]


def test_reference_mentions_every_top_level_scenario_key() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for key in schema.ScenarioSpec.model_fields:
        assert f"`{key}`" in text, key


@pytest.mark.parametrize("root", [schema.ScenarioSpec, schema.LadderSpec, schema.ReadinessScaleSpec],
                         ids=lambda m: m.__name__)
def test_reference_mentions_every_key_of_every_document_kind(root: type[BaseModel]) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    missing = sorted({f"{m.__name__}.{k}" for m in _models(root) for k in m.model_fields if f"`{k}`" not in text})
    assert not missing, f"keys not documented in {REFERENCE.name}: {missing}"


def test_reference_lists_bands_functions_and_reserved_names() -> None:
    from escalab.scenario.expressions import FUNCTIONS
    from escalab.scenario.semantics import DOCTRINE_ACTIONS, RESERVED
    text = REFERENCE.read_text(encoding="utf-8")
    for word in (*schema.BANDS, *FUNCTIONS, *DOCTRINE_ACTIONS, *RESERVED, *schema.DOCUMENT_KINDS):
        assert f"`{word}" in text or f" {word} " in text or f" {word}`" in text, word
