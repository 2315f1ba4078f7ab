"""The result every solver in this package returns: an assessment in escalab's own ids.

Solvers differ (our backward induction, pygambit's Nash enumerators, logit QRE), but a researcher
compares their answers side by side, so they all report the same thing: a behaviour strategy at
every information set, beliefs over its nodes, the expected payoffs, and the outcomes the play
reaches -- keyed by actor, infoset label, action and node ids, never by a solver's internal index.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import ExtensiveGame

Number = Any  # float | Fraction


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium (or quantal-response profile) of an extensive game.

    ``behaviour[infoset][action]`` is the probability the mover plays ``action``; ``beliefs[infoset]``
    maps the infoset's node ids to probabilities (None where the method leaves them undefined,
    e.g. a Nash equilibrium at an information set it never reaches). ``outcomes`` maps the reached
    terminal nodes' ids to their probability.
    """

    method: str
    behaviour: Mapping[str, Mapping[str, Number]]
    beliefs: Mapping[str, Mapping[str, Number] | None]
    payoffs: Mapping[str, Number]
    outcomes: Mapping[str, Number]
    label: str
    path: str
    ties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    belief_ranges: tuple[Any, ...] = ()          # assessments.BeliefRange per off-path information set
    refinements: Mapping[str, bool | None] | None = None

    @property
    def is_pure(self) -> bool:
        return all(any(p == 1 for p in acts.values()) for acts in self.behaviour.values())

    def choice(self, infoset: str) -> str | None:
        """The action played with probability one at ``infoset``, or None if it mixes."""
        for action, p in self.behaviour[infoset].items():
            if p == 1:
                return action
        return None

    def to_dict(self) -> dict[str, Any]:
        def num(x: Any) -> Any:
            return None if x is None else float(x)
        return {
            "method": self.method,
            "label": self.label,
            "path": self.path,
            "behaviour": {i: {a: num(p) for a, p in acts.items()} for i, acts in self.behaviour.items()},
            "beliefs": self._beliefs_dict(),
            "payoffs": {a: num(v) for a, v in self.payoffs.items()},
            "outcomes": {n: num(p) for n, p in self.outcomes.items()},
            "ties": {i: list(a) for i, a in self.ties.items()},
            **({"extra": dict(self.extra)} if self.extra else {}),
            **({"belief_ranges": {r.infoset: r.to_dict() for r in self.belief_ranges}}
               if self.belief_ranges else {}),
            **({"refinements": dict(self.refinements)} if self.refinements is not None else {}),
        }

    def _beliefs_dict(self) -> dict[str, dict[str, str]]:
        """Beliefs as exact text ("1/2"); where belief ranges are known, only the on-path sets
        (the off-path ones are in ``belief_ranges``), else every set the method defines."""
        off = {r.infoset for r in self.belief_ranges}
        return {i: {n: _exact_text(p) for n, p in b.items()}
                for i, b in self.beliefs.items() if b is not None and i not in off}


def _exact_text(x: Any) -> str:
    from fractions import Fraction
    if isinstance(x, (Fraction, int)):
        return str(x)
    return repr(float(x))


def outcome_label(game: ExtensiveGame, reached: Mapping[int, Any], mixed: bool = False) -> str:
    """A short name for what happens: the outcome ids reached, prefixed by the chance moves.

    When every chance branch ends in the same outcome the prefixes are dropped, so a sweep's phase
    diagram reads "conventional_defeat" rather than one entry per US type.
    """
    parts: list[tuple[str, str]] = []
    for idx, p in sorted(reached.items()):
        node = game.nodes[idx]
        prefix = _chance_prefix(game, node.index)
        name = node.outcome or node.id
        if mixed and not _is_one(p):
            name = f"{name} ({float(p):.3g})"
        parts.append((prefix, name))
    if not parts:
        return "-"
    names = {n for _, n in parts}
    if len(names) == 1 and not mixed:
        return parts[0][1]
    return "; ".join(f"{pre}: {n}" if pre else n for pre, n in parts)


def path_label(game: ExtensiveGame, reached: Mapping[int, Any]) -> str:
    """The moves of the players along each reached play, e.g. ``limited_use > stop``."""
    parts: list[tuple[str, str]] = []
    for idx in sorted(reached):
        prefix = _chance_prefix(game, idx)
        moves = " > ".join(_player_moves(game, idx)) or "(no move)"
        parts.append((prefix, moves))
    if not parts:
        return "-"
    if len({m for _, m in parts}) == 1:
        return parts[0][1]
    return "; ".join(f"{pre}: {m}" if pre else m for pre, m in parts)


def _is_one(p: Any) -> bool:
    return abs(float(p) - 1.0) < 1e-9


_PARENTS: "weakref.WeakKeyDictionary[ExtensiveGame, dict[int, int]]" = weakref.WeakKeyDictionary()


def _ancestry(game: ExtensiveGame) -> dict[int, int]:
    cached = _PARENTS.get(game)
    if cached is None:
        cached = {ch: n.index for n in game.nodes for ch in n.children}
        _PARENTS[game] = cached
    return cached


def _walk(game: ExtensiveGame, idx: int) -> list[tuple[int, str]]:
    """(parent index, action) pairs from the root down to node ``idx``."""
    parent = _ancestry(game)
    steps = []
    while idx in parent:
        p = parent[idx]
        node = game.nodes[p]
        steps.append((p, node.actions[node.children.index(idx)]))
        idx = p
    return steps[::-1]


def _chance_prefix(game: ExtensiveGame, idx: int) -> str:
    return ",".join(a for p, a in _walk(game, idx) if game.nodes[p].kind == "chance")


def _player_moves(game: ExtensiveGame, idx: int) -> list[str]:
    return [a for p, a in _walk(game, idx) if game.nodes[p].kind == "decision"]


def node_parent(game: ExtensiveGame) -> dict[int, int]:
    """Parent index of every non-root node (cached on the game object)."""
    return _ancestry(game)


def node_steps(game: ExtensiveGame, idx: int) -> list[tuple[int, str]]:
    return _walk(game, idx)
