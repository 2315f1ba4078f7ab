"""``escalab score``, ``escalab fit`` and ``escalab tournament``: analysis of played games (issue 9).

Heavy modules (the solver, matplotlib, the process pool) are imported inside the commands, so
``escalab --help`` stays fast.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import UsageError
from .errors import handled
from .options import OutOpt, ScenarioArg, SetOpt, load_with_sets
from .progress import console, progress_bar

DbOpt = Annotated[Path | None, typer.Option(
    "--db", help="The game store (SQLite). Default: $ESCALAB_DB or escalab-games.sqlite here.")]
ReferenceOpt = Annotated[str, typer.Option(
    "--reference", help="What distance from the equilibrium is measured against: equilibrium or logit:LAMBDA.")]


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _scores_table(s: Any) -> Table:
    t = Table("score", *s.sides, title=f"Game {s.game_id}: {s.ending or 'no ending recorded'} after {s.turns} "
              f"turn(s)", title_justify="left")
    t.add_row("taken minus declared (mean rungs)", *(_fmt(s.signal_gap[x]["mean_rungs"]) for x in s.sides))
    t.add_row("turns declared / kept / went above",
              *(f"{g['declared']} / {g['kept']} / {g['above']}" for g in (s.signal_gap[x] for x in s.sides)))
    t.add_row("accidents (rungs moved)", *(f"{s.accidents[x]['count']} ({s.accidents[x]['rungs']:+d})"
                                           for x in s.sides))
    if s.rivera is not None:
        t.add_row("Rivera score of own actions (sum / 8)", *(_fmt(s.rivera["by_side"][x] / 8) for x in s.sides))
    if s.distance is not None:
        t.add_row(f"payoff lost vs {s.distance['reference']}", *(_fmt(s.distance[x]["total"]) for x in s.sides))
    if s.returns is not None:
        t.add_row("payoff", *(_fmt(s.returns[x]) for x in s.sides))
    if s.types is not None:
        t.add_row("private type", *(s.types[x] for x in s.sides))
    return t


def _game_lines(s: Any) -> list[str]:
    out = []
    if s.peak is not None:
        out.append(f"Peak: {s.peak['rung']} (value {s.peak['value']:g}, {s.peak['band']}) on turn {s.peak['turn']} "
                   f"by {', '.join(s.peak['by'])}.")
    crossed = [f"{b.replace('_', ' ')} on turn {c['turn']} ({', '.join(c['by'])})"
               for b, c in s.first_crossing.items() if c is not None]
    out.append("First reached: " + ("; ".join(crossed) if crossed else "no band above the status quo") + ".")
    if s.rivera is not None:
        out.append(f"Rivera et al. escalation score: mean {s.rivera['mean']:.3g} per turn, "
                   f"total {s.rivera['total']:.3g}.")
    return out


def score(
    targets: Annotated[list[str], typer.Argument(help="JSONL transcripts (.jsonl) and/or stored game ids.")],
    ladder: Annotated[str | None, typer.Option(
        "--ladder", help="The ladder the transcript's rung ids belong to (built-in name or .yaml).")] = None,
    scenario: Annotated[str | None, typer.Option(
        "--scenario", help="Score transcripts against this crisis too (ending, distance from the equilibrium); "
                           "its actors must be the transcript's sides.")] = None,
    set_: SetOpt = None,
    reference: ReferenceOpt = "equilibrium",
    db: DbOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write all scores as JSON to this file.")] = None,
) -> None:
    """Score games: peak, band crossings, signal-action gaps, accidents, Rivera's score, distance from
    the equilibrium. Stored games get their scores stored as 'score' events too."""
    from ..atomic import write_text_atomic
    from ..errors import ModelError
    from ..scenario import load_ladder
    from ..wargame.scores import Reference, score_play
    from ..wargame.transcript import read_transcript

    results = []
    # a path (a suffix, a folder separator, an existing file) is read as a transcript, so a folder or a device
    # named here is refused as one rather than looked up as a game id
    files = [t for t in targets if Path(t).suffix in (".jsonl", ".json", ".ndjson", ".txt") or "/" in t
             or os.sep in t or Path(t).is_file()]
    ids = [t for t in targets if t not in files]
    if files:
        game = None
        ref = None
        if scenario is not None:
            sc = load_with_sets(scenario, set_)
            if sc.spec.ladder_crisis is None:
                raise UsageError(f"--scenario '{scenario}' has no ladder crisis")
            with progress_bar("solving the equilibrium"):
                game = sc.compile("ladder")
                ref = Reference(game, reference)
            lad = game.ladder
            if ladder is not None and load_ladder(ladder).id != lad.id:
                raise UsageError(f"--ladder '{ladder}' is not the ladder of scenario '{sc.id}' ('{lad.id}')")
        elif ladder is not None:
            lad = load_ladder(ladder)
        else:
            raise UsageError("a transcript needs --ladder NAME (the ladder its rung ids belong to) or --scenario")
        for f in files:
            if not Path(f).exists():
                raise UsageError(f"no such transcript '{f}' (and no stored game has that id)")
            tr = read_transcript(f, lad, game.actors if game is not None else None)
            for play in tr.plays:
                try:
                    results.append(score_play(play, lad, game, ref))
                except ModelError as exc:
                    raise tr.locate(play.game_id, exc) from None
    if ids:
        from ..wargame.store import default_db_path, open_store
        from ..wargame.stored import StoredGames
        path = db if db is not None else default_db_path()
        # the scores are stored with finished games, unless the store cannot be written: then shown only
        writable = os.access(path, os.W_OK) and os.access(path.parent if str(path.parent) else ".", os.W_OK)
        store = open_store(path, must_exist=True, read_only=not writable)
        try:
            stored = StoredGames(store)
            with progress_bar("scoring stored games") as update:
                for k, gid in enumerate(ids):
                    results.append(stored.score(gid, reference))
                    update(k + 1, len(ids))
        finally:
            store.close()
    for s in results:
        console.print(_scores_table(s))
        for line in _game_lines(s):
            console.print(line, markup=False)
    if out is not None:
        write_text_atomic(out, json.dumps([s.to_dict() for s in results], indent=2) + "\n")
        console.print(f"[dim]wrote {out}[/]", markup=True)


def fit(
    games: Annotated[list[str], typer.Argument(help="Stored game ids (all of one scenario).")],
    actor: Annotated[str, typer.Option("--actor", help="Whose decisions to fit (an actor of the crisis).")],
    db: DbOpt = None,
    max_level: Annotated[int, typer.Option("--max-level", help="Highest level of the level-k mix.")] = 3,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the fit as JSON to this file.")] = None,
) -> None:
    """How rational is this player? Logit precision λ (95% interval) and level-k mix, by maximum likelihood."""
    from ..atomic import write_text_atomic
    from ..wargame.fit import fit_player
    from ..wargame.store import open_store
    from ..wargame.stored import StoredGames

    store = open_store(db, must_exist=True, read_only=True)
    try:
        stored = StoredGames(store)
        game, plays, text = stored.plays(games)
        with progress_bar("solving the equilibrium"):
            ref = stored.reference(text)
        result = fit_player(plays, game, actor, ref, max_level)
    finally:
        store.close()
    lg, lv = result.logit, result.levels
    hi = "inf" if lg.ci[1] == float("inf") else f"{lg.ci[1]:.3g}"
    left_out = f" ({result.fallbacks} fallback move(s) left out)" if result.fallbacks else ""
    console.print(f"{actor}: {lg.n} decisions in {result.games} game(s){left_out}.", markup=False)
    bound = " (at the upper bound: every choice was a best reply)" if lg.at_bound else ""
    console.print(f"Logit precision λ = {lg.lam:.3g}{bound}, 95% interval [{lg.ci[0]:.3g}, {hi}] "
                  f"(log-likelihood {lg.loglik:.1f}; uniform play {lg.loglik_uniform:.1f}).", markup=False)
    t = Table("level", "weight", title="Level-k mix (maximum likelihood)", title_justify="left")
    for k, w in zip(lv.levels, lv.weights):
        t.add_row(str(k), f"{w:.3f}")
    console.print(t)
    console.print(f"Level-k log-likelihood {lv.loglik:.1f}; best single level: {lv.best_level}.", markup=False)
    if out is not None:
        write_text_atomic(out, json.dumps(result.to_dict(), indent=2) + "\n")
        console.print(f"[dim]wrote {out}[/]")


def tournament(
    name: ScenarioArg,
    agent: Annotated[list[str], typer.Option(
        "--agent", "-a", help="NAME=SPEC (repeatable): equilibrium, logit:L, level:K, doctrine:NAME, uniform, "
                              "llm:MODEL, script:...")],
    games: Annotated[int, typer.Option("--games", "-n", help="Games per pairing.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Tournament seed (each game's seed derives from it).")] = 0,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Local worker processes.")] = 1,
    threads: Annotated[int, typer.Option(
        "--threads", help="Games played at once in threads of this one process: for llm: agents, which wait on "
                          "their endpoint (its 'concurrency' setting caps the requests in flight).")] = 1,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="A Dask scheduler address, e.g. tcp://127.0.0.1:8786.")] = None,
    no_self_play: Annotated[bool, typer.Option("--no-self-play", help="Skip pairings of an agent with itself.")]
    = False,
    reference: ReferenceOpt = "equilibrium",
    fallback: Annotated[str, typer.Option(
        help="The policy that plays a turn an agent fails (illegal move, error); an agent may name its own.")
    ] = "equilibrium",
    llm_config: Annotated[Path | None, typer.Option(
        "--llm-config", help="Settings for llm: agents (TOML or YAML); stored with each game, keys never.")] = None,
    set_: SetOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
) -> None:
    """Round-robin tournament: every agent against every agent in each role; resumes where it stopped."""
    from ..wargame.store import open_store
    from ..wargame.tournament import make_plan, run_tournament, write_results

    if scheduler is not None:       # an address or a wait that cannot work, before any game is played
        from ..solve.dask_client import check_scheduler
        from ..solve.sweep import check_scheduler_address
        check_scheduler_address(scheduler)
        check_scheduler(scheduler)
    sc = load_with_sets(name, set_)
    agents: dict[str, str] = {}
    for item in agent:
        label, eq, spec = item.partition("=")
        label, spec = label.strip(), spec.strip()
        if not eq or not label or not spec:
            raise UsageError(f"--agent expects NAME=SPEC (e.g. eq=equilibrium), got '{item}'")
        if label in agents:
            raise UsageError(f"--agent names '{label}' twice")
        agents[label] = spec
    options: dict[str, Any] = {}
    if llm_config is not None:
        from ..wargame.llm_config import load_file
        options["llm"] = load_file(llm_config)
    plan = make_plan(sc, agents, games, seed, self_play=not no_self_play, reference=reference, fallback=fallback,
                     options=options)
    store = open_store(db)
    try:
        with progress_bar(f"tournament {plan.id}: games") as update:
            results = run_tournament(plan, store, db=str(store.path), workers=workers, scheduler=scheduler,
                                     progress=update, threads=threads)
    finally:
        store.close()
    a0, a1 = plan.actors
    t = Table("pairing", *results.endings, "peak value", f"lost {a0}", f"lost {a1}",
              title=f"Tournament {plan.id} on {sc.id} ({a0} v {a1}), {games} game(s) per pairing",
              title_justify="left")
    for r in results.rows:
        dist = r["distance"]
        t.add_row(r["pairing"], *(f"{r['endings'][e]['p']:.2f}" for e in results.endings),
                  _fmt((r["peak_value"] or {}).get("mean")), _fmt((dist[a0] or {}).get("mean")),
                  _fmt((dist[a1] or {}).get("mean")))
    console.print(t)
    folder = out or Path("escalab-out") / f"tournament-{plan.id}"
    paths = write_results(results, folder)
    console.print(f"[dim]wrote {', '.join(str(p) for p in paths)}[/]")


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the app."""
    app.command("score")(handled(score))
    app.command("fit")(handled(fit))
    app.command("tournament")(handled(tournament))
