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

A store file may come from someone else, so everything read from it is checked (a damaged page or
a hand-edited row is a :class:`StoreDamaged` naming the game and the event, never an internal
error), commands that only read open it read-only, and a file without escalab's tables is refused
rather than written to. A game being played is *claimed* (a row in ``leases`` naming the process),
so a second process asked to play it is told so instead of appending the same moves again; a claim
whose process is gone marks a game that was interrupted. Each event carries a hash chained over the
game's events before it (``chain``), so an event edited, inserted or removed by hand reads as "the
log was changed" (a chain is a check against edits, not a signature: whoever edits can rehash).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
import urllib.parse
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
               "accident", "observation", "turn_end", "game_end", "score", "pause")
STATUSES = ("running", "paused", "finished")          # as stored; 'interrupted' is read from a stale claim

SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    game_id TEXT PRIMARY KEY, scenario TEXT NOT NULL, scenario_json TEXT NOT NULL, seed INTEGER NOT NULL,
    agents_json TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL,
    parent_game TEXT, parent_turn INTEGER);
CREATE TABLE IF NOT EXISTS events (
    game_id TEXT NOT NULL, seq INTEGER NOT NULL, turn INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT,
    payload TEXT NOT NULL, at TEXT NOT NULL, chain TEXT, PRIMARY KEY (game_id, seq));
CREATE TABLE IF NOT EXISTS leases (
    game_id TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
    started TEXT NOT NULL, at TEXT NOT NULL);
