"""``escalab play``, ``resume``, ``replay``, ``fork``, ``export`` and ``games`` (issue 9).

Everything heavy (the engine, the solvers behind policy agents, the language-model client) is
imported inside the commands, so ``escalab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from ..errors import UsageError
from .errors import handled
from .options import ScenarioArg, SetOpt, load_with_sets
from .progress import console, progress_bar

if TYPE_CHECKING:
    from ..wargame.engine import GameLog, PlayedTurn
    from ..wargame.store import SqliteStore

DbOpt = Annotated[Path | None, typer.Option(
    "--db", help="The game store, a SQLite file (default: $ESCALAB_DB, else escalab-games.sqlite here).")]
AgentOpt = Annotated[list[str] | None, typer.Option(
    "--agent", "-a", help="ACTOR=SPEC (one per actor): equilibrium, logit:LAMBDA, level:K, doctrine:NAME, "
                          "uniform, human (a person at this terminal), llm:MODEL or llm:MODEL@URL,key=value,... "
                          "(see docs/play.md), script:RUNG,RUNG,...")]
SeedOpt = Annotated[int | None, typer.Option(
    "--seed", help="Seed of chance and of random agents (default: a fresh one, stored with the game).")]
GameArg = Annotated[str, typer.Argument(help="A game id (see 'escalab games').")]
EXIT_RERUN_DIFFERS = 3


def _store(db: Path | None, must_exist: bool = True, read_only: bool = False) -> SqliteStore:
    from ..wargame.store import open_store
    return open_store(db, must_exist=must_exist, read_only=read_only)


def _fresh_seed() -> int:
    """A new seed for a game given none; it is stored and printed, so the game stays reproducible."""
    import numpy as np
    return int(np.random.SeedSequence().entropy % (2 ** 32))


MAX_PACE = 3600.0


def _check_pace(pace: float) -> None:
    """Checked before the game is touched: time.sleep takes neither NaN nor 1e308 (nor a negative time)."""
    if not 0 <= pace <= MAX_PACE:           # False for NaN too
        raise UsageError(f"--pace must be between 0 and {MAX_PACE:g} seconds, got {pace:g}")


def _has_human(agents: dict[str, str]) -> bool:
    return any(s.strip() == "human" for s in agents.values())


def turn_line(log: GameLog, p: PlayedTurn) -> str:
    """One played turn in a line (everything, as a referee sees it)."""
    names = log.game.ladder.rungs
    parts = []
    for i, actor in enumerate(log.game.actors):
        m, executed = p.moves[i], p.state.positions[i]
        said = "" if m.signal is None else f" declared {names[m.signal].id},"
        acc = f" -> executed {names[executed].id} (accident)" if executed != m.action else ""
        fb = " [fallback]" if m.source.startswith("fallback:") else ""
        parts.append(f"{escape(actor)}{said} {names[m.action].id}{acc}{fb}")
    end = f" · [bold]{p.state.ending}[/]" if p.state.ending else ""
    return f"turn {p.turn}: " + " · ".join(parts) + f" · balance {p.state.balance:+d}{end}"


def _finish(log: GameLog) -> None:
    s = log.state
    rets = ", ".join(f"{escape(a)} {r:+.3g}" for a, r in zip(log.game.actors, log.game.returns(s)))
    types = [f"{escape(a)} was {escape(n[t])}" for a, n, t in zip(log.game.actors, log.game.type_names, s.types)
             if len(n) > 1]
    console.print(f"game [bold]{log.game_id}[/] ended: [bold]{s.ending}[/] after {s.turn} turn(s); payoffs {rets}"
                  + (f"; types: {', '.join(types)}" if types else ""))
    console.print(score_line(log))


def score_line(log: GameLog) -> str:
    """The ladder's scores of a finished game in a line (those that need no equilibrium solve)."""
    from ..wargame.scores import Play, SidePlay, score_play
    turns = tuple(tuple(SidePlay(action=m.action, signal=m.signal, executed=p.state.positions[i],
                                 observed=p.state.perceived[i], statement=m.statement, source=m.source)
                        for i, m in enumerate(p.moves)) for p in log.turns)
    sc = score_play(Play(log.game_id, log.game.actors, turns), log.game.ladder)
    parts = []
    if sc.peak:
        parts.append(f"peak {sc.peak['rung']} (value {sc.peak['value']:g}, {sc.peak['band']}) on turn {sc.peak['turn']}")
    crossed = [f"{b} on turn {c['turn']}" for b, c in sc.first_crossing.items()
               if c is not None and b in ("nuclear_signalling", "nuclear_use", "strategic")]
    if crossed:
        parts.append("first reached: " + ", ".join(crossed))
    if sc.rivera is not None:
        parts.append(f"Rivera escalation score mean {sc.rivera['mean']:.2f} (max {sc.rivera['max']:.2f})")
    n_acc = sum(a["count"] for a in sc.accidents.values())
    if n_acc:
        parts.append(f"{n_acc} accident(s)")
    return ("scores: " + "; ".join(parts) + f". Distance from the equilibrium and all scores: "
            f"escalab score {log.game_id}")


