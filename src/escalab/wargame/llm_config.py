"""Where a language-model player lives and how patiently it is asked: the ``llm:`` spec and its file.

An evaluation team runs thousands of games against one endpoint, so everything about the endpoint
(base URL, model, sampling, timeouts, retries, the concurrency limit, the fallback policy) is one
validated value, built from an optional ``--llm-config`` file (TOML or YAML) and then the spec on
the command line, which wins::

    llm:MODEL[@BASE_URL][,key=value...]
    llm:gpt-4o-mini
    llm:qwen2.5:7b@http://localhost:11434/v1,temperature=0.2,fallback=logit:2

The API key is never part of the configuration: only the *name* of the environment variable that
holds it (``key_env``), so no spec, file or event log ever contains a key. A base URL holding
credentials (``https://user:pass@host``) is refused, and shown only with them hidden.

Settings come from files that may be shared: a ``system_file``/``persona_file`` must lie inside the
folder of the config that names it (for a command-line spec, the working folder), so a spec cannot
read ``/etc/passwd`` and send it to an endpoint. And a stored game never decides where a key goes:
resuming or forking one admits each endpoint it names through :class:`EndpointTrust`.
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ScenarioError, UsageError
from ..scenario.source import parse_text, read_text
from ..terminal import hide_url_credentials

OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
FILE_ONLY = ("system_file", "persona_file")
EXPECTED = {"base_url": "an http:// or https:// URL such as http://localhost:8000/v1",
            "key_env": "the name of an environment variable (letters, digits and '_')"}


class LLMConfig(BaseModel):
    """One endpoint and how to ask it (see docs/play.md, "LLM agents")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1, description="The model name the endpoint knows.")
    base_url: str = Field(default=OPENAI_URL, pattern=r"^https?://\S+$",
                          description="The OpenAI-compatible API root (the part before /chat/completions).")
    key_env: str = Field(default=DEFAULT_KEY_ENV, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                         description="The environment variable holding the API key (unset: no key is sent).")
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=700, ge=16, le=100_000)
    timeout: float = Field(default=60.0, gt=0.0, le=3600.0, description="Seconds for the whole of one request, connecting to the last byte.")
    retries: int = Field(default=4, ge=0, le=20, description="Further attempts after a failed request.")
    backoff: float = Field(default=1.0, ge=0.0, le=600.0, description="First backoff in seconds (doubles).")
    max_backoff: float = Field(default=30.0, ge=0.0, le=3600.0)
    max_retry_after: float = Field(default=60.0, ge=0.0, le=3600.0, description="Cap on a server's Retry-After.")
    reasks: int = Field(default=2, ge=0, le=5, description="Re-asks after an invalid reply before the fallback.")
    concurrency: int = Field(default=4, ge=1, le=1024, description="Requests in flight to this endpoint "
                                                                    "at once, per process.")
    fallback: str | None = Field(default=None, min_length=1, description="The policy that plays a turn the "
                                 "model could not (default: the game's --fallback, itself 'equilibrium').")
    response_format: Literal["json_object", "json_schema", "none"] = "json_object"
    pause_after: int = Field(default=0, ge=0, le=1000, description="Stop the game (resumable) once the endpoint "
                             "has failed on this many turns in a row, instead of falling back again; 0: never.")
    send_seed: bool = Field(default=True, description="Send a request seed derived from the game's seed, the turn "
                                                     "and the ask (servers that take one sample reproducibly).")
    max_statement: int = Field(default=400, ge=0, le=10_000, description="Characters of a public statement kept.")
    system: str | None = Field(default=None, description="System prompt text (replaces the scenario's).")
    persona: str | None = Field(default=None, description="Leader persona text (replaces the scenario's).")

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, url: str) -> str:
        if urllib.parse.urlsplit(url).username is not None or "@" in urllib.parse.urlsplit(url).netloc:
            raise ValueError(f"a base URL must not hold credentials (user:password@), got "
                             f"{hide_url_credentials(url)!r}; put the key in the environment variable key_env names")
        return url

    @property
    def label(self) -> str:
        return f"llm:{self.model}"


