"""The turn engine: drives a :class:`LadderGame` with two agents and logs every event.

The rules live in the model: the engine asks :meth:`LadderGame.transition` for the exact
distribution over next states and samples one with a generator derived from the game's seed and
the turn number. Agents draw from their own streams (seed, agent, side, turn). So a game is a pure
function of its seed and its agents' replies: it resumes, forks and replays exactly.

A game *is* its event log. :func:`play` always starts by reading the log back
(:func:`read_game`), so resuming a killed game and continuing a running one are the same code.
Each batch of events (each side's calls and move; the turn's chance outcome together with the next
turn's start and both views, or with the game's end) is one committed transaction, written before
the engine goes on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from .. import limits
from ..errors import ModelError, UsageError
from ..model.ladder import JointAction, LadderGame, LadderState
from ..scenario import Scenario
from .agents import DEFAULT_FALLBACK, AgentContext, make_agent, spec_kind
from .protocol import Agent, AgentFailure, AgentQuit, LadderInfo, Move, SeenTurn, View
from .scenario_record import dump_scenario, restore_scenario
from .store import Event, EventItem, EventStore, GameRecord, new_game_id

STREAM_TYPES, STREAM_CHANCE, STREAM_AGENT, STREAM_FALLBACK = 0, 1, 2, 3
MAX_STATEMENT = 600          # characters of a public statement kept (longer ones are cut)
INHERITED = ("type_draw", "turn_start", "view_sent", "agent_call", "fallback", "move", "accident", "observation",
             "turn_end")    # what a fork copies from its parent (turns before the fork)


def stream(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=key)


def sample(dist: list[tuple[float, LadderState]], rng: np.random.Generator) -> LadderState:
    """One outcome of an exact distribution, by one uniform."""
    u = rng.random() * sum(p for p, _ in dist)
    acc = 0.0
    for p, s in dist:
        acc += p
        if u < acc:
            return s
    return dist[-1][1]


def state_json(s: LadderState) -> dict[str, Any]:
    return {"turn": s.turn, "positions": list(s.positions), "perceived": list(s.perceived),
            "signals": list(s.signals), "balance": s.balance, "peak": s.peak, "ending": s.ending,
            "types": list(s.types)}


def state_from_json(d: Mapping[str, Any]) -> LadderState:
    return LadderState(turn=d["turn"], positions=tuple(d["positions"]), perceived=tuple(d["perceived"]),  # type: ignore
                       signals=tuple(d["signals"]), balance=d["balance"], peak=d["peak"],  # type: ignore
                       ending=d["ending"], types=tuple(d["types"]))  # type: ignore


def move_json(m: Move) -> dict[str, Any]:
    return {"signal": m.signal, "action": m.action, "statement": m.statement, "reasoning": m.reasoning,
            "source": m.source}


def move_from_json(d: Mapping[str, Any]) -> Move:
    return Move(action=d["action"], signal=d["signal"], statement=d.get("statement", ""),
                reasoning=d.get("reasoning", ""), source=d.get("source", ""))


def ladder_info(game: LadderGame) -> LadderInfo:
    lad = game.ladder
    return LadderInfo(id=lad.id, name=lad.name or lad.id, rung_ids=game.rung_ids,
                      rung_names=tuple(r.name for r in lad.rungs), values=tuple(float(v) for v in game.values),
                      bands=game.bands, thresholds=tuple((t.name, game.index(t.after)) for t in lad.thresholds))


# ----------------------------------------------------------------------------- the log, read back
@dataclass(frozen=True)
class PlayedTurn:
    turn: int
    moves: tuple[Move, Move]      # the acknowledged moves (chosen rungs)
    state: LadderState            # after the turn (executed rungs, perceptions)


@dataclass
class GameLog:
    """A game rebuilt from its events: where it stands and how it got there."""

    record: GameRecord
    scenario: Scenario
    game: LadderGame
    params: dict[str, Any]
    start: LadderState
    turns: list[PlayedTurn] = field(default_factory=list)
    pending: dict[int, Move] = field(default_factory=dict)    # acknowledged moves of the unfinished turn
    started: bool = False                                     # turn_start of the unfinished turn is stored
    ended: bool = False                                       # game_end is stored
    first_turn: int = 1                                       # a fork plays from its fork turn on

    @property
    def state(self) -> LadderState:
        return self.turns[-1].state if self.turns else self.start

    @property
    def game_id(self) -> str:
        return self.record.game_id

    @property
    def agents(self) -> dict[str, str]:
        return dict(self.record.agents)


def _start_state(game: LadderGame, types: Mapping[str, str]) -> LadderState:
    want = tuple(game.type_names[i].index(types[a]) if a in types else 0 for i, a in enumerate(game.actors))
    for _, s in game.initial_distribution():
        if s.types == want:
            return s
    raise ModelError(f"stored types {dict(types)} are not a start state of this crisis")


@lru_cache(maxsize=32)
def compiled(scenario_json: str) -> tuple[Scenario, LadderGame]:
    """A stored scenario and its ladder form, parsed and compiled once per process (both immutable)."""
    scenario = restore_scenario(scenario_json)
    return scenario, scenario.compile("ladder")


ACTOR_KINDS = ("type_draw", "view_sent", "agent_call", "fallback", "move", "accident", "observation")
NO_ACTOR_KINDS = ("game_created", "turn_start", "turn_end", "game_end", "score")    # 'pause' may have either


def read_game(store: EventStore, game_id: str, verify: bool = True) -> GameLog:
    """Rebuild a game from its events. With ``verify``, the log must be one the rules could have
    written: events numbered without a gap, known actors, the type draw the seed gives, each stored
    outcome one the rules allow, the ending and payoffs the final state gives. A log that is not
    gets a :class:`ModelError` naming the game, the event and what is wrong."""
    from .store import StoreDamaged
    record = store.game(game_id)
    chain: StoreDamaged | None = None
    try:
        events = store.events(game_id)
    except StoreDamaged as exc:             # a broken hash chain: the rules may say more precisely what changed
        if not verify:
            raise
        chain, events = exc, store.events(game_id, check=False)
    if not events or events[0].kind != "game_created":
        raise ModelError(f"game '{game_id}' has no game_created event; the store is damaged")
    scenario, game = compiled(record.scenario_json)
    log = _read_events(store, record, scenario, game, events, verify)
    if verify and record.status == "finished" and not log.ended:
        raise _changed(game_id, events[-1], "the game is recorded as finished but its log has no end")
    if chain is not None:
        raise chain
    return log


def _changed(game_id: str, ev: Event, what: str) -> ModelError:
    return ModelError(f"game '{game_id}', event {ev.seq} ({ev.kind}, turn {ev.turn}): {what}; the log was changed "
                      "(or the store is damaged)")


def _read_events(store: EventStore, record: GameRecord, scenario: Scenario, game: LadderGame, events: list[Event],
                 verify: bool) -> GameLog:
    game_id = record.game_id
    cur = events[0]
    try:
        return _replay_log(store, record, scenario, game, events, verify)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        cur = getattr(exc, "escalab_event", cur)
        raise ModelError(f"game '{game_id}', event {cur.seq} ({cur.kind}, turn {cur.turn}): the payload is not what "
                         f"escalab writes ({type(exc).__name__}: {exc}); the store was damaged or edited") from None


def _replay_log(store: EventStore, record: GameRecord, scenario: Scenario, game: LadderGame, events: list[Event],
                verify: bool) -> GameLog:
    game_id = record.game_id
    params = events[0].payload.get("params", {})
    params = dict(params) if isinstance(params, dict) else {}
    types: dict[str, str] = {}
    moves: dict[int, dict[int, Move]] = {}
    started: set[int] = set()
    said: dict[tuple[int, str, str], dict[str, Any]] = {}     # (turn, kind, actor) -> payload, checked at turn_end
    log = None
    for k, ev in enumerate(events):
        try:
            if verify:
                if ev.seq != k:
                    raise _changed(game_id, ev, f"event {k} is missing (the events jump from {k - 1} to {ev.seq})")
                if (ev.kind in ACTOR_KINDS or ev.kind == "pause" and ev.actor is not None) \
                        and ev.actor not in game.actors:
                    raise _changed(game_id, ev, f"unknown actor {ev.actor!r} (actors of this crisis: "
                                                f"{', '.join(game.actors)})")
                if ev.kind in NO_ACTOR_KINDS and ev.actor is not None:
                    raise _changed(game_id, ev, f"a {ev.kind} event names an actor ({ev.actor!r})")
            if k == 0:
                made = ev.payload
                if verify and (made.get("agents") != record.agents or made.get("seed") != record.seed
                               or made.get("scenario") != record.scenario or not isinstance(made.get("params"), dict)):
                    raise _changed(game_id, ev, "the game's creation does not match its record (agents, seed, "
                                                "scenario or settings)")
                continue
            if ev.kind == "type_draw":
                if verify and ev.payload["actor"] != ev.actor:
                    raise _changed(game_id, ev, "the type draw names another actor than the event")
                types[ev.payload["actor"]] = ev.payload["type"]
                continue
            if log is None:
                if verify:
                    _check_types(store, record, game, types, ev)
                log = GameLog(record, scenario, game, params, _start_state(game, types),
                              first_turn=int(params.get("first_turn", 1)))
            if ev.kind == "turn_start":
                started.add(ev.turn)
            elif ev.kind in ("observation", "accident", "fallback"):
                said[(ev.turn, ev.kind, ev.actor or "")] = ev.payload
            elif ev.kind == "move":
                moves.setdefault(ev.turn, {})[game.actors.index(ev.actor or "")] = move_from_json(ev.payload)
            elif ev.kind == "turn_end":
                got = moves.get(ev.turn, {})
                if len(got) != 2:
                    raise _changed(game_id, ev, "the turn ended without both moves")
                nxt = state_from_json(ev.payload["state"])
                if verify:
                    if ev.turn != log.state.turn + 1:
                        raise _changed(game_id, ev, f"turn {ev.turn} follows turn {log.state.turn}")
                    joint = JointAction((got[0].action, got[1].action), (got[0].signal, got[1].signal))
                    if nxt not in {s for _, s in game.transition(log.state, joint)}:
                        raise _changed(game_id, ev, f"the stored outcome of turn {ev.turn} is not one the rules "
                                                    "allow (or the scenario differs)")
                    _check_turn(game_id, game, ev, (got[0], got[1]), nxt, said)
                log.turns.append(PlayedTurn(ev.turn, (got[0], got[1]), nxt))
            elif ev.kind == "game_end":
                if verify:
                    _check_end(game_id, game, log.state, ev)
                log.ended = True
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            exc.escalab_event = ev         # type: ignore[attr-defined]  # named in the message
            raise
    if log is None:
        if verify:
            _check_types(store, record, game, types, events[-1])
        log = GameLog(record, scenario, game, params, _start_state(game, types),
                      first_turn=int(params.get("first_turn", 1)))
    nxt_turn = log.state.turn + 1
    log.pending = dict(moves.get(nxt_turn, {}))
    log.started = nxt_turn in started
    return log


def _check_turn(game_id: str, game: LadderGame, ev: Event, moves: tuple[Move, Move], nxt: LadderState,
                said: Mapping[tuple[int, str, str], Mapping[str, Any]]) -> None:
    """A turn's observations, accidents and fallbacks must be what its moves and outcome say."""
    t = ev.turn
    for i, actor in enumerate(game.actors):
        obs = said.get((t, "observation", actor))
        if obs is None or obs.get("opponent_observed") != nxt.perceived[i] \
                or obs.get("opponent_signal") != nxt.signals[1 - i]:
            raise _changed(game_id, ev, f"the observation of {actor} on turn {t} is missing or not what the outcome "
                                        "shows")
        acc = said.get((t, "accident", actor))
        if (acc is None) != (nxt.positions[i] == moves[i].action) or acc is not None and (
                acc.get("chosen") != moves[i].action or acc.get("executed") != nxt.positions[i]):
            raise _changed(game_id, ev, f"the accident record of {actor} on turn {t} does not match the move and "
                                        "the outcome")
        if ((t, "fallback", actor) in said) != moves[i].source.startswith("fallback:"):
            raise _changed(game_id, ev, f"the move of {actor} on turn {t} and its fallback record disagree")


