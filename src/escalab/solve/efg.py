"""Gambit's .efg files in both directions.

Export lets a researcher open an escalab scenario in the Gambit GUI or any tool that reads .efg;
import lets the large body of games written for Gambit become escalab scenarios, which then get
everything else escalab offers (sweeps need parameters, so an imported game starts with numbers
only; its author can replace numbers by parameters in the YAML). Writing goes through pygambit's
own writer so the files are exactly what Gambit expects.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pygambit as gbt
import yaml

from ..errors import UsageError
from ..model import ExtensiveGame
from ..scenario import Scenario, load, loads
from .gambit_bridge import to_gambit

_ID_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def export_efg(game: ExtensiveGame, path: str | Path | None = None) -> str:
    """The .efg text of ``game``; written to ``path`` too if one is given."""
    text = to_gambit(game).game.to_efg()
    assert isinstance(text, str)
    if path is not None:
        Path(path).write_text(text)
    return text


def _ident(text: str, fallback: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_\-]+", "_", text.strip()).strip("_")
    if not out:
        return fallback
    if not _ID_OK.match(out):
        out = f"{fallback}_{out}"
    return out


class _Names:
    """Hands out identifiers that are valid and unique within one namespace."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, text: str, fallback: str) -> str:
        base = _ident(text, fallback)
        name, k = base, 2
        while name in self.used:
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name


def _num(x: Any) -> Any:
    f = Fraction(str(x))
    if f.denominator == 1:
        return int(f)
    return f"{f.numerator}/{f.denominator}"


def _outcome(node: Any) -> Any:
    """The outcome attached to a pygambit node, or None. (pygambit 16.7 returns an empty wrapper,
    not None, for a node without one; the wrapper is falsy.)"""
    out = node.outcome
    return out if out else None


def read_efg(source: str | Path) -> gbt.Game:
    """Parse a .efg file with pygambit, turning its errors into a UsageError naming the file."""
    path = Path(source)
    if not path.is_file():
        raise UsageError(f"file not found: {path}")
    try:
        return gbt.read_efg(str(path))
    except Exception as exc:  # pygambit raises ValueError/IOError subclasses with its parser's message
        raise UsageError(f"{path}: not a readable Gambit .efg file ({exc})") from None


def efg_to_document(game: gbt.Game, scenario_id: str = "imported-game") -> dict[str, Any]:
    """An escalab scenario document (a plain dict, ready for YAML) for a Gambit extensive game."""
    if not game.is_tree:
        raise UsageError("the Gambit game is a strategic (table) game; only extensive games (.efg) can be imported")
    actor_names = _Names()
    actors: dict[str, dict[str, Any]] = {}
    actor_of: dict[str, str] = {}
    for k, pl in enumerate(game.players, 1):
        aid = actor_names(pl.label, f"player_{k}")
        actor_of[pl.label if pl.label else f"#{k}"] = aid
        actors[aid] = {"name": pl.label or aid}
    players = list(game.players)

    node_names = _Names()
    infoset_names: dict[Any, str] = {}
    infoset_used = _Names()
    outcome_names = _Names()
    outcome_of: dict[Any, str] = {}
    nodes: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}

    def actor_id(pl: Any) -> str:
        k = players.index(pl) + 1
        return actor_of[pl.label if pl.label else f"#{k}"]

    def outcome_id(node: Any, acc: tuple[Fraction, ...]) -> str:
        """The outcome of terminal ``node``. Gambit adds up the outcomes of every node on the path
        (a non-terminal node may carry one, e.g. a fee for a move), so ``acc`` holds what the path
        above contributed and the escalab outcome gets the sum."""
        out = _outcome(node)
        key = (out, acc)
        if key in outcome_of:
            return outcome_of[key]
        own = tuple(Fraction(0) for _ in players) if out is None else \
            tuple(Fraction(str(out[pl])) for pl in players)
        total = tuple(a + b for a, b in zip(own, acc))
        if out is None:
            oid = outcome_names("no_outcome", "outcome")
        else:
            oid = outcome_names(out.label.split("#")[0], "outcome")
        outcome_of[key] = oid
        outcomes[oid] = {"payoffs": {actor_id(pl): _num(v) for pl, v in zip(players, total)}}
        if out is not None and out.label:
            outcomes[oid]["label"] = out.label
        return oid

    def add_outcome(node: Any, acc: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
        out = _outcome(node)
        if out is None:
            return acc
        return tuple(a + Fraction(str(out[pl])) for a, pl in zip(acc, players))

    def target(child: Any, acc: tuple[Fraction, ...]) -> dict[str, Any]:
        if child.is_terminal:
            return {"outcome": outcome_id(child, acc)}
        return {"next": build(child, acc)}

    def build(node: Any, acc: tuple[Fraction, ...]) -> str:
        infoset = node.infoset
        base = infoset.label or ("chance" if infoset.is_chance else "node")
        nid = node_names(base, "node")
        spec: dict[str, Any] = {}
        nodes[nid] = spec
        if node.label:
            spec["label"] = node.label
        move_names = _Names()
        acc = add_outcome(node, acc)
        if infoset.is_chance:
            branches: dict[str, Any] = {}
            for k, action in enumerate(infoset.actions, 1):
                mid = move_names(action.label, f"a{k}")
                branches[mid] = {"prob": _num(action.prob), **target(node.children[action], acc)}
            spec["chance"] = branches
            return nid
        if infoset not in infoset_names:
            infoset_names[infoset] = infoset_used(infoset.label, f"infoset_{len(infoset_names) + 1}")
        spec["actor"] = actor_id(infoset.player)
        spec["infoset"] = infoset_names[infoset]
        moves: dict[str, Any] = {}
        for k, action in enumerate(infoset.actions, 1):
            mid = move_names(action.label, f"a{k}")
            moves[mid] = {**target(node.children[action], acc)}
            if action.label and action.label != mid:
                moves[mid]["label"] = action.label
        spec["moves"] = moves
        return nid

    if game.root.is_terminal:
        raise UsageError("the Gambit game has no moves (its root is terminal)")
    root = build(game.root, tuple(Fraction(0) for _ in players))
    return {
        "escalab": 1,
        "id": _ident(scenario_id, "imported-game"),
        "title": game.title or scenario_id,
        "summary": (game.description or "").strip() or "Imported from a Gambit .efg file.",
        "actors": actors,
        "sequential": {"root": root, "nodes": nodes, "outcomes": outcomes},
    }


def efg_to_yaml(source: str | Path, scenario_id: str | None = None) -> str:
    """The escalab scenario YAML for the .efg file ``source``."""
    path = Path(source)
    doc = efg_to_document(read_efg(path), scenario_id or path.stem)
    header = f"# Imported from {path.name} by 'escalab import-efg'; payoffs and probabilities are exact.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def import_efg(source: str | Path, out: str | Path | None = None, scenario_id: str | None = None) -> Scenario:
    """Convert a .efg file to an escalab scenario: write the YAML to ``out`` (if given) and load it."""
    text = efg_to_yaml(source, scenario_id)
    if out is not None:
        out = Path(out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
        except OSError as exc:
            raise UsageError(f"cannot write the scenario to {out}: {exc.strerror or exc}") from None
        return load(out)
    return loads(text, name=str(source))
