"""Issue 23, point 4: ``run --from`` checks the file it is given before it says "Reproduced".

Once a results.json with a forged scenario hash printed "Reproduced: all 8,271 numbers ... agree bit
for bit", and files with keys removed ended in internal errors. Every case here gets exit 2 naming
the file and the key; none may recompute (a tripwire replaces the report's sections) unless the
problem can only show against a new run.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from escalab import limits


@pytest.fixture(autouse=True)
def _no_limits_left_behind():
    yield
    limits.set_limits({}, replace=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """A real report of a small scenario (no ladder crisis: seconds), as results.json holds it."""
    from typer.testing import CliRunner

    from escalab.cli.app import app
    out = tmp_path_factory.mktemp("report") / "r"
    r = CliRunner().invoke(app, ["run", "deterrence-game", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return json.loads((out / "results.json").read_text())


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture()
def no_recompute(monkeypatch):
    import escalab.report.run as run_report

    def tripped(*args, **kwargs):
        raise AssertionError("recomputed a file that should have been refused first")
    monkeypatch.setattr(run_report, "compute", tripped)


def test_an_untouched_report_is_reproduced(invoke, tmp_path, report):
    r = invoke("run", "--from", str(_write(tmp_path, report)))
    assert r.exit_code == 0, r.output + r.stderr
    assert "Reproduced: all" in r.output


def _forge(data: dict, key: str, value) -> dict:
    data = copy.deepcopy(data)
    *path, last = key.split(".")
    at = data
    for part in path:
        at = at[part]
    if value is _DELETE:
        del at[last]
    else:
        at[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize("key, value, says", [
    ("reproducibility.scenario_hash", "sha256:" + "0" * 64, "is not the hash of the stored scenario"),
    ("scenario.document.title", "Something else", "is not the hash of the stored scenario"),
    ("reproducibility.parameters.v", 0.25, "is not the hash of the stored scenario"),
    ("reproducibility.scenario_hash", _DELETE, "missing"),
    ("reproducibility", _DELETE, "missing"),
    ("scenario.document", _DELETE, "missing"),
    ("solve", _DELETE, "missing"),
    ("reproducibility.settings", _DELETE, "missing"),
    ("reproducibility.settings.monte_carlo_seed", _DELETE, "missing"),
    ("reproducibility.parameters", [1, 2], "expected an object, found a list"),
    ("reproducibility.scenario_hash", 7, "expected a string, found a whole number"),
    ("reproducibility.settings.monte_carlo_runs", "2000", "expected a whole number >= 1, found \"2000\""),
    ("reproducibility.settings.monte_carlo_runs", 0, "expected a whole number >= 1"),
    ("reproducibility.settings.monte_carlo_seed", -1, "expected a whole number >= 0"),
    ("reproducibility.settings.monte_carlo_seed", True, "expected a whole number >= 0"),
    ("reproducibility.parameters.no_such", 1.0, "has no parameter 'no_such'"),
    ("reproducibility.parameters.v", "high", "needs a number"),
    ("findings", {}, "expected a list, found an object"),
])
def test_a_forged_or_cut_file_is_refused_by_key_before_recomputing(invoke, tmp_path, report, no_recompute,
                                                                   key, value, says):
    path = _write(tmp_path, _forge(report, key, value))
    r = invoke("run", "--from", str(path))
    assert r.exit_code == 2, r.output + r.stderr
    assert f"'{path}': " in r.stderr and says in r.stderr, r.stderr
    named = ("reproducibility.scenario_hash" if "hash" in says else
             "reproducibility.parameters" if key.startswith("reproducibility.parameters") else key)
    assert f"'{path}': {named}: " in r.stderr                # the file and the key, named
    assert "Reproduced" not in r.output and "internal error" not in r.stderr


@pytest.mark.parametrize("edit", ["rename", "drop", "retype"])
def test_a_key_renamed_removed_or_retyped_deep_inside_is_refused_after_recomputing(invoke, tmp_path, report,
                                                                                    edit):
    data = copy.deepcopy(report)
    solve = data["solve"]
    key = next(k for k, v in solve.items() if isinstance(v, (dict, list)))
    if edit == "rename":
        solve[key + "_x"] = solve.pop(key)
    elif edit == "drop":
        del solve[key]
    else:
        solve[key] = "text"
    path = _write(tmp_path, data)
    r = invoke("run", "--from", str(path))
    assert r.exit_code == 2, r.output + r.stderr
    assert f"'{path}': solve.{key}" in r.stderr and "changed or cut after it was written" in r.stderr
    assert "Reproduced" not in r.output and "internal error" not in r.stderr


def test_a_changed_number_is_not_reproduced(invoke, tmp_path, report):
    data = copy.deepcopy(report)
    data["solve"]["facts"]["nodes"] += 1
    r = invoke("run", "--from", str(_write(tmp_path, data)))
    assert r.exit_code == 1 and "Not reproduced" in r.output and "solve.facts.nodes" in r.output