def _check_types(store: EventStore, record: GameRecord, game: LadderGame, types: Mapping[str, str],
                 ev: Event) -> None:
    """The private types must be chance's draw from the seed of the game that drew them (a fork
    inherits its root game's draw; a root missing from the store leaves nothing to check against)."""
    rec, seen = record, set()
    while rec.parent_game is not None:
        if rec.parent_game in seen or len(seen) > 1000:
            return
        seen.add(rec.parent_game)
        try:
            rec = store.game(rec.parent_game)
        except UsageError:
            return
    start = sample(game.initial_distribution(), np.random.default_rng(stream(rec.seed, STREAM_TYPES)))
    drawn = {a: game.type_names[i][start.types[i]] for i, a in enumerate(game.actors)}
    if dict(types) != drawn:
        raise _changed(record.game_id, ev, f"the stored private types {dict(types)} are not the draw of seed "
                                           f"{rec.seed} ({drawn})")


def _check_end(game_id: str, game: LadderGame, state: LadderState, ev: Event) -> None:
    import math
    want = dict(zip(game.actors, game.returns(state)))
    got = ev.payload.get("returns", {})
    if ev.payload.get("ending") != state.ending or ev.payload.get("turns") != state.turn:
        raise _changed(game_id, ev, f"the stored ending {ev.payload.get('ending')!r} after {ev.payload.get('turns')} "
                                    f"turn(s) is not the final state's ({state.ending!r} after {state.turn})")
    if set(got) != set(want) or not all(isinstance(got[a], (int, float)) and math.isclose(got[a], want[a],
                                                                                         rel_tol=1e-9, abs_tol=1e-12)
                                        for a in want):
        raise _changed(game_id, ev, f"the stored payoffs {got} are not the final state's {want}")


