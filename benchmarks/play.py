"""What durability and parallelism cost and buy in the play engine.

Run: ``python benchmarks/play.py [--games N] [--tournament-games N]``. Prints

1. turns per second of the turn engine with scripted agents (no solver in the loop), the same
   games written to the SQLite event store (WAL, every batch committed before the engine goes on)
   and to the in-memory store, and their ratio (target: the store costs at most 2x);
2. games per second of a tournament (policy agents, scores included) on 1 and on 2 worker
   processes, and their ratio (2 workers pay for starting processes; the equilibrium is solved
   once, in a worker loaded from the machine's cache or inherited; the speed-up shows on tournaments
   long enough to amortise the start).

Each timing is the best of ``--repeat`` runs. Wall-clock numbers on a shared machine are noisy:
read the ratios, measured in the same run, not the absolute rates.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from escalab import load
from escalab.wargame.engine import new_game
from escalab.wargame.store import MemoryStore, SqliteStore
from escalab.wargame.tournament import make_plan, run_tournament

SCRIPTS = {"state_a": "script:maximum_conventional_effort/nuclear_posturing,nuclear_posturing,maximum_conventional_effort",
           "state_b": "script:conventional_military_pressure,maximum_conventional_effort,conventional_military_pressure"}


def engine_rate(games: int, sqlite: bool) -> float:
    """Turns per second of ``games`` scripted games into a fresh store."""
    sc = load("kahn-game-compact").with_params({"p_accident": 0.05})
    with tempfile.TemporaryDirectory() as d:
        store = SqliteStore(os.path.join(d, "b.sqlite")) if sqlite else MemoryStore()
        turns = 0
        start = time.perf_counter()
        for g in range(games):
            turns += len(new_game(store, sc, SCRIPTS, seed=g, game_id=f"g{g}").turns)
        elapsed = time.perf_counter() - start
        store.close()
    return turns / elapsed


def tournament_rate(games: int, workers: int) -> float:
    """Games per second of a tournament with ``workers`` processes (SQLite store)."""
    sc = load("kahn-game-compact")
    plan = make_plan(sc, {"eq": "equilibrium", "lg": "logit:0.5"}, games=max(1, games // 4), seed=1)
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "t.sqlite")
        store = SqliteStore(db)
        start = time.perf_counter()
        res = run_tournament(plan, store, db=db, workers=workers)
        elapsed = time.perf_counter() - start
        store.close()
    return sum(r["games"] for r in res.rows) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=200, help="scripted games per store")
    ap.add_argument("--tournament-games", type=int, default=200, help="games in the tournament")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    engine_rate(5, True)                     # warm-up: imports, compiled scenario caches
    mem = max(engine_rate(args.games, False) for _ in range(args.repeat))
    sql = max(engine_rate(args.games, True) for _ in range(args.repeat))
    print(f"engine, scripted agents, {args.games} games (measured under load; best of {args.repeat}):")
    print(f"  in memory     {mem:10.0f} turns/s")
    print(f"  SQLite store  {sql:10.0f} turns/s")
    ratio = mem / sql
    print(f"  store cost    {ratio:10.2f}x  (target <= 2x: {'met' if ratio <= 2 else 'NOT met'})")

    one = max(tournament_rate(args.tournament_games, 1) for _ in range(args.repeat))
    two = max(tournament_rate(args.tournament_games, 2) for _ in range(args.repeat))
    print(f"tournament, {args.tournament_games} games (equilibrium and logit agents, scores included):")
    print(f"  1 worker      {one:10.1f} games/s")
    print(f"  2 workers     {two:10.1f} games/s")
    print(f"  speed-up      {two / one:10.2f}x  (2 cores shared with other work; 2x at best)")


if __name__ == "__main__":
    main()