def _run(store: Any, game_id: str, agents: dict[str, str], pace: float, shared: dict[str, Any],
         take_over: bool = False) -> None:
    from ..wargame.engine import play as play_game
    from ..wargame.protocol import AgentQuit
    quiet = _has_human(agents)          # a human must not see the true state turn by turn
    on_turn = None if quiet else (lambda log, p: console.print(turn_line(log, p)))
    try:
        log = play_game(store, game_id, shared=shared, pace=pace, on_turn=on_turn, take_over=take_over)
    except (AgentQuit, KeyboardInterrupt) as exc:
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else escape(str(exc))
        console.print(f"game [bold]{game_id}[/] paused ({why}); continue it with: escalab resume {game_id}")
        raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 0) from None
    if quiet:
        console.print(replay_table(log))
    _finish(log)


def play(
    name: ScenarioArg,
    agent: AgentOpt = None,
    seed: SeedOpt = None,
    db: DbOpt = None,
    set_: SetOpt = None,
    fallback: Annotated[str, typer.Option(
        help="The policy that plays a turn an agent fails (illegal move, error); an agent may name its own.")
    ] = "equilibrium",
    llm_config: Annotated[Path | None, typer.Option(
        "--llm-config", help="Settings for llm: agents (TOML or YAML); stored with the game, keys never.")] = None,
    pace: Annotated[float, typer.Option(help="Seconds to wait after each move (to watch programs play).")] = 0.0,
    game_id: Annotated[str | None, typer.Option("--id", help="Id for the new game (default: a fresh one).")] = None,
) -> None:
    """Play a ladder crisis with any mix of agents; every event is stored.

    Prints the game id, each turn as a referee sees it (with a human player: only at the end),
    the ending with the payoffs, and the game's scores. Example: escalab play kahn-game-compact
    --agent state_a=human --agent state_b=logit:2. Afterwards: escalab replay, resume, fork,
    export, score GAME."""
    from ..wargame.agents import parse_agent_options
    from ..wargame.engine import create_game
    scenario = load_with_sets(name, set_)
    if scenario.spec.ladder_crisis is None:
        raise UsageError(f"scenario '{scenario.id}' has no ladder crisis to play "
                         f"(it has: {', '.join(scenario.forms) or 'nothing'})")
    agents = parse_agent_options(agent, scenario.spec.ladder_crisis.actors)
    _check_pace(pace)
    if game_id is not None and not (game_id.replace("-", "").replace("_", "").isalnum() and len(game_id) <= 64):
        raise UsageError(f"--id must be letters, digits, '-' or '_' (at most 64), got '{game_id}'")
    options: dict[str, Any] = {}
    if llm_config is not None:
        from ..wargame.llm_config import load_file
        options["llm"] = load_file(llm_config)
    seed = _fresh_seed() if seed is None else seed
    shared: dict[str, Any] = {}
    store = _store(db, must_exist=False)
    with progress_bar("preparing the agents (policies solve the crisis first)"):
        rec = create_game(store, scenario, agents, seed, game_id=game_id, fallback=fallback, options=options,
                          shared=shared)
    console.print(f"game [bold]{rec.game_id}[/] · {escape(scenario.id)} · seed {seed} · "
                  + " vs ".join(f"{escape(a)}={escape(s)}" for a, s in agents.items()))
    _run(store, rec.game_id, agents, pace, shared)


TrustOpt = Annotated[list[str] | None, typer.Option(
    "--trust-endpoint", help="An LLM endpoint (base URL) the stored game may call (repeatable). A stored game's "
                             "endpoints are called only when you name them here, in --llm-config or an --agent "
                             "of your own, or confirm them at the terminal.")]
UserLlmOpt = Annotated[Path | None, typer.Option(
    "--llm-config", help="Your own LLM settings (TOML or YAML): its key_env names the key sent and its base_url "
                         "is trusted; the game keeps its stored settings.")]


