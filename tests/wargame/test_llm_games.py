"""Whole games with language-model players over real HTTP: a flaky endpoint never crashes a game.

The stand-in server answers in turn with valid moves, broken JSON, illegal rungs, 500s, 429s with
Retry-After, replies slower than the timeout and dropped connections. Games run concurrently in
threads against one endpoint with a concurrency limit, into one SQLite store.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from fake_openai import Drop, FakeOpenAI, Reply, Slow, Status, play_middle
from llm_helpers import FAST, game

from escalab.wargame.engine import new_game, rerun
from escalab.wargame.store import SqliteStore

KEY = "sk-live-do-not-log-7f3a9c"


def chaos(down_for: str | None = None) -> Any:
    """A responder cycling through every way an endpoint goes wrong, with valid replies in between.

    With ``down_for``, every request of that actor on turn 1 gets a 500 (a fallback in every game).
    """
    steps = itertools.cycle([
        Reply("Let me think... we escalate."),                       # no JSON at all
        Reply({"signal": None, "action": "total_victory"}),          # not a rung
        Status(500),
        play_middle,
        Status(429, retry_after="0.05"),
        Slow(0.5),                                                   # beyond the 0.2 s timeout
        Drop(),
        Reply({"signal": "nope", "action": "return_to_start_line"}),  # illegal signal
        play_middle,
    ])
    lock = threading.Lock()

    def step(request: dict[str, Any]) -> Any:
        user = request["messages"][1]["content"]
        if down_for is not None and user.startswith(f"Turn 1 of at most 6. You play {down_for} "):
            return Status(500, "overloaded")
        with lock:
            return next(steps)
    return step


def llm(base_url: str, extra: str = "") -> str:
    return f"llm:chaos-model@{base_url},{FAST},timeout=0.2,retries=2,concurrency=2,key_env=ESCALAB_GAME_KEY{extra}"


def test_concurrent_games_against_a_flaky_endpoint_all_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALAB_GAME_KEY", KEY)
    db = tmp_path / "games.sqlite"
    store = SqliteStore(db)
    scenario = game().scenario
    errors: list[BaseException] = []
    ids: list[str] = []
    with FakeOpenAI(default=chaos(down_for="state_b")) as fake:
        a, b = scenario.spec.ladder_crisis.actors

        def one(seed: int) -> None:
            try:
                log = new_game(store, scenario, {a: llm(fake.base_url), b: llm(fake.base_url, ",fallback=uniform")},
                               seed, shared={})
                ids.append(log.game_id)
            except BaseException as exc:          # noqa: BLE001 - collected: a crashed game fails the test
                errors.append(exc)
        threads = [threading.Thread(target=one, args=(seed,)) for seed in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []                                     # zero crashed games
    assert len(ids) == 4
    fallbacks = calls = 0
    for gid in ids:
        events = store.events(gid)
        kinds = [e.kind for e in events]
        assert kinds[-1] == "game_end"
        moves = [e for e in events if e.kind == "move"]
        fell = [e for e in events if e.kind == "fallback"]
        # every fallback is logged with its reason, and only fallen-back moves say so
        assert len(fell) == sum(m.payload["source"].startswith("fallback:") for m in moves)
        for f in fell:                                      # each side's declared fallback, with the reason
            assert f.payload["policy"] == {a: "equilibrium", b: "uniform"}[f.actor]
            assert f.payload["reason"].startswith(("invalid reply after 3 ask(s): ", "endpoint failed after "))
        first_b = next(f for f in fell if f.actor == b)
        assert (first_b.turn, first_b.payload["reason"]) == (1, "endpoint failed after 3 attempt(s): HTTP 500: "
                                                                "overloaded")
        for m in moves:
            assert m.payload["source"] in ("llm", "fallback:equilibrium", "fallback:uniform")
        agent_calls = [e for e in events if e.kind == "agent_call"]
        for c in agent_calls:
            if c.payload["status"] == 200 and c.payload["reply"] and "choices" in c.payload["reply"]:
                assert c.payload["tokens"] == {"prompt": 100, "completion": 20}
            assert set(c.payload) >= {"request", "reply", "tokens", "latency_s", "attempt", "error"}
        fallbacks += len(fell)
        calls += len(agent_calls)
    assert calls == len(fake.chat_requests)                 # every request the server saw is in a log
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert KEY.encode() not in raw                          # the key is in no event, no table, no WAL


def test_concurrent_games_share_the_endpoint_limit() -> None:
    # (not with the chaos server: a request the client abandoned at its timeout still looks in flight there)
    scenario = game().scenario
    a, b = scenario.spec.ladder_crisis.actors
    from escalab.wargame.store import MemoryStore
    store = MemoryStore()
    with FakeOpenAI(default=Slow(0.03, play_middle)) as fake:
        threads = [threading.Thread(target=new_game, args=(store, scenario, {a: llm(fake.base_url),
                                                                             b: llm(fake.base_url)}, seed))
                   for seed in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(store.games()) == 4 and all(g.status == "finished" for g in store.games())
    assert fake.max_in_flight == 2                          # 8 players at once, never more than 2 requests


def test_replay_with_stored_replies_reproduces_the_game_without_the_endpoint(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "games.sqlite")
    scenario = game().scenario
    a, b = scenario.spec.ladder_crisis.actors
    with FakeOpenAI(default=chaos()) as fake:
        log = new_game(store, scenario, {a: llm(fake.base_url), b: "logit:1"}, 11)
        live_requests = len(fake.chat_requests)
    assert live_requests > 0 and log.ended
    with FakeOpenAI(default=Status(500)) as untouched:
        # the stored game names the first server's URL, which is closed now: any request would fail
        result = rerun(store, log.game_id)
        assert untouched.chat_requests == []
    assert result.identical, result.difference
    assert result.turns == len(log.turns)
    # the stored calls include failed attempts and fallbacks: the replay went through all of them
    events = store.events(log.game_id)
    errors = {e.payload["error"].split(":")[0] for e in events if e.kind == "agent_call" and e.payload["error"]}
    assert {"invalid reply", "HTTP 500", "HTTP 429", "timeout", "connection"} <= errors
    assert any(e.kind == "fallback" for e in events)


def test_a_tampered_reply_is_detected_on_replay(tmp_path: Path) -> None:
    from escalab.wargame.store import MemoryStore
    store = MemoryStore()
    scenario = game().scenario
    a, b = scenario.spec.ladder_crisis.actors
    with FakeOpenAI() as fake:
        log = new_game(store, scenario, {a: llm(fake.base_url), b: "equilibrium"}, 3)
    events = store.events(log.game_id)
    first = next(e for e in events if e.kind == "agent_call")
    body = json.loads(first.payload["reply"])
    body["choices"][0]["message"]["content"] = json.dumps({"signal": None, "action": "complete_surrender"})
    first.payload["reply"] = json.dumps(body)          # the MemoryStore hands out its own payload dicts
    result = rerun(store, log.game_id)
    assert not result.identical and "turn 1" in result.difference


def test_pause_after_stops_a_game_whose_endpoint_is_down_and_resume_finishes_it() -> None:
    from escalab.wargame.engine import play
    from escalab.wargame.protocol import AgentQuit
    from escalab.wargame.store import MemoryStore
    store = MemoryStore()
    scenario = game().scenario
    a, b = scenario.spec.ladder_crisis.actors
    with FakeOpenAI(default=Status(503, "maintenance")) as fake:
        with pytest.raises(AgentQuit, match=r"failed on 2 turn\(s\) in a row \(endpoint failed after 3 attempt"):
            new_game(store, scenario, {a: llm(fake.base_url, ",pause_after=2"), b: "equilibrium"}, 8)
        (rec,) = store.games()
        kinds = [(e.turn, e.kind, e.actor) for e in store.events(rec.game_id)]
        assert (1, "fallback", a) in kinds and (2, "fallback", a) not in kinds      # turn 2 was never acknowledged
        assert not any(k == "move" and t == 2 for t, k, _ in kinds)
        fake.default = play_middle                                                 # the endpoint is back
        log = play(store, rec.game_id)
    assert log.ended and log.turns[1].moves[0].source == "llm"
    result = rerun(store, rec.game_id)                  # the replay falls back on turn 1 again, never pauses
    assert result.identical, result.difference


def test_a_replay_whose_prompts_changed_is_reported_at_its_turn() -> None:
    from escalab.wargame.store import MemoryStore
    store = MemoryStore()
    scenario = game().scenario
    a, b = scenario.spec.ladder_crisis.actors
    with FakeOpenAI(default=play_middle) as fake:
        log = new_game(store, scenario, {a: llm(fake.base_url), b: "equilibrium"}, 3)
    calls = [e for e in store.events(log.game_id) if e.kind == "agent_call"]
    calls[-1].payload["request"]["messages"][1]["content"] += " (edited)"
    result = rerun(store, log.game_id)
    assert not result.identical
    assert f"turn {calls[-1].turn}: call {len(calls)} of the replay sends other messages" in result.difference