# ----------------------------------------------------------------------------- views
def build_view(log: GameLog, player: int, info: LadderInfo | None = None) -> View:
    """What ``player`` knows at the start of the coming turn - and nothing else."""
    game, state = log.game, log.state
    other = 1 - player
    sign = 1 if player == 0 else -1
    obs = game.observe(state, player)
    history = tuple(
        SeenTurn(turn=p.turn, own_signal=p.moves[player].signal, own_action=p.moves[player].action,
                 own_executed=p.state.positions[player], opponent_signal=p.moves[other].signal,
                 opponent_observed=p.state.perceived[player], opponent_statement=p.moves[other].statement,
                 balance=sign * p.state.balance, peak=p.state.peak)
        for p in log.turns)
    statement = log.turns[-1].moves[other].statement if log.turns else ""
    own_type = game.type_names[player][state.types[player]]
    legal = game.legal_actions(state, player)
    turn = state.turn + 1
    limit = game.spec.turn_limit
    text = describe(game, replace(obs, turn=turn), own_type, statement, legal, limit, history)
    return View(game_id=log.game_id, scenario=log.scenario.id, actor=game.actors[player], actor_index=player,
                opponent=game.actors[other], turn=turn, turn_limit=limit, own_type=own_type,
                own_rung=obs.own, opponent_observed=obs.opponent, opponent_signal=obs.opponent_signal,
                opponent_statement=statement, balance=obs.balance, peak=obs.peak, legal_actions=tuple(legal),
                legal_signals=tuple(game.legal_signals(state, player)), history=history,
                ladder=info or ladder_info(game), text=text)