def parse_spec(spec: str, config: str | Path | None = None, settings: dict[str, Any] | None = None) -> LLMConfig:
    """The configuration an ``llm:`` agent spec names: the file's (or ``settings``), then the spec's own.

    A spec's own ``persona_file``/``system_file`` is read from the working folder (and must lie in it)."""
    settings = dict(settings or {})
    shown_spec = hide_url_credentials(spec)
    if config is not None:
        settings.update(load_file(Path(config)))
    kind, sep, rest = spec.strip().partition(":")
    if kind != "llm":
        raise UsageError(f"agent '{shown_spec}' is not an LLM spec (expected llm:MODEL[@BASE_URL][,key=value...])")
    head, *options = rest.split(",") if rest else [""]
    model, at, url = head.partition("@")
    if model.strip():
        settings["model"] = model.strip()
    if at:
        settings["base_url"] = url.strip()
    for opt in options:
        key, eq, value = opt.partition("=")
        key = key.strip()
        if not eq or not key:
            raise UsageError(f"agent '{shown_spec}': option '{hide_url_credentials(opt)}' is not key=value")
        if key in FILE_ONLY:
            where = f"agent '{shown_spec}': {key}"
            settings[key.removesuffix("_file")] = _read_text(_confined(Path.cwd(), value.strip(), where,
                                                                       "the working folder"), where)
        elif key in ("model", "base_url", "system", "persona"):
            raise UsageError(f"agent '{shown_spec}': set '{key}' in the spec's head or the config file, not as an "
                             "option")
        else:
            settings[key] = value.strip()
    if "model" not in settings:
        raise UsageError(f"agent '{shown_spec}': no model named (write llm:MODEL, or set 'model' in --llm-config)")
    return _validate(settings, f"agent '{shown_spec}'")


