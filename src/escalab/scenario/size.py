"""How big a scenario becomes when compiled, computed from its text before anything is expanded.

Moves may share ``next:`` nodes, so a 40-line file can describe a tree of 2^40 nodes; private types
multiply the tree by the number of type profiles; a ladder crisis holds arrays over turns, balance
values and rungs. Each count here is exact (or an upper bound) and cheap: it walks the node graph
once, never the tree. ``check_budgets`` compares them with the named limits, so ``validate`` refuses
what ``solve`` could never finish, with the limit's name and how to raise it.
"""

from __future__ import annotations

from typing import Any

from .. import limits
from ..errors import Problem

__all__ = ["check_budgets", "expanded_tree_depth", "expanded_tree_size", "type_profiles"]


def type_profiles(spec: Any) -> int:
    """The number of type profiles: the product over actors of their numbers of private types."""
    n = 1
    for actor in spec.actors.values():
        if actor.types:
            n *= len(actor.types)
    return n


def _targets(node: Any) -> list[tuple[str | None, str | None]]:
    branches = node.chance.values() if node.chance is not None else (node.moves or {}).values()
    return [(b.next, b.outcome) for b in branches]


def expanded_tree_size(spec: Any) -> int:
    return _tree_measures(spec)[0]


def expanded_tree_depth(spec: Any) -> int:
    """Moves on the longest play of the compiled game (the type draw counts as one)."""
    return _tree_measures(spec)[1]


def _tree_measures(spec: Any) -> tuple[int, int]:
    """Nodes of the compiled extensive-form game (an exact count; Python integers never overflow).

    A node reached by several moves is counted once per way of reaching it, as the compiler copies
    it. Walked with an explicit stack, so a chain of any length needs no recursion. A node on a cycle
    (which validation reports separately) counts as unboundedly large.
    """
    seq = spec.sequential
    if seq is None or seq.root not in seq.nodes:
        return 0, 0
    size: dict[str, int] = {}
    depth: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[tuple[str, bool]] = [(seq.root, False)]
    huge = 1 << 200
    while stack:
        node_id, done = stack.pop()
        node = seq.nodes.get(node_id)
        if node is None:
            size[node_id], depth[node_id] = 1, 0
            continue
        if done:
            on_stack.discard(node_id)
            total, deepest = 1, 0
            for nxt, _ in _targets(node):
                total += 1 if nxt is None else size.get(nxt, huge)
                deepest = max(deepest, 0 if nxt is None else depth.get(nxt, huge))
            size[node_id], depth[node_id] = min(total, huge), min(deepest + 1, huge)
            continue
        if node_id in size or node_id in on_stack:
            continue
        on_stack.add(node_id)
        stack.append((node_id, True))
        for nxt, _ in _targets(node):
            if nxt is not None and nxt not in size:
                if nxt in on_stack:
                    size[nxt] = depth[nxt] = huge        # a cycle: validation says where
                else:
                    stack.append((nxt, False))
    profiles = type_profiles(spec)
    typed_root = 1 if any(a.types for a in spec.actors.values()) else 0   # the Harsanyi chance move
    return typed_root + profiles * size[seq.root], typed_root + depth[seq.root]


def check_budgets(spec: Any, locate: Any) -> list[Problem]:
    """Problems for every budget the scenario exceeds; ``locate(message, path)`` makes a located Problem."""
    problems: list[Problem] = []
    for actor_id, actor in spec.actors.items():
        if actor.types and len(actor.types) > limits.TYPES_PER_ACTOR.value():
            problems.append(locate(limits.TYPES_PER_ACTOR.refusal(len(actor.types)), ("actors", actor_id, "types")))
    if problems:
        return problems
    nodes, deepest = _tree_measures(spec)
    if deepest > limits.TREE_DEPTH.value():
        problems.append(locate(limits.TREE_DEPTH.refusal(deepest if deepest < 10**30 else float(deepest)),
                               ("sequential", "root")))
    if nodes > limits.TREE_NODES.value():
        shown = nodes if nodes < 10**30 else float(nodes)
        problems.append(locate(limits.TREE_NODES.refusal(shown) + " (moves that share a 'next:' node copy it once "
                               "per way of reaching it; private types copy the tree per type profile)",
                               ("sequential", "root")))
    crisis = getattr(spec, "ladder_crisis", None)
    if crisis is not None:
        if crisis.turn_limit > limits.TURN_LIMIT.value():
            problems.append(locate(limits.TURN_LIMIT.refusal(crisis.turn_limit), ("ladder_crisis", "turn_limit")))
        lo, hi = crisis.balance.range
        width = hi - lo + 1
        if width > limits.BALANCE_RANGE.value():
            problems.append(locate(limits.BALANCE_RANGE.refusal(width), ("ladder_crisis", "balance", "range")))
    return problems