def describe(game: LadderGame, obs: Any, own_type: str, statement: str, legal: tuple[int, ...], limit: int,
             history: tuple[SeenTurn, ...]) -> str:
    """The view in plain words (the model's own description, plus type, statement, options)."""
    rungs = game.ladder.rungs
    parts = [game.describe_observation(obs).replace(f"Turn {obs.turn}.", f"Turn {obs.turn} of {limit}.", 1)]
    if own_type != "default":
        parts.append(f"Your private type: {own_type}.")
    if statement:
        parts.append(f'The opponent said: "{statement}"')
    accidents = [h.turn for h in history if h.own_executed != h.own_action]
    if accidents:
        parts.append("Your action went further than ordered (an accident) on turn(s) "
                     f"{', '.join(map(str, accidents))}.")
    parts.append("Your options: " + "; ".join(f"{r} {rungs[r].id} ({rungs[r].name})" for r in legal) + ".")
    return " ".join(parts)


# ----------------------------------------------------------------------------- creating games
def _validate_agents(game: LadderGame, agents: Mapping[str, str]) -> dict[str, str]:
    unknown = [a for a in agents if a not in game.actors]
    if unknown:
        raise UsageError(f"unknown actor '{unknown[0]}' (actors of this crisis: {', '.join(game.actors)})")
    missing = [a for a in game.actors if a not in agents]
    if missing:
        raise UsageError(f"no agent for {', '.join(missing)} (actors of this crisis: {', '.join(game.actors)})")
    return {a: agents[a] for a in game.actors}


