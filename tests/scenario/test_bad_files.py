"""Every hand-written bad file fails with one located, readable message -- in Python and in the CLI.

Each file in ``bad/`` starts with the error it must produce::

    # expect: <line>:<column> <field path or ->: <fragment of the message>
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalab.cli.app import app
from escalab.errors import ScenarioError
from escalab.scenario import validate_file

BAD = Path(__file__).parent / "bad"
FILES = sorted(BAD.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\S+): (.+)$")


def expectation(path: Path) -> tuple[int, int, str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = EXPECT.match(first)
    assert m, f"{path.name}: first line must be '# expect: LINE:COL PATH: FRAGMENT', got {first!r}"
    line, col, field, fragment = m.groups()
    return int(line), int(col), "" if field == "-" else field, fragment


def test_corpus_is_large_enough() -> None:
    assert len(FILES) >= 35


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bad_file_raises_located_scenario_error(path: Path) -> None:
    line, col, field, fragment = expectation(path)
    with pytest.raises(ScenarioError) as info:
        validate_file(path)
    problems = info.value.problems
    assert problems
    assert all(p.file for p in problems), "every problem names a file"
    matching = [p for p in problems if fragment in p.message]
    assert matching, f"no problem mentions {fragment!r}: {info.value}"
    p = matching[0]
    assert Path(p.file).name == path.name
    assert (p.line, p.column, p.path) == (line, col, field), str(p)
    # the one-line rendering a user sees carries all of it
    assert str(p) == f"{p.file}:{line}:{col}:{' ' + field + ':' if field else ''} {p.message}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bad_file_through_cli_exits_2_without_traceback(path: Path) -> None:
    line, col, field, fragment = expectation(path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    err = result.stderr
    assert f"{path.name}:{line}:{col}:" in err
    assert fragment in err
    if field:
        assert field in err
