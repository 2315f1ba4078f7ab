"""A language model as a player: any OpenAI-compatible chat-completions endpoint behind the Agent protocol.

A game with a model in it must still end: every way a call can fail - the endpoint down, slow,
rate-limited, or answering with prose, broken JSON or a rung that is not legal now - ends in a
move. Invalid replies are sent back with the reason (``reasks`` times), failed requests retried
(see :mod:`escalab.wargame.llm_transport`); after that the agent raises
:class:`~escalab.wargame.protocol.AgentFailure` and the engine plays the agent's declared
fallback policy (``agent.fallback``) for that turn, with a ``fallback`` event saying why. Every
attempt is handed to the engine on ``Move.calls`` (or ``AgentFailure.calls``) for an ``agent_call``
event (messages, raw reply, tokens, latency, attempt, error); ``escalab replay GAME --agent-replies``
feeds those back through :class:`ReplayTransport` to re-run a game exactly without the endpoint.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UsageError
from ..scenario.scenario import Scenario
from .agents import POLICY_KINDS, AgentContext, spec_kind
from .llm_config import EndpointTrust, LLMConfig, load_file, parse_spec
from .llm_prompt import ReplyError, parse_reply, reask_prompt, response_format, system_prompt, turn_prompt
from .llm_transport import Caller, HttpTransport, ReplayMismatch, ReplayTransport, Transport
from .policy_agents import turn_generator
from .protocol import AgentFailure, AgentQuit, Move, View

__all__ = ["LLMAgent", "ReplayMismatch", "admit_endpoints", "build_llm_agent", "load_file", "make_llm_agent",
           "persona_for"]
JITTER_STREAM = 0x6C6C6D        # spawn key of the backoff jitter's stream, apart from the fallback's


class EndpointDown(AgentFailure):
    """Every attempt to reach the endpoint failed this turn (as opposed to replies that were invalid)."""


class LLMAgent:
    """One side played by a model. Each turn is asked afresh from the view (which carries the history);
    only the request fields the server refused are remembered between turns."""

    def __init__(self, config: LLMConfig, *, system: str, transport: Transport, seed: np.random.SeedSequence,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.name = config.label
        self.fallback = config.fallback          # the policy the engine plays when this agent fails (None: the game's)
        self.system = system
        self.seed = seed
        self.replaying = isinstance(transport, ReplayTransport)
        self.down_turns = 0                      # turns in a row on which the endpoint failed
        self.caller = Caller(transport, config.base_url, config.concurrency, config.retries, config.backoff,
                             config.max_backoff, config.max_retry_after, np.random.default_rng(seed), sleep)

    def act(self, view: View) -> Move:
        calls: list[dict[str, Any]] = []
        # the jitter of a turn depends on the seed and the turn only: a resumed game waits as the first run did
        self.caller.rng = turn_generator(self.seed, view.turn)
        try:
            move = self._ask(view, calls)
        except EndpointDown as exc:
            self.down_turns += 1
            pause = self.config.pause_after
            if pause and self.down_turns >= pause and not self.replaying:
                raise AgentQuit(f"the endpoint of {self.name} failed on {self.down_turns} turn(s) in a row "
                                f"({exc.reason}); the game is paused until it is back", exc.calls) from None
            raise
        except (AgentFailure, ReplayMismatch):
            raise
        except Exception as exc:                 # a bug of ours must not end a game either: the engine falls back
            raise AgentFailure(f"internal error: {type(exc).__name__}: {exc}", tuple(calls)) from exc
        self.down_turns = 0
        return move

    def _ask(self, view: View, calls: list[dict[str, Any]]) -> Move:
        cfg = self.config
        messages: list[dict[str, str]] = [{"role": "system", "content": self.system},
                                          {"role": "user", "content": turn_prompt(view)}]
        fmt = response_format(view, cfg.response_format)
        reason = ""
        for ask in range(1, cfg.reasks + 2):
            payload: dict[str, Any] = {"model": cfg.model, "messages": list(messages),
                                       "temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
            if fmt is not None:
                payload["response_format"] = fmt
            if cfg.send_seed:
                payload["seed"] = request_seed(self.seed, view.turn, ask)
            done = self.caller.complete(payload)
            calls += [{"actor": view.actor, "agent": self.name, "turn": view.turn, "ask": ask, **rec}
                      for rec in done.records]
            if done.text is None:
                raise EndpointDown(f"endpoint failed after {len(done.records)} attempt(s): {done.error}",
                                   tuple(calls))
            try:
                choice = parse_reply(done.text, view, cfg.max_statement)
            except ReplyError as exc:
                error = str(exc) + (f" (the reply was cut off at max_tokens={cfg.max_tokens}: keep the reasoning "
                                    "short)" if done.truncated else "")
                reason = f"invalid reply after {ask} ask(s): {error}"
                calls[-1]["error"] = f"invalid reply: {error}"
                messages += [{"role": "assistant", "content": done.text},
                             {"role": "user", "content": reask_prompt(error)}]
                continue
            return Move(action=choice.action, signal=choice.signal, statement=choice.statement,
                        reasoning=choice.reasoning, source="llm", calls=tuple(calls))
        raise AgentFailure(reason, tuple(calls))


def request_seed(seed: np.random.SeedSequence, turn: int, ask: int) -> int:
    """The sampling seed sent with one ask: a function of the agent's seed, the turn and the ask only."""
    return int(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, turn, ask)).generate_state(1)[0]
               % 2 ** 31)


