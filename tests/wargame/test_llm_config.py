"""The ``llm:`` spec and ``--llm-config`` file: what they set, and the errors a user sees for bad ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from llm_helpers import game

from escalab.errors import UsageError
from escalab.wargame.agents import AgentContext, make_agent
from escalab.wargame.llm import LLMAgent
from escalab.wargame.llm_config import OPENAI_URL, load_file, parse_spec


def test_model_alone_points_at_openai_with_the_defaults() -> None:
    cfg = parse_spec("llm:gpt-4o-mini")
    assert (cfg.model, cfg.base_url, cfg.key_env, cfg.fallback) == ("gpt-4o-mini", OPENAI_URL, "OPENAI_API_KEY", None)
    assert cfg.label == "llm:gpt-4o-mini"


def test_model_names_with_colons_and_a_base_url_with_options() -> None:
    cfg = parse_spec("llm:qwen2.5:7b@http://localhost:11434/v1,temperature=0.2,max_tokens=300,fallback=logit:2,"
                     "concurrency=8,key_env=OLLAMA_KEY,response_format=none")
    assert (cfg.model, cfg.base_url) == ("qwen2.5:7b", "http://localhost:11434/v1")
    assert (cfg.temperature, cfg.max_tokens, cfg.fallback, cfg.concurrency) == (0.2, 300, "logit:2", 8)
    assert (cfg.key_env, cfg.response_format) == ("OLLAMA_KEY", "none")


def test_the_file_gives_defaults_and_the_spec_wins(tmp_path: Path) -> None:
    (tmp_path / "persona.txt").write_text("You are a cautious premier.", encoding="utf-8")
    (tmp_path / "llm.toml").write_text('base_url = "http://gpu-box:8000/v1"\nmodel = "llama-3-8b"\n'
                                       'temperature = 0.1\npersona_file = "persona.txt"\nretries = 6\n',
                                       encoding="utf-8")
    cfg = parse_spec("llm:,temperature=0.9", config=tmp_path / "llm.toml")
    assert (cfg.model, cfg.base_url, cfg.temperature, cfg.retries) == ("llama-3-8b", "http://gpu-box:8000/v1", 0.9, 6)
    assert cfg.persona == "You are a cautious premier."
    assert parse_spec("llm:other-model", config=tmp_path / "llm.toml").model == "other-model"


def test_yaml_files_too(tmp_path: Path) -> None:
    (tmp_path / "llm.yaml").write_text("base_url: http://127.0.0.1:8080/v1\ntimeout: 5\n", encoding="utf-8")
    settings = load_file(tmp_path / "llm.yaml")
    assert settings == {"base_url": "http://127.0.0.1:8080/v1", "timeout": 5}
    assert parse_spec("llm:local", settings=settings).timeout == 5.0


@pytest.mark.parametrize("spec, message", [
    ("llm:", "no model named (write llm:MODEL, or set 'model' in --llm-config)"),
    ("llm:m,temperature=hot", "temperature: input should be a valid number"),
    ("llm:m,temperature=3", "temperature: input should be less than or equal to 2"),
    ("llm:m,retries=-1", "retries: input should be greater than or equal to 0"),
    ("llm:m,concurrency=0", "concurrency: input should be greater than or equal to 1"),
    ("llm:m,tempreature=0.3", "unknown setting 'tempreature' (expected one of: "),
    ("llm:m,api_key=sk-123", "unknown setting 'api_key'"),
    ("llm:m,temperature", "option 'temperature' is not key=value"),
    ("llm:m@localhost:8000", "base_url: expected an http:// or https:// URL such as http://localhost:8000/v1, "
                             "got 'localhost:8000'"),
    ("llm:m,response_format=xml", "response_format: input should be 'json_object', 'json_schema' or 'none'"),
    ("llm:m,key_env=MY-KEY", "key_env: expected the name of an environment variable"),
    ("llm:m,base_url=http://x", "set 'base_url' in the spec's head or the config file, not as an option"),
    ("llm:m,persona_file=nonexistent/p.txt", "persona_file: cannot read 'p.txt'"),
    ("llm:m,persona_file=/etc/passwd", "persona_file: '/etc/passwd' is outside the working folder"),
    ("llm:m,system_file=../../../../etc/hostname", "is outside the working folder"),
])
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_spec(spec)
    assert message in str(info.value)
    assert str(info.value).startswith(f"agent '{spec}'")


@pytest.mark.parametrize("name, text, message", [
    ("bad.toml", "temperature = [", "LLM config bad.toml: not valid TOML"),
    ("bad.yaml", "a: [", "LLM config bad.yaml: not valid YAML"),
    ("list.yaml", "- 1\n- 2\n", "LLM config list.yaml: expected a table of settings, got a list"),
    ("typo.toml", "timout = 3\n", "LLM config typo.toml: unknown setting 'timout'"),
    ("neg.toml", "timeout = -3\n", "LLM config neg.toml: timeout: input should be greater than 0, got -3"),
    ("cfg.json", "{}", "LLM config cfg.json: expected a .toml, .yaml or .yml file"),
])
def test_bad_files_name_the_file_and_the_setting(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_file(tmp_path / name)
    assert message in str(info.value)
    assert str(tmp_path) not in str(info.value)          # no absolute path of the machine


def test_a_missing_file() -> None:
    with pytest.raises(UsageError, match="LLM config nowhere.toml: cannot read 'nowhere.toml'"):
        load_file(Path("nowhere.toml"))


def ctx(**kw: object) -> AgentContext:
    g = game()
    return AgentContext(g, g.actors[0], np.random.SeedSequence(5), **kw)  # type: ignore[arg-type]


def test_the_agent_factory_builds_llm_agents_from_specs_and_stored_settings() -> None:
    agent = make_agent("llm:m@http://127.0.0.1:9/v1,fallback=level:1", ctx(options={"llm": {"temperature": 0.0}}))
    assert isinstance(agent, LLMAgent)
    assert (agent.name, agent.fallback, agent.config.temperature) == ("llm:m", "level:1", 0.0)


@pytest.mark.parametrize("spec, message", [
    ("llm:m,fallback=human", "the fallback must be a simulation policy"),
    ("llm:m,fallback=llm:other", "the fallback must be a simulation policy"),
    ("llm:m,fallback=logit:x", "policy 'logit:x': expected a rationality"),
    ("llm:m,fallback=doctrine:nope", "has no doctrine 'nope'"),
])
def test_a_bad_fallback_is_refused_before_the_game(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make_agent(spec, ctx())
