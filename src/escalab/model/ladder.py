"""A ladder crisis compiled to a state machine of simultaneous turns.

Each turn both actors declare a signal (a rung they claim to be heading for, or none) and take an
action (a rung). Then chance acts, explicitly and with stated probabilities: an accident may push
an executed action up (or down) the ladder, and each side may misread the other's action as an
adjacent rung. The conventional balance moves with the drift and the actions' bands; endings are
settlement, capitulation, strategic exchange or the turn limit.

:meth:`LadderGame.transition` returns the full distribution over next states instead of sampling
one, so the exact Markov-chain analysis and the Monte Carlo engine use the same dynamics; the
caller owns the random generator. Nothing here draws a random number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import ExpressionError, ModelError
from ..scenario.scenario import Scenario
from ..scenario.schema import BANDS, LadderCrisisSpec, LadderSpec
from .indicators import readiness_type_prior

SETTLEMENT_BANDS = frozenset({"de_escalation", "status_quo"})


@dataclass(frozen=True)
class LadderState:
    """Everything the dynamics need; rung positions are indices into the ladder."""

    turn: int
    positions: tuple[int, int]            # each actor's last executed action
    perceived: tuple[int, int]            # perceived[i]: the opponent's last action as actor i saw it
    signals: tuple[int | None, int | None]  # each actor's last declared signal (None: no signal)
    balance: int
    peak: int                             # highest rung executed by anyone so far
    ending: str | None = None
    types: tuple[int, int] = (0, 0)       # each actor's private type (index into LadderGame.type_names)

    @property
    def terminal(self) -> bool:
        return self.ending is not None


@dataclass(frozen=True)
class JointAction:
    actions: tuple[int, int]
    signals: tuple[int | None, int | None] = (None, None)


@dataclass(frozen=True)
class Observation:
    """What one actor sees: its own position exactly, the opponent's through possible misreading."""

    actor: str
    turn: int
    own: int
    opponent: int
    opponent_signal: int | None
    balance: int                          # from this actor's side: positive when it is winning
    peak: int
    own_type: int = 0                     # index into LadderGame.type_names[player]


