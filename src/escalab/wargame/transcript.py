"""The plain JSONL transcript: games played anywhere, scored on escalab's scale.

One JSON object per line, one line per side per turn::

    {"game": "g1", "turn": 1, "side": "usa", "signal": "nuclear_posturing", "action": "military_posturing",
     "statement": "We will defend our allies.", "accident": false, "executed": "military_posturing"}

``signal`` is a rung id or null; ``statement``, ``accident`` and ``executed`` may be left out
(``executed`` defaults to ``action``; ``accident`` is true exactly when they differ); ``reasoning``
may be given and is ignored. Rung ids are those of the ladder named on the command line. A file
may hold several games; each game's turns run 1, 2, ... with one line per side.

Another harness's output is the input here, so every problem is reported with the file, the line,
the field and what was expected, all at once, before anything is scored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError, Problem, ScenarioError
from ..scenario import json_text
from ..scenario.schema import LadderSpec
from ..scenario.source import read_text
from .scores import Play, SidePlay

FIELDS = ("game", "turn", "side", "signal", "action", "statement", "accident", "executed", "type", "reasoning")


@dataclass(frozen=True)
class Line:
    number: int
    game: str
    turn: int
    side: str
    play: SidePlay
    type: str | None = None          # the side's private type (crises with types), if the line says it


@dataclass(frozen=True)
class Transcript:
    """Plays read from one file, with the line of every (game, turn, side) for later errors."""

    name: str
    plays: tuple[Play, ...]
    lines: dict[tuple[str, int, str], int]

    def locate(self, game: str, exc: ModelError) -> ScenarioError:
        """A model-level inconsistency (an illegal rung, an impossible outcome) at its line."""
        turn = getattr(exc, "turn", None)
        side = getattr(exc, "side", None)
        line = self.lines.get((game, turn, side)) if turn is not None else None  # type: ignore[arg-type]
        if line is None and turn is not None:
            line = min((n for (g, t, _), n in self.lines.items() if g == game and t == turn), default=None)
        field = getattr(exc, "field", "") or ""
        return ScenarioError([Problem(str(exc), field, self.name, line)])


def read_transcript(path: str | os.PathLike[str], ladder: LadderSpec,
                    sides: Sequence[str] | None = None) -> Transcript:
    """Read and check a JSONL transcript (``sides``: the crisis actors, in order, when scored
    against a scenario)."""
    return parse_transcript(read_text(Path(path)), ladder, os.fspath(path), sides)


def parse_transcript(text: str, ladder: LadderSpec, name: str = "<transcript>",
                     sides: Sequence[str] | None = None) -> Transcript:
    ids = [r.id for r in ladder.rungs]
    problems: list[Problem] = []

    def bad(line: int, field: str, message: str) -> None:
        problems.append(Problem(message, field, name, line))

    def rung(obj: dict[str, Any], key: str, line: int, nullable: bool) -> int | None:
        v = obj.get(key)
        if v is None and nullable:
            return None
        if isinstance(v, str) and v in ids:
            return ids.index(v)
        shown = json.dumps(v)[:60]
        bad(line, key, f"expected a rung id of ladder '{ladder.id}'{' or null' if nullable else ''} "
                       f"(e.g. '{ids[0]}'), got {shown}")
        return None

    lines: list[Line] = []
    for number, raw in enumerate(text.split("\n"), start=1):   # not splitlines: U+2028 may stand in a string
        if not raw.strip():
            continue
        try:
            obj = json_text.loads(raw, name, number)
        except ScenarioError as exc:
            (p,) = exc.problems
            if p.message.startswith("not valid JSON: "):
                bad(number, "", f"expected one JSON object per line: {p.message.removeprefix('not valid JSON: ')} "
                                f"(column {p.column})")
            else:
                problems.append(p)
            continue
        if not isinstance(obj, dict):
            bad(number, "", f"expected a JSON object, got {type(obj).__name__}")
            continue
        before = len(problems)
        for key in obj:
            if key not in FIELDS:
                bad(number, str(key)[:40], f"unknown field (expected: {', '.join(FIELDS)})")
        game, side, turn = obj.get("game"), obj.get("side"), obj.get("turn")
        if not isinstance(game, str) or not game:
            bad(number, "game", "expected a non-empty string naming the game")
        if not isinstance(side, str) or not side:
            bad(number, "side", "expected a non-empty string naming the side")
        elif sides is not None and side not in sides:
            bad(number, "side", f"expected one of the crisis actors ({', '.join(sides)}), got '{side[:40]}'")
        if isinstance(turn, bool) or not isinstance(turn, int) or turn < 1:
            bad(number, "turn", f"expected a whole number >= 1, got {json.dumps(turn)[:40]}")
        if "action" not in obj:
            bad(number, "action", "missing: expected the rung id of the action taken")
            action = None
        else:
            action = rung(obj, "action", number, nullable=False)
        signal = rung(obj, "signal", number, nullable=True)
        statement = obj.get("statement", "")
        if not isinstance(statement, str):
            bad(number, "statement", "expected a string")
        accident = obj.get("accident")
        if accident is not None and not isinstance(accident, bool):
            bad(number, "accident", f"expected true or false, got {json.dumps(accident)[:40]}")
        executed = rung(obj, "executed", number, nullable=True) if "executed" in obj else None
        kind = obj.get("type")
        if kind is not None and (not isinstance(kind, str) or not kind):
            bad(number, "type", f"expected the side's private type as a string, got {json.dumps(kind)[:40]}")
        if action is not None and len(problems) == before:
            if accident is True and (executed is None or executed == action):
                bad(number, "executed", "expected the rung where the action landed, different from 'action' "
                                        "('accident' is true)")
            elif accident is False and executed is not None and executed != action:
                bad(number, "accident", "expected true: 'executed' differs from 'action'")
        if len(problems) == before:
            lines.append(Line(number, game, turn, side,  # type: ignore[arg-type]
                              SidePlay(action=action, signal=signal, executed=executed,  # type: ignore[arg-type]
                                       statement=statement), kind))
    if not lines and not problems:
        problems.append(Problem("expected at least one line (one JSON object per side per turn)", "", name, None))
    plays, where = _assemble(lines, name, sides, problems)
    if problems:
        raise ScenarioError(problems)
    return Transcript(name, plays, where)


def _assemble(lines: list[Line], name: str, sides: Sequence[str] | None,
              problems: list[Problem]) -> tuple[tuple[Play, ...], dict[tuple[str, int, str], int]]:
    where: dict[tuple[str, int, str], int] = {}
    games: dict[str, list[Line]] = {}
    for ln in lines:
        key = (ln.game, ln.turn, ln.side)
        if key in where:
            problems.append(Problem(f"duplicate line for side '{ln.side}' at turn {ln.turn} of game '{ln.game}' "
                                    f"(first at line {where[key]})", "side", name, ln.number))
            continue
        where[key] = ln.number
        games.setdefault(ln.game, []).append(ln)
    plays = []
    for game, rows in games.items():
        names = list(sides) if sides is not None else list(dict.fromkeys(r.side for r in rows))
        by_turn: dict[int, dict[str, Line]] = {}
        for r in rows:
            by_turn.setdefault(r.turn, {})[r.side] = r
        turns = []
        for t in range(1, max(by_turn) + 1):
            if t not in by_turn:
                nxt = min(x for x in by_turn if x > t)
                first = min(r.number for r in by_turn[nxt].values())
                problems.append(Problem(f"turns of game '{game}' must run 1, 2, ... without gaps; turn {t} is "
                                        f"missing", "turn", name, first))
                break
            row = by_turn[t]
            missing = [s for s in names if s not in row]
            if missing:
                first = min(r.number for r in row.values())
                problems.append(Problem(f"turn {t} of game '{game}' has no line for side "
                                        f"{', '.join(repr(s) for s in missing)} (expected one line per side per "
                                        f"turn)", "side", name, first))
                break
            turns.append(tuple(row[s].play for s in names))
        types: dict[str, str] = {}
        for r in rows:
            if r.type is not None and types.setdefault(r.side, r.type) != r.type:
                problems.append(Problem(f"side '{r.side}' of game '{game}' changes its type from "
                                        f"'{types[r.side]}' to '{r.type}' (a private type is drawn once)",
                                        "type", name, r.number))
                break
        plays.append(Play(game, tuple(names), tuple(turns), types=tuple(types.get(s, "default") for s in names)
                          if types else None))
    return tuple(plays), where
