"""From an agent spec (``logit:2``, ``human``, ``llm:MODEL``, ``script:...``) to an :class:`Agent`.

One factory for the CLI, the tournament and the PettingZoo environment. Kinds other than the
simulation policies live in their own modules and are imported only when a spec names them, so
``escalab play`` with two policies never imports the language-model client, and a new kind plugs
in with one line in :data:`AGENT_KINDS` (a ``module:function`` taking ``(spec, ctx)``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UsageError
from ..model.ladder import LadderGame
from .protocol import Agent

POLICY_KINDS = ("equilibrium", "logit", "level", "doctrine", "uniform")
AGENT_KINDS: dict[str, str] = {
    "human": "escalab.wargame.human:make_human_agent",
    "llm": "escalab.wargame.llm:make_llm_agent",
    "script": "escalab.wargame.policy_agents:make_script_agent",
}
DEFAULT_FALLBACK = "equilibrium"


@dataclass
class AgentContext:
    """Everything an agent builder may use besides its spec.

    ``seed`` is the agent's own random stream (derived from the game's seed, so a game replays
    exactly); ``options`` are stored with the game (never secrets: an LLM key is named by its
    environment variable); ``replies`` are the stored ``agent_call`` payloads of this actor when a
    stored game is re-run without calling anyone (``escalab replay --agent-replies``);
    ``moves`` the stored move payloads by turn, for agents that cannot be re-asked (a human).
    """

    game: LadderGame
    actor: str
    seed: np.random.SeedSequence
    options: Mapping[str, Any] = field(default_factory=dict)
    replies: Sequence[Mapping[str, Any]] | None = None
    moves: Mapping[int, Mapping[str, Any]] | None = None
    io: Any = None                     # a HumanIO for human agents (terminal or test streams)
    shared: dict[str, Any] = field(default_factory=dict)   # per-game cache: one policy factory for both sides

    @property
    def player(self) -> int:
        return self.game.actors.index(self.actor)

    def policy_factory(self) -> Any:
        from .policy_agents import policy_factory
        if "factory" not in self.shared:
            self.shared["factory"] = policy_factory(self.game)
        return self.shared["factory"]


def spec_kind(spec: str) -> str:
    return spec.strip().partition(":")[0]


def _builder(kind: str) -> Callable[[str, AgentContext], Agent]:
    module, _, name = AGENT_KINDS[kind].partition(":")
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        raise UsageError(f"agent kind '{kind}' is not available in this installation") from None


def known_kinds() -> str:
    return ", ".join([*POLICY_KINDS, *AGENT_KINDS])


def make_agent(spec: str, ctx: AgentContext) -> Agent:
    """The agent a spec names, for one side of one game. Bad specs raise :class:`UsageError`."""
    kind = spec_kind(spec)
    if kind in POLICY_KINDS:
        from .policy_agents import PolicyAgent
        return PolicyAgent.build(spec.strip(), ctx)
    if kind in AGENT_KINDS:
        return _builder(kind)(spec.strip(), ctx)
    raise UsageError(f"unknown agent '{spec}' for {ctx.actor} (expected one of: {known_kinds()}; "
                     f"e.g. logit:2, level:1, doctrine:NAME, human, llm:MODEL, script:RUNG,RUNG)")


def parse_agent_options(items: Sequence[str] | None, actors: Sequence[str], require_all: bool = True) -> dict[str, str]:
    """``state_a=logit:2`` -> {'state_a': 'logit:2'}; each actor at most once (with ``require_all``,
    exactly once)."""
    out: dict[str, str] = {}
    for item in items or []:
        actor, eq, spec = item.partition("=")
        actor, spec = actor.strip(), spec.strip()
        if not eq or not actor or not spec:
            raise UsageError(f"--agent expects ACTOR=SPEC (e.g. {actors[0]}=logit:2), got '{item}'")
        if actor not in actors:
            raise UsageError(f"--agent names unknown actor '{actor}' (actors of this crisis: {', '.join(actors)})")
        if actor in out:
            raise UsageError(f"--agent gives actor '{actor}' twice")
        out[actor] = spec
    missing = [a for a in actors if a not in out]
    if missing and require_all:
        raise UsageError(f"no agent for {', '.join(missing)}: give --agent {missing[0]}=SPEC "
                         f"(e.g. equilibrium, logit:2, human)")
    return out
