"""Stored games as :class:`~escalab.wargame.scores.Play` records, with the crisis they were played in.

Scores, fits and tournaments read games back from the event store. Every game keeps its own
scenario (as JSON), so a game is scored against the crisis it was played in, not whatever the
library holds today; games that share a scenario share one compiled crisis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UsageError
from ..model.ladder import LadderGame
from .engine import compiled, read_game
from .scores import GameScores, Play, Reference, play_from_events, score_payload, score_play
from .store import EventStore


@dataclass
class StoredGames:
    """Compiled crises by scenario text, and reference policies by (scenario text, spec)."""

    store: EventStore

    def __post_init__(self) -> None:
        self._games: dict[str, LadderGame] = {}
        self._refs: dict[tuple[str, str], Reference] = {}

    def game_of(self, scenario_json: str) -> LadderGame:
        if scenario_json not in self._games:       # the engine's compiled crisis: its policy factory is shared
            self._games[scenario_json] = compiled(scenario_json)[1]
        return self._games[scenario_json]

    def reference(self, scenario_json: str, spec: str = "equilibrium") -> Reference:
        key = (scenario_json, spec)
        if key not in self._refs:
            self._refs[key] = Reference(self.game_of(scenario_json), spec)
        return self._refs[key]

    def play(self, game_id: str) -> tuple[LadderGame, Play, str]:
        """The crisis, the play and the scenario text of one stored game."""
        record = self.store.game(game_id)
        read_game(self.store, game_id)           # a damaged or edited log is refused, never scored
        game = self.game_of(record.scenario_json)
        return game, play_from_events(game_id, self.store.events(game_id), game.rung_ids), record.scenario_json

    def plays(self, game_ids: Sequence[str]) -> tuple[LadderGame, list[Play], str]:
        """Several games of one scenario (a fit or a comparison needs one crisis)."""
        if not game_ids:
            raise UsageError("name at least one stored game")
        out = []
        first: tuple[str, str] | None = None
        game = None
        for gid in game_ids:
            game, play, text = self.play(gid)
            if first is None:
                first = (gid, text)
            elif text != first[1]:
                raise UsageError(f"games '{first[0]}' and '{gid}' were played in different scenarios (or with "
                                 f"different parameters); fit and compare games of one scenario at a time")
            out.append(play)
        assert game is not None and first is not None
        return game, out, first[1]

    def score(self, game_id: str, reference: str = "equilibrium", write: bool = True) -> GameScores:
        """Score one stored game; with ``write``, append its ``score`` events (once per reference).

        Only a finished game's log is written to: a game still running belongs to its engine,
        which numbers the events it appends."""
        game, play, text = self.play(game_id)
        scores = score_play(play, game.ladder, game, self.reference(text, reference))
        if write and self.store.game(game_id).status == "finished" and not getattr(self.store, "read_only", False):
            done = {e.payload.get("distance", {}).get("reference") if e.payload.get("distance") else None
                    for e in self.store.events(game_id, ("score",)) if e.payload.get("scope") == "game"}
            if reference not in done:
                last = scores.turns
                self.store.append_many(game_id, [(p.get("turn", last), "score", None, p)
                                                 for p in score_payload(scores)])
        return scores