def create_game(store: EventStore, scenario: Scenario, agents: Mapping[str, str], seed: int, *,
                game_id: str | None = None, fallback: str = DEFAULT_FALLBACK,
                options: Mapping[str, Any] | None = None, shared: dict[str, Any] | None = None) -> GameRecord:
    """Store a new game: its scenario, agents and seed, and chance's draw of the private types.

    Every agent spec and the fallback are built once first, so a bad spec is refused before
    anything is stored (``shared``: the per-scenario cache :func:`play` will use too).
    """
    if scenario.spec.ladder_crisis is None:
        raise UsageError(f"scenario '{scenario.id}' has no ladder crisis to play "
                         f"(it has: {', '.join(scenario.forms) or 'nothing'})")
    limits.check_seed(seed)
    text = dump_scenario(scenario)
    game = compiled(text)[1]           # the game as it will be read back (and a check that it can be)
    specs = _validate_agents(game, agents)
    check_agents(game, specs, fallback, options or {}, {} if shared is None else shared)
    dist = game.initial_distribution()
    start = sample(dist, np.random.default_rng(stream(seed, STREAM_TYPES)))
    gid = game_id or new_game_id()
    params = {"fallback": fallback, "options": dict(options or {}), "parameters": _values(scenario)}
    items: list[EventItem] = [(0, "game_created", None,
                               {"scenario": scenario.id, "seed": seed, "agents": specs, "params": params})]
    items += [(0, "type_draw", a, {"actor": a, "type": game.type_names[i][start.types[i]]})
              for i, a in enumerate(game.actors)]
    return store.create_game(GameRecord(gid, scenario.id, text, seed, specs), items)


def check_agents(game: LadderGame, specs: Mapping[str, str], fallback: str, options: Mapping[str, Any],
                 shared: dict[str, Any]) -> None:
    """Build each side's agent once (no move is asked): bad specs fail here, with exit code 2."""
    for i, actor in enumerate(game.actors):
        ctx = AgentContext(game, actor, stream(0, STREAM_AGENT, i), options=options, shared=shared)
        agent = make_agent(specs[actor], ctx)
        make_fallback_check(getattr(agent, "fallback", None) or fallback, ctx)


def _values(scenario: Scenario) -> dict[str, float]:
    return {k: float(v) for k, v in scenario.values.items()}


def fork_game(store: EventStore, parent_id: str, turn: int, *, agents: Mapping[str, str] | None = None,
              seed: int | None = None, game_id: str | None = None, fallback: str | None = None) -> GameRecord:
    """A new game that starts where ``parent_id`` stood at the start of ``turn``.

    The parent's events before that turn are copied (so scores and replays see the whole game);
    with the parent's seed and agents the fork replays the parent exactly.
    """
    log = read_game(store, parent_id)
    played = log.state.turn
    last = played if log.state.terminal else played + 1
    if not 1 <= turn <= last:
        raise UsageError(f"--turn must be between 1 and {last} for game '{parent_id}' (it has played {played} "
                         f"turn(s){', then ended' if log.state.terminal else ''})")
    specs = _validate_agents(log.game, {**log.agents, **(agents or {})})
    seed = log.record.seed if seed is None else seed
    limits.check_seed(seed)
    params = {**log.params, "parent_game": parent_id, "parent_turn": turn, "first_turn": turn}
    if fallback is not None:
        params["fallback"] = fallback
    items: list[EventItem] = [(0, "game_created", None, {"scenario": log.scenario.id, "seed": seed, "agents": specs,
                                                          "params": params})]
    items += [(e.turn, e.kind, e.actor, e.payload) for e in store.events(parent_id)
              if e.kind in INHERITED and e.turn < turn]
    rec = GameRecord(game_id or new_game_id(), log.record.scenario, log.record.scenario_json, seed, specs,
                     parent_game=parent_id, parent_turn=turn)
    return store.create_game(rec, items)


# ----------------------------------------------------------------------------- agents of a game
@dataclass
class Side:
    agent: Agent
    fallback_spec: str
    ctx: AgentContext
    _fallback: Agent | None = None

    @property
    def fallback(self) -> Agent:
        if self._fallback is None:
            ctx = replace(self.ctx, seed=stream(self.ctx.seed.entropy, STREAM_FALLBACK, self.ctx.player))
            self._fallback = make_agent(self.fallback_spec, ctx)
        return self._fallback


