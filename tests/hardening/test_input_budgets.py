"""Issue 8: a few bytes of input never buy unbounded time or memory; every refusal is located and says
which limit, the size found and how to raise it. Each test is one finding: the file, the exit code, the message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hardening_helpers import fifo_and_folder

from escalab.errors import ScenarioError
from escalab.scenario import validate_text
from escalab.scenario.expressions import parse

pytestmark = pytest.mark.timeout(60)


def _write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("literal", ["1e-99999999999999", "2 * 1e-500", "x + 1E-9999999999999999999999"])
def test_huge_exponent_literal_refused_at_parse_time(literal: str) -> None:
    with pytest.raises(Exception) as info:
        parse(literal).evaluate({"x": 1}, exact=True)
    assert "over the limit 'exponent' of 400" in str(info.value)
    assert "--limit exponent=N" in str(info.value)


def test_ordinary_exponents_still_exact() -> None:
    from fractions import Fraction
    assert parse("1e-9").evaluate({}, exact=True) == Fraction(1, 10**9)
    assert parse("2.5e3").evaluate({}, exact=True) == 2500


def test_legitimate_merge_key_works_and_explicit_key_overrides(tmp_path: Path, invoke) -> None:
    from escalab.scenario.source import parse_text
    doc = parse_text("a: &base {x: 1, y: 2}\nb:\n  <<: *base\n  y: 3\nc: {<<: [{p: 1}, {p: 2, q: 3}]}\n", "m.yaml")
    assert doc.data["b"] == {"x": 1, "y": 3}
    assert doc.data["c"] == {"p": 1, "q": 3}


@pytest.mark.timeout(20)
def test_merge_key_bomb_refused(tmp_path: Path, invoke) -> None:
    rows = ["a: &a {k: [x, x, x, x, x, x, x, x, x, x]}",
            "b: &b {<<: *a, a1: *a, a2: *a, a3: *a, a4: *a, a5: *a, a6: *a, a7: *a, a8: *a}"]
    prev = "b"
    for name in "cdefgh":
        rows.append(f"{name}: &{name} {{" + ", ".join(f"a{i}: *{prev}" for i in range(9)) + "}")
        prev = name
    path = _write(tmp_path, "bomb.yaml", "\n".join(rows) + "\n")
    assert os.path.getsize(path) < 1024
    r = invoke("validate", path)
    assert r.exit_code == 2
    assert "over the limit 'yaml-nodes'" in r.stderr and "--limit yaml-nodes=N" in r.stderr
    assert "too many aliases?" not in r.stderr


def test_alias_count_limit(tmp_path: Path, invoke) -> None:
    path = _write(tmp_path, "al.yaml", "a: &a 1\nb: [" + ", ".join(["*a"] * 150) + "]\n")
    r = invoke("validate", path)
    assert r.exit_code == 2 and "over the limit 'yaml-aliases' of 100" in r.stderr
    assert "al.yaml:2:" in r.stderr


@pytest.mark.parametrize("text, tag", [
    ("title: !!binary aGVsbG8=\n", "!!binary"),
    ("actors: !!set {a, b}\n", "!!set"),
    ("x: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
    ("x: [1, !local 2]\n", "!local"),
    ("x: !!str 3\n", "!!str"),
])
def test_yaml_tags_on_any_node_refused_with_location(tmp_path: Path, invoke, text: str, tag: str) -> None:
    r = invoke("validate", _write(tmp_path, "t.yaml", text))
    assert r.exit_code == 2
    assert "t.yaml:1:" in r.stderr and f"YAML tags such as '{tag}' are not allowed" in r.stderr


@pytest.mark.timeout(30)
def test_error_collection_linear_and_capped(tmp_path: Path, invoke) -> None:
    keys = "\n".join(f"  unknown_{i}: 1" for i in range(20_000))
    path = _write(tmp_path, "many.yaml", "escalab: 1\n" + keys.replace("  unknown", "unknown") + "\n")
    r = invoke("validate", path)
    assert r.exit_code == 2
    assert "more problem(s) not shown (list more with --limit errors-shown=N)" in r.stderr
    assert r.stderr.count("unknown key") <= 50


def test_error_text_cut_before_building(tmp_path: Path) -> None:
    big = "x" * 3_000_000
    with pytest.raises(ScenarioError) as info:
        validate_text(f"escalab: 1\nname: '{big}-'\n", "big.yaml")
    assert len(str(info.value)) < 5_000


@pytest.mark.timeout(10)
def test_device_fifo_directory_and_big_file_refused(tmp_path: Path, invoke) -> None:
    if os.path.exists("/dev/zero"):
        r = invoke("validate", "/dev/zero")
        assert r.exit_code == 2 and "is a device, not a regular file" in r.stderr
    fifo, folder = fifo_and_folder(tmp_path, ".yaml")
    r = invoke("validate", str(fifo))
    assert r.exit_code == 2 and "is a FIFO (named pipe), not a regular file" in r.stderr
    r = invoke("validate", str(folder))
    assert r.exit_code == 2 and "is a folder, not a file" in r.stderr and "file not found" not in r.stderr
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(3 * 1024 * 1024)
    r = invoke("validate", str(big))
    assert r.exit_code == 2
    assert "the file size in bytes is 3,145,728, over the limit 'file-bytes'" in r.stderr


def test_yes_as_a_key_stays_yes() -> None:
    from escalab.scenario.source import parse_text
    assert parse_text("yes: 1\nno: 2\non: 3\n", "k.yaml").data == {"yes": 1, "no": 2, "on": 3}


def test_raising_a_limit_with_the_flag(tmp_path: Path, invoke) -> None:
    path = _write(tmp_path, "al.yaml", "a: &a 1\nb: [" + ", ".join(["*a"] * 150) + "]\n")
    r = invoke("--limit", "yaml-aliases=1000", "validate", path)
    assert "yaml-aliases" not in r.stderr
