"""The escalab command: exit codes 0 / 2 / 1, messages on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from escalab.cli import app as app_module
from escalab.cli.options import parse_number, parse_sets
from escalab.errors import UsageError

FILES = Path(__file__).parents[1] / "scenario" / "files"
BAD = Path(__file__).parents[1] / "scenario" / "bad"




def test_version_and_help(invoke) -> None:
    assert invoke("--version").stdout.startswith("escalab ")
    assert invoke("--help").exit_code == 0


def test_list(invoke) -> None:
    r = invoke("list")
    assert r.exit_code == 0
    for name in ("escalate-to-deescalate", "kahn-44", "kahn-game-30", "defcon", "russia-4"):
        assert name in r.stdout
    assert "(default)" in r.stdout


@pytest.mark.parametrize("name, expected", [
    ("escalate-to-deescalate", "Escalate to de-escalate"),
    ("kahn-44", "Ostensible crisis"),
    ("kahn-game-30", "Complete surrender"),
    ("defcon", "DEFCON 5"),
    ("russia-4", "Military danger"),
    (str(FILES / "base.yaml"), "A base crisis"),
    (str(FILES / "ladders" / "tiny.yaml"), "Nuclear line"),
])
def test_show(name: str, expected: str, invoke) -> None:
    r = invoke("show", name)
    assert r.exit_code == 0, r.stderr
    assert expected in r.stdout


def test_show_with_set_marks_changed_values(invoke) -> None:
    r = invoke("show", "escalate-to-deescalate", "--set", "p_resolute=0.8")
    assert r.exit_code == 0
    assert "0.8 (set)" in r.stdout


def test_show_unknown_name(invoke) -> None:
    r = invoke("show", "kahn-45")
    assert r.exit_code == 2
    assert "unknown name 'kahn-45'" in r.stderr and "kahn-44" in r.stderr


def test_validate_ok_and_bad(invoke) -> None:
    r = invoke("validate", str(FILES / "base.yaml"), str(FILES / "ladders" / "tiny.yaml"),
               str(FILES / "scales" / "alert.yaml"))
    assert r.exit_code == 0
    assert "ok" in r.stdout and "scenario 'base'" in r.stdout and "ladder 'tiny'" in r.stdout
    r = invoke("validate", str(FILES / "child.yaml"), str(BAD / "dangling_actor.yaml"))
    assert r.exit_code == 2
    assert "scenario 'child'" in r.stdout
    assert "dangling_actor.yaml:20:14: sequential.nodes.respond.actor: unknown actor 'c'" in r.stderr
    assert "1 problem(s) found" in r.stderr


def test_validate_missing_file(invoke) -> None:
    r = invoke("validate", "does-not-exist.yaml")
    assert r.exit_code == 2
    assert "file not found" in r.stderr


@pytest.mark.parametrize("kind", ["scenario", "ladder", "readiness_scale"])
def test_schema_is_valid_json_schema(kind: str, invoke) -> None:
    r = invoke("schema", "--kind", kind)
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    assert schema["type"] == "object" and "id" in schema["properties"]
    import jsonschema
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_accepts_the_builtin_documents(invoke) -> None:
    import jsonschema
    import yaml
    from escalab.scenario import library
    for kind, folder in (("scenario", "scenarios"), ("ladder", "ladders"), ("readiness_scale", "scales")):
        schema = json.loads(invoke("schema", "--kind", kind).stdout)
        for name in library.builtin_names(kind):
            data = yaml.safe_load(Path(library.builtin_path(kind, name)).read_text())
            if "extends" in data:
                continue  # a partial document: the schema describes the merged result
            jsonschema.validate(data, schema)


def test_schema_unknown_kind(invoke) -> None:
    r = invoke("schema", "--kind", "ladders")
    assert r.exit_code == 2 and "--kind must be one of" in r.stderr


def test_run_with_set_and_out(tmp_path: Path, invoke) -> None:
    out = tmp_path / "out"
    r = invoke("run", str(FILES / "base.yaml"), "--set", "cost=3", "--set", "p=1/4", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    record = json.loads((out / "scenario.json").read_text())
    assert record["id"] == "base" and record["parameters"] == {"p": 0.25, "cost": 3.0}
    assert {"index.html", "results.json"} <= {f.name for f in out.iterdir()}


@pytest.mark.parametrize("sets, fragment", [
    (["nope=1"], "has no parameter 'nope'"),
    (["p_resolute=high"], "expected a number"),
    (["p_resolute"], "expects name=value"),
    (["p_resolute=2"], "outside its range"),
    (["p_resolute=1/0"], "expected a number"),
    (["p_resolute=inf"], "finite"),
])
def test_bad_set_exits_2(sets: list[str], fragment: str, tmp_path: Path, invoke) -> None:
    args = ["run", "escalate-to-deescalate", "--out", str(tmp_path)]
    for s in sets:
        args += ["--set", s]
    r = invoke(*args)
    assert r.exit_code == 2
    assert fragment in r.stderr
    assert not (tmp_path / "scenario.json").exists()


def test_parse_number_and_sets() -> None:
    assert parse_number("3", "x") == 3 and isinstance(parse_number("3", "x"), int)
    assert parse_number("0.5", "x") == 0.5 and parse_number("1/4", "x") == 0.25
    assert parse_number("1e2", "x") == 100.0
    assert parse_sets(["a=1", " b = 2.5 "]) == {"a": 1, "b": 2.5}
    with pytest.raises(UsageError):
        parse_sets(["=1"])


def test_internal_error_exits_1_without_traceback(monkeypatch: pytest.MonkeyPatch, invoke) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")
    monkeypatch.setattr(app_module, "validate_file", broken)
    r = invoke("validate", str(FILES / "base.yaml"))
    assert r.exit_code == 1
    assert "internal error" in r.stderr and "boom" in r.stderr


def test_real_subprocess_run(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("ESCALAB_DEBUG", None)
    proc = subprocess.run([sys.executable, "-c", "from escalab.cli.app import main; main()", "run",
                           str(FILES / "base.yaml"), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert json.loads((tmp_path / "run" / "scenario.json").read_text())["id"] == "base"


def test_real_subprocess_bad_file_exits_2() -> None:
    proc = subprocess.run([sys.executable, "-c", "from escalab.cli.app import main; main()", "validate",
                           str(BAD / "expr_import.yaml")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown function '__import__'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_user_text_in_errors_is_not_read_as_markup(invoke) -> None:
    # Rich markup in a user's argument must be printed as typed, not interpreted (or crash)
    result = invoke("run", "--set", "[/b]=1")
    assert result.exit_code == 2
    assert "[/b]" in result.output


def test_paths_that_cannot_be_written_are_bad_input(tmp_path: Path, invoke) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = invoke("run", "chicken", "--out", str(blocker / "sub"))
    assert result.exit_code == 2
    assert f"cannot use '{blocker / 'sub'}'" in result.output and "Not a directory" in result.output


def test_game_tree_needs_a_figure_suffix(tmp_path: Path, invoke) -> None:
    result = invoke("solve", "deterrence-game", "--tree", str(tmp_path / "tree.txt"))
    assert result.exit_code == 2
    assert "expected a file name ending in .png, .svg, .pdf" in result.output


def test_list_names_each_ladder_size_once(invoke) -> None:
    flat = " ".join(invoke("list").stdout.replace("│", " ").split())
    assert "(44 rungs)" in flat and "(44 rungs) (44 rungs)" not in flat, flat


def test_file_names_print_as_typed(invoke, tmp_path) -> None:
    """A file name is user text: Rich markup and emoji codes in it are shown, never interpreted."""
    tutorial = Path(__file__).parents[2] / "docs" / "tutorial"
    for f in tutorial.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    odd = tmp_path / "x[red]y:smile:.yaml"
    odd.write_text((tutorial / "blockade.yaml").read_text())
    r = invoke("validate", str(odd))
    assert r.exit_code == 0 and "x[red]y:smile:.yaml" in r.stdout.replace("\n", "")
    bad = tmp_path / "z:smile:[b].yaml"
    bad.write_text("a: [\n")
    r = invoke("validate", str(bad))
    assert r.exit_code == 2 and "z:smile:[b].yaml" in (r.stdout + r.stderr).replace("\n", "")
