"""Shared pieces of the LLM-agent tests: a real crisis, a first-turn view of it, an agent on a fake server."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

import escalab
from escalab.model.ladder import LadderGame
from escalab.wargame.llm import LLMAgent, build_llm_agent
from escalab.wargame.llm_config import parse_spec
from escalab.wargame.protocol import LadderInfo, View

SCENARIO = "kahn-game-compact"
FAST = "timeout=0.5,backoff=0.01,max_backoff=0.05,max_retry_after=2"


@lru_cache(maxsize=1)
def game() -> LadderGame:
    return LadderGame(escalab.load(SCENARIO))


def first_view(g: LadderGame | None = None, player: int = 0) -> View:
    """The view of the first turn, built from the ladder game as the engine builds it."""
    g = g or game()
    s = g.initial_state()
    lad = LadderInfo(g.ladder.id, g.ladder.name, g.rung_ids, tuple(r.name for r in g.ladder.rungs),
                     tuple(float(v) for v in g.values), g.bands)
    obs = g.observe(s, player)
    return View("g-test", g.scenario.id, g.actors[player], player, g.actors[1 - player], 1, g.spec.turn_limit,
                "default", obs.own, obs.opponent, obs.opponent_signal, "", obs.balance, obs.peak,
                g.legal_actions(s, player), g.legal_signals(s, player), (), lad, g.describe_observation(obs))


def agent(base_url: str, options: str = "", seed: int = 7, **kw: Any) -> LLMAgent:
    spec = f"llm:test-model@{base_url},{FAST}" + (f",{options}" if options else "")
    cfg = parse_spec(spec)
    return build_llm_agent(cfg, actor=game().actors[0], scenario=game().scenario,
                           seed=np.random.SeedSequence(seed), **kw)
