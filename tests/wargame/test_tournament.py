"""Tournaments: identical tables on 1 and 2 workers, resumption without replaying finished games."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from escalab import load
from escalab.errors import UsageError
from escalab.wargame.engine import create_game
from escalab.wargame.store import MemoryStore, SqliteStore
from escalab.wargame.tournament import make_plan, run_tournament

AGENTS = {"eq": "equilibrium", "lg": "logit:0.5", "bm": "doctrine:brinkmanship"}


@pytest.fixture(scope="module")
def scenario():
    return load("kahn-game-compact")


def test_same_table_on_one_and_two_workers(scenario, tmp_path: Path) -> None:
    plan = make_plan(scenario, AGENTS, games=3, seed=11)
    tables = []
    for workers in (1, 2):
        db = tmp_path / f"w{workers}.sqlite"
        store = SqliteStore(db)
        tables.append(json.dumps(run_tournament(plan, store, db=str(db), workers=workers).to_dict(), sort_keys=True))
        assert len(store.games("finished")) == 9 * 3
        store.close()
    assert tables[0] == tables[1]
    data = json.loads(tables[0])
    assert [r["pairing"] for r in data["pairings"]] == [f"{a} v {b}" for a in AGENTS for b in AGENTS]
    for row in data["pairings"]:
        assert row["games"] == 3
        assert sum(e["p"] for e in row["endings"].values()) == pytest.approx(1.0)
        # A game reaches the strategic band exactly when it ends in strategic war.
        assert row["reached"]["strategic"]["p"] == row["endings"]["strategic_war"]["p"]
        assert row["reached"]["nuclear_signalling"]["p"] >= row["reached"]["nuclear_use"]["p"]


def test_seeds_depend_on_pairing_and_index_only(scenario) -> None:
    a = make_plan(scenario, AGENTS, games=2, seed=5).tasks()
    b = make_plan(scenario, AGENTS, games=4, seed=5).tasks()
    seeds = {(t.pairing, t.index): t.seed for t in b}
    assert all(seeds[(t.pairing, t.index)] == t.seed for t in a)
    assert len({t.seed for t in b}) == len(b)
    assert make_plan(scenario, AGENTS, games=2, seed=6).tasks()[0].seed != a[0].seed


def test_resume_after_interruption(scenario) -> None:
    plan = make_plan(scenario, {"eq": "equilibrium", "u": "uniform"}, games=3, seed=2)
    whole = run_tournament(plan, MemoryStore()).to_dict()

    store = MemoryStore()

    def stop_after_five(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_tournament(plan, store, progress=stop_after_five)
    finished = {g.game_id: store.events(g.game_id) for g in store.games("finished")}
    assert len(finished) == 5
    # A game cut off before its first turn: stored, never played.
    cut = plan.tasks()[5]
    create_game(store, scenario, dict(cut.agents), cut.seed, game_id=cut.game_id)
    seen: list[int] = []
    resumed = run_tournament(plan, store, progress=lambda done, total: seen.append(done)).to_dict()
    assert seen[0] == 5                     # the finished games were found, not played again
    for gid, events in finished.items():
        assert store.events(gid) == events  # untouched: not one event added
    assert len(store.games("finished")) == 12
    assert json.dumps(resumed, sort_keys=True) == json.dumps(whole, sort_keys=True)


def test_bad_tournaments_are_refused(scenario) -> None:
    with pytest.raises(UsageError, match="--games must be at least 1"):
        make_plan(scenario, AGENTS, games=0, seed=1)
    with pytest.raises(UsageError, match="unknown policy 'logit:x'|expected a rationality"):
        make_plan(scenario, {"a": "logit:x"}, games=1, seed=1)
    with pytest.raises(UsageError, match="cannot wait for a human"):
        make_plan(scenario, {"a": "human"}, games=1, seed=1)
    with pytest.raises(UsageError, match="no pairing"):
        make_plan(scenario, {"a": "uniform"}, games=1, seed=1, self_play=False)
    from escalab import limits
    with limits.raised(tournament_games=10), pytest.raises(UsageError, match="tournament-games"):
        make_plan(scenario, AGENTS, games=2, seed=1)


def test_tournament_cli_writes_and_resumes(invoke, tmp_path: Path) -> None:
    db, out = tmp_path / "t.sqlite", tmp_path / "out"
    args = ("tournament", "kahn-game-compact", "--agent", "eq=equilibrium", "--agent", "u=uniform", "--games", "2",
            "--seed", "4", "--db", str(db), "--out", str(out))
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    first = (out / "results.json").read_text()
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["pairing"] for r in rows] == ["eq v eq", "eq v u", "u v eq", "u v u"]
    assert (out / "summary.png").read_bytes()[:4] == b"\x89PNG"
    created = {g.game_id: g.created_at for g in SqliteStore(db).games()}
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert (out / "results.json").read_text() == first
    assert {g.game_id: g.created_at for g in SqliteStore(db).games()} == created
    r = invoke("tournament", "kahn-game-compact", "--agent", "eq", "--db", str(db))
    assert r.exit_code == 2 and "NAME=SPEC" in r.stderr
    r = invoke("tournament", "kahn-game-compact", "--agent", "eq=equilibrium", "--db", str(db),
               "--scheduler", "tcp://nowhere:99999")
    assert r.exit_code == 2 and "scheduler" in r.stderr


def test_dask_cluster_gives_the_same_table(scenario) -> None:
    from distributed import Client, LocalCluster

    plan = make_plan(scenario, {"eq": "equilibrium", "lg": "logit:0.5"}, games=2, seed=9)
    local = json.dumps(run_tournament(plan, MemoryStore()).to_dict(), sort_keys=True)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        store = MemoryStore()
        remote = json.dumps(run_tournament(plan, store, scheduler=client).to_dict(), sort_keys=True)
        assert len(store.games("finished")) == 8
        # Run again on the cluster: nothing is left to play, and the table is the same.
        again = json.dumps(run_tournament(plan, store, scheduler=cluster.scheduler_address).to_dict(),
                           sort_keys=True)
    assert remote == local == again


def test_a_scheduler_address_alone_plays_the_tournament(scenario) -> None:
    """The command line's case: an address and no Client of the caller's in the process."""
    from distributed import LocalCluster

    plan = make_plan(scenario, {"eq": "equilibrium", "lg": "logit:0.5"}, games=1, seed=9)
    local = json.dumps(run_tournament(plan, MemoryStore()).to_dict(), sort_keys=True)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        remote = json.dumps(run_tournament(plan, MemoryStore(), scheduler=cluster.scheduler_address).to_dict(),
                            sort_keys=True)
    assert remote == local


def test_interrupted_parallel_tournament_resumes(scenario, tmp_path: Path) -> None:
    plan = make_plan(scenario, {"eq": "equilibrium", "u": "uniform"}, games=4, seed=3)
    whole = json.dumps(run_tournament(plan, MemoryStore()).to_dict(), sort_keys=True)
    db = tmp_path / "t.sqlite"
    store = SqliteStore(db)

    def stop(done: int, total: int) -> None:
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_tournament(plan, store, db=str(db), workers=2, progress=stop)
    first = {g.game_id for g in store.games("finished")}
    assert 4 <= len(first) < 16            # queued games were dropped, not played before stopping
    resumed = json.dumps(run_tournament(plan, store, db=str(db), workers=2).to_dict(), sort_keys=True)
    assert resumed == whole
    store.close()


def test_language_model_agents_play_tournaments(scenario, tmp_path: Path) -> None:
    from fake_openai import FakeOpenAI, play_middle
    from llm_helpers import FAST

    with FakeOpenAI(default=play_middle) as fake:
        llm = f"llm:test-model@{fake.base_url},{FAST}"
        plan = make_plan(scenario, {"model": llm, "eq": "equilibrium"}, games=2, seed=1, self_play=False)
        store = MemoryStore()
        res = run_tournament(plan, store).to_dict()
    assert [r["games"] for r in res["pairings"]] == [2, 2]
    moves = [e.payload for g in store.games() for e in store.events(g.game_id, ("move",))
             if e.actor == ("state_a" if g.game_id.split("-")[1] == "0" else "state_b")]
    assert moves and all(m["source"] == "llm" for m in moves)
    assert len(fake.requests) >= len(moves)


def test_threads_play_language_model_games_at_once_within_the_endpoint_limit(scenario) -> None:
    from fake_openai import FakeOpenAI, Slow, play_middle
    from llm_helpers import FAST

    tables, peaks = [], []
    for threads in (1, 6):
        with FakeOpenAI(default=lambda req: Slow(0.1, play_middle(req))) as fake:
            llm = f"llm:test-model@{fake.base_url},{FAST},concurrency=3"
            plan = make_plan(scenario, {"model": llm, "eq": "equilibrium"}, games=4, seed=1, self_play=False)
            tables.append(run_tournament(plan, MemoryStore(), threads=threads).to_dict())
            peaks.append(fake.max_in_flight)
    assert peaks[0] == 1 and 1 < peaks[1] <= 3          # games at once, never above the endpoint's limit
    assert tables[0]["pairings"] == tables[1]["pairings"]
    with pytest.raises(UsageError, match="--threads plays games in threads of one process"):
        run_tournament(plan, MemoryStore(), workers=2, threads=2)
