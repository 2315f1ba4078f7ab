"""Simulation policies and fixed scripts as agents.

A policy of :mod:`escalab.simulate.policies` decides for arrays of runs from
:class:`~escalab.simulate.policies.Observations`; here it decides for the one run a view describes.
The view carries exactly what the policy reads (own rung, the opponent's rung as perceived, its
last signal, the balance from this side, the peak, the turn), so a policy agent is as informed as
the simulated actor, no more. Random policies draw with a generator derived from the agent's
seed and the turn, so a resumed or forked game draws the very same actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from ..errors import UsageError
from ..model.ladder import LadderGame
from .agents import AgentContext
from .protocol import Move, View


_FACTORIES: WeakKeyDictionary[LadderGame, Any] = WeakKeyDictionary()


def policy_factory(game: LadderGame) -> Any:
    """The one policy factory of a compiled crisis in this process (its arrays and equilibrium are
    built once: the engine compiles each stored scenario once, so games of one scenario share it)."""
    if game not in _FACTORIES:
        from ..simulate.policies import PolicyFactory
        from ..solve.ladder import ladder_arrays
        _FACTORIES[game] = PolicyFactory(game, ladder_arrays(game))
    return _FACTORIES[game]


def turn_generator(seed: np.random.SeedSequence, turn: int) -> np.random.Generator:
    """The agent's generator for one turn: independent of how many turns were played before in this process."""
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, turn)))


def observations(view: View, variant: int | None = None) -> Any:
    """A one-run :class:`Observations` of a view (the policies count turns from 0); ``variant``: the
    policy variant (own type and belief) in a crisis with private types."""
    from ..simulate.policies import NO_SIGNAL, Observations

    def one(x: int) -> np.ndarray:
        return np.array([x], dtype=np.int64)

    sig = NO_SIGNAL if view.opponent_signal is None else view.opponent_signal
    return Observations(view.turn - 1, one(view.own_rung), one(view.opponent_observed), one(sig),
                        one(view.balance), one(view.peak), None if variant is None else one(variant))


@dataclass
class PolicyAgent:
    """One simulation policy playing one side."""

    name: str
    policy: Any
    seed: np.random.SeedSequence
    rung_names: tuple[str, ...]
    game: LadderGame | None = None      # with private types: the crisis, its arrays and the belief model
    arrays: Any = None
    belief_table: Any = None

    @classmethod
    def build(cls, spec: str, ctx: AgentContext) -> PolicyAgent:
        factory = ctx.policy_factory()
        factory.check(spec)
        policy = factory.build(ctx.actor, spec)
        names = tuple(r.name for r in ctx.game.ladder.rungs)
        if factory.arrays.typed < 0:
            return cls(spec, policy, ctx.seed, names)
        from .beliefs import belief_model
        return cls(spec, policy, ctx.seed, names, ctx.game, factory.arrays,
                   belief_model(factory, spec, ctx.player))

    def variant(self, view: View) -> int | None:
        """Own type and belief as this side can know them (None without private types)."""
        if self.game is None:
            return None
        from .beliefs import view_variant
        return view_variant(self.game, self.arrays, self.belief_table, view)

    def act(self, view: View) -> Move:
        obs = observations(view, self.variant(view))
        if self.policy.deterministic:
            actions, signals = self.policy.choose(obs)
            action, signal = int(actions[0]), int(signals[0])
            why = f"{self.name}: the doctrine's first matching rule gives '{self.rung_names[action]}'"
        else:
            probs = self.policy.action_probs(obs)[0]
            cum = np.cumsum(probs)
            u = turn_generator(self.seed, view.turn).random() * cum[-1]
            col = min(int(np.searchsorted(cum, u, side="right")), len(cum) - 1)
            while probs[col] <= 0 and col > 0:        # never a zero-probability column at a rounding edge
                col -= 1
            action = int(self.policy.allowed[col])
            signal = int(self.policy.signals(obs)[0])
            top = np.argsort(-probs)[:3]
            why = f"{self.name}: drew '{self.rung_names[action]}' (p={probs[col]:.3f}); most likely: " + ", ".join(
                f"'{self.rung_names[int(self.policy.allowed[c])]}' {probs[c]:.3f}" for c in top if probs[c] > 0)
        sig = None if signal < 0 else signal
        statement = f"We are prepared to go to '{self.rung_names[sig]}'." if sig is not None else ""
        return Move(action=action, signal=sig, statement=statement, reasoning=why, source=f"policy:{self.name}")


@dataclass
class ScriptAgent:
    """A fixed plan: turn t plays entry t (the last entry repeats). Entries are ``ACTION`` or
    ``ACTION/SIGNAL``, as rung ids or indices. It plays its plan even where a rung is illegal, so
    the engine's fallback handles it (a script is how tests and benchmarks play exact lines)."""

    name: str
    plan: tuple[tuple[int, int | None], ...]

    def act(self, view: View) -> Move:
        action, signal = self.plan[min(view.turn, len(self.plan)) - 1]
        return Move(action=action, signal=signal, source=f"script:{self.name}")


def make_script_agent(spec: str, ctx: AgentContext) -> ScriptAgent:
    body = spec.partition(":")[2]
    ids = ctx.game.rung_ids

    def rung(text: str) -> int:
        t = text.strip()
        if t in ids:
            return ids.index(t)
        if t.isdigit() and int(t) < len(ids):
            return int(t)
        raise UsageError(f"agent '{spec}': '{t}' is not a rung of ladder '{ctx.game.ladder.id}' "
                         f"(rungs: {', '.join(ids)}, or their numbers 0-{len(ids) - 1})")

    if not body.strip():
        raise UsageError(f"agent '{spec}': expected script:RUNG[/SIGNAL],RUNG[/SIGNAL],... (one entry per turn)")
    plan = []
    for entry in body.split(","):
        act, slash, sig = entry.partition("/")
        plan.append((rung(act), rung(sig) if slash else None))
    return ScriptAgent(spec, tuple(plan))