"""
TABLES = ("games", "events")           # what makes a SQLite file an escalab store
DB_ERRORS = (sqlite3.Error, UnicodeDecodeError)     # a damaged page may also hold text that is not UTF-8


@dataclass(frozen=True)
class GameRecord:
    """One row of ``games``: what a game is (its events say what happened)."""

    game_id: str
    scenario: str                       # scenario id
    scenario_json: str                  # the scenario as loaded (with overrides), so a game replays without files
    seed: int
    agents: dict[str, str]              # actor -> agent spec
    created_at: str = ""
    status: str = "running"             # running (or killed: see Lease) | paused (resumable) | finished
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


class StoreDamaged(UsageError):
    """A store file that cannot be read as escalab wrote it (damaged, edited, or not a store at all)."""


class GameTaken(UsageError):
    """Another live process is playing this game."""


@dataclass(frozen=True)
class Lease:
    """Who is playing a game: a process (id, host, start time) and a token of its claim."""

    holder: str
    pid: int
    host: str
    started: str                        # the process's start time (tells a reused pid apart)
    at: str = ""

    def alive(self) -> bool | None:
        """Whether the claiming process still runs: None when it ran on another host (cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:         # someone else's process: it exists
            pass
        return process_started(self.pid) == self.started


def process_started(pid: int) -> str:
    """The start time of process ``pid`` (Linux: clock ticks after boot, from /proc), or '' elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def _new_lease() -> Lease:
    pid = os.getpid()
    return Lease(uuid.uuid4().hex, pid, socket.gethostname(), process_started(pid), now())


def _taken(game_id: str, lease: Lease) -> GameTaken:
    where = "this machine" if lease.host == socket.gethostname() else f"host '{lease.host}'"
    return GameTaken(f"game '{game_id}' is being played by process {lease.pid} on {where} (since {lease.at}); "
                     "wait for it to stop, or, if that process is gone, continue the game with "
                     f"'escalab resume {game_id} --take-over'")


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
    def claim(self, game_id: str, take_over: bool = False) -> str: ...
    def release(self, game_id: str, holder: str) -> None: ...
    def lease(self, game_id: str) -> Lease | None: ...
    def game(self, game_id: str) -> GameRecord: ...
    def games(self, status: str | None = None) -> list[GameRecord]: ...
    def events(self, game_id: str, kinds: tuple[str, ...] | None = None, check: bool = True) -> list[Event]: ...
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
        self._leases: dict[str, Lease] = {}
        self._claims = threading.Lock()

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

    def claim(self, game_id: str, take_over: bool = False) -> str:
        self.game(game_id)
        with self._claims:
            held = self._leases.get(game_id)
            if held is not None and not take_over:
                raise _taken(game_id, held)
            lease = _new_lease()
            self._leases[game_id] = lease
            return lease.holder

    def release(self, game_id: str, holder: str) -> None:
        with self._claims:
            if game_id in self._leases and self._leases[game_id].holder == holder:
                del self._leases[game_id]

    def lease(self, game_id: str) -> Lease | None:
        return self._leases.get(game_id)

    def game(self, game_id: str) -> GameRecord:
        if game_id not in self._games:
            raise _unknown(game_id, list(self._games))
        return self._games[game_id]

    def games(self, status: str | None = None) -> list[GameRecord]:
        return [g for g in self._games.values() if status is None or g.status == status]

    def events(self, game_id: str, kinds: tuple[str, ...] | None = None, check: bool = True) -> list[Event]:
        self.game(game_id)
        return [e for e in self._events[game_id] if kinds is None or e.kind in kinds]

    def close(self) -> None:
        pass


class SqliteStore:
    """The event store in one SQLite file (WAL). Every append is its own committed transaction.

    ``read_only`` opens the file as SQLite's read-only mode (``mode=ro``): nothing is created or
    written, and a file without escalab's tables is refused (commands that only read use it).
    """

    def __init__(self, path: str | os.PathLike[str], durable: bool = False, timeout: float = 60.0,
                 read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        name = self.path.name
        _check_regular(self.path)
        try:
            if read_only:
                uri = "file:" + urllib.parse.quote(os.fspath(self.path.resolve())) + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                                           check_same_thread=False)
                self._check_tables(must_have=True)
            else:
                self._check_writable()
                self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                           check_same_thread=False)
                self._check_tables(must_have=False)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._db.executescript(SCHEMA)
                if "chain" not in self._columns("events"):     # a store from before the chain: chained from now on
                    self._db.execute("ALTER TABLE events ADD COLUMN chain TEXT")
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise StoreDamaged(f"cannot use '{name}' as a game store: {_reason(exc)}") from None
        self._lock = threading.Lock()          # one connection shared by threads (concurrent LLM games)
        self._next: dict[str, tuple[int, str]] = {}        # game -> (next seq, chain of the last event)
        self._chained = self._has_chain()

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}

    def _has_chain(self) -> bool:
        try:
            return "chain" in self._columns("events")
        except sqlite3.DatabaseError as exc:
            raise StoreDamaged(f"cannot use '{self.path.name}' as a game store: {_reason(exc)}") from None

    def _check_writable(self) -> None:
        p = self.path
        folder = p.parent if str(p.parent) else Path(".")
        if p.exists() and not os.access(p, os.W_OK):
            raise UsageError(f"the game store '{p.name}' is read-only: commands that play (play, resume, fork, "
                             "tournament) write to it; make it writable or pass another --db")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"the folder of the game store '{p.name}' is not writable (SQLite keeps its journal "
                             "beside the file); pass a --db in a folder you can write to")

    def _check_tables(self, must_have: bool) -> None:
        names = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if (names or must_have) and not set(TABLES) <= names:
            self._db.close()
            raise StoreDamaged(f"'{self.path.name}' is not an escalab store (it has no games and events tables"
                               f"{': it holds ' + ', '.join(sorted(names)[:5]) if names else ''}); "
                               "pass the --db of a store escalab made")

    def _fail(self, exc: Exception, game_id: str | None = None) -> UsageError:
        where = f"game '{game_id}' in " if game_id else ""
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).replace("-", ""):
            return UsageError(f"cannot write {where}the game store '{self.path.name}': it is read-only")
        return StoreDamaged(f"cannot read {where}the game store '{self.path.name}': {_reason(exc)}")

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
            except DB_ERRORS as exc:
                raise self._fail(exc, record.game_id) from None
        return record

    def append(self, game_id: str, turn: int, kind: str, actor: str | None, payload: dict[str, Any]) -> Event:
        return self.append_many(game_id, [(turn, kind, actor, payload)])[0]

    def append_many(self, game_id: str, items: list[EventItem]) -> list[Event]:
        """Append events in one transaction: all of them are stored, or none."""
        with self._lock:
            try:
                return self._write(game_id, items)
            except sqlite3.IntegrityError:
                self._next.pop(game_id, None)
                raise UsageError(f"game '{game_id}': another process appended to it at the same time; nothing "
                                 "of this batch was stored") from None
            except DB_ERRORS as exc:
                raise self._fail(exc, game_id) from None

    def _write(self, game_id: str, items: list[EventItem], sql: str | None = None,
               row: tuple[Any, ...] | None = None) -> list[Event]:
        _check_kinds(items)
        texts = [json.dumps(payload, separators=(",", ":")) for _, _, _, payload in items]
        at = now()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if sql is not None:
                self._db.execute(sql, row)
            known = self._next.get(game_id)
            if known is None:
                last = self._db.execute("SELECT seq, chain FROM events WHERE game_id=? ORDER BY seq DESC LIMIT 1",
                                        (game_id,)).fetchone()
                known = (0, "") if last is None else (int(last[0]) + 1, last[1] or "")
            seq, chain = known
            rows, chains = [], []
            for k, ((turn, kind, actor, _), text) in enumerate(zip(items, texts)):
                row = (game_id, seq + k, turn, kind, actor, text, at)
                chain = link(chain, row)
                rows.append(row)
                chains.append(row + (chain,))
            self._db.executemany("INSERT INTO events (game_id, seq, turn, kind, actor, payload, at, chain) "
                                 "VALUES (?,?,?,?,?,?,?,?)", chains)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._next[game_id] = (seq + len(rows), chain)
        return [Event(g, s, t, k, a, json.loads(p), at) for g, s, t, k, a, p, at in rows]

    def _sql(self, game_id: str | None, sql: str, args: tuple[Any, ...] = (), fetch: str | None = None) -> Any:
        """One statement under the lock, its rows fetched (``fetch``: "one" or "all") inside the same
        guard, so a damaged page or a read-only file becomes the store's message naming the game."""
        with self._lock:
            try:
                cur = self._db.execute(sql, args)
                return cur.fetchone() if fetch == "one" else cur.fetchall() if fetch == "all" else None
            except DB_ERRORS as exc:
                raise self._fail(exc, game_id) from None

    def set_status(self, game_id: str, status: str) -> None:
        self._sql(game_id, "UPDATE games SET status=? WHERE game_id=?", (status, game_id))

    def claim(self, game_id: str, take_over: bool = False) -> str:
        """Claim the game for this process, in one transaction; a live claim of another process refuses.
        (An unknown game is refused by whatever reads it next; the claim is released then.)"""
        lease = _new_lease()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    held = self._lease_row(game_id)
                    if held is not None and not take_over and held.alive() is not False:
                        raise _taken(game_id, held)
                    self._db.execute("INSERT OR REPLACE INTO leases VALUES (?,?,?,?,?,?)",
                                     (game_id, lease.holder, lease.pid, lease.host, lease.started, lease.at))
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except DB_ERRORS as exc:
                raise self._fail(exc, game_id) from None
        self._next.pop(game_id, None)          # another process may have appended since this one last did
        return lease.holder

    def release(self, game_id: str, holder: str) -> None:
        self._sql(game_id, "DELETE FROM leases WHERE game_id=? AND holder=?", (game_id, holder))

    def _lease_row(self, game_id: str) -> Lease | None:
        try:
            row = self._db.execute("SELECT holder, pid, host, started, at FROM leases WHERE game_id=?",
                                   (game_id,)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):     # a store from before claims existed
                return None
            raise
        return None if row is None else Lease(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]))

    def lease(self, game_id: str) -> Lease | None:
        with self._lock:
            try:
                return self._lease_row(game_id)
            except (sqlite3.Error, ValueError, TypeError) as exc:     # UnicodeDecodeError is a ValueError
                raise StoreDamaged(f"game '{game_id}': its claim in '{self.path.name}' is damaged ({exc})") from None

    def _record(self, row: tuple[Any, ...]) -> GameRecord:
        gid, scen, sj, seed, agents, created, status, pg, pt = row
        try:
            specs = json.loads(agents)
            if not isinstance(specs, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in specs.items()):
                raise ValueError("the agents are not a table of actor to spec")
            if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
                raise ValueError(f"the seed {seed!r} is not a whole number >= 0")
            if not isinstance(scen, str) or not isinstance(sj, str) or status not in STATUSES:
                raise ValueError(f"the scenario or the status ({status!r}) is not one escalab writes")
            return GameRecord(str(gid), scen, sj, seed, specs, str(created), status, pg,
                              None if pt is None else int(pt))
        except (ValueError, TypeError) as exc:
            raise StoreDamaged(f"game '{gid}' in '{self.path.name}': its record is damaged or was edited "
                               f"({exc})") from None

    def game(self, game_id: str) -> GameRecord:
        row = self._sql(game_id, "SELECT * FROM games WHERE game_id=?", (game_id,), "one")
        if row is None:
            raise _unknown(game_id, [g.game_id for g in self.games()])
        return self._record(row)

    def games(self, status: str | None = None) -> list[GameRecord]:
        if status is None:
            rows = self._sql(None, "SELECT * FROM games ORDER BY created_at, game_id", fetch="all")
        else:
            rows = self._sql(None, "SELECT * FROM games WHERE status=? ORDER BY created_at, game_id", (status,), "all")
        return [self._record(r) for r in rows]

    def events(self, game_id: str, kinds: tuple[str, ...] | None = None, check: bool = True) -> list[Event]:
        """The game's events in order; ``check`` (the default) verifies their hash chain first."""
        self.game(game_id)
        rows = self._sql(game_id, "SELECT game_id, seq, turn, kind, actor, payload, at, "
                                  f"{'chain' if self._chained else 'NULL'} FROM events WHERE game_id=? ORDER BY seq",
                         (game_id,), "all")
        if check:
            check_chain(self.path.name, rows)
        out = [_event(self.path.name, *r[:7]) for r in rows]
        return out if kinds is None else [e for e in out if e.kind in kinds]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def link(prev: str, row: tuple[Any, ...]) -> str:
    """The chain value of one stored event row (game, seq, turn, kind, actor, payload text, time):
    each field length-prefixed (None apart from ''), so no two rows hash the same text."""
    text = "".join("-;" if x is None else f"{len(str(x))}:{x};" for x in row)
    return hashlib.sha256((prev + text).encode()).hexdigest()


