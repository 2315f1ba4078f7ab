"""`escalab play` with language-model players on a loopback endpoint, and `escalab replay --agent-replies`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fake_openai import Drop, FakeOpenAI, Reply, Status, play_middle

KEY = "sk-cli-never-printed-4242"


def game_id(output: str) -> str:
    m = re.search(r"game (\S+) ·", output)
    assert m, output
    return m.group(1)


def test_play_then_replay_from_the_stored_replies(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLI_TEST_KEY", KEY)
    db = str(tmp_path / "games.sqlite")
    config = tmp_path / "llm.toml"
    config.write_text('key_env = "CLI_TEST_KEY"\ntimeout = 0.5\nbackoff = 0.01\nretries = 2\n'
                      'persona_file = "hawk.txt"\n', encoding="utf-8")
    (tmp_path / "hawk.txt").write_text("A hawkish premier who never blinks first.", encoding="utf-8")
    script = [Status(503), Reply("I refuse to answer in JSON."), Drop()]
    with FakeOpenAI(script, default=play_middle) as fake:
        played = invoke("play", "kahn-game-compact", "--agent", f"state_a=llm:cli-model@{fake.base_url}",
                        "--agent", "state_b=logit:1", "--seed", "5", "--db", db, "--llm-config", str(config))
        sent = list(fake.chat_requests)
    assert played.exit_code == 0, played.output
    assert KEY not in played.output and KEY not in played.stderr
    assert "A hawkish premier who never blinks first." in sent[0]["json"]["messages"][0]["content"]
    assert sent[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    gid = game_id(played.output)
    with FakeOpenAI(default=Status(500)) as untouched:
        again = invoke("replay", gid, "--agent-replies", "--db", db)
        assert untouched.chat_requests == []
    assert again.exit_code == 0, again.output
    assert "re-run from the stored replies: identical" in again.output
    assert KEY.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("games.sqlite*"))


def test_a_bad_llm_spec_exits_2_before_any_game(invoke, tmp_path: Path) -> None:
    result = invoke("play", "kahn-game-compact", "--agent", "state_a=llm:m,temprature=0.2",
                    "--agent", "state_b=equilibrium", "--db", str(tmp_path / "g.sqlite"))
    assert result.exit_code == 2
    assert "unknown setting 'temprature'" in result.output + result.stderr


def test_a_bad_llm_config_file_exits_2(invoke, tmp_path: Path) -> None:
    bad = tmp_path / "llm.toml"
    bad.write_text("concurrency = 0\n", encoding="utf-8")
    result = invoke("play", "kahn-game-compact", "--agent", "state_a=llm:m", "--agent", "state_b=equilibrium",
                    "--db", str(tmp_path / "g.sqlite"), "--llm-config", str(bad))
    assert result.exit_code == 2
    out = result.output + result.stderr
    assert "LLM config llm.toml: concurrency: input should be greater than or equal to 1" in " ".join(out.split())