class LadderGame:
    """The state/transition API for a ladder crisis."""

    def __init__(self, scenario: Scenario, exact: bool = False):
        # ``exact`` is accepted for a uniform compile signature; ladder dynamics are probabilities
        # in floating point (the exact Markov-chain analysis is exact in its algebra, not its numbers).
        spec = scenario.spec.ladder_crisis
        if spec is None or scenario.crisis_ladder is None:
            raise ModelError(f"scenario '{scenario.id}' has no ladder crisis")
        self.scenario = scenario
        self.spec: LadderCrisisSpec = spec
        self.ladder: LadderSpec = scenario.crisis_ladder
        self.actors: tuple[str, str] = (spec.actors[0], spec.actors[1])
        self.rung_ids: tuple[str, ...] = tuple(r.id for r in self.ladder.rungs)
        self.values = np.array([float(r.value) for r in self.ladder.rungs])
        self.bands: tuple[str, ...] = tuple(r.band for r in self.ladder.rungs)
        self.band_codes = np.array([BANDS.index(b) for b in self.bands])
        self.num_rungs = len(self.rung_ids)

        def ev(path: tuple[str | int, ...]) -> float:
            try:
                return float(scenario.evaluate(*path))
            except ExpressionError as exc:
                raise ModelError(exc.message) from None

        self.accidents: dict[str, tuple[float, float, int]] = {
            band: (ev(("ladder_crisis", "accidents", band, "up")), ev(("ladder_crisis", "accidents", band, "down")),
                   acc.max_rungs)
            for band, acc in spec.accidents.items()}
        self.misperception = ev(("ladder_crisis", "misperception"))
        # Payne's Kahn Game: an actor that judges the risk of miscalculation higher runs more accidents.
        self.risk: tuple[float, float] = tuple(  # type: ignore[assignment]
            ev(("ladder_crisis", "miscalculation_risk", a)) if a in spec.miscalculation_risk else 1.0
            for a in self.actors)
        for i, a in enumerate(self.actors):
            for band, (up, down, _) in self.accidents.items():
                if up * self.risk[i] < 0 or up * self.risk[i] + down > 1 + 1e-9:
                    raise ModelError(f"miscalculation risk {self.risk[i]:g} of '{a}' puts the accident "
                                     f"probabilities of band {band} outside [0, 1]")
        allowed = spec.actions or {}
        self.removed = removed_rungs(scenario, self.actors, self.rung_ids)
        self.allowed: tuple[tuple[int, ...], tuple[int, ...]] = tuple(  # type: ignore[assignment]
            tuple(sorted(r for r in (self.rung_ids.index(x) for x in allowed[a]) if r not in self.removed[i]))
            if a in allowed else tuple(r for r in range(self.num_rungs) if r not in self.removed[i])
            for i, a in enumerate(self.actors))
        for i, a in enumerate(self.actors):
            if not self.allowed[i]:
                raise ModelError(f"remove_moves leaves '{a}' no action in the ladder crisis")
        # Private types: at most one actor of a ladder crisis has them (checked in the scenario language).
        self._type_names = tuple(tuple(scenario.spec.actors[a].types or {"default": 1}) for a in self.actors)
        self.typed = next((i for i in (0, 1) if len(self._type_names[i]) > 1), -1)
        self.type_prior = (np.array([ev(("actors", self.actors[self.typed], "types", t))
                                     for t in self._type_names[self.typed]]) if self.typed >= 0 else np.ones(1))
        # ... or, where the scenario says so, from a readiness assessment mapped to types
        self.readiness_prior = readiness_type_prior(scenario)
        if self.readiness_prior is not None:
            self.type_prior = self.readiness_prior.prior
        self.belief_grid = spec.belief_grid
        self.balance_range = spec.balance.range
        self.balance_effect = {b: spec.balance.effect.get(b, 0) for b in BANDS}

    # -------------------------------------------------------------- protocol
    def index(self, rung: str) -> int:
        try:
            return self.rung_ids.index(rung)
        except ValueError:
            raise ModelError(f"unknown rung '{rung}' on ladder '{self.ladder.id}'") from None

    def initial_state(self) -> LadderState:
        a, b = (self.index(self.spec.start[x]) for x in self.actors)
        return LadderState(turn=0, positions=(a, b), perceived=(b, a), signals=(None, None),
                           balance=self.spec.balance.initial, peak=max(a, b))

    @property
    def type_names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Each actor's private types; an actor without types has the single type 'default'."""
        return self._type_names  # type: ignore[return-value]

    def initial_distribution(self) -> list[tuple[float, LadderState]]:
        """Chance's opening move: the prior over the actors' private types, as start states."""
        start = self.initial_state()
        if self.typed < 0:
            return [(1.0, start)]
        out = []
        for theta, p in enumerate(self.type_prior):
            if p > 0:
                types = (theta, 0) if self.typed == 0 else (0, theta)
                out.append((float(p), replace(start, types=types)))
        return out

    def legal_actions(self, state: LadderState, player: int) -> tuple[int, ...]:
        if state.terminal:
            return ()
        allowed = self.allowed[player]
        step = self.spec.max_step
        if step is None:
            return allowed
        here = state.positions[player]
        within = tuple(r for r in allowed if abs(r - here) <= step)
        return within or (min(allowed, key=lambda r: abs(r - here)),)

    def legal_signals(self, state: LadderState, player: int) -> tuple[int | None, ...]:
        if state.terminal:
            return ()
        return (None,) + tuple(range(self.num_rungs)) if self.spec.signals else (None,)

    def accident_outcomes(self, rung: int, player: int | None = None) -> list[tuple[float, int]]:
        """Where an action chosen at ``rung`` is executed, with probabilities (shifts uniform in 1..k).

        With ``player``, the 'up' probability is scaled by that actor's miscalculation risk.
        """
        up, down, k = self.accidents.get(self.bands[rung], (0.0, 0.0, 1))
        if player is not None:
            up *= self.risk[player]
        dist: dict[int, float] = {rung: 1.0 - up - down}
        for shift in range(1, k + 1):
            hi = min(rung + shift, self.num_rungs - 1)
            lo = max(rung - shift, 0)
            dist[hi] = dist.get(hi, 0.0) + up / k
            dist[lo] = dist.get(lo, 0.0) + down / k
        return [(p, r) for r, p in sorted(dist.items()) if p > 0]

    def perception_outcomes(self, rung: int) -> list[tuple[float, int]]:
        """What an observer sees of an action at ``rung``: itself, or an adjacent rung if misread."""
        m = self.misperception
        dist: dict[int, float] = {rung: 1.0 - m}
        for neighbour in (rung - 1, rung + 1):
            r = min(max(neighbour, 0), self.num_rungs - 1)
            dist[r] = dist.get(r, 0.0) + m / 2
        return [(p, r) for r, p in sorted(dist.items()) if p > 0]

    def transition(self, state: LadderState, joint: JointAction) -> list[tuple[float, LadderState]]:
        """The distribution over next states after a joint action (accidents, then misreadings)."""
        if state.terminal:
            raise ModelError("the crisis has ended; no further turns")
        for i in (0, 1):
            if joint.actions[i] not in self.legal_actions(state, i):
                raise ModelError(f"illegal action {self.rung_ids[joint.actions[i]]} for {self.actors[i]}")
        out: dict[LadderState, float] = {}
        for p0, x0 in self.accident_outcomes(joint.actions[0], 0):
            for p1, x1 in self.accident_outcomes(joint.actions[1], 1):
                base = self._advance(state, (x0, x1), joint.signals)
                if base.terminal:
                    out[base] = out.get(base, 0.0) + p0 * p1
                    continue
                for q0, seen_by_0 in self.perception_outcomes(x1):
                    for q1, seen_by_1 in self.perception_outcomes(x0):
                        nxt = replace(base, perceived=(seen_by_0, seen_by_1))
                        out[nxt] = out.get(nxt, 0.0) + p0 * p1 * q0 * q1
        return [(p, s) for s, p in out.items()]

    def _advance(self, state: LadderState, executed: tuple[int, int],
                 signals: tuple[int | None, int | None]) -> LadderState:
        lo, hi = self.balance_range
        b0, b1 = (self.bands[r] for r in executed)
        balance = state.balance + self.spec.balance.drift + self.balance_effect[b0] - self.balance_effect[b1]
        balance = min(max(balance, lo), hi)
        turn = state.turn + 1
        nxt = LadderState(turn=turn, positions=executed, perceived=(executed[1], executed[0]),
                          signals=signals, balance=balance, peak=max(state.peak, *executed), types=state.types)
        return replace(nxt, ending=self.ending(nxt))

    def ending(self, state: LadderState) -> str | None:
        """Which ending, if any, a state after a turn has reached (checked in this order)."""
        bands = [self.bands[r] for r in state.positions]
        if "strategic" in bands:
            return "strategic_war"
        cap = self.spec.capitulation_value
        if cap is not None:
            gave_up = [self.values[r] <= cap for r in state.positions]
            if gave_up[0] != gave_up[1]:
                return f"{self.actors[0 if gave_up[0] else 1]}_capitulates"
        lo, hi = self.balance_range
        if state.balance <= lo:
            return f"{self.actors[0]}_capitulates"
        if state.balance >= hi:
            return f"{self.actors[1]}_capitulates"
        if all(b in SETTLEMENT_BANDS for b in bands):
            return "settlement"
        if state.turn >= self.spec.turn_limit:
            return "turn_limit"
        return None

    def endings(self) -> tuple[str, ...]:
        return ("settlement", f"{self.actors[0]}_capitulates", f"{self.actors[1]}_capitulates",
                "strategic_war", "turn_limit")

    def returns(self, state: LadderState) -> tuple[float, float]:
        if state.ending is None:
            raise ModelError("returns are defined only when the crisis has ended")
        extra = {"turns": state.turn, "peak": float(self.values[state.peak]), "balance": state.balance}
        try:
            return tuple(  # type: ignore[return-value]
                float(self.scenario.evaluate(*self.payoff_path(state.ending, i, state.types[i]), extra=extra))
                for i in (0, 1))
        except ExpressionError as exc:
            raise ModelError(exc.message) from None

    def payoff_path(self, ending: str, player: int, type_index: int = 0) -> tuple[str, ...]:
        """Where the payoff expression of ``player`` (of the given private type) for ``ending`` sits."""
        actor = self.actors[player]
        path = ("ladder_crisis", "endings", ending, "payoffs", actor)
        if isinstance(self.spec.endings[ending].payoffs[actor], dict):
            return path + (self._type_names[player][type_index],)
        return path

    def observe(self, state: LadderState, player: int) -> Observation:
        other = 1 - player
        sign = 1 if player == 0 else -1
        return Observation(actor=self.actors[player], turn=state.turn, own=state.positions[player],
                           opponent=state.perceived[player], opponent_signal=state.signals[other],
                           balance=sign * state.balance, peak=state.peak, own_type=state.types[player])

    def observation_variables(self, obs: Observation) -> dict[str, Any]:
        """The names doctrine rules may use (see the scenario reference)."""
        opp = float(self.values[obs.opponent])
        return {
            "turn": obs.turn, "own": float(self.values[obs.own]), "opponent": opp,
            "opponent_signal": float(self.values[obs.opponent_signal]) if obs.opponent_signal is not None else opp,
            "balance": obs.balance, "losing": obs.balance < 0, "winning": obs.balance > 0,
            "peak": float(self.values[obs.peak]),
        }

    def describe_observation(self, obs: Observation) -> str:
        """Plain text of an observation, for human and language-model players."""
        r = self.ladder.rungs
        sig = "none" if obs.opponent_signal is None else r[obs.opponent_signal].name
        side = "winning" if obs.balance > 0 else "losing" if obs.balance < 0 else "even"
        return (f"Turn {obs.turn}. You ({obs.actor}) stand at '{r[obs.own].name}'. The opponent appears to be at "
                f"'{r[obs.opponent].name}' and declared '{sig}'. The conventional balance is {obs.balance:+d} "
                f"({side}).")

    def __repr__(self) -> str:
        return f"LadderGame({self.scenario.id!r}, actors={list(self.actors)}, rungs={self.num_rungs})"


