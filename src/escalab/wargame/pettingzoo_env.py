"""Any ladder crisis as a PettingZoo ``ParallelEnv``, for reinforcement-learning agents.

A crisis turn is a simultaneous move, which is PettingZoo's parallel shape. The environment is a
thin adapter over :class:`~escalab.model.ladder.LadderGame`: ``step`` asks ``transition`` for the
exact distribution over next states and samples one outcome with the generator seeded by
``reset(seed=...)``; accidents, misreadings and private types are the model's, not re-implemented.

Observation (per agent, a ``Dict``):

- ``observation``: a ``Box`` in [0, 1] concatenating one-hot vectors of the agent's own rung, the
  opponent's rung *as this agent perceived it*, the opponent's last signal (first slot: none),
  the peak rung and the agent's private type, then the balance from its own side scaled to
  [0, 1] and the turn as a fraction of the turn limit - the same information as the play view;
- ``action_mask``: 1 for each legal action (``int8``).

Action: a rung index (``Discrete(R)``); with ``signals=True`` the pair (rung, declared signal) as
``rung * (R + 1) + signal + 1`` (signal -1: none). An action outside the mask is replaced by the
legal rung nearest to it (ties go down) and ``infos[agent]["illegal_action"]`` says so.

Rewards are the ending's payoffs, paid on the last step. An ending by the turn limit is a
*truncation*; settlement, capitulation and strategic war are *terminations*.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from ..model.ladder import JointAction, LadderGame, LadderState
from ..scenario import Scenario
from .engine import sample


class LadderCrisisEnv(ParallelEnv):  # type: ignore[misc]
    metadata = {"name": "escalab_ladder_crisis_v0", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(self, crisis: Scenario | LadderGame, signals: bool = False, render_mode: str | None = None):
        game = crisis if isinstance(crisis, LadderGame) else crisis.compile("ladder")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.game = game
        self.signals = bool(signals) and game.spec.signals
        self.render_mode = render_mode
        self.possible_agents = list(game.actors)
        self.agents: list[str] = []
        self.R = game.num_rungs
        lo, hi = game.balance_range
        self._scale = max(abs(lo), abs(hi), 1)
        self._types = [len(names) for names in game.type_names]
        self._rng = np.random.default_rng()
        self.state_: LadderState | None = None

    # ------------------------------------------------------------------ spaces
    @functools.lru_cache(maxsize=None)
    def observation_space(self, agent: str) -> spaces.Dict:
        i = self.possible_agents.index(agent)
        size = 3 * self.R + (self.R + 1) + self._types[i] + 2
        return spaces.Dict({"observation": spaces.Box(0.0, 1.0, (size,), np.float32),
                            "action_mask": spaces.Box(0, 1, (self._actions,), np.int8)})

    @functools.lru_cache(maxsize=None)
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(self._actions)

    @property
    def _actions(self) -> int:
        return self.R * (self.R + 1) if self.signals else self.R

    # ------------------------------------------------------------------ episode
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.state_ = sample(self.game.initial_distribution(), self._rng)
        self.agents = self.possible_agents[:]
        return ({a: self._observe(i) for i, a in enumerate(self.agents)},
                {a: self._info(i) for i, a in enumerate(self.agents)})

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        state = self.state_
        if state is None or state.terminal or not self.agents:
            raise RuntimeError("the episode is over; call reset()")
        chosen, declared, illegal = [], [], []
        for i, agent in enumerate(self.possible_agents):
            a, s, bad = self._decode(i, actions.get(agent))
            chosen.append(a)
            declared.append(s)
            illegal.append(bad)
        dist = self.game.transition(state, JointAction((chosen[0], chosen[1]), (declared[0], declared[1])))
        nxt = sample(dist, self._rng)
        self.state_ = nxt
        live = self.agents
        if nxt.terminal:
            pay = self.game.returns(nxt)
            rewards = {a: float(pay[i]) for i, a in enumerate(self.possible_agents) if a in live}
        else:
            rewards = {a: 0.0 for a in live}
        truncated = nxt.ending == "turn_limit"
        terms = {a: nxt.terminal and not truncated for a in live}
        truncs = {a: truncated for a in live}
        obs = {a: self._observe(i) for i, a in enumerate(self.possible_agents) if a in live}
        infos = {a: {**self._info(i), "illegal_action": illegal[i], "executed": int(nxt.positions[i])}
                 for i, a in enumerate(self.possible_agents) if a in live}
        if nxt.terminal:
            self.agents = []
        return obs, rewards, terms, truncs, infos

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self.state_ is None:
            return None
        return "\n".join(self.game.describe_observation(self.game.observe(self.state_, i)) for i in (0, 1))

    def close(self) -> None:
        pass

    def state(self) -> np.ndarray:
        """The true (fog-free) state, for centralised critics: positions, balance, peak, turn and both
        sides' private type indices (0 for a side without types)."""
        s = self.state_
        if s is None:
            return np.zeros(7, dtype=np.float32)
        return np.array([*s.positions, s.balance, s.peak, s.turn, *s.types], dtype=np.float32)

    # ------------------------------------------------------------------ encoding
    def _legal(self, i: int) -> np.ndarray:
        mask = np.zeros(self.R, dtype=np.int8)
        assert self.state_ is not None
        if not self.state_.terminal:
            mask[list(self.game.legal_actions(self.state_, i))] = 1
        return mask

    def _mask(self, i: int) -> np.ndarray:
        rungs = self._legal(i)
        if not self.signals:
            return rungs
        sig = np.zeros(self.R + 1, dtype=np.int8)
        assert self.state_ is not None
        if not self.state_.terminal:
            sig[[0 if s is None else s + 1 for s in self.game.legal_signals(self.state_, i)]] = 1
        return np.outer(rungs, sig).reshape(-1).astype(np.int8)

    def _observe(self, i: int) -> dict[str, np.ndarray]:
        assert self.state_ is not None
        o = self.game.observe(self.state_, i)
        R = self.R
        parts = [np.eye(R, dtype=np.float32)[o.own], np.eye(R, dtype=np.float32)[o.opponent],
                 np.eye(R + 1, dtype=np.float32)[0 if o.opponent_signal is None else o.opponent_signal + 1],
                 np.eye(R, dtype=np.float32)[o.peak], np.eye(self._types[i], dtype=np.float32)[o.own_type],
                 np.array([(o.balance + self._scale) / (2 * self._scale),
                           min(o.turn / self.game.spec.turn_limit, 1.0)], dtype=np.float32)]
        return {"observation": np.concatenate(parts), "action_mask": self._mask(i)}

    def _info(self, i: int) -> dict[str, Any]:
        assert self.state_ is not None
        o = self.game.observe(self.state_, i)
        return {"text": self.game.describe_observation(o), "turn": o.turn}

    def _decode(self, i: int, action: Any) -> tuple[int, int | None, bool]:
        """(rung, signal, was it illegal) from an action number; an illegal rung moves to the nearest legal."""
        assert self.state_ is not None
        legal = self.game.legal_actions(self.state_, i)
        if action is None:
            return min(legal, key=lambda r: abs(r - self.state_.positions[i])), None, True  # type: ignore
        n = int(action)
        if self.signals:
            rung, sig = divmod(n, self.R + 1)
            signal = None if sig == 0 else sig - 1
        else:
            rung, signal = n, None
        bad = not 0 <= n < self._actions or rung not in legal
        if signal is not None and signal not in self.game.legal_signals(self.state_, i):
            signal, bad = None, True
        if rung not in legal:
            rung = min(legal, key=lambda r: (abs(r - rung), r))
        return rung, signal, bad


def parallel_env(scenario: str | Scenario = "kahn-game-compact", **kwargs: Any) -> LadderCrisisEnv:
    """PettingZoo's conventional constructor: a built-in scenario name, a file, or a Scenario."""
    from ..scenario import load
    return LadderCrisisEnv(load(scenario) if isinstance(scenario, str) else scenario, **kwargs)