def build_sides(log: GameLog, *, io: Any = None, shared: dict[str, Any] | None = None,
                stored: list[Event] | None = None) -> tuple[Side, Side]:
    """The agents of a stored game, built from their specs. With ``stored`` (the game's events),
    stored replies stand in for whoever cannot be re-asked: humans replay their moves, language
    models get their stored replies (see :class:`AgentContext`)."""
    shared = {} if shared is None else shared
    specs = log.agents
    shared["humans"] = sum(spec_kind(s) == "human" for s in specs.values())
    fallback = str(log.params.get("fallback", DEFAULT_FALLBACK))
    sides = []
    for i, actor in enumerate(log.game.actors):
        ctx = AgentContext(log.game, actor, stream(log.record.seed, STREAM_AGENT, i),
                           options=dict(log.params.get("options", {})), io=io, shared=shared)
        agent: Agent
        if stored is not None:
            mine = [e for e in stored if e.actor == actor]
            # the attempts of a turn that paused the game were asked again on resuming: not replayed
            paused = {e.turn: e.seq for e in mine if e.kind == "pause"}
            ctx.replies = [{**e.payload, "turn": e.turn} for e in mine if e.kind == "agent_call"
                           and not e.seq < paused.get(e.turn, -1)]
            ctx.moves = {e.turn: e.payload for e in mine if e.kind == "move"}
        if stored is not None and spec_kind(specs[actor]) == "human":
            agent = StoredMoves(specs[actor], ctx.moves or {},
                                {e.turn: e.payload for e in mine if e.kind == "fallback"})
        else:
            agent = make_agent(specs[actor], ctx)
        own = getattr(agent, "fallback", None)         # an agent may declare its own (llm:M,fallback=logit:2)
        make_fallback_check(own or fallback, ctx)
        sides.append(Side(agent, own or fallback, ctx))
    return sides[0], sides[1]


def make_fallback_check(spec: str, ctx: AgentContext) -> None:
    """A fallback must be a simulation policy: it is what plays when nothing else can."""
    from .agents import POLICY_KINDS
    if spec_kind(spec) not in POLICY_KINDS:
        raise UsageError(f"--fallback must be a simulation policy (equilibrium, logit:L, level:K, doctrine:NAME, "
                         f"uniform), got '{spec}'")
    ctx.policy_factory().check(spec)


@dataclass
class StoredMoves:
    """Plays the moves a player made in a stored game (for re-running games with humans)."""

    name: str
    moves: Mapping[int, Mapping[str, Any]]
    fallbacks: Mapping[int, Mapping[str, Any]]

    def act(self, view: View) -> Move:
        if view.turn in self.fallbacks:
            raise AgentFailure(str(self.fallbacks[view.turn].get("reason", "stored fallback")))
        if view.turn not in self.moves:
            raise AgentQuit(f"the stored game has no move of {view.actor} on turn {view.turn}")
        return move_from_json(self.moves[view.turn])


# ----------------------------------------------------------------------------- playing
TurnCallback = Callable[[GameLog, PlayedTurn], None]


