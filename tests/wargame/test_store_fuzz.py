"""Fuzz: a stored game's log edited at random is read back, scored and exported, or refused with a
message (an EscalabError: exit 2) - never an internal error (issue 23)."""

from __future__ import annotations

import copy
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalab
from escalab.errors import EscalabError
from escalab.wargame.engine import new_game, read_game
from escalab.wargame.export import export_games
from escalab.wargame.scores import play_from_events, score_play
from escalab.wargame.store import EVENT_KINDS, MemoryStore

AGENTS = {"state_a": "logit:1", "state_b": "uniform"}


@lru_cache(maxsize=1)
def played() -> tuple[Any, list[tuple[int, str, str | None, dict[str, Any]]]]:
    store = MemoryStore()
    scenario = escalab.load("kahn-game-compact")
    shared: dict = {}
    log = next(g for g in (new_game(store, scenario, AGENTS, s, shared=shared) for s in range(100)) if g.state.turn >= 3)
    events = [(e.turn, e.kind, e.actor, e.payload) for e in store.events(log.game_id)]
    return store.game(log.game_id), events


values = st.recursive(st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=True) |
                      st.text(max_size=6) | st.sampled_from(["state_a", "state_b", "default", "strategic_war"]),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                                    max_size=3), max_leaves=6)


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[int, str, Any]]:
    n = len(played()[1])
    return draw(st.lists(st.tuples(st.integers(0, n - 1),
                                   st.sampled_from(["set", "drop", "nested", "actor", "kind", "turn", "delete"]),
                                   values), min_size=1, max_size=3))


def apply(events: list[tuple[int, str, str | None, dict[str, Any]]], changes: list[tuple[int, str, Any]]) -> list:
    out = [list(e) for e in copy.deepcopy(events)]
    for index, how, value in changes:
        if index >= len(out):
            continue
        turn, kind, actor, payload = out[index]
        keys = sorted(payload)
        key = keys[hash(repr(value)) % len(keys)] if keys else "x"
        if how == "set":
            payload[key] = value
        elif how == "drop":
            payload.pop(key, None)
        elif how == "nested" and isinstance(payload.get(key), dict) and payload[key]:
            inner = payload[key]
            inner[sorted(inner)[0]] = value
        elif how == "actor":
            out[index][2] = value if isinstance(value, str) or value is None else str(value)
        elif how == "kind":
            out[index][1] = EVENT_KINDS[hash(repr(value)) % len(EVENT_KINDS)]
        elif how == "turn":
            out[index][0] = value if isinstance(value, int) and not isinstance(value, bool) else turn + 1
        elif how == "delete":
            del out[index]
    return [tuple(e) for e in out]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_an_edited_log_is_read_or_refused_never_an_internal_error(changes) -> None:
    record, events = played()
    store = MemoryStore()
    store.create_game(record, apply(events, changes))
    try:
        log = read_game(store, record.game_id)
        play = play_from_events(record.game_id, store.events(record.game_id), log.game.rung_ids)
        score_play(play, log.game.ladder)
        with tempfile.TemporaryDirectory() as out:
            export_games(store, [record.game_id], Path(out) / "x")
    except EscalabError:
        pass


def test_a_store_file_damaged_at_random_is_refused_never_an_internal_error(tmp_path: Path) -> None:
    import random

    from escalab.wargame.store import SqliteStore, open_store
    scenario = escalab.load("kahn-game-compact")
    store = SqliteStore(tmp_path / "ok.sqlite")
    for s in range(3):
        new_game(store, scenario, AGENTS, s, game_id=f"g{s}")
    store.close()
    data = (tmp_path / "ok.sqlite").read_bytes()
    rng = random.Random(23)                     # seeded: the same damaged files every run
    damaged = tmp_path / "damaged.sqlite"
    for _ in range(150):
        d = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at, n = rng.randrange(100, len(d) - 64), rng.choice([1, 4, 16, 64])
            d[at:at + n] = bytes(rng.randrange(256) for _ in range(n))
        damaged.write_bytes(bytes(d))
        for side in tmp_path.glob("damaged.sqlite-*"):
            side.unlink()
        try:
            opened = open_store(damaged, read_only=True)
            try:
                for g in opened.games():
                    log = read_game(opened, g.game_id)
                    score_play(play_from_events(g.game_id, opened.events(g.game_id), log.game.rung_ids),
                               log.game.ladder)
                    export_games(opened, [g.game_id], tmp_path / "out")
            finally:
                opened.close()
        except EscalabError:
            pass
