"""The event store: every game as an append-only log of events.

A game is its log. The engine appends each event and the store commits it before the engine goes
on, so a process killed at any moment (``kill -9``) loses nothing it had acknowledged; resuming
replays the log. Scores, exports and replays read the log only, never the engine's memory.

Two implementations share one interface: :class:`SqliteStore` (one SQLite file in WAL mode, safe
for several processes - a tournament's workers - writing different games at once) and
:class:`MemoryStore` (the same in a dict, for tests and to measure what durability costs).

WAL with ``synchronous=NORMAL`` makes every committed event survive a crash of the process (the
kill -9 case); only a power cut may lose the last transactions. ``durable=True`` uses
``synchronous=FULL`` for that too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ..errors import UsageError
from ..scenario.source import special_kind

DEFAULT_DB = "escalab-games.sqlite"
ENV_DB = "ESCALAB_DB"

EVENT_KINDS = ("game_created", "type_draw", "turn_start", "view_sent", "agent_call", "fallback", "move",
               "accident", "observation", "turn_end", "game_end", "score")

SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    game_id TEXT PRIMARY KEY, scenario TEXT NOT NULL, scenario_json TEXT NOT NULL, seed INTEGER NOT NULL,
    agents_json TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL,
    parent_game TEXT, parent_turn INTEGER);
CREATE TABLE IF NOT EXISTS events (
    game_id TEXT NOT NULL, seq INTEGER NOT NULL, turn INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT,
    payload TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (game_id, seq));
"""


@dataclass(frozen=True)
class GameRecord:
    """One row of ``games``: what a game is (its events say what happened)."""

    game_id: str
    scenario: str                       # scenario id
    scenario_json: str                  # the scenario as loaded (with overrides), so a game replays without files
    seed: int
    agents: dict[str, str]              # actor -> agent spec
    created_at: str = ""
    status: str = "running"             # running (or stopped, resumable) | finished
    parent_game: str | None = None
    parent_turn: int | None = None


@dataclass(frozen=True)
class Event:
    game_id: str
    seq: int
    turn: int
    kind: str
    actor: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    at: str = ""


EventItem = tuple[int, str, "str | None", dict[str, Any]]   # (turn, kind, actor, payload) of an event to append


def _check_kinds(items: list[EventItem]) -> None:
    bad = [kind for _, kind, _, _ in items if kind not in EVENT_KINDS]
    if bad:                             # a typo here would silently drop events from every reader
        raise ValueError(f"unknown event kind '{bad[0]}' (kinds: {', '.join(EVENT_KINDS)})")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_game_id() -> str:
    """A fresh id: a label, not a result, so it is not drawn from the game's seed."""
    return uuid.uuid4().hex[:12]


class EventStore(Protocol):
    """What the engine writes and everything else reads."""

    def create_game(self, record: GameRecord, items: list[EventItem] | None = None) -> GameRecord: ...
    def append(self, game_id: str, turn: int, kind: str, actor: str | None, payload: dict[str, Any]) -> Event: ...
    def append_many(self, game_id: str, items: list[EventItem]) -> list[Event]: ...
    def set_status(self, game_id: str, status: str) -> None: ...
    def game(self, game_id: str) -> GameRecord: ...
    def games(self, status: str | None = None) -> list[GameRecord]: ...
    def events(self, game_id: str, kinds: tuple[str, ...] | None = None) -> list[Event]: ...
    def close(self) -> None: ...


def _unknown(game_id: str, known: list[str]) -> UsageError:
    hint = f" (stored games: {', '.join(known[:8])}{' ...' if len(known) > 8 else ''})" if known else \
        " (the store holds no games)"
    return UsageError(f"unknown game '{game_id}'{hint}")


class MemoryStore:
    """The event store in memory: same interface, no durability."""

    def __init__(self) -> None:
        self._games: dict[str, GameRecord] = {}
        self._events: dict[str, list[Event]] = {}

    def create_game(self, record: GameRecord, items: list[EventItem] | None = None) -> GameRecord:
        if record.game_id in self._games:
            raise UsageError(f"game '{record.game_id}' already exists")
        record = replace(record, created_at=record.created_at or now())
        self._games[record.game_id] = record
        self._events[record.game_id] = []
        self.append_many(record.game_id, items or [])
        return record

    def append(self, game_id: str, turn: int, kind: str, actor: str | None, payload: dict[str, Any]) -> Event:
        return self.append_many(game_id, [(turn, kind, actor, payload)])[0]

    def append_many(self, game_id: str, items: list[EventItem]) -> list[Event]:
        _check_kinds(items)
        log = self._events[game_id]
        at = now()
        # a JSON round trip, as in SQLite, so both stores hand back the same plain data
        out = [Event(game_id, len(log) + k, turn, kind, actor, json.loads(json.dumps(payload)), at)
               for k, (turn, kind, actor, payload) in enumerate(items)]
        log.extend(out)
        return out

    def set_status(self, game_id: str, status: str) -> None:
        self._games[game_id] = replace(self.game(game_id), status=status)

    def game(self, game_id: str) -> GameRecord:
        if game_id not in self._games:
            raise _unknown(game_id, list(self._games))
        return self._games[game_id]

    def games(self, status: str | None = None) -> list[GameRecord]:
        return [g for g in self._games.values() if status is None or g.status == status]

    def events(self, game_id: str, kinds: tuple[str, ...] | None = None) -> list[Event]:
        self.game(game_id)
        return [e for e in self._events[game_id] if kinds is None or e.kind in kinds]

    def close(self) -> None:
        pass


