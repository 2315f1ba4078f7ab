"""Issue 23: every path into escalab is bounded. Special files given as input are refused with what they
are, JSON and YAML nesting and duplicate keys are refused at their file, line and key, and every number
from the command line or the environment is checked for its range before it is used. Each test is one
finding of the issue: the command, the exit code, the message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)      # a FIFO read without a bound hangs: the timeout is the failure

LINE = '{"game": "g", "turn": 1, "side": "usa", "signal": null, "action": "military_posturing"}'


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


def _fifo_named(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("target, said", [("fifo", "is a FIFO (named pipe), not a regular file"),
                                          ("/dev/zero", "is a device, not a regular file"),
                                          ("folder", "is a folder, not a file")])
def test_special_files_as_a_transcript_or_a_results_file(invoke, fifo: Path, tmp_path: Path, target: str,
                                                          said: str) -> None:
    if target == "/dev/zero" and not os.path.exists(target):
        pytest.skip("no /dev/zero here")
    path = {"fifo": str(fifo), "folder": str(tmp_path)}.get(target, target)
    r = invoke("score", path, "--ladder", "kahn-game-30")
    assert r.exit_code == 2 and said in r.stderr, r.stderr
    r = invoke("run", "--from", path)
    assert r.exit_code == 2 and said in r.stderr, r.stderr


def test_a_fifo_as_llm_config_or_persona_file(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)        # a command-line spec's files must lie in the working folder
    config = _fifo_named(tmp_path, "llm.toml")
    r = invoke("play", "kahn-game-compact", "-a", "state_a=llm:m@http://127.0.0.1:9/v1", "-a", "state_b=uniform",
               "--llm-config", str(config), "--db", str(tmp_path / "g.sqlite"))
    assert r.exit_code == 2 and "LLM config llm.toml: cannot read 'llm.toml' (is a FIFO (named pipe)" in r.stderr
    persona = _fifo_named(tmp_path, "persona.txt")
    r = invoke("play", "kahn-game-compact", "-a", f"state_a=llm:m@http://127.0.0.1:9/v1,persona_file={persona.name}",
               "-a", "state_b=uniform", "--db", str(tmp_path / "g.sqlite"))
    assert r.exit_code == 2 and "persona_file: cannot read 'persona.txt' (is a FIFO" in r.stderr


def test_a_fifo_as_a_store_is_refused_before_sqlite_writes_beside_it(invoke, tmp_path: Path) -> None:
    store = _fifo_named(tmp_path, "games.sqlite")
    r = invoke("games", "--db", str(store))
    assert r.exit_code == 2 and "it is a FIFO (named pipe); expected a SQLite file" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["games.sqlite"]      # no games.sqlite-journal


def test_json_nested_100000_deep_exits_2_at_its_line(invoke, tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "t.jsonl").write_text(LINE + "\n" + '{"game": ' + deep + "}\n")
    r = invoke("score", str(tmp_path / "t.jsonl"), "--ladder", "kahn-game-30")
    assert r.exit_code == 2 and "t.jsonl:2:" in r.stderr and "nested more than 50 levels deep" in r.stderr
    (tmp_path / "r.json").write_text(deep)
    r = invoke("run", "--from", str(tmp_path / "r.json"))
    assert r.exit_code == 2 and "r.json:1:51:" in r.stderr and "nested more than 50 levels deep" in r.stderr


def test_duplicate_keys_in_a_transcript_line_are_refused_with_line_and_key(invoke, tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(LINE + "\n" + LINE.replace('"turn": 1', '"turn": 1, "turn": 2') + "\n")
    r = invoke("score", str(tmp_path / "t.jsonl"), "--ladder", "kahn-game-30")
    assert r.exit_code == 2 and "t.jsonl:2:" in r.stderr
    assert "turn: duplicate key 'turn' (the first one would be silently overwritten)" in r.stderr


def test_duplicate_keys_in_a_results_file_are_refused(invoke, tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"format": "escalab-report/1",\n "scenario": {"id": "a",\n  "id": "b"}}')
    r = invoke("run", "--from", str(tmp_path / "r.json"))
    assert r.exit_code == 2 and "r.json:3:3: scenario.id: duplicate key 'id'" in r.stderr


@pytest.mark.parametrize("name, text, said", [
    ("d.yaml", "model: a\ntemperature: 1\nmodel: b\n", "duplicate key 'model' (the first one would be silently "
                                                       "overwritten) (line 3, key 'model')"),
    ("d.toml", "model = 'a'\ntemperature = 1\nmodel = 'b'\n", "(at line 3, column 12) (key 'model')"),
    ("n.toml", "x = " + "[" * 100_000 + "]" * 100_000 + "\n", "not valid TOML: nested too deeply"),
    ("n.yaml", "x: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested more than 50 levels deep"),
    ("i.toml", "x = " + "9" * 5000 + "\n", "not valid TOML: Exceeds the limit (4300 digits)"),
])
def test_llm_config_duplicates_and_nesting(tmp_path: Path, name: str, text: str, said: str) -> None:
    from escalab.errors import UsageError
    from escalab.wargame.llm_config import load_file

    (tmp_path / name).write_text(text)
    with pytest.raises(UsageError) as info:
        load_file(tmp_path / name)
    assert f"LLM config {name}: " in str(info.value) and said in str(info.value)


@pytest.mark.timeout(20)    # libyaml's parse is quadratic in the nesting: this took minutes
def test_a_scenario_nested_100000_deep_is_refused_before_the_yaml_parser(invoke, tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("escalab: 1\nid: x\ntitle: " + "{a: " * 100_000 + "1" + "}" * 100_000)
    r = invoke("validate", str(tmp_path / "deep.yaml"))
    assert r.exit_code == 2 and "deep.yaml:3:" in r.stderr and "nested more than 50 levels deep" in r.stderr


def test_brackets_in_quoted_strings_do_not_count_below_the_bound() -> None:
    from escalab.scenario.source import parse_text
    doc = parse_text("title: '" + "[" * 900 + "'\nx: [[1]]\n", "q.yaml")
    assert doc.data["x"] == [[1]] and len(doc.data["title"]) == 900


# ------------------------------------------------------------------------------ numbers in range
@pytest.mark.parametrize("seed", [str(2**64), str(2**63), "-1"])
def test_seeds_out_of_range_exit_2_naming_the_range(invoke, tmp_path: Path, seed: str) -> None:
    db = str(tmp_path / "g.sqlite")
    for args in (("play", "kahn-game-compact", "-a", "state_a=uniform", "-a", "state_b=uniform", "--db", db),
                 ("simulate", "kahn-game-compact", "--runs", "10"),
                 ("tournament", "kahn-game-compact", "-a", "a=uniform", "-a", "b=uniform", "--games", "1", "--db", db)):
        r = invoke(*args, "--seed", seed)
        assert r.exit_code == 2, (args, r.output)
        assert "--seed must be a whole number from 0 to 2^63 - 1" in r.stderr


def test_the_largest_seed_is_played_and_stored(invoke, tmp_path: Path) -> None:
    r = invoke("play", "kahn-game-compact", "-a", "state_a=uniform", "-a", "state_b=uniform", "--db",
               str(tmp_path / "g.sqlite"), "--seed", str(2**63 - 1))
    assert r.exit_code == 0, r.output
    assert f"seed {2**63 - 1}" in r.output


@pytest.mark.parametrize("value", ["1e400", "1e19", "nan", "inf", "-5", "1.5", "9" * 5000])
def test_limit_values_out_of_range_exit_2(invoke, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    r = invoke("--limit", f"tree-nodes={value}", "solve", "deterrence-game")
    assert r.exit_code == 2 and "--limit tree-nodes:" in r.stderr
    assert "is not a whole number from 0 to 10^18" in r.stderr
    monkeypatch.setenv("ESCALAB_LIMIT_TREE_NODES", value)
    r = invoke("solve", "deterrence-game")
    assert r.exit_code == 2 and "environment variable ESCALAB_LIMIT_TREE_NODES=" in r.stderr
    assert "expected a whole number from 0 to 10^18" in r.stderr


def test_limit_values_in_range_are_taken() -> None:
    from escalab import limits
    assert limits.parse_limit_option("tree-nodes=1e18") == ("tree-nodes", 10**18)
    assert limits.parse_limit_option("tree-nodes=2.5e3") == ("tree-nodes", 2500)
    assert limits.parse_limit_option("tree-nodes=1,000") == ("tree-nodes", 1000)


@pytest.mark.parametrize("host", ["a" * 64, ("abc." * 64) + "de", "x" * 100_000])
def test_scheduler_host_names_over_the_idna_limits_exit_2(invoke, host: str) -> None:
    for args in (("simulate", "kahn-game-compact", "--runs", "10"),
                 ("sweep", "kahn-game-compact", "--grid", "p_accident=0:0.1:3", "--no-figure"),
                 ("tournament", "kahn-game-compact", "-a", "a=uniform", "-a", "b=uniform", "--games", "1")):
        r = invoke(*args, "--scheduler", f"tcp://{host}:8786")
        assert r.exit_code == 2, (args, r.output)
        assert "the host name is not one a resolver takes" in r.stderr and "253 characters in all" in r.stderr


def test_workers_threads_and_pace_out_of_range_exit_2(invoke, tmp_path: Path) -> None:
    db = str(tmp_path / "g.sqlite")
    big = "9" * 25
    r = invoke("simulate", "kahn-game-compact", "--runs", "10", "--workers", big)
    assert r.exit_code == 2 and "over the limit 'workers' of 256" in r.stderr
    r = invoke("tournament", "kahn-game-compact", "-a", "a=uniform", "-a", "b=uniform", "--games", "1", "--db", db,
               "--threads", "100000")
    assert r.exit_code == 2 and "--threads: the number of local worker processes (or threads) is 100,000" in r.stderr
    for pace in ("nan", "1e308", "-1"):
        r = invoke("play", "kahn-game-compact", "-a", "state_a=uniform", "-a", "state_b=uniform", "--db", db,
                   "--pace", pace)
        assert r.exit_code == 2 and "--pace must be between 0 and 3600 seconds" in r.stderr


def test_the_launcher_leaves_a_pool_over_the_limit_to_the_command(tmp_path: Path) -> None:
    """`--workers N` is read before the CLI exists, to start the pool early: 10^25 overflowed a C int there,
    with a traceback, and 100000 would have started 99,999 processes."""
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    for n in ("9" * 25, "100000"):
        r = subprocess.run([sys.executable, "-c", "from escalab.cli.launch import main; main()", "simulate",
                            "kahn-game-compact", "--runs", "10", "--workers", n], capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=60)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "over the limit 'workers' of 256" in r.stderr
