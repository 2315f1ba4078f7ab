"""``escalab run`` works for any valid scenario: every built-in and every scenario file of the repository.

Sections that do not apply say why instead of failing; the page and results.json are written.
Small Monte Carlo sizes: these tests check that every scenario goes through, not the rates.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

import escalab
from escalab.report import run as run_report
from escalab.report.html_report import SECTIONS
from escalab.scenario import library, validate_file

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.timeout(1800)


def scenario_files() -> list[Path]:
    out = []
    for p in sorted([*ROOT.glob("tests/**/*.yaml"), *ROOT.glob("docs/**/*.yaml")]):
        if "bad" in p.parts or "mistakes" in p.parts:
            continue
        try:
            if isinstance(validate_file(p), escalab.Scenario):
                out.append(p)
        except escalab.ScenarioError:
            continue
    return out


# the default and its variant take most of this file's time
CASES = [pytest.param(name, id=name, marks=[pytest.mark.slow] if name.startswith(escalab.DEFAULT_SCENARIO) else [])
         for name in library.builtin_names("scenario")] + \
    [pytest.param(str(p), id=str(p.relative_to(ROOT))) for p in scenario_files()]


@pytest.mark.parametrize("ref", CASES)
def test_run_any_scenario(ref: str, tmp_path: Path, fast_simulation: None) -> None:
    s = escalab.load(ref)
    results = run_report.run(s, tmp_path / "out", Console(file=io.StringIO(), width=100),
                             f"escalab run {Path(ref).name}")
    for key in ("solve", "simulate", "variants", "readiness", "plays"):
        rec = results[key]
        assert isinstance(rec, dict) and rec, key
        if "skipped" in rec:
            assert isinstance(rec["skipped"], str) and len(rec["skipped"]) > 20
    assert ("skipped" in results["solve"]) == ("sequential" not in s.forms) or "skipped" in results["solve"]
    assert ("skipped" in results["simulate"]) == ("ladder" not in s.forms)
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    for key, title in SECTIONS:
        assert f'<section id="{key}">' in html
    saved = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert saved["findings"] == results["findings"]