class Engine:
    """Plays one stored game forward, turn by turn, until it ends (or a player quits)."""

    def __init__(self, store: EventStore, log: GameLog, sides: tuple[Side, Side], *, pace: float = 0.0,
                 on_turn: TurnCallback | None = None, strict: bool = False):
        self.store, self.log, self.sides = store, log, sides
        self.strict = strict            # a re-run: an agent's error other than AgentFailure stops it
        self.pace = pace
        self.on_turn = on_turn
        self.info = ladder_info(log.game)

    def _append(self, items: list[EventItem]) -> None:
        self.store.append_many(self.log.game_id, items)

    def run(self) -> GameLog:
        log, game = self.log, self.log.game
        views: tuple[View, View] | None = None
        while not log.state.terminal:
            t = log.state.turn + 1
            if views is None:
                views = (build_view(log, 0, self.info), build_view(log, 1, self.info))
            if not log.started:
                self._append(_start_items(t, views))
                log.started = True
            for i in (0, 1):
                if i not in log.pending:          # a move acknowledged before a crash is never re-asked
                    log.pending[i] = self._ask(i, views[i])
                    if self.pace:
                        time.sleep(self.pace)
            m0, m1 = log.pending[0], log.pending[1]
            dist = game.transition(log.state, JointAction((m0.action, m1.action), (m0.signal, m1.signal)))
            nxt = sample(dist, np.random.default_rng(stream(log.record.seed, STREAM_CHANCE, t)))
            items = []
            for i, actor in enumerate(game.actors):
                chosen = log.pending[i].action
                if nxt.positions[i] != chosen:
                    items.append((t, "accident", actor, {"actor": actor, "chosen": chosen,
                                                         "executed": nxt.positions[i]}))
            for i, actor in enumerate(game.actors):
                items.append((t, "observation", actor, {"actor": actor, "opponent_observed": nxt.perceived[i],
                                                        "opponent_signal": nxt.signals[1 - i]}))
            items.append((t, "turn_end", None, {"turn": t, "state": state_json(nxt)}))
            played = PlayedTurn(t, (m0, m1), nxt)
            log.turns.append(played)
            log.pending, log.started = {}, False
            # The next turn's start (or the game's end) goes into the same transaction as this turn's
            # outcome: one commit fewer per turn, and nothing stored depends on the split.
            if nxt.terminal:
                views = None
                items.append(_end_item(game, nxt))
            else:
                views = (build_view(log, 0, self.info), build_view(log, 1, self.info))
                items += _start_items(t + 1, views)
                log.started = True
            self._append(items)
            if nxt.terminal:
                self.store.set_status(log.game_id, "finished")
                log.ended = True
            if self.on_turn is not None:
                self.on_turn(log, played)
        if not log.ended:           # a game whose last turn was stored before a crash, its end not
            self._append([_end_item(game, log.state)])
            self.store.set_status(log.game_id, "finished")
            log.ended = True
        return log

    def _ask(self, i: int, view: View) -> Move:
        side, actor, t = self.sides[i], view.actor, view.turn
        calls: tuple[dict[str, Any], ...] = ()
        problem = None
        try:
            move = side.agent.act(view)
            calls = tuple(getattr(move, "calls", ()))
            problem = check_move(move, view)
        except AgentQuit as exc:           # the game pauses: the turn's attempts and the pause are stored
            self._append([(t, "agent_call", actor, {"actor": actor, "agent": side.agent.name, **c})
                          for c in exc.calls] + [(t, "pause", actor, {"actor": actor, "reason": str(exc)})])
            raise
        except AgentFailure as exc:
            calls, problem = tuple(exc.calls), exc.reason
        except Exception as exc:  # noqa: BLE001 - a failing player never crashes the game: its fallback plays
            if self.strict:
                raise
            problem = f"{type(exc).__name__}: {exc}"
        items: list[EventItem] = [(t, "agent_call", actor, {"actor": actor, "agent": side.agent.name, **c})
                                  for c in calls]
        if problem is not None:
            items.append((t, "fallback", actor, {"actor": actor, "reason": problem, "policy": side.fallback_spec}))
            move = replace(side.fallback.act(view), source=f"fallback:{side.fallback_spec}")
        move = replace(move, statement=clean_statement(move.statement), calls=())
        items.append((t, "move", actor, {"actor": actor, **move_json(move)}))
        self._append(items)
        return move


def _start_items(t: int, views: tuple[View, View]) -> list[EventItem]:
    items: list[EventItem] = [(t, "turn_start", None, {"turn": t})]
    return items + [(t, "view_sent", v.actor, {"actor": v.actor, "view": _stored_view(v)}) for v in views]


def _end_item(game: LadderGame, s: LadderState) -> EventItem:
    return (s.turn, "game_end", None, {"ending": s.ending, "turns": s.turn,
                                      "returns": dict(zip(game.actors, game.returns(s)))})


def _stored_view(v: View) -> dict[str, Any]:
    """A view as stored: everything but the static ladder (stored once, with the scenario)."""
    return v.to_json(ladder=False)


