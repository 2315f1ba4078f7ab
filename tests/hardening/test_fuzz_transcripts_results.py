"""Issue 23: mutate valid transcripts and results files at random; reading them (and scoring a transcript)
ends in success or an input error (exit 2) with a message -- never an internal error or a traceback.

The mutations are bytes: cut, inserted, replaced or repeated, including whole lines repeated (duplicate
keys and lines), brackets repeated 100,000 times, stray quotes and bytes that are not UTF-8. The parsing
functions are called in-process (a few hundred examples in seconds), the CLI in-process for scoring, and
the console script itself once per kind of file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalab.errors import EscalabError
from escalab.report import run as run_report
from escalab.scenario import load_ladder
from escalab.wargame.transcript import read_transcript

pytestmark = pytest.mark.timeout(300)

SIDES = ("usa", "ussr", "prc")
RUNGS = ("nuclear_signaling", "military_posturing", "economic_pressure", "return_to_start_line")


def _transcript() -> bytes:
    lines = []
    for game in ("g1", "g2"):
        for turn in (1, 2):
            for k, side in enumerate(SIDES):
                row = {"game": game, "turn": turn, "side": side, "signal": RUNGS[(k + turn) % 4] if k else None,
                       "action": RUNGS[(k + 2 * turn) % 4], "statement": "Ces mots \u2028 comptent."}
                if k == 2 and turn == 2:
                    row.update(accident=True, executed=RUNGS[0])
                lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


def _results() -> bytes:
    """A small document of the shape `run --from` reads: the format, the scenario and what made it."""
    return json.dumps({
        "reproducibility": {"escalab": "1.0", "scenario_hash": "sha256:" + "0" * 64, "command": "escalab run x",
                            "settings": {"runs": 1000, "seed": 0}},
        "format": run_report.FORMAT,
        "scenario": {"escalab": 1, "id": "x", "actors": {"a": {"name": "A"}, "b": {"name": "B"}},
                     "parameters": {"p": {"default": 0.5, "range": [0, 1]}}},
        "solve": {"value": [1.5, -2e-300, None, True], "labels": ["a", "b"]},
    }, indent=1).encode()


TRANSCRIPT, RESULTS = _transcript(), _results()
LADDER = load_ladder("kahn-game-30")

pieces = st.sampled_from([b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\n", b"\r\n", b" ", b"null", b"1e999",
                          b"-0", b"9" * 5000, b"NaN", b"\xff\xfe", b"\xc3", b"\x00", b"\\ud800", b"\xe2\x80\xa8",
                          b'"turn": 1, ', b'"game": "g1", ', b'"x": 1, "x": 2', b"[" * 100_000, b"{" * 2000])


@st.composite
def mutated(draw, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "insert", "replace", "line", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "cut":
            del data[at:at + draw(st.integers(1, 40))]
        elif op == "insert":
            data[at:at] = draw(pieces) if draw(st.booleans()) else draw(st.binary(min_size=1, max_size=8))
        elif op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "line":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[k])       # a line (or a key) given twice
            data = bytearray(b"\n".join(lines))
        elif op == "truncate":
            del data[at:]
    return bytes(data)


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def _read_or_refused(path: Path, data: bytes, read) -> None:
    """``read`` of a file holding ``data`` returns, or raises escalab's own error with a message."""
    path.write_bytes(data)
    try:
        read(path)
    except Exception as exc:  # noqa: BLE001 - the kind of exception is what is tested
        assert isinstance(exc, EscalabError), f"internal error: {type(exc).__name__}: {exc}"
        assert str(exc).strip()


def test_the_unmutated_files_are_read(folder: Path) -> None:
    from escalab.cli.run_cmd import _stored

    (folder / "t.jsonl").write_bytes(TRANSCRIPT)
    (folder / "r.json").write_bytes(RESULTS)
    assert len(read_transcript(folder / "t.jsonl", LADDER).plays) == 2
    assert _stored(folder / "r.json")["format"] == run_report.FORMAT


@settings(max_examples=300, deadline=None)
@given(mutated(TRANSCRIPT))
def test_mutated_transcripts_are_read_or_refused(folder: Path, data: bytes) -> None:
    _read_or_refused(folder / "t.jsonl", data, lambda path: read_transcript(path, LADDER))


@settings(max_examples=300, deadline=None)
@given(mutated(RESULTS))
def test_mutated_results_files_are_read_or_refused(folder: Path, data: bytes) -> None:
    from escalab.cli.run_cmd import _stored

    _read_or_refused(folder / "r.json", data, _stored)


@settings(max_examples=60, deadline=None)
@given(mutated(TRANSCRIPT))
def test_scoring_mutated_transcripts_exits_0_or_2(folder: Path, data: bytes) -> None:
    from typer.testing import CliRunner

    from escalab.cli.app import app

    path = folder / "s.jsonl"
    path.write_bytes(data)
    r = CliRunner().invoke(app, ["score", str(path), "--ladder", "kahn-game-30"])
    assert r.exit_code in (0, 2) and "Traceback" not in r.output + r.stderr, r.output + r.stderr
    if r.exit_code == 2:
        assert "error:" in r.stderr and "internal error" not in r.stderr


def _console(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    return subprocess.run([sys.executable, "-c", "from escalab.cli.launch import main; main()", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_console_script_on_a_deep_transcript_and_a_results_file_with_a_duplicate_key(tmp_path: Path) -> None:
    (tmp_path / "deep.jsonl").write_text('{"game": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    r = _console("score", "deep.jsonl", "--ladder", "kahn-game-30", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "deep.jsonl:1:" in r.stderr and "nested more than 50 levels deep" in r.stderr
    (tmp_path / "r.json").write_bytes(RESULTS.replace(b'"format"', b'"format": "other",\n "format"', 1))
    r = _console("run", "--from", "r.json", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "r.json:12:2: format: duplicate key 'format'" in r.stderr and "duplicate key 'format'" in r.stderr
