"""The one contract between the engine and every kind of player.

An agent receives a :class:`View` - only what its side may know - and returns a :class:`Move`.
Views are plain frozen data (ints, strings, tuples) so they serialise to JSON for the event store
and for language-model prompts, and so a test can check field by field that nothing private leaks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Move:
    """One side's decision for one turn (rungs are indices into the ladder)."""

    action: int                     # rung index taken (must be in view.legal_actions)
    signal: int | None = None       # rung index declared (None: no declaration)
    statement: str = ""             # short public statement (the opponent sees it next turn)
    reasoning: str = ""             # private; stored, never shown to the opponent
    source: str = ""                # who decided: "llm", "human", "policy:logit:2", "fallback:equilibrium"
    # what it took to decide, one ``agent_call`` payload per call (request, reply, tokens, latency_s,
    # attempt, error); the engine stores them with the move, in the same transaction
    calls: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class SeenTurn:
    """One earlier turn as this side saw it."""

    turn: int
    own_signal: int | None
    own_action: int                 # the rung chosen
    own_executed: int               # the rung executed (differs after an accident)
    opponent_signal: int | None
    opponent_observed: int          # the opponent's executed rung as this side read it (may be misread)
    opponent_statement: str
    balance: int                    # after the turn, from this side: > 0 winning
    peak: int = -1                  # highest rung after the turn, public as the view's ``peak`` (-1: not stored)


@dataclass(frozen=True)
class LadderInfo:
    """The static ladder (identical for both sides)."""

    id: str
    name: str
    rung_ids: tuple[str, ...]
    rung_names: tuple[str, ...]
    values: tuple[float, ...]
    bands: tuple[str, ...]
    thresholds: tuple[tuple[str, int], ...] = ()   # (name, index of the rung it lies just above)

    @property
    def num_rungs(self) -> int:
        return len(self.rung_ids)


@dataclass(frozen=True)
class View:
    """The ONLY thing any agent ever receives: one side's information at the start of a turn.

    ``turn`` counts from 1 (the turn about to be played). ``opponent_observed``,
    ``opponent_signal`` and ``opponent_statement`` are those of the previous turn (or the start
    position, None and "" on turn 1).
    """

    game_id: str
    scenario: str
    actor: str
    actor_index: int
    opponent: str
    turn: int
    turn_limit: int
    own_type: str                   # type name ("default" when the actor has no private types)
    own_rung: int
    opponent_observed: int
    opponent_signal: int | None
    opponent_statement: str
    balance: int                    # from this side: > 0 winning
    peak: int
    legal_actions: tuple[int, ...]
    legal_signals: tuple[int | None, ...]
    history: tuple[SeenTurn, ...]
    ladder: LadderInfo
    text: str                       # plain-language description for humans and language models

    def to_json(self, ladder: bool = True) -> dict[str, Any]:
        """Plain JSON-ready data (lists for tuples); ``ladder=False`` leaves out the static ladder."""
        d: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "history":
                d["history"] = [dict(zip(_SEEN, (getattr(h, k) for k in _SEEN))) for h in self.history]
            elif f.name == "ladder":
                if ladder:
                    d["ladder"] = _jsonable(asdict(self.ladder))
            else:
                v = getattr(self, f.name)
                d[f.name] = list(v) if isinstance(v, tuple) else v
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> View:
        d = dict(data)
        d["history"] = tuple(SeenTurn(**h) for h in d["history"])
        lad = dict(d["ladder"])
        for k in ("rung_ids", "rung_names", "values", "bands"):
            lad[k] = tuple(lad[k])
        lad["thresholds"] = tuple((str(n), int(i)) for n, i in lad.get("thresholds", ()))
        d["ladder"] = LadderInfo(**lad)
        d["legal_actions"] = tuple(d["legal_actions"])
        d["legal_signals"] = tuple(d["legal_signals"])
        return cls(**d)


_SEEN = tuple(f.name for f in fields(SeenTurn))


@runtime_checkable
class Agent(Protocol):
    """Anything that can play one side: ``act`` is called once per turn with that side's view."""

    name: str                       # the spec, e.g. "logit:2", "human", "llm:gpt-4o-mini"

    def act(self, view: View) -> Move: ...


class AgentFailure(Exception):
    """An agent could not produce a move this turn (the engine plays its fallback policy, logged).

    ``calls`` are the agent_call payloads of the failed attempts, stored like those of a move.
    """

    def __init__(self, reason: str, calls: tuple[dict[str, Any], ...] = ()):
        super().__init__(reason)
        self.reason = reason
        self.calls = calls


class AgentQuit(Exception):
    """The player left (a human typed 'quit' or closed the input), or its endpoint is down for good:
    the game pauses, resumable. ``calls`` are the failed attempts of the turn, stored with the pause."""

    def __init__(self, reason: str, calls: tuple[dict[str, Any], ...] = ()):
        super().__init__(reason)
        self.calls = calls


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x
