"""`escalab run` ends with plain-language findings drawn from the sections' records."""

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

import escalab
from escalab.report.findings import findings
from escalab.report.run import run


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    out = tmp_path_factory.mktemp("run")
    buf = io.StringIO()
    record = run(escalab.load("escalate-to-deescalate"), out, Console(file=buf, width=120))
    return record, buf.getvalue(), out


def test_default_findings_state_the_articles_answers(default_run: tuple[dict, str, Path]) -> None:
    record, text, out = default_run
    lines = findings(escalab.load("escalate-to-deescalate"), record)
    assert "Russia uses limited nuclear weapons under these parameters." in lines
    assert "The resolute US President's reply to limited use: answer in kind." in lines
    assert "The irresolute US President's reply to limited use: stop." in lines
    assert any(line.startswith("Threshold:") and "p_resolute < 3/4" in line for line in lines)
    assert any(line.startswith("Without the low-yield option the outcome changes") for line in lines)
    assert "In short: Escalate to de-escalate" in text
    saved = json.loads((out / "summary.json").read_text())
    assert saved["solve"]["russia_uses_limited_weapons"] is True
    assert {"scenario.json", "summary.json", "phase-diagram.png", "simulate_endings.png"} <= \
        {p.name for p in out.iterdir()}


def test_findings_follow_the_parameters(tmp_path: Path) -> None:
    s = escalab.load("escalate-to-deescalate").with_params(p_resolute=0.9)
    record = run(s, tmp_path, Console(file=io.StringIO(), width=120))
    lines = findings(s, record)
    assert "Russia does not use limited nuclear weapons under these parameters." in lines


def test_findings_for_a_scenario_without_sections_is_empty() -> None:
    assert findings(escalab.load("chicken"), {}) == []


def test_simulation_findings_name_each_sides_policy(default_run: tuple[dict, str, Path]) -> None:
    record, _, _ = default_run
    lines = findings(escalab.load("escalate-to-deescalate"), record)
    assert any(line.startswith("Ladder crisis, russia doctrine:escalate-to-deescalate vs us "
                               "doctrine:proportional-response (with accidents): most often") for line in lines)
