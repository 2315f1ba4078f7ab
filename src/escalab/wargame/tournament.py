"""Round-robin tournaments: every agent against every agent, in each role, many games each.

A tournament is a fixed list of games, each with an id and a seed derived from the tournament's
seed, the pairing and the game's index (never from which worker plays it or when), so the results
are identical on 1 worker, 2 workers or a Dask cluster. Games are stored in the event store as
they finish; a tournament started again with the same settings finds its finished games there and
plays only the rest (a game cut off mid-way resumes from its log when the workers share the store).

Local workers write their games straight into the SQLite store (it takes several writers); Dask
workers, which may be on other machines, play in memory and send the events back to be stored.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from .. import limits
from ..limits import TOURNAMENT_GAMES
from ..scenario import Scenario
from .scenario_record import dump_scenario, restore_scenario
from .store import EventStore, GameRecord, MemoryStore

Progress = Callable[[int, int], None]
REACHED = ("nuclear_signalling", "nuclear_use", "strategic")   # bands whose reach rate the table gives


@dataclass(frozen=True)
class Task:
    game_id: str
    pairing: tuple[int, int]
    index: int
    seed: int
    agents: tuple[tuple[str, str], ...]         # (actor, spec), in actor order


@dataclass(frozen=True)
class Plan:
    """What a tournament plays; its id names its games in the store."""

    scenario_json: str
    scenario_id: str
    actors: tuple[str, str]
    agents: tuple[tuple[str, str], ...]          # (name, spec), in the order given
    games: int
    seed: int
    self_play: bool = True
    reference: str = "equilibrium"
    fallback: str = "equilibrium"                # what plays a turn an agent fails
    options_json: str = "{}"                     # agent options stored with each game (e.g. LLM settings)

    @property
    def id(self) -> str:
        key = json.dumps([self.scenario_json, self.agents, self.games, self.seed, self.self_play, self.fallback,
                          self.options_json], sort_keys=True)
        return "t" + hashlib.sha256(key.encode()).hexdigest()[:10]

    def pairings(self) -> list[tuple[int, int]]:
        n = len(self.agents)
        return [(i, j) for i in range(n) for j in range(n) if self.self_play or i != j]

    def tasks(self) -> list[Task]:
        out = []
        for i, j in self.pairings():
            specs = ((self.actors[0], self.agents[i][1]), (self.actors[1], self.agents[j][1]))
            for g in range(self.games):
                seed = int(np.random.SeedSequence([self.seed, i, j, g]).generate_state(1, dtype=np.uint32)[0])
                out.append(Task(f"{self.id}-{i}-{j}-{g:05d}", (i, j), g, seed, specs))
        return out


def make_plan(scenario: Scenario, agents: Mapping[str, str], games: int, seed: int, *, self_play: bool = True,
              reference: str = "equilibrium", fallback: str = "equilibrium",
              options: Mapping[str, Any] | None = None) -> Plan:
    if scenario.spec.ladder_crisis is None:
        raise UsageError(f"scenario '{scenario.id}' has no ladder crisis to play "
                         f"(it has: {', '.join(scenario.forms) or 'nothing'})")
    if not agents:
        raise UsageError("name the agents: --agent NAME=SPEC (at least one)")
    if games < 1:
        raise UsageError(f"--games must be at least 1, got {games}")
    limits.check_seed(seed)
    from .agents import spec_kind
    for name, spec in agents.items():
        if spec_kind(spec) == "human":
            raise UsageError(f"agent '{name}': a tournament cannot wait for a human player; play humans with "
                             f"'escalab play'")
    n = len(agents)
    if not self_play and n < 2:
        raise UsageError("one agent without self-play makes no pairing: add agents or allow self-play")
    TOURNAMENT_GAMES.check((n * n if self_play else n * (n - 1)) * games)
    if reference.partition(":")[0] not in ("equilibrium", "logit"):
        raise UsageError(f"--reference must be equilibrium or logit:LAMBDA, got '{reference}'")
    # the crisis as the games will compile it from the stored scenario (whose JSON may order the
    # types otherwise, another crisis to the solver): the equilibrium checking the agents solves
    # here is then the one every worker finds in the memo (forked) or the disk cache (spawned)
    scenario_json = dump_scenario(scenario)
    from .engine import check_agents, compiled
    game = compiled(scenario_json)[1]
    from .policy_agents import policy_factory
    policy_factory(game).check(reference)
    opts = dict(options or {})
    shared: dict[str, Any] = {}
    for spec in dict.fromkeys(agents.values()):      # every spec builds: bad specs or settings fail here
        check_agents(game, {a: spec for a in game.actors}, fallback, opts, shared)
    plan = Plan(scenario_json, scenario.id, game.actors, tuple(agents.items()), games, seed, self_play,
                reference, fallback, json.dumps(opts, sort_keys=True))
    return plan


# ----------------------------------------------------------------------------- one game, in a worker
class _Worker:
    """Per-process state: the scenario, one policy factory shared by every game, the reference."""

    def __init__(self, scenario_json: str, reference: str):
        from .engine import compiled
        from .scores import Reference
        self.scenario, game = compiled(scenario_json)     # the games' own crisis: one equilibrium solve
        self.reference = Reference(game, reference)
        self.shared: dict[str, Any] = {}
        self.game = game


_WORKER = threading.local()       # a Dask worker may run several games at once, one per thread


def _worker(scenario_json: str, reference: str) -> _Worker:
    key = (scenario_json, reference)
    if getattr(_WORKER, "key", None) != key:
        _WORKER.key, _WORKER.value = key, _Worker(scenario_json, reference)
    return _WORKER.value  # type: ignore[no-any-return]


def play_task(task: Task, plan: Plan, store: EventStore) -> dict[str, Any]:
    """Play (or resume) one game in ``store``, append its scores; return the game-level score."""
    from .engine import create_game, play
    from .scores import play_from_events, score_payload, score_play

    w = _worker(plan.scenario_json, plan.reference)
    try:
        rec = store.game(task.game_id)
    except UsageError:
        rec = None
    if rec is None:
        create_game(store, w.scenario, dict(task.agents), task.seed, game_id=task.game_id, fallback=plan.fallback,
                    options=json.loads(plan.options_json), shared=w.shared)
    else:                  # a store may come from someone else: only this plan's own game is resumed
        params = store.events(task.game_id)[0].payload.get("params", {})
        if rec.agents != dict(task.agents) or rec.seed != task.seed or params.get("fallback") != plan.fallback \
                or params.get("options") != json.loads(plan.options_json):
            raise UsageError(f"game '{task.game_id}' in the store is not this tournament's game (other agents, "
                             "seed or settings); the store was edited or made otherwise: use another --db")
    if rec is None or rec.status != "finished":
        play(store, task.game_id, shared=w.shared)
    events = store.events(task.game_id)
    stored = [e.payload for e in events if e.kind == "score" and e.payload.get("scope") == "game"]
    if stored:
        return stored[-1]
    scores = score_play(play_from_events(task.game_id, events, w.game.rung_ids), w.game.ladder, w.game, w.reference)
    payloads = score_payload(scores)
    store.append_many(task.game_id, [(p.get("turn", scores.turns), "score", None, p) for p in payloads])
    return payloads[-1]


_STORE: dict[str, EventStore] = {}


def _local_task(task: Task, plan: Plan, db: str) -> tuple[str, dict[str, Any]]:
    from .store import SqliteStore
    if db not in _STORE:
        _STORE[db] = SqliteStore(db)
    return task.game_id, play_task(task, plan, _STORE[db])


def _memory_task(task: Task, plan: Plan) -> tuple[GameRecord, list[Any], dict[str, Any]]:
    mem = MemoryStore()
    result = play_task(task, plan, mem)
    events = [(e.turn, e.kind, e.actor, e.payload) for e in mem.events(task.game_id)]
    return mem.game(task.game_id), events, result


# ----------------------------------------------------------------------------- running
def run_tournament(plan: Plan, store: EventStore, db: str | None = None, workers: int = 1, scheduler: Any = None,
                   progress: Progress | None = None, threads: int = 1) -> Results:
    """Play every game not yet finished in ``store``; return the results of all of them.

    ``db`` is the SQLite path the local worker processes open (they cannot share this process's
    connection); without it (an in-memory store) games are played here, one after another, or
    ``threads`` at a time in threads of this process (for agents that wait on an endpoint: language
    models; each game keeps its own seeds, so the table does not depend on it).
    """
    limits.check_workers(workers)
    limits.check_workers(threads, "--threads")
    if threads > 1 and (workers > 1 or scheduler is not None):
        raise UsageError("--threads plays games in threads of one process: use it with --workers 1 and no "
                         "--scheduler (a Dask worker has its own threads)")
    tasks = plan.tasks()
    done: dict[str, dict[str, Any]] = {}
    finished = {g.game_id for g in store.games("finished")}
    for t in tasks:
        if t.game_id in finished:
            scores = [e.payload for e in store.events(t.game_id, ("score",)) if e.payload.get("scope") == "game"]
            if scores:
                done[t.game_id] = scores[-1]
    todo = [t for t in tasks if t.game_id not in done]

    def finish(gid: str, result: dict[str, Any]) -> None:
        done[gid] = result
        if progress is not None:
            progress(len(done), len(tasks))

    if progress is not None:
        progress(len(done), len(tasks))
    if scheduler is not None:
        _run_dask(plan, todo, store, scheduler, finish)
    elif threads > 1 and len(todo) > 1:
        _run_threads(plan, todo, store, threads, finish)
    elif workers == 1 or db is None or len(todo) <= 1:
        for t in todo:
            finish(t.game_id, play_task(t, plan, store))
    else:
        # escalab's pool (escalab.workers): this process plays games too, and its workers need no
        # `if __name__ == "__main__":` guard in the caller's script. Ctrl-C or a failed game stops
        # handing out games; the few being played finish (a Ctrl-C at a terminal stops them too, and
        # what they stored resumes on the next run).
        from ..workers import WorkerPool, run_unordered

        from .store import SqliteStore

        with WorkerPool(min(workers, len(todo))) as pool:
            # after the workers exist (a connection must not cross a fork): this process's games go
            # to the caller's store when it is the same file, else to a connection of its own
            same = isinstance(store, SqliteStore) and store.path.resolve() == Path(db).resolve()
            _STORE[db] = store if same else SqliteStore(db)
            try:
                run_unordered(pool, _local_task, [(t, plan, db) for t in todo], lambda task, r: finish(*r))
            finally:
                mine = _STORE.pop(db)
                if not same:
                    mine.close()
    return summarise(plan, tasks, done)


def _run_threads(plan: Plan, todo: Sequence[Task], store: EventStore, threads: int,
                 finish: Callable[[str, dict[str, Any]], None]) -> None:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from .engine import compiled
    from .policy_agents import policy_factory
    _ = policy_factory(compiled(plan.scenario_json)[1]).equilibrium     # solved once, before the threads share it
    pool = ThreadPoolExecutor(max_workers=min(threads, len(todo)), thread_name_prefix="escalab-game")
    try:
        futures = {pool.submit(play_task, t, plan, store): t.game_id for t in todo}
        for f in as_completed(futures):
            finish(futures[f], f.result())
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def _run_dask(plan: Plan, todo: Sequence[Task], store: EventStore, scheduler: Any,
              finish: Callable[[str, dict[str, Any]], None]) -> None:
    from distributed import as_completed

    from ..solve.dask_client import scheduler_client

    with scheduler_client(scheduler) as client:      # an address: this process's Client for it, or a new one
        futures = [client.submit(_memory_task, t, plan, pure=False) for t in todo]
        for f in as_completed(futures):
            record, events, result = f.result()
            store.create_game(record, events)
            finish(record.game_id, result)


# ----------------------------------------------------------------------------- results
def _mean_ci(xs: Sequence[float]) -> dict[str, Any] | None:
    """Mean with a 95% Student-t interval (None when there is no value)."""
    a = np.asarray([x for x in xs if x is not None], dtype=float)
    if len(a) == 0:
        return None
    m = float(a.mean())
    if len(a) == 1:
        return {"mean": m, "ci95": None, "n": 1}
    from scipy.stats import t as student
    half = float(student.ppf(0.975, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return {"mean": m, "ci95": [m - half, m + half], "n": int(len(a))}


def _rate(k: int, n: int) -> dict[str, Any]:
    from ..simulate.results import Rate
    return Rate(k / n, n).to_dict()


@dataclass(frozen=True)
class Results:
    plan: Plan
    rows: tuple[dict[str, Any], ...]            # one per pairing
    agents: tuple[dict[str, Any], ...]          # one per agent, over both roles
    endings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        p = self.plan
        return {"tournament": p.id, "scenario": p.scenario_id, "actors": list(p.actors),
                "agents": dict(p.agents), "games_per_pairing": p.games, "seed": p.seed, "self_play": p.self_play,
                "reference": p.reference, "pairings": list(self.rows), "by_agent": list(self.agents)}

    def csv(self) -> str:
        import csv
        import io
        a0, a1 = self.plan.actors
        cols = ["pairing", f"{a0}", f"{a1}", "games"]
        for e in self.endings:
            cols += [f"{e}", f"{e}_lo", f"{e}_hi"]
        for name in ("peak_value", "turns", "rivera", f"payoff_{a0}", f"payoff_{a1}", f"distance_{a0}",
                     f"distance_{a1}"):
            cols += [name, f"{name}_lo", f"{name}_hi"]
        for band in REACHED:
            cols += [f"reached_{band}", f"reached_{band}_lo", f"reached_{band}_hi"]
        from ..cells import spreadsheet_row
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(spreadsheet_row(cols))         # labels and names are the user's: no formula, no escape
        for r in self.rows:
            row: list[Any] = [r["pairing"], r["agents"][0], r["agents"][1], r["games"]]
            for e in self.endings:
                row += _cells(r["endings"][e], "p")
            for key in ("peak_value", "turns", "rivera", ("payoff", 0), ("payoff", 1), ("distance", 0),
                        ("distance", 1)):
                stat = r[key[0]][self.plan.actors[key[1]]] if isinstance(key, tuple) else r[key]
                row += _cells(stat, "mean")
            for band in REACHED:
                row += _cells(r["reached"][band], "p")
            w.writerow(spreadsheet_row(row))
        return buf.getvalue()


def _cells(stat: dict[str, Any] | None, key: str) -> list[Any]:
    """Value, low and high end of the 95% interval (an interval without spread is left empty)."""
    if stat is None:
        return ["", "", ""]
    ci = stat.get("ci95") or ["", ""]
    return [_num(stat[key]), _num(ci[0]), _num(ci[1])]


def _num(x: Any) -> Any:
    return f"{x:.6g}" if isinstance(x, float) else x


def summarise(plan: Plan, tasks: Sequence[Task], done: Mapping[str, dict[str, Any]]) -> Results:
    from ..model.ladder import LadderGame
    game: LadderGame = restore_scenario(plan.scenario_json).compile("ladder")
    endings = game.endings() + ("unfinished",)
    a0, a1 = plan.actors
    rows = []
    for i, j in plan.pairings():
        got = [done[t.game_id] for t in tasks if t.pairing == (i, j) and t.game_id in done]
        n = len(got)
        if n == 0:
            continue
        ends = [g["ending"] for g in got]
        dist = [g.get("distance") or {} for g in got]
        rows.append({
            "pairing": f"{plan.agents[i][0]} v {plan.agents[j][0]}",
            "agents": [plan.agents[i][0], plan.agents[j][0]], "games": n,
            "endings": {e: _rate(ends.count(e), n) for e in endings if e != "unfinished" or e in ends},
            "peak_value": _mean_ci([g["peak"]["value"] if g.get("peak") else None for g in got]),
            "turns": _mean_ci([g["turns"] for g in got]),
            "reached": {b: _rate(sum(g["first_crossing"].get(b) is not None for g in got), n) for b in REACHED},
            "rivera": _mean_ci([g["rivera"]["mean"] if g.get("rivera") else None for g in got]),
            "payoff": {a: _mean_ci([(g.get("returns") or {}).get(a) for g in got]) for a in (a0, a1)},
            "distance": {a: _mean_ci([d.get(a, {}).get("total") for d in dist]) for a in (a0, a1)},
        })
    by_agent = []
    for k, (name, spec) in enumerate(plan.agents):
        pay, lost, nuclear, n = [], [], 0, 0
        for t in tasks:
            g = done.get(t.game_id)
            if g is None or k not in t.pairing:
                continue
            for role in (0, 1):
                if t.pairing[role] != k:
                    continue
                actor = plan.actors[role]
                n += 1
                pay.append((g.get("returns") or {}).get(actor))
                lost.append(((g.get("distance") or {}).get(actor) or {}).get("total"))
                nuclear += actor in ((g["first_crossing"].get("nuclear_use") or {}).get("by") or [])
        by_agent.append({"agent": name, "spec": spec, "sides_played": n, "payoff": _mean_ci(pay),
                         "distance": _mean_ci(lost), "first_nuclear_use": _rate(nuclear, n) if n else None})
    return Results(plan, tuple(rows), tuple(by_agent), tuple(e for e in endings if e != "unfinished"))


def write_results(results: Results, out: str | Path, figure: bool = True) -> list[Path]:
    """results.json, results.csv and (optionally) summary.png, published together."""
    from ..atomic import output_set
    with output_set(out, "tournament") as outs:
        outs.write_text("results.json", json.dumps(results.to_dict(), indent=2) + "\n")
        outs.write_text("results.csv", results.csv())
        if figure:
            draw_summary(results, outs.path("summary.png"))
    return [Path(out) / n for n in ("results.json", "results.csv") + (("summary.png",) if figure else ())]


def draw_summary(results: Results, path: Path) -> None:
    """Ending rates per pairing (stacked bars) beside each pairing's mean peak rung value."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results.rows
    labels = [r["pairing"] for r in rows]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 0.5 * len(rows) + 3.0), sharey=True)
    left = np.zeros(len(rows))
    for e in results.endings:
        v = np.array([r["endings"][e]["p"] for r in rows])
        ax0.barh(labels, v, left=left, label=e.replace("_", " "))
        left += v
    ax0.set_xlim(0, 1)
    ax0.invert_yaxis()                      # the first pairing on top, as in the table
    ax0.set_xlabel("share of games")
    ax0.set_ylabel(f"{results.plan.actors[0]} v {results.plan.actors[1]}")
    ax0.set_title("How the games ended")
    ax0.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    means = [r["peak_value"]["mean"] if r["peak_value"] else 0.0 for r in rows]
    err = [[m - (r["peak_value"]["ci95"] or [m, m])[0] for m, r in zip(means, rows)],
           [(r["peak_value"]["ci95"] or [m, m])[1] - m for m, r in zip(means, rows)]] if rows else None
    ax1.barh(labels, means, xerr=err, color="#b04a3c")
    ax1.set_xlabel("peak rung value (mean, 95% interval)")
    ax1.set_title("How high they climbed")
    fig.suptitle(f"Tournament on {results.plan.scenario_id}: {results.plan.games} game(s) per pairing, "
                 f"seed {results.plan.seed}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
