"""Gambit's .efg files in both directions.

Export lets a researcher open an escalab scenario in the Gambit GUI or any tool that reads .efg;
import lets the large body of games written for Gambit become escalab scenarios, which then get
everything else escalab offers (sweeps need parameters, so an imported game starts with numbers
only; its author can replace numbers by parameters in the YAML). Writing goes through pygambit's
own writer so the files are exactly what Gambit expects.
"""

from __future__ import annotations

import io
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pygambit as gbt
import yaml

from .. import limits
from ..atomic import write_text_atomic
from ..errors import UsageError
from ..model import ExtensiveGame
from ..scenario.source import read_bounded
from ..scenario import Scenario, loads
from .gambit_bridge import to_gambit

_ID_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def export_efg(game: ExtensiveGame, path: str | Path | None = None) -> str:
    """The .efg text of ``game``; written to ``path`` too if one is given."""
    if path is not None and Path(path).suffix.lower() != ".efg":
        raise UsageError(f"--efg {path}: a Gambit extensive-form file is written as .efg, not "
                         f"'{Path(path).suffix or 'no suffix'}'")
    text = to_gambit(game).game.to_efg()
    assert isinstance(text, str)
    if path is not None:
        write_text_atomic(path, text)
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


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_PLAYER_LINE = re.compile(r'^\s*p\s+"(?:[^"\\]|\\.)*"\s+(-?\d+)\b')


def _check_efg_text(text: str, path: Path) -> None:
    """Refuse, with a line number, what pygambit would crash or hang on: numbers with thousands of
    digits (Python refuses to convert them; Gambit computes with them exactly) and player numbers
    outside the header's list (Gambit answers with a C++ range-check message)."""
    lines = text.splitlines()
    players = len(_QUOTED.findall(lines[0].partition("{")[2].partition("}")[0])) if lines else 0
    digits_limit = limits.EFG_DIGITS.value()
    long_number = re.compile(r"\d{%d,}" % (digits_limit + 1))
    for k, line in enumerate(lines, 1):
        bare = _QUOTED.sub('""', line)
        m = long_number.search(bare)
        if m:
            end = m.end()
            while end < len(bare) and bare[end].isdigit():
                end += 1
            raise UsageError(f"{path}:{k}: {limits.EFG_DIGITS.refusal(end - m.start())}")
        pm = _PLAYER_LINE.match(line)
        if pm and not 1 <= int(pm.group(1)) <= players:
            raise UsageError(f"{path}:{k}: player number {pm.group(1)} does not name one of the {players} players "
                             f"listed on line 1 (expected 1 to {players})")


def read_efg(source: str | Path) -> gbt.Game:
    """Parse a .efg file with pygambit, turning its errors into a UsageError naming the file."""
    path = Path(source)
    try:
        data = read_bounded(path)
    except FileNotFoundError:
        raise UsageError(f"file not found: {path}") from None
    except limits.LimitError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason})") from None
    _check_efg_text(text, path)
    try:
        return gbt.read_efg(io.StringIO(text))
    except Exception as exc:  # pygambit raises ValueError/IOError subclasses with its parser's message
        message = str(exc)
        if "_M_range_check" in message or "out_of_range" in message:
            message = "a player, information set or outcome number is out of range"
        raise UsageError(f"{path}: not a readable Gambit .efg file ({message[:300]})") from None


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

    # Walked with an explicit stack (a chain of thousands of moves must not hit the recursion limit):
    # build() names a node and returns its children as tasks; each task fills its move's entry.
    Task = tuple[Any, tuple[Fraction, ...], dict[str, Any], dict[str, Any]]
    tasks: list[Task] = []

    def target(child: Any, acc: tuple[Fraction, ...], slot: dict[str, Any], after: dict[str, Any]) -> None:
        if child.is_terminal:
            slot["outcome"] = outcome_id(child, acc)
        else:
            slot["next"] = build(child, acc)
        slot.update(after)

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
        children: list[Task] = []
        if infoset.is_chance:
            branches: dict[str, Any] = {}
            for k, action in enumerate(infoset.actions, 1):
                mid = move_names(action.label, f"a{k}")
                branches[mid] = {"prob": _num(action.prob)}
                children.append((node.children[action], acc, branches[mid], {}))
            spec["chance"] = branches
            tasks.extend(reversed(children))
            return nid
        if infoset not in infoset_names:
            infoset_names[infoset] = infoset_used(infoset.label, f"infoset_{len(infoset_names) + 1}")
        spec["actor"] = actor_id(infoset.player)
        spec["infoset"] = infoset_names[infoset]
        moves: dict[str, Any] = {}
        for k, action in enumerate(infoset.actions, 1):
            mid = move_names(action.label, f"a{k}")
            moves[mid] = {}
            after = {"label": action.label} if action.label and action.label != mid else {}
            children.append((node.children[action], acc, moves[mid], after))
        spec["moves"] = moves
        tasks.extend(reversed(children))
        return nid

    if game.root.is_terminal:
        raise UsageError("the Gambit game has no moves (its root is terminal)")
    root = build(game.root, tuple(Fraction(0) for _ in players))
    while tasks:
        target(*tasks.pop())
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


def import_efg(source: str | Path, out: str | Path | None = None, scenario_id: str | None = None,
               force: bool = False) -> Scenario:
    """Convert a .efg file to an escalab scenario: write the YAML to ``out`` (if given) and load it."""
    text = efg_to_yaml(source, scenario_id)
    if out is not None:
        given = out
        out = Path(out)
        if out.exists() and not force:
            raise UsageError(f"{given} already exists; choose another --out or pass --force to replace it")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write the scenario to {given}: {exc.strerror or exc}") from None
        write_text_atomic(given, text)
        return loads(text, name=str(given), base_dir=out.parent)   # as written: --out may be a device or FIFO
    return loads(text, name=str(source))