def load_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML or YAML file; ``system_file``/``persona_file`` are read relative to it."""
    where = f"LLM config {path.name}"
    text = _read_text(path, where)
    if path.suffix == ".toml":
        data = _toml(text, where)
    elif path.suffix in (".yaml", ".yml"):
        data = _yaml(text, path, where)
    else:
        raise UsageError(f"{where}: expected a .toml, .yaml or .yml file")
    out = dict(data)
    for key in FILE_ONLY:
        if key in out:
            target = _confined(path.parent, str(out.pop(key)), f"{where}: {key}", f"the folder of {path.name}")
            out[key.removesuffix("_file")] = _read_text(target, f"{where}: {key}")
    _validate({"model": "-", **out}, where)          # report bad keys against the file, not the spec
    return out


def _validate(settings: dict[str, Any], where: str) -> LLMConfig:
    try:
        return LLMConfig.model_validate(settings)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            if err["type"] == "extra_forbidden":
                known = ", ".join(sorted(set(LLMConfig.model_fields) - {"system", "persona"}) + list(FILE_ONLY))
                problems.append(f"unknown setting '{field}' (expected one of: {known})")
            elif err["type"] == "string_pattern_mismatch" and field in EXPECTED:
                problems.append(f"{field}: expected {EXPECTED[field]}, got {hide_url_credentials(repr(err['input']))}")
            elif err["type"] == "value_error":
                problems.append(f"{field}: {str(err['ctx'].get('error', err['msg']))}")
            else:
                problems.append(f"{field}: {err['msg'].lower()}, got {hide_url_credentials(repr(err['input']))}")
        raise UsageError(f"{where}: " + "; ".join(problems)) from None


def _read_text(path: Path, where: str) -> str:
    try:
        return read_text(path)
    except ScenarioError as exc:
        raise UsageError(f"{where}: cannot read '{path.name}' ({exc.problems[0].message.removeprefix('cannot read: ')})"
                         ) from None


def _confined(folder: Path, name: str, where: str, what: str) -> Path:
    """``name`` (relative to ``folder``) if it lies inside ``folder`` once links are followed; else refused."""
    base = folder.resolve()
    target = (base / name).resolve()
    if not target.is_relative_to(base):
        raise UsageError(f"{where}: '{name}' is outside {what}; a file a spec or config names must lie inside "
                         "that folder (copy it there and name it relative to it)")
    return target


def normal_url(url: str) -> str:
    """A base URL as compared for trust: scheme and host lower-cased, no trailing '/'."""
    parts = urllib.parse.urlsplit(url.strip())
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"),
                                    parts.query, "")) if parts.scheme else url.strip().rstrip("/")


def named_url(spec: str) -> str | None:
    """The base URL an ``llm:`` spec names itself (``llm:MODEL@URL``), or None (it takes the settings')."""
    kind, _, rest = spec.strip().partition(":")
    if kind != "llm":
        return None
    model, at, url = rest.split(",")[0].partition("@")
    return url.strip() if at else None


@dataclass
class EndpointTrust:
    """Where the language-model players of a *stored* game may send requests, and with which key.

    A store may come from someone else: its specs and settings name endpoints the user never
    chose. An endpoint is called only when the user named it (``--trust-endpoint``, their own
    ``--llm-config``, an ``@URL`` of their own ``--agent``; OpenAI's default too), or confirmed it
    when ``ask`` could ask them; and the key sent is the one the user's configuration names
    (``key_env`` of their ``--llm-config``, else the default variable), never the store's.
    """

    game_id: str
    trusted: set[str] = field(default_factory=set)
    key_env: str | None = None
    ask: Callable[[str], bool] | None = None

    @classmethod
    def of_user(cls, game_id: str, urls: Iterable[str], user_settings: dict[str, Any] | None,
                ask: Callable[[str], bool] | None) -> EndpointTrust:
        trusted = {normal_url(OPENAI_URL)} | {normal_url(u) for u in urls}
        settings = user_settings or {}
        if "base_url" in settings:
            trusted.add(normal_url(str(settings["base_url"])))
        key = settings.get("key_env")
        return cls(game_id, trusted, None if key is None else str(key), ask)

    def admit(self, cfg: LLMConfig) -> LLMConfig:
        """``cfg`` with the user's key variable, once its endpoint is trusted; else :class:`UsageError`."""
        key_env = self.key_env or DEFAULT_KEY_ENV
        url = normal_url(cfg.base_url)
        if url not in self.trusted:
            shown_url = hide_url_credentials(cfg.base_url)
            question = (f"Game '{self.game_id}' names the endpoint {shown_url} for {cfg.label}: it comes from the "
                        f"game store, not from you. Send its requests there, with the key in ${key_env}?")
            if self.ask is None or not self.ask(question):
                raise UsageError(f"game '{self.game_id}' would send requests to {shown_url} ({cfg.label}), an "
                                 "endpoint named by the game store, not by you; to allow it, pass --trust-endpoint "
                                 f"{shown_url} (or run the command at a terminal to be asked)")
            self.trusted.add(url)
        return cfg.model_copy(update={"key_env": key_env})


def _yaml(text: str, path: Path, where: str) -> dict[str, Any]:
    """The settings of a YAML file, read as scenarios are (duplicate keys and tags refused, bounded)."""
    try:
        return parse_text(text, path.name, path.parent).data
    except ScenarioError as exc:
        if [p.message for p in exc.problems] == ["the document is empty"]:
            return {}
        problems = [p.message.replace("expected a mapping (key: value lines) at the top of the document",
                                      "expected a table of settings")
                    + (f" (line {p.line}" + (f", key '{p.path}')" if p.path else ")") if p.line else "")
                    for p in exc.problems]
        raise UsageError(f"{where}: " + "; ".join(problems)) from None


def _toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib refuses a repeated key ("Cannot overwrite a value (at line 2, column 12)") without naming it
        line = re.search(r"at line (\d+)", str(exc))
        shown = text.split("\n")[int(line.group(1)) - 1] if line and "overwrite" in str(exc) else ""
        key = f" (key '{shown.partition('=')[0].strip()[:60]}')" if "=" in shown else ""
        raise UsageError(f"{where}: not valid TOML: {exc}{key}") from None
    except RecursionError:
        raise UsageError(f"{where}: not valid TOML: nested too deeply") from None
    except ValueError as exc:       # Python refuses integers over 4,300 digits
        raise UsageError(f"{where}: not valid TOML: {str(exc)[:120]}") from None
