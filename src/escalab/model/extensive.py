"""A sequential crisis compiled to an extensive-form game.

The scenario's move tree is expanded into explicit nodes. Actors with private types are handled
by the Harsanyi transformation: a chance move at the root draws the type profile from the priors,
the tree is copied under each profile, and every decision node's information set is keyed by the
scenario's information set *and the mover's own type* -- a player knows its own type and nothing
more about the others'. Solvers, simulators and agents see only this object and its
:class:`GameState` protocol; none of them reads the scenario's YAML structure.

Payoffs and chance probabilities keep their expressions, so the same compiled tree can be
re-evaluated over NumPy arrays of parameter values (vectorised sweeps) without recompiling.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Literal

from ..errors import ExpressionError, ModelError, Problem, ScenarioError
from ..scenario.expressions import Expr, parse
from ..scenario.scenario import Scenario, exact_value

NodeKind = Literal["decision", "chance", "terminal"]
CHANCE = -1
TERMINAL = -2
TYPES_NODE = "types"


@dataclass(frozen=True)
class Node:
    index: int
    kind: NodeKind
    history: tuple[str, ...]
    source: str                     # scenario node id, outcome id, or "types" for the Harsanyi root
    player: int | None = None       # decision nodes
    infoset: int | None = None      # decision nodes
    actions: tuple[str, ...] = ()
    children: tuple[int, ...] = ()
    probs: tuple[Any, ...] = ()     # chance nodes
    outcome: str | None = None      # terminal nodes
    payoffs: tuple[Any, ...] = ()   # terminal nodes, one per player
    type_profile: tuple[tuple[str, str], ...] = ()
    rungs: tuple[str | None, ...] = ()  # per action: the ladder rung the move stands for

    @property
    def id(self) -> str:
        """A stable string id: the actions from the root, joined by '/'."""
        return "/".join(self.history) or "root"


@dataclass(frozen=True)
class InfoSet:
    index: int
    player: int
    label: str
    actions: tuple[str, ...]
    nodes: tuple[int, ...]
    source: str                      # the scenario's node or infoset id
    own_type: str | None = None


@dataclass(frozen=True)
class GameInfo:
    """Fixed facts a solver checks before it runs (OpenSpiel's GameType, in spirit)."""

    players: tuple[str, ...]
    has_chance: bool
    perfect_information: bool
    perfect_recall: bool
    num_nodes: int
    num_terminals: int
    max_depth: int
    min_payoff: float
    max_payoff: float
    exact: bool


class ExtensiveGame:
    """An extensive-form game: nodes in pre-order (root = 0), information sets, bound payoffs."""

    def __init__(self, scenario: Scenario, nodes: Sequence[Node], infosets: Sequence[InfoSet],
                 payoff_exprs: Mapping[int, tuple[Expr, ...]], prob_exprs: Mapping[int, tuple[Expr, ...]],
                 exact: bool):
        self.scenario = scenario
        self.players: tuple[str, ...] = scenario.actors
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.infosets: tuple[InfoSet, ...] = tuple(infosets)
        self.payoff_exprs = dict(payoff_exprs)
        self.prob_exprs = dict(prob_exprs)
        self.exact = exact
        terminals = [n for n in self.nodes if n.kind == "terminal"]
        pays = [float(p) for n in terminals for p in n.payoffs]
        depth = {0: 0}
        for n in self.nodes:
            for ch in n.children:
                depth[ch] = depth[n.index] + 1
        self.recall_problem: str | None = _recall_problem(self.nodes, self.infosets, self.players)
        self.info = GameInfo(
            players=self.players,
            has_chance=any(n.kind == "chance" for n in self.nodes),
            perfect_information=all(len(s.nodes) == 1 for s in self.infosets),
            perfect_recall=self.recall_problem is None,
            num_nodes=len(self.nodes),
            num_terminals=len(terminals),
            max_depth=max(depth.values()),
            min_payoff=min(pays) if pays else 0.0,
            max_payoff=max(pays) if pays else 0.0,
            exact=exact,
        )

    # -------------------------------------------------------------- look-ups
    @property
    def root(self) -> Node:
        return self.nodes[0]

    def require_perfect_recall(self) -> None:
        """Equilibrium solvers (ours and Gambit's) assume perfect recall; say so before they run."""
        if self.recall_problem is not None:
            raise ModelError(f"scenario '{self.scenario.id}' lacks perfect recall: {self.recall_problem}")

    def player_index(self, actor: str) -> int:
        try:
            return self.players.index(actor)
        except ValueError:
            raise ModelError(f"unknown player '{actor}' (players: {', '.join(self.players)})") from None

    def node_at(self, history: Sequence[str]) -> Node:
        node = self.root
        for action in history:
            if action not in node.actions:
                raise ModelError(f"no action '{action}' at node {node.id} (actions: {', '.join(node.actions)})")
            node = self.nodes[node.children[node.actions.index(action)]]
        return node

    def terminals(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "terminal"]

    def new_initial_state(self) -> "GameState":
        return GameState(self, 0)

    # -------------------------------------------------------------- parametric evaluation
    def evaluate(self, values: Mapping[str, Any], exact: bool = False
                 ) -> tuple[dict[int, tuple[Any, ...]], dict[int, tuple[Any, ...]]]:
        """Payoffs and chance probabilities at other parameter values (floats or NumPy arrays).

        Returns ``(payoffs, probs)`` keyed by node index. Arrays broadcast, so a whole grid of
        parameter values is evaluated in one pass per expression. With ``exact``, numbers are
        turned into Fractions first, so thresholds can be checked without recompiling.
        """
        env: dict[str, Any] = {**self.scenario.env(), **values}
        if exact:
            env = {k: exact_value(v) for k, v in env.items()}
        try:
            pay = {i: tuple(e.evaluate(env, exact) for e in exprs) for i, exprs in self.payoff_exprs.items()}
            probs = {i: tuple(e.evaluate(env, exact) for e in exprs) for i, exprs in self.prob_exprs.items()}
        except ExpressionError as exc:
            raise ModelError(exc.message) from None
        return pay, probs

    def __repr__(self) -> str:
        i = self.info
        return (f"ExtensiveGame({self.scenario.id!r}, players={list(i.players)}, nodes={i.num_nodes}, "
                f"infosets={len(self.infosets)}, chance={i.has_chance})")


class GameState:
    """The narrow protocol every algorithm uses (modelled on OpenSpiel's State).

    Immutable: ``apply_action`` returns a new state, so search code can branch freely.
    """

    __slots__ = ("game", "node")

    def __init__(self, game: ExtensiveGame, node: int):
        self.game = game
        self.node = node

    @property
    def _n(self) -> Node:
        return self.game.nodes[self.node]

    def current_player(self) -> int:
        n = self._n
        if n.kind == "terminal":
            return TERMINAL
        if n.kind == "chance":
            return CHANCE
        assert n.player is not None
        return n.player

    def is_terminal(self) -> bool:
        return self._n.kind == "terminal"

    def is_chance_node(self) -> bool:
        return self._n.kind == "chance"

    def legal_actions(self) -> tuple[str, ...]:
        return self._n.actions

    def chance_outcomes(self) -> list[tuple[str, Any]]:
        n = self._n
        if n.kind != "chance":
            raise ModelError(f"node {n.id} is not a chance node")
        return list(zip(n.actions, n.probs))

    def apply_action(self, action: str) -> "GameState":
        n = self._n
        if action not in n.actions:
            raise ModelError(f"illegal action '{action}' at {n.id} (legal: {', '.join(n.actions) or 'none'})")
        return GameState(self.game, n.children[n.actions.index(action)])

    def returns(self) -> tuple[Any, ...]:
        n = self._n
        if n.kind != "terminal":
            raise ModelError(f"node {n.id} is not terminal")
        return n.payoffs

    def history(self) -> tuple[str, ...]:
        return self._n.history

    def information_state_string(self, player: int | None = None) -> str:
        """What the mover knows here: the information set's label (same label = same knowledge)."""
        n = self._n
        if n.infoset is None:
            raise ModelError(f"node {n.id} is not a decision node")
        return self.game.infosets[n.infoset].label

    def outcome(self) -> str | None:
        return self._n.outcome

    def __repr__(self) -> str:
        return f"GameState({self._n.id})"


def _recall_problem(nodes: Sequence[Node], infosets: Sequence[InfoSet], players: Sequence[str]) -> str | None:
    """Why the game lacks perfect recall, or None.

    Perfect recall: every node of an information set is reached through the same sequence of the
    mover's own information sets and actions, and no play passes through one information set
    twice. Nodes are in pre-order, so a parent's record is ready before its children's.
    """
    own: dict[int, tuple[tuple[int, int, str], ...]] = {0: ()}
    for n in nodes:
        for action, child in zip(n.actions, n.children):
            step = ((n.player, n.infoset, action),) if n.kind == "decision" else ()
            own[child] = own[n.index] + step  # type: ignore[operator]
    for info in infosets:
        seen: dict[tuple[tuple[int, str], ...], int] = {}
        for m in info.nodes:
            if any(step[1] == info.index for step in own[m]):
                return (f"information set '{info.label}' is reached twice on one play (at {nodes[m].id}); "
                        "the mover forgets it has already moved there")
            mine = tuple((i, a) for p, i, a in own[m] if p == info.player)
            seen.setdefault(mine, m)
        if len(seen) > 1:
            first, second = list(seen.values())[:2]
            return (f"{players[info.player]} cannot tell {nodes[first].id} from {nodes[second].id} "
                    f"(information set '{info.label}'), although its own earlier moves differ there")
    return None


# ---------------------------------------------------------------------------------- compiler
def compile_sequential(scenario: Scenario, exact: bool = False) -> ExtensiveGame:
    seq = scenario.spec.sequential
    if seq is None:
        raise ModelError(f"scenario '{scenario.id}' has no sequential form")
    env = scenario.env(exact)
    players = scenario.actors
    removed = {tuple(r.split(".", 1)) for r in scenario.spec.remove_moves}

    def value(path: tuple[str | int, ...]) -> tuple[Expr, Any]:
        e = scenario.expr(*path)
        try:
            v = e.evaluate(env, exact)
        except ExpressionError as exc:
            raise ScenarioError([Problem(exc.message, ".".join(map(str, path)), scenario.source)]) from None
        return e, (v if exact else float(v))

    nodes: list[Node | None] = []
    infoset_members: dict[tuple[str, str | None], list[int]] = {}
    infoset_meta: dict[tuple[str, str | None], tuple[int, tuple[str, ...], str]] = {}
    payoff_exprs: dict[int, tuple[Expr, ...]] = {}
    prob_exprs: dict[int, tuple[Expr, ...]] = {}

    typed = [(a, list(spec.types)) for a, spec in scenario.spec.actors.items() if spec.types]

    # The tree is expanded with an explicit stack, not recursion: a chain of thousands of moves must
    # not hit Python's recursion limit. Nodes are still numbered in pre-order; each node is created
    # with its children's indices filled in once they exist.
    kids: dict[int, list[int]] = {}
    Task = tuple[str | None, str | None, tuple[str, ...], tuple[tuple[str, str], ...], int | None]

    def enter(node_id: str | None, outcome: str | None, history: tuple[str, ...],
              profile: tuple[tuple[str, str], ...], parent: int | None) -> list[Task]:
        index = len(nodes)
        if parent is not None:
            kids.setdefault(parent, []).append(index)
        if node_id is None:
            assert outcome is not None
            terminal(index, outcome, history, profile)
            return []
        nodes.append(None)
        spec = seq.nodes[node_id]
        if spec.chance is not None:
            actions = tuple(spec.chance)
            types = dict(profile)
            exprs_probs = [value(typed_path(("sequential", "nodes", node_id, "chance", a, "prob"),
                                            spec.chance[a].prob, types, None))
                           for a in actions]
            total = sum((v for _, v in exprs_probs), Fraction(0) if exact else 0.0)
            if abs(float(total) - 1) > 1e-6:
                raise ModelError(f"scenario '{scenario.id}': the chance probabilities of node '{node_id}' sum to "
                                 f"{float(total):g} when {', '.join(f'{a} is {t}' for a, t in profile)}")
            prob_exprs[index] = tuple(e for e, _ in exprs_probs)
            nodes[index] = Node(index, "chance", history, node_id, actions=actions,
                                probs=tuple(v for _, v in exprs_probs), type_profile=profile)
            return [(b.next, b.outcome, history + (a,), profile, index) for a, b in spec.chance.items()]
        assert spec.actor is not None and spec.moves is not None
        moves = {m: mv for m, mv in spec.moves.items() if (node_id, m) not in removed}
        actions = tuple(moves)
        player = players.index(spec.actor)
        own_type = dict(profile).get(spec.actor)
        key = (spec.infoset or node_id, own_type)
        infoset_members.setdefault(key, []).append(index)
        infoset_meta.setdefault(key, (player, actions, spec.infoset or node_id))
        nodes[index] = Node(index, "decision", history, node_id, player=player, actions=actions,
                            type_profile=profile, rungs=tuple(mv.rung for mv in moves.values()))
        return [(mv.next, mv.outcome, history + (m,), profile, index) for m, mv in moves.items()]

    def terminal(index: int, outcome: str, history: tuple[str, ...], profile: tuple[tuple[str, str], ...]) -> None:
        types = dict(profile)
        out = seq.outcomes[outcome]
        exprs: list[Expr] = []
        vals: list[Any] = []
        for actor in players:
            pay = out.payoffs[actor]
            path = typed_path(("sequential", "outcomes", outcome, "payoffs", actor), pay, types, actor)
            e, v = value(path)
            exprs.append(e)
            vals.append(v)
        payoff_exprs[index] = tuple(exprs)
        nodes.append(Node(index, "terminal", history, outcome, outcome=outcome, payoffs=tuple(vals),
                          type_profile=profile))

    def expand(tasks: list[Task]) -> None:
        stack = list(reversed(tasks))
        while stack:
            stack.extend(reversed(enter(*stack.pop())))

    from ..scenario.size import check_budgets
    over_budget = check_budgets(scenario.spec, lambda m, p: Problem(m, ".".join(map(str, p)), scenario.source))
    if over_budget:      # a scenario built in memory, not through the loader, is checked here
        raise ScenarioError(over_budget)
    if typed:
        profiles = list(itertools.product(*[[(a, t) for t in ts] for a, ts in typed]))
        root = len(nodes)
        nodes.append(None)
        labels, probs, exprs_p = [], [], []
        tasks: list[Task] = []
        for profile in profiles:
            label = ",".join(t for _, t in profile) if len(typed) == 1 else ",".join(f"{a}:{t}" for a, t in profile)
            p: Any = Fraction(1) if exact else 1.0
            pexprs = []
            for a, t in profile:
                e, v = value(("actors", a, "types", t))
                p = p * v
                pexprs.append(e)
            labels.append(label)
            probs.append(p)
            exprs_p.append(_product_expr(pexprs))
            tasks.append((seq.root, None, (label,), tuple(profile), root))
        prob_exprs[root] = tuple(exprs_p)
        nodes[root] = Node(root, "chance", (), TYPES_NODE, actions=tuple(labels), probs=tuple(probs))
        expand(tasks)
    else:
        expand([(seq.root, None, (), (), None)])
    for parent, children in kids.items():
        nodes[parent] = replace(nodes[parent], children=tuple(children))  # type: ignore[arg-type]

    infosets: list[InfoSet] = []
    final_nodes: list[Node] = [n for n in nodes if n is not None]
    by_index = {n.index: n for n in final_nodes}
    for key, members in infoset_members.items():
        player, actions, source = infoset_meta[key]
        label = source if key[1] is None else f"{source}|{key[1]}"
        idx = len(infosets)
        infosets.append(InfoSet(idx, player, label, actions, tuple(members), source, key[1]))
        for m in members:
            by_index[m] = replace(by_index[m], infoset=idx)
    ordered = [by_index[i] for i in range(len(final_nodes))]
    return ExtensiveGame(scenario, ordered, infosets, payoff_exprs, prob_exprs, exact)


def typed_path(path: tuple[str | int, ...], spec: Any, types: Mapping[str, str],
               default: str | None) -> tuple[str | int, ...]:
    """The expression a type-dependent payoff or probability takes when the types are ``types``:
    each mapping is keyed by the types of its ``by`` actor (for a payoff, by default the payer)."""
    while isinstance(spec, dict):
        t = types[spec.get("by", default)]
        path, spec, default = path + (t,), spec[t], None
    return path


def _product_expr(exprs: list[Expr]) -> Expr:
    if len(exprs) == 1:
        return exprs[0]
    return parse(" * ".join(f"({e.source})" for e in exprs))
