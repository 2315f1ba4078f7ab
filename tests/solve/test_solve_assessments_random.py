"""Every reported sequential equilibrium is a Nash equilibrium that pygambit confirms (hypothesis).

Random small games with imperfect information -- signalling games (nature draws a type, the
sender knows it, the receiver sees only the message) and two-stage games in which the second
mover sees nothing, only the chance move, or only the first move -- are written as scenario YAML,
so the whole path from the language to the equilibria is exercised. Payoffs are small integers,
so ties (the hard case for belief ranges) are common. pygambit's ``enumpure`` lists every pure
Nash equilibrium of the reduced strategic form; each of our pure sequential equilibria must be
one of them, and the vectorised solver's uniform-tremble equilibrium, where it settles, must be
one of ours.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import escalab
from escalab.solve.assessments import is_nash, label_refinements, profile_of, pure_sequential_equilibria
from escalab.solve.gambit_bridge import nash
from escalab.solve.sequential import solve_sequential


def _pays(draw, players, n=2):
    return "{" + ", ".join(f"{p}: {draw(st.integers(-n, n))}" for p in players) + "}"


@st.composite
def signalling_games(draw):
    types = draw(st.integers(2, 3))
    weights = [draw(st.integers(1, 4)) for _ in range(types)]
    total = sum(weights)
    messages = draw(st.integers(2, 3))
    responses = draw(st.integers(2, 3))
    lines = ["escalab: 1", "id: random-signal", "title: random signalling game",
             "actors: {s: {name: S}, r: {name: R}}", "sequential:", "  root: nature", "  nodes:"]
    branches = ", ".join(f"t{k}: {{prob: '{w}/{total}', next: s{k}}}" for k, w in enumerate(weights))
    lines.append(f"    nature: {{chance: {{{branches}}}}}")
    outcomes = []
    for k in range(types):
        moves = ", ".join(f"m{m}: {{next: r{k}_{m}}}" for m in range(messages))
        lines.append(f"    s{k}: {{actor: s, moves: {{{moves}}}}}")
        for m in range(messages):
            acts = ", ".join(f"a{a}: {{outcome: o{k}_{m}_{a}}}" for a in range(responses))
            lines.append(f"    r{k}_{m}: {{actor: r, infoset: after_m{m}, moves: {{{acts}}}}}")
            outcomes += [f"    o{k}_{m}_{a}: {{payoffs: {_pays(draw, ['s', 'r'])}}}" for a in range(responses)]
    return "\n".join(lines + ["  outcomes:"] + outcomes) + "\n"


@st.composite
def two_stage_games(draw):
    """A moves; chance moves; B moves seeing nothing, the chance move, or A's move; A may move again."""
    sees = draw(st.sampled_from(["nothing", "chance", "first"]))
    p = draw(st.integers(1, 3))
    a_moves = draw(st.integers(2, 3))
    lines = ["escalab: 1", "id: random-two-stage", "title: random two-stage game",
             "actors: {a: {name: A}, b: {name: B}}", "sequential:", "  root: a0", "  nodes:"]
    lines.append("    a0: {actor: a, moves: {" + ", ".join(f"x{i}: {{next: c{i}}}" for i in range(a_moves)) + "}}")
    outcomes = []
    for i in range(a_moves):
        lines.append(f"    c{i}: {{chance: {{h: {{prob: '{p}/4', next: b{i}h}}, l: {{prob: '{4 - p}/4', next: b{i}l}}}}}}")
        for c in ("h", "l"):
            infoset = {"nothing": "b", "chance": f"b_{c}", "first": f"b_x{i}"}[sees]
            acts = []
            for y in range(2):
                if draw(st.booleans()) and draw(st.booleans()):
                    node = f"a{i}{c}{y}"
                    acts.append(f"y{y}: {{next: {node}}}")
                    lines.append(f"    {node}: {{actor: a, moves: {{z0: {{outcome: o{node}0}}, "
                                 f"z1: {{outcome: o{node}1}}}}}}")
                    outcomes += [f"    o{node}{z}: {{payoffs: {_pays(draw, ['a', 'b'])}}}" for z in range(2)]
                else:
                    acts.append(f"y{y}: {{outcome: o{i}{c}{y}}}")
                    outcomes.append(f"    o{i}{c}{y}: {{payoffs: {_pays(draw, ['a', 'b'])}}}")
            lines.append(f"    b{i}{c}: {{actor: b, infoset: {infoset}, moves: {{{', '.join(acts)}}}}}")
    return "\n".join(lines + ["  outcomes:"] + outcomes) + "\n"


def _agree(ours, theirs) -> bool:
    """Our complete pure profile against a reduced one (sets a player's own move rules out are open)."""
    for label in ours.behaviour:
        c = theirs.choice(label)
        if c is not None and c != ours.choice(label):
            return False
    return True


def _check(text: str) -> None:
    game = escalab.loads(text).compile("sequential", exact=True)
    ours = pure_sequential_equilibria(game)
    theirs = nash(game, "enumpure").equilibria
    for eq in ours:
        assert any(_agree(eq, g) for g in theirs), f"{eq.path} is not among pygambit's pure Nash equilibria"
        sigma, _ = profile_of(game, eq)
        assert is_nash(game, sigma)
        assert label_refinements(game, eq).refinements["sequential"] is True
    sol = solve_sequential(game)
    if bool(sol.converged[0]):
        mine = sol.equilibrium(0)
        assert any(all(e.choice(k) == mine.choice(k) for k in e.behaviour) for e in ours)


@settings(max_examples=40)
@given(signalling_games())
def test_signalling_games(text):
    _check(text)


@settings(max_examples=40)
@given(two_stage_games())
def test_two_stage_games(text):
    _check(text)