def _trust(game_id: str, urls: list[str] | None, llm_config: Path | None, own_specs: dict[str, str],
           specs: dict[str, str], options: dict[str, Any], shared: dict[str, Any]) -> None:
    """Admit every endpoint the stored game's llm: agents would call (asking at a terminal, refusing
    otherwise), before anything is created or asked; the agents are then built with the user's key."""
    if not any(s.strip().startswith("llm:") for s in specs.values()):
        return
    import sys

    from ..wargame.llm import admit_endpoints
    from ..wargame.llm_config import EndpointTrust, load_file, named_url
    user = load_file(llm_config) if llm_config is not None else None
    own = [u for u in (named_url(s) for s in own_specs.values()) if u]
    ask = (lambda q: typer.confirm(q, default=False)) if sys.stdin.isatty() else None
    trust = EndpointTrust.of_user(game_id, [*(urls or []), *own], user, ask)
    admit_endpoints(specs, options, trust)
    shared["endpoints"] = trust


TakeOverOpt = Annotated[bool, typer.Option(
    "--take-over", help="Continue a game another process has claimed (use only when that process is gone, e.g. "
                        "on another machine that crashed).")]


def resume(game: GameArg, db: DbOpt = None,
           pace: Annotated[float, typer.Option(help="Seconds to wait after each move.")] = 0.0,
           take_over: TakeOverOpt = False, trust_endpoint: TrustOpt = None, llm_config: UserLlmOpt = None) -> None:
    """Continue a stored game where it stopped (moves already made are kept, not asked again).
    While one process plays a game, another asked to resume it is refused (exit 2). A language-model
    endpoint named by the store is called only once you trust it (--trust-endpoint, or asked)."""
    from ..wargame.engine import read_game
    from ..wargame.store import held_elsewhere
    _check_pace(pace)
    store = _store(db)
    log = read_game(store, game)
    if not take_over:
        held_elsewhere(store, game)          # told before anything else is said or asked
    if log.ended:
        console.print(f"game [bold]{game}[/] has already ended ({log.state.ending} after {log.state.turn} turns)")
        return
    console.print(f"game [bold]{game}[/] resumes at turn {log.state.turn + 1}"
                  + (f" ({len(log.pending)} move(s) of that turn already made)" if log.pending else ""))
    shared: dict[str, Any] = {}
    _trust(game, trust_endpoint, llm_config, {}, log.agents, dict(log.params.get("options", {})), shared)
    _run(store, game, log.agents, pace, shared, take_over)


def replay_table(log: GameLog) -> Table:
    """A stored game turn by turn, everything shown (a debrief: chosen, executed and perceived rungs)."""
    rungs = log.game.ladder.rungs
    t = Table(*(Column(h, overflow="fold") for h in ("turn", "side", "declared", "ordered", "executed",
                                                     "seen by the other as", "said", "balance")),
              title=f"game {log.game_id} · {escape(log.scenario.id)} · seed {log.record.seed}", title_justify="left")
    for p in log.turns:
        for i, actor in enumerate(log.game.actors):
            m, x = p.moves[i], p.state.positions[i]
            t.add_row(str(p.turn) if i == 0 else "", escape(actor), "-" if m.signal is None else rungs[m.signal].id,
                      rungs[m.action].id + (" [yellow](fallback)[/]" if m.source.startswith("fallback:") else ""),
                      rungs[x].id + (" [red](accident)[/]" if x != m.action else ""),
                      rungs[p.state.perceived[1 - i]].id, escape(m.statement),
                      f"{p.state.balance if i == 0 else -p.state.balance:+d}", end_section=i == 1)
    return t


def replay(game: GameArg, db: DbOpt = None,
           agent_replies: Annotated[bool, typer.Option(
               "--agent-replies", help="Re-run the game from the stored agent replies (no model is called) and "
                                       f"check it comes out identical (exit {EXIT_RERUN_DIFFERS} if not).")] = False
           ) -> None:
    """Show a stored game turn by turn."""
    from ..wargame.engine import read_game, rerun
    store = _store(db, read_only=True)
    log = read_game(store, game)
    console.print(replay_table(log))
    if log.ended:
        _finish(log)
    else:
        console.print(f"game [bold]{game}[/] has not ended (it stopped after turn {log.state.turn}).")
    if agent_replies:
        result = rerun(store, game)
        if result.identical:
            console.print(f"re-run from the stored replies: identical ({result.turns} turns)")
        else:
            console.print(f"[red]re-run from the stored replies differs[/]: {escape(result.difference)}")
            raise typer.Exit(EXIT_RERUN_DIFFERS)