def persona_for(scenario: Scenario, actor: str) -> tuple[str, str]:
    """(system text, leader persona) a scenario gives one actor: its ``prompts`` block, else its actor entry."""
    spec = scenario.spec
    prompts = spec.prompts
    system = prompts.system if prompts is not None else ""
    persona = prompts.personas.get(actor, "") if prompts is not None else ""
    if not persona and actor in spec.actors:
        a = spec.actors[actor]
        persona = f"You are the leadership of {a.name}" + (f", {a.role}" if a.role else "") + "." + (
            f" {' '.join(a.doc.split())}" if a.doc else "")
    return system, persona


def make_llm_agent(spec: str, ctx: AgentContext) -> LLMAgent:
    """The agent an ``llm:`` spec names for one side of one game (the builder :mod:`.agents` calls).

    ``ctx.options["llm"]``: settings loaded from ``--llm-config`` (see :func:`load_file`), stored with
    the game so a resumed game needs no file. ``ctx.replies``: stored ``agent_call`` payloads of this
    actor - the agent then makes no request and waits no time. ``ctx.shared["endpoints"]``: an
    :class:`EndpointTrust` when the spec and settings come from a store (resume, fork): the endpoint
    must be one the user trusts, and the key is the user's.
    """
    settings = ctx.options.get("llm") if ctx.options else None
    cfg = parse_spec(spec, settings=dict(settings) if settings else None)
    trust: EndpointTrust | None = ctx.shared.get("endpoints")
    if trust is not None and ctx.replies is None:       # a stored game about to call live: the user's say
        cfg = trust.admit(cfg)
    if cfg.fallback is not None:                # a bad fallback is refused now, not at the first failure
        if spec_kind(cfg.fallback) not in POLICY_KINDS:
            raise UsageError(f"agent '{spec}': the fallback must be a simulation policy "
                             f"({', '.join(POLICY_KINDS)}), got '{cfg.fallback}'")
        ctx.policy_factory().check(cfg.fallback)
    jitter = np.random.SeedSequence(ctx.seed.entropy, spawn_key=(*ctx.seed.spawn_key, JITTER_STREAM))
    transport = ReplayTransport(list(ctx.replies)) if ctx.replies is not None else None
    return build_llm_agent(cfg, actor=ctx.actor, scenario=ctx.game.scenario, seed=jitter,
                           transport=transport, sleep=(lambda s: None) if transport is not None else None)


def admit_endpoints(specs: dict[str, str], options: dict[str, Any], trust: EndpointTrust) -> None:
    """Ask (or refuse) once for every endpoint the ``llm:`` specs of a stored game would call,
    before anything is created or asked (``trust`` remembers the answers for the game's agents)."""
    from .agents import spec_kind
    settings = options.get("llm") if options else None
    for spec in dict.fromkeys(specs.values()):
        if spec_kind(spec) == "llm":
            trust.admit(parse_spec(spec, settings=dict(settings) if settings else None))


def build_llm_agent(cfg: LLMConfig, *, actor: str, scenario: Scenario, seed: int | np.random.SeedSequence,
                    transport: Transport | None = None, sleep: Callable[[float], None] | None = None) -> LLMAgent:
    """An LLM agent from a validated configuration; without ``transport``, HTTP to ``cfg.base_url``."""
    system_text, persona = persona_for(scenario, actor)
    system = system_prompt(scenario.title, scenario.spec.summary, cfg.system if cfg.system is not None
                           else system_text, cfg.persona if cfg.persona is not None else persona)
    if transport is None:
        transport = HttpTransport(cfg.base_url, cfg.timeout, os.environ.get(cfg.key_env) or None)
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    return LLMAgent(cfg, system=system, transport=transport, seed=seed, sleep=sleep or time.sleep)
