"""The plays part of the report: games people or agents played in this scenario, with their scores.

Games live in the wargame event store. The report only reads it: from the default store
(``$ESCALAB_DB`` or ``escalab-games.sqlite`` in the current folder) when that file exists, and
never creates one. Scores are computed from each game's own log and scenario (not written back),
so a report can be made from a store other people are still playing into.
"""

from __future__ import annotations

from typing import Any

from ..errors import EscalabError
from ..scenario import Scenario

MAX_GAMES = 50


def compute(s: Scenario) -> dict[str, Any]:
    if s.spec.ladder_crisis is None:
        return {"skipped": "games are played on a ladder crisis, and this scenario has none"}
    try:
        from ..wargame.store import SqliteStore, default_db_path
        from ..wargame.stored import StoredGames
    except ImportError as exc:  # the play layer is optional in a partial install
        return {"skipped": f"the play layer (escalab.wargame) is not available here ({exc})"}
    path = default_db_path()
    if not path.is_file():
        return {"skipped": f"no game store at '{path.name}' (the default store, or $ESCALAB_DB); play a game "
                           "with 'escalab play' first"}
    try:
        store = SqliteStore(path, read_only=True)     # a report never writes to the store
    except EscalabError as exc:                       # not an escalab store, or damaged: said, not fatal
        return {"skipped": str(exc)}
    try:
        records = [g for g in store.games() if g.scenario == s.id]
        shown = records[-MAX_GAMES:]
        stored = StoredGames(store)
        games = []
        for g in shown:
            row: dict[str, Any] = {"game": g.game_id, "agents": g.agents, "status": g.status, "seed": g.seed}
            if g.status == "finished":
                try:
                    sc = stored.score(g.game_id, write=False).to_dict(per_turn=False)
                    row.update(turns=sc.get("turns"), ending=sc.get("ending"), peak=sc.get("peak"),
                               rivera=sc.get("rivera"), distance=sc.get("distance"), returns=sc.get("returns"))
                except EscalabError as exc:
                    row["note"] = str(exc)
            games.append(row)
    finally:
        store.close()
    if not records:
        return {"skipped": f"the game store '{path.name}' holds no game of '{s.id}'"}
    return {"store": path.name, "games": games, "total": len(records), "shown": len(games)}