def check_chain(where: str, rows: list[tuple[Any, ...]]) -> None:
    """Every chained event must follow from the ones before it; once a game's events are chained,
    all later ones are (events stored before chains existed have none)."""
    prev: str | None = None
    for row in rows:
        stored = row[7]
        if stored is None:
            if prev is not None:
                raise StoreDamaged(f"game '{row[0]}', event {row[1]} ({row[3]}) in '{where}': its hash is missing; "
                                   "the log was changed")
            continue
        want = link(prev or "", row[:7])
        if stored != want:
            raise StoreDamaged(f"game '{row[0]}', event {row[1]} ({row[3]}) in '{where}': it does not follow from the "
                               "events before it (an event was edited, inserted or removed); the log was changed")
        prev = stored


def _event(where: str, g: Any, s: Any, t: Any, k: Any, a: Any, p: Any, at: Any) -> Event:
    """One stored row as an event, or :class:`StoreDamaged` saying what about it is not escalab's."""
    what = f"game '{g}', event {s} ({k})"
    try:
        payload = json.loads(p)
    except (TypeError, ValueError, RecursionError) as exc:      # RecursionError: a payload nested too deeply
        raise StoreDamaged(f"{what} in '{where}': the payload is not valid JSON ({exc}); the store was damaged "
                           "or edited") from None
    if not isinstance(payload, dict):
        raise StoreDamaged(f"{what} in '{where}': the payload is not a JSON object; the store was edited")
    if k not in EVENT_KINDS or not isinstance(s, int) or not isinstance(t, int) \
            or not (a is None or isinstance(a, str)):
        raise StoreDamaged(f"{what} in '{where}': not an event escalab writes (kind, number, turn or actor); "
                           "the store was edited")
    return Event(g, s, t, k, a, payload, at)


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError) or "decode to UTF-8" in str(exc):
        return "it holds text that is not UTF-8 (the file is damaged or was edited)"
    text = str(exc)
    if "malformed" in text or "not a database" in text:
        return f"{text} (the file is damaged or not a SQLite database)"
    return text


def held_elsewhere(store: EventStore, game_id: str) -> None:
    """Raise :class:`GameTaken` when another live process has claimed the game (a check before
    starting; :meth:`EventStore.claim` is what decides, in a transaction)."""
    lease = store.lease(game_id)
    if lease is not None and lease.pid != os.getpid() and lease.alive() is not False:
        raise _taken(game_id, lease)


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


def open_store(path: str | os.PathLike[str] | None = None, must_exist: bool = False,
               read_only: bool = False) -> SqliteStore:
    """The SQLite store at ``path`` (default: :func:`default_db_path`); ``read_only`` for commands that
    only read (the file must exist then, and is never written)."""
    p = Path(path) if path is not None else default_db_path()
    if (must_exist or read_only) and not p.exists():
        raise UsageError(f"no game store at '{p}' (play a game first, or pass --db / set {ENV_DB})")
    if p.exists() and p.is_dir():
        raise UsageError(f"--db '{p}' is a folder; expected a SQLite file")
    _check_regular(p)                   # a FIFO or device: said what it is, before SQLite opens it
    return SqliteStore(p, read_only=read_only)