class SqliteStore:
    """The event store in one SQLite file (WAL). Every append is its own committed transaction."""

    def __init__(self, path: str | os.PathLike[str], durable: bool = False, timeout: float = 60.0):
        self.path = Path(path)
        _check_regular(self.path)
        try:
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"cannot use '{path}' as a game store: {exc}") from None
        self._lock = threading.Lock()          # one connection shared by threads (concurrent LLM games)
        self._next: dict[str, int] = {}

    def create_game(self, record: GameRecord, items: list[EventItem] | None = None) -> GameRecord:
        """Insert the game and its first events in one transaction (no half-created game)."""
        record = replace(record, created_at=record.created_at or now())
        row = (record.game_id, record.scenario, record.scenario_json, record.seed, json.dumps(record.agents),
               record.created_at, record.status, record.parent_game, record.parent_turn)
        with self._lock:
            try:
                self._write(record.game_id, items or [], "INSERT INTO games VALUES (?,?,?,?,?,?,?,?,?)", row)
            except sqlite3.IntegrityError:
                raise UsageError(f"game '{record.game_id}' already exists in {self.path.name}") from None
        return record

    def append(self, game_id: str, turn: int, kind: str, actor: str | None, payload: dict[str, Any]) -> Event:
        return self.append_many(game_id, [(turn, kind, actor, payload)])[0]

    def append_many(self, game_id: str, items: list[EventItem]) -> list[Event]:
        """Append events in one transaction: all of them are stored, or none."""
        with self._lock:
            return self._write(game_id, items)

    def _write(self, game_id: str, items: list[EventItem], sql: str | None = None,
               row: tuple[Any, ...] | None = None) -> list[Event]:
        _check_kinds(items)
        texts = [json.dumps(payload, separators=(",", ":")) for _, _, _, payload in items]
        at = now()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if sql is not None:
                self._db.execute(sql, row)
            seq = self._next.get(game_id)
            if seq is None:
                (last,) = self._db.execute("SELECT MAX(seq) FROM events WHERE game_id=?", (game_id,)).fetchone()
                seq = 0 if last is None else int(last) + 1
            rows = [(game_id, seq + k, turn, kind, actor, text, at)
                    for k, ((turn, kind, actor, _), text) in enumerate(zip(items, texts))]
            self._db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._next[game_id] = seq + len(rows)
        return [Event(g, s, t, k, a, json.loads(p), at) for g, s, t, k, a, p, at in rows]

    def set_status(self, game_id: str, status: str) -> None:
        with self._lock:
            self._db.execute("UPDATE games SET status=? WHERE game_id=?", (status, game_id))

    def _record(self, row: tuple[Any, ...]) -> GameRecord:
        gid, scen, sj, seed, agents, created, status, pg, pt = row
        return GameRecord(gid, scen, sj, int(seed), json.loads(agents), created, status, pg, pt)

    def game(self, game_id: str) -> GameRecord:
        with self._lock:
            row = self._db.execute("SELECT * FROM games WHERE game_id=?", (game_id,)).fetchone()
        if row is None:
            raise _unknown(game_id, [g.game_id for g in self.games()])
        return self._record(row)

    def games(self, status: str | None = None) -> list[GameRecord]:
        with self._lock:
            if status is None:
                rows = self._db.execute("SELECT * FROM games ORDER BY created_at, game_id").fetchall()
            else:
                rows = self._db.execute("SELECT * FROM games WHERE status=? ORDER BY created_at, game_id",
                                        (status,)).fetchall()
        return [self._record(r) for r in rows]

    def events(self, game_id: str, kinds: tuple[str, ...] | None = None) -> list[Event]:
        self.game(game_id)
        with self._lock:
            rows = self._db.execute("SELECT game_id, seq, turn, kind, actor, payload, at FROM events "
                                    "WHERE game_id=? ORDER BY seq", (game_id,)).fetchall()
        out = [Event(g, s, t, k, a, json.loads(p), at) for g, s, t, k, a, p, at in rows]
        return out if kinds is None else [e for e in out if e.kind in kinds]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _check_regular(path: Path) -> None:
    """A store is a regular file: SQLite given a FIFO or a device fails only after writing a journal
    next to it (``/dev/zero-journal``), so anything else is refused before it is opened."""
    try:
        kind = special_kind(path.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot use '{path}' as a game store: {exc.strerror}") from None
    if kind is not None:
        raise UsageError(f"cannot use '{path}' as a game store: it is {kind}; expected a SQLite file")


def default_db_path() -> Path:
    """``$ESCALAB_DB`` if set, else ``escalab-games.sqlite`` in the current folder."""
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def open_store(path: str | os.PathLike[str] | None = None, must_exist: bool = False) -> SqliteStore:
    """The SQLite store at ``path`` (default: :func:`default_db_path`)."""
    p = Path(path) if path is not None else default_db_path()
    if must_exist and not p.exists():
        raise UsageError(f"no game store at '{p}' (play a game first, or pass --db / set {ENV_DB})")
    if p.exists() and p.is_dir():
        raise UsageError(f"--db '{p}' is a folder; expected a SQLite file")
    return SqliteStore(p)
