"""Our backward induction against pygambit on random perfect-information trees (hypothesis).

Trees are written as scenario YAML and loaded with ``escalab.loads``, so the whole path from the
scenario language to the equilibrium is exercised. Payoffs are drawn without ties between a
player's outcomes and examples where expected values still tie are skipped, so the subgame-perfect
equilibrium is unique and pygambit's logit-limit equilibrium must be the same profile.
"""

from __future__ import annotations

from fractions import Fraction

import pygambit as gbt
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import escalab
from escalab.solve.backward import subgame_perfect
from escalab.solve.gambit_bridge import limit_outcome, to_gambit
from escalab.solve.sequential import solve_sequential


@st.composite
def trees(draw):
    n_players = draw(st.integers(2, 3))
    players = [f"p{k}" for k in range(n_players)]
    nodes: dict[str, str] = {}
    outcomes: list[str] = []
    counter = [0]

    def payoff_line(oid: str) -> str:
        pays = ", ".join(f"{p}: {draw(st.integers(-1000, 1000))}" for p in players)
        return f"    {oid}: {{payoffs: {{{pays}}}}}"

    def build(depth: int) -> str:
        counter[0] += 1
        nid = f"n{counter[0]}"
        kind = draw(st.sampled_from(["decision", "decision", "decision", "chance"])) if depth > 0 else "decision"
        width = draw(st.integers(2, 3))
        targets = []
        for k in range(width):
            if depth < 3 and draw(st.booleans()):
                targets.append(("next", build(depth + 1)))
            else:
                oid = f"o{len(outcomes) + 1}"
                outcomes.append(payoff_line(oid))
                targets.append(("outcome", oid))
        if kind == "chance":
            weights = [draw(st.integers(1, 9)) for _ in targets]
            total = sum(weights)
            branches = ", ".join(f"c{k}: {{prob: '{w}/{total}', {key}: {t}}}"
                                 for k, (w, (key, t)) in enumerate(zip(weights, targets)))
            nodes[nid] = f"    {nid}: {{chance: {{{branches}}}}}"
        else:
            actor = draw(st.sampled_from(players))
            moves = ", ".join(f"m{k}: {{{key}: {t}}}" for k, (key, t) in enumerate(targets))
            nodes[nid] = f"    {nid}: {{actor: {actor}, moves: {{{moves}}}}}"
        return nid

    root = build(0)
    actors = ", ".join(f"{p}: {{name: {p}}}" for p in players)
    return "\n".join(["escalab: 1", "id: random-tree", "title: random tree", f"actors: {{{actors}}}",
                      "sequential:", f"  root: {root}", "  nodes:", *nodes.values(), "  outcomes:", *outcomes])


@settings(max_examples=40)
@given(trees())
def test_backward_induction_matches_pygambit(text):
    scenario = escalab.loads(text)
    game = scenario.compile("sequential", exact=True)
    result = subgame_perfect(game)
    assume(not result.ties)
    eq = result.equilibrium

    # 1. pygambit evaluates our profile to the same exact payoffs, and finds no profitable deviation
    gg = to_gambit(game)
    profile = gg.game.mixed_behavior_profile(rational=True)
    for info in game.infosets:
        for action in gg.infosets[info.index].actions:
            profile[action] = eq.behaviour[info.label][action.label]
    for player in gg.game.players:
        assert Fraction(profile.payoff(player)) == eq.payoffs[player.label]
    assert profile.max_regret() == 0

    # 2. pygambit's own equilibrium selection (limit of the logit branch) is the same profile
    selected = limit_outcome(game)
    for info in game.infosets:
        ours = eq.choice(info.label)
        theirs = max(selected.behaviour[info.label].items(), key=lambda kv: kv[1])[0]
        assert ours == theirs, (info.label, text)

    # 3. the vectorised solver, in floats, gives the same choices
    flt = solve_sequential(scenario.compile("sequential"))
    for info in game.infosets:
        assert info.actions[int(flt.choice[info.index][0])] == eq.choice(info.label)


def test_pygambit_tree_has_the_same_shape(default_scenario):
    game = default_scenario.compile("sequential", exact=True)
    gg = to_gambit(game)
    assert len(list(gg.game.nodes)) == len(game.nodes)
    assert len(list(gg.game.infosets)) == len(game.infosets)
    root = gg.game.root
    assert [a.prob for a in root.infoset.actions] == [gbt.Rational(3, 10), gbt.Rational(7, 10)]
    for info in game.infosets:
        assert gg.infosets[info.index].label == info.label
        assert len(list(gg.infosets[info.index].members)) == len(info.nodes)
