"""Stored games as plain files: the JSONL transcript, CSV tables and the full event log.

``transcript.jsonl`` is the plain format :mod:`escalab.wargame.transcript` reads (one line per
side per turn, rungs as ids), so an exported game scores the same with ``escalab score`` as from
the store. ``turns.csv`` adds what a spreadsheet user wants beside it (the rung the opponent saw,
the source of each move, the balance); ``games.csv`` has one row per game; ``events.jsonl`` is
every stored event, for archives and other tools. The files are published together or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from typing import Any

from ..atomic import output_set
from ..cells import spreadsheet_row
from .scenario_record import restore_scenario
from .store import Event, EventStore

TURN_COLUMNS = ("game", "turn", "side", "type", "signal", "action", "executed", "accident", "seen_by_opponent_as",
                "statement", "source", "fallback", "balance")
GAME_COLUMNS = ("game", "scenario", "seed", "status", "agents", "ending", "turns", "returns", "parent_game",
                "parent_turn", "created_at")


def _rung_ids(store: EventStore, game_id: str) -> tuple[str, ...]:
    lad = restore_scenario(store.game(game_id).scenario_json).crisis_ladder
    assert lad is not None
    return tuple(r.id for r in lad.rungs)


def turn_rows(game_id: str, events: Sequence[Event], ids: Sequence[str]) -> list[dict[str, Any]]:
    """One row per side per played turn (a turn cut short by an interruption is left out)."""
    sides = list(next((e.payload.get("agents", {}) for e in events if e.kind == "game_created"), {}))
    types = {e.actor: e.payload["type"] for e in events if e.kind == "type_draw"}
    by_turn: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.kind in ("move", "accident", "observation", "fallback", "turn_end"):
            by_turn.setdefault(e.turn, {}).setdefault(e.kind, {})[e.actor] = e.payload
    rows = []
    for t in sorted(by_turn):
        got = by_turn[t]
        if "turn_end" not in got:
            continue
        state = got["turn_end"][None]["state"]
        for i, side in enumerate(sides):
            m = got["move"][side]
            executed = state["positions"][i]
            other = sides[1 - i]
            rows.append({
                "game": game_id, "turn": t, "side": side, "type": types.get(side, "default"),
                "signal": None if m["signal"] is None else ids[m["signal"]], "action": ids[m["action"]],
                "executed": ids[executed], "accident": executed != m["action"],
                "seen_by_opponent_as": ids[got.get("observation", {}).get(other, {}).get("opponent_observed",
                                                                                          executed)],
                "statement": m.get("statement", ""), "source": m.get("source", ""),
                "fallback": got.get("fallback", {}).get(side, {}).get("reason", ""),
                "balance": state["balance"] if i == 0 else -state["balance"],
            })
    return rows


def transcript_line(row: dict[str, Any]) -> dict[str, Any]:
    """The plain JSONL line of one side's turn (the format ``escalab score`` reads)."""
    line = {"game": row["game"], "turn": row["turn"], "side": row["side"], "signal": row["signal"],
            "action": row["action"], "statement": row["statement"], "accident": row["accident"],
            "executed": row["executed"]}
    if row.get("type", "default") != "default":          # a private type, so the game scores against its crisis
        line["type"] = row["type"]
    return line


def game_row(store: EventStore, game_id: str, events: Sequence[Event]) -> dict[str, Any]:
    rec = store.game(game_id)
    end = next((e.payload for e in events if e.kind == "game_end"), {})
    last = max((e.turn for e in events if e.kind == "turn_end"), default=0)
    return {"game": game_id, "scenario": rec.scenario, "seed": rec.seed, "status": rec.status,
            "agents": json.dumps(rec.agents), "ending": end.get("ending", ""), "turns": end.get("turns", last),
            "returns": json.dumps(end.get("returns", {})), "parent_game": rec.parent_game or "",
            "parent_turn": "" if rec.parent_turn is None else rec.parent_turn, "created_at": rec.created_at}


def _csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    w.writerows(spreadsheet_row(r) for r in rows)    # statements and names are strangers' text: no formulas
    return buf.getvalue()


def export_games(store: EventStore, game_ids: Sequence[str], out: str | os.PathLike[str]) -> list[str]:
    """Write transcript.jsonl, turns.csv, games.csv and events.jsonl for the games into ``out``."""
    turns: list[dict[str, Any]] = []
    games: list[dict[str, Any]] = []
    events_out: list[str] = []
    from .engine import read_game
    for gid in dict.fromkeys(game_ids):          # each game once, in the order given
        read_game(store, gid)                    # a damaged or edited log is refused, not exported
        events = store.events(gid)
        turns += turn_rows(gid, events, _rung_ids(store, gid))
        games.append(game_row(store, gid, events))
        events_out += [json.dumps({"game": e.game_id, "seq": e.seq, "turn": e.turn, "kind": e.kind,
                                   "actor": e.actor, "payload": e.payload, "at": e.at}) for e in events]
    with output_set(out, "export") as outs:
        written = [
            outs.write_text("transcript.jsonl", "".join(json.dumps(transcript_line(r)) + "\n" for r in turns)),
            outs.write_text("turns.csv", _csv(turns, TURN_COLUMNS)),
            outs.write_text("games.csv", _csv(games, GAME_COLUMNS)),
            outs.write_text("events.jsonl", "".join(line + "\n" for line in events_out)),
        ]
    return [os.fspath(p) for p in written]
