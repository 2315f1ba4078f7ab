"""Subgame-perfect equilibrium of a perfect-information game by backward induction.

Written directly over the tree, one node at a time, in whatever number type the game was compiled
with: with ``compile(exact=True)`` every payoff is a Fraction, so a tie is a true tie and not two
floats that happen to round apart. That exactness is what lets a researcher trust the statement
"the Defender is indifferent at c_D = v". Ties are reported, not hidden: at each node the solution
lists every maximiser and the profile takes the first (in the scenario's move order), which is one
of the subgame-perfect equilibria.

This solver is deliberately independent of the vectorised one in :mod:`.sequential`; the tests
check the two (and pygambit) against each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import ModelError
from ..model import ExtensiveGame
from .assessment import Equilibrium, outcome_label, path_label


@dataclass(frozen=True)
class NodeChoice:
    node: str                     # node id (actions from the root)
    actor: str
    action: str                   # the choice the profile makes
    maximisers: tuple[str, ...]   # every action that is as good (ties)
    on_path: bool


@dataclass(frozen=True)
class SubgamePerfect:
    """The equilibrium found, plus the choice at every decision node on and off the path."""

    equilibrium: Equilibrium
    choices: tuple[NodeChoice, ...]
    node_values: dict[str, tuple[Any, ...]]

    @property
    def ties(self) -> tuple[NodeChoice, ...]:
        return tuple(c for c in self.choices if len(c.maximisers) > 1)

    def choice_at(self, node_id: str) -> NodeChoice:
        for c in self.choices:
            if c.node == node_id:
                return c
        raise ModelError(f"no decision node '{node_id}'")


def subgame_perfect(game: ExtensiveGame) -> SubgamePerfect:
    """Backward induction at the game's compiled parameter values (exact if compiled exact)."""
    if not game.info.perfect_information:
        bad = next(i for i in game.infosets if len(i.nodes) > 1)
        raise ModelError(f"'{game.scenario.id}' is not a game of perfect information (information set "
                         f"'{bad.label}' has {len(bad.nodes)} nodes); use the sequential or Nash methods")
    n_players = len(game.players)
    zero: Any = Fraction(0) if game.exact else 0.0
    value: dict[int, tuple[Any, ...]] = {}
    picked: dict[int, int] = {}
    best_set: dict[int, tuple[int, ...]] = {}
    for node in reversed(game.nodes):         # pre-order reversed: children before parents
        if node.kind == "terminal":
            value[node.index] = tuple(node.payoffs)
        elif node.kind == "chance":
            value[node.index] = tuple(sum((p * value[ch][k] for p, ch in zip(node.probs, node.children)), zero)
                                      for k in range(n_players))
        else:
            assert node.player is not None
            mine = [value[ch][node.player] for ch in node.children]
            best = max(mine)
            tol = 0 if game.exact else 1e-9 * max(1.0, abs(float(best)))
            ties = tuple(k for k, v in enumerate(mine) if best - v <= tol)
            best_set[node.index] = ties
            picked[node.index] = ties[0]
            value[node.index] = value[node.children[ties[0]]]

    # walk the path: which nodes are reached, with which probability
    reach: dict[int, Any] = {0: Fraction(1) if game.exact else 1.0}
    for node in game.nodes:
        r = reach.get(node.index)
        if r is None:
            continue
        if node.kind == "chance":
            for p, ch in zip(node.probs, node.children):
                if p > 0:
                    reach[ch] = r * p
        elif node.kind == "decision":
            reach[node.children[picked[node.index]]] = r
    reached = {i: p for i, p in reach.items() if game.nodes[i].kind == "terminal"}

    one: Any = Fraction(1) if game.exact else 1.0
    behaviour: dict[str, dict[str, Any]] = {}
    choices = []
    ties_out: dict[str, tuple[str, ...]] = {}
    for node in game.nodes:
        if node.kind != "decision":
            continue
        assert node.infoset is not None and node.player is not None
        info = game.infosets[node.infoset]
        k = picked[node.index]
        behaviour[info.label] = {a: (one if i == k else one - one) for i, a in enumerate(node.actions)}
        maxi = tuple(node.actions[i] for i in best_set[node.index])
        if len(maxi) > 1:
            ties_out[info.label] = maxi
        choices.append(NodeChoice(node.id, game.players[node.player], node.actions[k], maxi, node.index in reach))
    eq = Equilibrium(
        method="backward-induction", behaviour=behaviour,
        beliefs={i.label: {game.nodes[i.nodes[0]].id: one} for i in game.infosets},
        payoffs=dict(zip(game.players, value[0])),
        outcomes={game.nodes[i].id: p for i, p in reached.items()},
        label=outcome_label(game, reached), path=path_label(game, reached), ties=ties_out)
    return SubgamePerfect(eq, tuple(choices), {game.nodes[i].id: v for i, v in value.items()})