def removed_rungs(scenario: Scenario, actors: tuple[str, str], rung_ids: tuple[str, ...]
                  ) -> tuple[frozenset[int], frozenset[int]]:
    """The ladder actions a variant takes away: a move deleted by ``remove_moves`` removes its rung
    from its actor's ladder actions, unless another remaining move of that actor stands for the
    same rung (a variant without the low-yield answer has no low-yield rung in its ladder crisis)."""
    seq = scenario.spec.sequential
    if seq is None or not scenario.spec.remove_moves:
        return frozenset(), frozenset()
    gone = {tuple(r.split(".", 1)) for r in scenario.spec.remove_moves}
    keep: dict[str, set[str]] = {}
    drop: dict[str, set[str]] = {}
    for node_id, node in seq.nodes.items():
        for move_id, move in (node.moves or {}).items():
            if node.actor is None or move.rung is None:
                continue
            target = drop if (node_id, move_id) in gone else keep
            target.setdefault(node.actor, set()).add(move.rung)
    return tuple(  # type: ignore[return-value]
        frozenset(rung_ids.index(r) for r in drop.get(a, set()) - keep.get(a, set()) if r in rung_ids)
        for a in actors)


def compile_ladder(scenario: Scenario, exact: bool = False) -> LadderGame:
    return LadderGame(scenario, exact)