def fork(game: GameArg,
         turn: Annotated[int, typer.Option("--turn", help="The turn the new game starts at (1 = the start).")],
         agent: AgentOpt = None, seed: SeedOpt = None, db: DbOpt = None,
         no_play: Annotated[bool, typer.Option("--no-play", help="Only create the new game.")] = False,
         pace: Annotated[float, typer.Option(help="Seconds to wait after each move.")] = 0.0,
         trust_endpoint: TrustOpt = None, llm_config: UserLlmOpt = None) -> None:
    """Start a new game from the state of a stored game at the start of turn N (other agents or seed
    allowed; with the same ones the fork replays the original)."""
    from ..wargame.agents import parse_agent_options
    from ..wargame.engine import fork_game, read_game
    _check_pace(pace)
    store = _store(db)
    parent = read_game(store, game)
    given = parse_agent_options(agent, parent.game.actors, require_all=False)
    shared: dict[str, Any] = {}
    if not no_play:
        _trust(game, trust_endpoint, llm_config, given, {**parent.agents, **given},
               dict(parent.params.get("options", {})), shared)
    rec = fork_game(store, game, turn, agents=given, seed=seed)
    if no_play:
        store.set_status(rec.game_id, "paused")      # made, not started: resumable, not 'interrupted'
    console.print(f"game [bold]{rec.game_id}[/] · fork of {game} at turn {turn} · seed {rec.seed} · "
                  + " vs ".join(f"{escape(a)}={escape(s)}" for a, s in rec.agents.items()))
    if not no_play:
        _run(store, rec.game_id, rec.agents, pace, shared)


def export(games: Annotated[list[str], typer.Argument(help="Game ids (see 'escalab games').")],
           out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the files.")],
           db: DbOpt = None) -> None:
    """Write stored games as transcript.jsonl (the plain format 'escalab score' reads), turns.csv,
    games.csv and events.jsonl; all files appear together or not at all."""
    from ..wargame.export import export_games
    store = _store(db, read_only=True)
    for g in games:
        store.game(g)                    # an unknown id fails before anything is written
    for path in export_games(store, games, out):
        console.print(f"[dim]wrote {escape(path)}[/]")


GAME_STATES = ("running", "paused", "finished", "interrupted")


def game_state(store: Any, rec: Any) -> str:
    """running, paused, finished - or interrupted: stored as running, but no live process holds it
    (killed, crashed, or a machine gone), so ``escalab resume`` continues it."""
    if rec.status != "running":
        return str(rec.status)
    lease = store.lease(rec.game_id)
    if lease is None:
        return "interrupted"
    alive = lease.alive()
    if alive is None:
        return f"running (on {lease.host})"
    return "running" if alive else "interrupted"


def games(db: DbOpt = None,
          status: Annotated[str | None, typer.Option(
              help="Only games with this status: running, paused, finished or interrupted.")] = None) -> None:
    """List the stored games: running (a process plays it now), paused (resumable), finished, or
    interrupted (its process died; resumable). A damaged or edited game is listed as such, exit 2."""
    from ..errors import EscalabError
    from ..wargame.engine import read_game
    if status is not None and status not in GAME_STATES:
        raise UsageError(f"--status must be running, paused, finished or interrupted, got '{status}'")
    store = _store(db, read_only=True)
    t = Table(Column("game", no_wrap=True), Column("scenario", no_wrap=True), "status", "turns",
              Column("ending", overflow="fold"), Column("agents", overflow="fold"), box=None)
    damaged: list[str] = []
    for rec in store.games():
        state = game_state(store, rec)
        try:
            log = read_game(store, rec.game_id)
            turns, ending = str(log.state.turn), (log.state.ending or "") if log.ended else ""
        except EscalabError as exc:
            damaged.append(str(exc))
            state, turns, ending = "damaged", "?", ""
        if status is not None and state.split(" ")[0] != status:
            continue
        fork = "" if rec.parent_game is None else f" (fork of {rec.parent_game} at turn {rec.parent_turn})"
        t.add_row(escape(rec.game_id), escape(rec.scenario), escape(state), turns, escape(ending),
                  escape(" ".join(f"{a}={s}" for a, s in rec.agents.items()) + fork))
    console.print(t)
    if damaged:
        more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
        raise UsageError(f"{len(damaged)} stored game(s) cannot be read as escalab wrote them: {damaged[0]}{more}")


def register(app: typer.Typer) -> None:
    """Add the play commands to the app."""
    for fn in (play, resume, replay, fork, export, games):
        app.command(fn.__name__)(handled(fn))
