"""Refutations of consistency are never wrong: a brute-force tremble search on random games (hypothesis).

The games make partly overlapping deviation sets common: P1 stays out or deviates; a deviation
leads to one of P3's information sets, to a coin that splits it between two, or to P2, whose own
choice (and deviation) leads on to P3. Whenever the exact check says a profile is *not*
sequential although every set alone could support its choice (the cases the old set-by-set check
accepted), a search written here from the definition, sharing no code with the solver, must find
no trembles whose limit beliefs make every choice a best reply: every order assignment k in
{1, 2, 3} per deviation, each with weights w all 1 and then sampled as powers of two from 1/16 to
16 (seeded). And every profile called sequential is a Nash equilibrium pygambit lists.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_solve_consistency import TIED, cycle      # hand-derived games: refutations always exercised

import escalab
from escalab.solve.assessments import check
from escalab.solve.gambit_bridge import nash

ORDERS = (1, 2, 3)
WEIGHT_SAMPLES = 40          # per order assignment: all ones, then powers of two from 1/16 to 16 (seeded)


@st.composite
def overlapping_games(draw):
    sets = draw(st.integers(2, 3))
    deviations = draw(st.integers(2, 3))
    lines = ["escalab: 1", "id: random-overlap", "title: random overlapping deviations",
             "actors: {p1: {name: P1}, p2: {name: P2}, p3: {name: P3}}", "sequential:", "  root: n1", "  nodes:"]
    outcomes = ["    o_out: {payoffs: {p1: 3, p2: 0, p3: 0}}"]      # P1 stays out: the rest is off the path
    moves = ["out: {outcome: o_out}"]
    leaves: list[str] = []

    def p3_node(name: str) -> None:
        s = draw(st.integers(0, sets - 1))
        lines.append(f"    {name}: {{actor: p3, infoset: S{s}, "
                     f"moves: {{u: {{outcome: {name}_u}}, v: {{outcome: {name}_v}}}}}}")
        leaves.append(name)

    for i in range(deviations):
        kind = draw(st.sampled_from(["set", "coin", "p2", "p2"]))
        moves.append(f"d{i}: {{next: m{i}}}")
        if kind == "set":
            p3_node(f"m{i}")
        elif kind == "coin":
            p = draw(st.integers(1, 3))
            lines.append(f"    m{i}: {{chance: {{h: {{prob: '{p}/4', next: m{i}h}}, "
                         f"t: {{prob: '{4 - p}/4', next: m{i}t}}}}}}")
            p3_node(f"m{i}h")
            p3_node(f"m{i}t")
        else:
            lines.append(f"    m{i}: {{actor: p2, moves: {{e0: {{next: m{i}e0}}, e1: {{next: m{i}e1}}}}}}")
            p3_node(f"m{i}e0")
            p3_node(f"m{i}e1")
    lines.insert(7, "    n1: {actor: p1, moves: {" + ", ".join(moves) + "}}")
    for leaf in leaves:
        for a in "uv":
            pays = ", ".join(f"{p}: {draw(st.integers(-2, 2))}" for p in ("p1", "p2", "p3"))
            outcomes.append(f"    {leaf}_{a}: {{payoffs: {{{pays}}}}}")
    return "\n".join(lines + ["  outcomes:"] + outcomes) + "\n"


def _witness(game, choice: dict[int, int]) -> bool:
    """Some orders and weights on the grid whose limit beliefs make every choice a best reply."""
    nodes = game.nodes
    chance: dict[int, Fraction] = {0: Fraction(1)}
    devs: dict[int, tuple[tuple[int, int], ...]] = {0: ()}
    for n in nodes:
        for a, ch in enumerate(n.children):
            if n.kind == "chance":
                chance[ch], devs[ch] = chance[n.index] * Fraction(n.probs[a]), devs[n.index]
            else:
                chance[ch] = chance[n.index]
                devs[ch] = devs[n.index] + (((n.infoset, a),) if a != choice.get(n.infoset) else ())
    val: dict[int, tuple] = {}
    for n in reversed(nodes):
        if n.kind == "terminal":
            val[n.index] = tuple(Fraction(p) for p in n.payoffs)
        elif n.kind == "chance":
            val[n.index] = tuple(sum(Fraction(p) * val[ch][i] for p, ch in zip(n.probs, n.children))
                                 for i in range(len(game.players)))
        else:
            val[n.index] = val[n.children[choice[n.infoset]]]
    gains = {}      # per set: node -> payoff of the chosen action minus each other action's
    for info in game.infosets:
        c = choice[info.index]
        gains[info.index] = {x: [val[nodes[x].children[c]][info.player] - val[nodes[x].children[b]][info.player]
                                 for b in range(len(info.actions)) if b != c] for x in info.nodes}
    used = sorted({d for x in range(len(nodes)) for d in devs[x]})
    rng = np.random.default_rng(7)
    for ks in itertools.product(ORDERS, repeat=len(used)):
        k = dict(zip(used, ks))
        for sample in range(WEIGHT_SAMPLES):
            w = {d: Fraction(1) if sample == 0 else Fraction(2) ** int(rng.integers(-4, 5)) for d in used}
            if all(_best(info, gains[info.index], chance, devs, k, w) for info in game.infosets):
                return True
    return False


def _best(info, gains, chance, devs, k, w) -> bool:
    order = {x: sum(k[d] for d in devs[x]) for x in info.nodes}
    low = min(order.values())
    weight = {x: chance[x] * _prod(w[d] for d in devs[x]) for x in info.nodes if order[x] == low}
    return all(sum(weight[x] * gains[x][j] for x in weight) >= 0 for j in range(len(info.actions) - 1))


def _prod(xs) -> Fraction:
    out = Fraction(1)
    for x in xs:
        out *= x
    return out


@pytest.mark.slow
@settings(max_examples=120)
@given(overlapping_games())
@example(TIED)
@example(cycle(3))
def test_refuted_profiles_have_no_supporting_trembles(text):
    game = escalab.loads(text).compile("sequential", exact=True)
    theirs = nash(game, "enumpure").equilibria
    for combo in itertools.product(*[range(len(i.actions)) for i in game.infosets]):
        choice = dict(enumerate(combo))
        sigma = {j: tuple(Fraction(int(a == c)) for a in range(len(game.infosets[j].actions)))
                 for j, c in choice.items()}
        v = check(game, sigma, stop_early=False)
        if v.sequential is False and all(v.local.values()) and not v.reason.startswith("at "):
            assert not _witness(game, choice), f"{v.reason}\n{text}"
        if v.sequential:
            labels = {game.infosets[j].label: game.infosets[j].actions[c] for j, c in choice.items()}
            assert any(all(e.choice(s) in (None, a) for s, a in labels.items()) for e in theirs), text