def check_move(move: Any, view: View) -> str | None:
    """Why a move is not acceptable in this view, or None."""
    if not isinstance(move, Move):
        return f"the agent returned {type(move).__name__}, not a Move"
    if isinstance(move.action, bool) or not isinstance(move.action, (int, np.integer)) \
            or int(move.action) not in view.legal_actions:
        return f"illegal action {move.action!r} (legal: {', '.join(map(str, view.legal_actions))})"
    if move.signal is not None and (isinstance(move.signal, bool) or not isinstance(move.signal, (int, np.integer))
                                    or int(move.signal) not in view.legal_signals):
        return f"illegal signal {move.signal!r}" + ("" if len(view.legal_signals) > 1 else
                                                    " (this crisis has no signals)")
    if not isinstance(move.statement, str) or not isinstance(move.reasoning, str):
        return "statement and reasoning must be text"
    return None


def clean_statement(text: str) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text[:MAX_STATEMENT]


def play(store: EventStore, game_id: str, *, io: Any = None, shared: dict[str, Any] | None = None,
         pace: float = 0.0, on_turn: TurnCallback | None = None, take_over: bool = False) -> GameLog:
    """Play a stored game to its end from wherever its log stands (a new game or a resumed one).

    The game is claimed for this process while it plays (another process's live claim refuses it,
    unless ``take_over``); a player who quits or an endpoint gone for good pauses it."""
    holder = store.claim(game_id, take_over)      # a second process on this game is refused here
    try:
        log = read_game(store, game_id)
        if log.ended:
            return log
        sides = build_sides(log, io=io, shared=shared)
        store.set_status(game_id, "running")
        engine = Engine(store, log, sides, pace=pace, on_turn=on_turn)
        try:
            return engine.run()
        except AgentQuit:
            store.set_status(game_id, "paused")
            raise
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):     # best effort: the process is being stopped
                store.append(game_id, engine.log.state.turn + 1, "pause", None, {"reason": "interrupted (Ctrl-C)"})
                store.set_status(game_id, "paused")
            raise
    finally:
        with contextlib.suppress(Exception):
            store.release(game_id, holder)


def new_game(store: EventStore, scenario: Scenario, agents: Mapping[str, str], seed: int, **kw: Any) -> GameLog:
    """Create and play a game in one call (what tests, tournaments and benchmarks use)."""
    play_kw = {k: kw.pop(k) for k in ("io", "shared", "pace", "on_turn") if k in kw}
    play_kw.setdefault("shared", {})
    rec = create_game(store, scenario, agents, seed, shared=play_kw["shared"], **kw)
    return play(store, rec.game_id, **play_kw)


# ----------------------------------------------------------------------------- re-running a stored game
OUTCOME_KINDS = ("type_draw", "move", "fallback", "accident", "observation", "turn_end", "game_end")


def outcome(events: list[Event]) -> list[tuple[int, str, str | None, dict[str, Any]]]:
    """The part of a log that must be identical when a game is re-run (no timings, calls or ids)."""
    return [(e.turn, e.kind, e.actor, e.payload) for e in events if e.kind in OUTCOME_KINDS]


@dataclass(frozen=True)
class Rerun:
    identical: bool
    turns: int
    difference: str = ""


def rerun(store: EventStore, game_id: str) -> Rerun:
    """Play a stored game again in memory from its stored agent replies and compare the outcome."""
    from .store import MemoryStore
    record = store.game(game_id)
    events = store.events(game_id)
    mem = MemoryStore()
    first = int(events[0].payload.get("params", {}).get("first_turn", 1)) if events else 1
    copied = [(e.turn, e.kind, e.actor, e.payload) for e in events
              if e.kind == "game_created" or (e.kind in INHERITED and e.turn < first)]
    mem.create_game(replace(record, status="running"), copied)
    log = read_game(mem, game_id)
    sides = build_sides(log, stored=events)
    try:
        Engine(mem, log, sides, strict=True).run()
    except (AgentQuit, UsageError) as exc:         # e.g. a language model asked for a call never stored
        return Rerun(False, len(log.turns), f"turn {log.state.turn + 1}: {exc}")
    a, b = outcome(events), outcome(mem.events(game_id))
    for x, y in zip(a, b):
        if x != y:
            return Rerun(False, len(log.turns), f"turn {x[0]}: stored {x[1]} {x[3]} but re-run gives {y[1]} {y[3]}")
    if len(a) != len(b):
        return Rerun(False, len(log.turns), f"the stored log has {len(a)} outcome events, the re-run {len(b)}")
    return Rerun(True, len(log.turns))
