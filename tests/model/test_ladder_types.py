"""Private types and variants in the ladder form: the prior draw, payoffs per type, removed actions,
and the scenario-language checks that come with them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import escalab
from escalab.errors import ModelError, ScenarioError
from escalab.model.ladder import JointAction
from escalab.scenario import loads

TINY = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"


def test_types_are_drawn_from_the_prior():
    game = escalab.load("escalate-to-deescalate").with_params(p_resolute=0.3).compile("ladder")
    assert game.type_names == (("default",), ("resolute", "irresolute"))
    dist = game.initial_distribution()
    assert [p for p, _ in dist] == pytest.approx([0.3, 0.7])
    assert [s.types for _, s in dist] == [(0, 0), (0, 1)]
    assert all(replace(s, types=(0, 0)) == game.initial_state() for _, s in dist)
    # A degenerate prior leaves one start state; the type it rules out is never drawn.
    only = escalab.load("escalate-to-deescalate").with_params(p_resolute=1).compile("ladder")
    assert [(p, s.types) for p, s in only.initial_distribution()] == [(1.0, (0, 0))]


def test_an_actor_without_types_has_one_default_type():
    game = escalab.load("kahn-game").compile("ladder")
    assert game.type_names == (("default",), ("default",))
    assert [(p, s.types) for p, s in game.initial_distribution()] == [(1.0, (0, 0))]


def test_each_type_is_paid_its_own_costs():
    scenario = escalab.load("escalate-to-deescalate")
    game = scenario.compile("ladder")
    v = scenario.values
    start = game.initial_distribution()[0][1]
    nuclear = game.index("limited_nuclear_use")
    ended = replace(start, turn=3, peak=nuclear, ending="russia_capitulates")
    resolute = game.returns(replace(ended, types=(0, 0)))
    irresolute = game.returns(replace(ended, types=(0, 1)))
    assert resolute[0] == irresolute[0]                    # Russia's payoff does not depend on the type
    assert resolute[1] - irresolute[1] == pytest.approx((v["fear_irresolute"] - 1) * v["c_limited"])
    # The type is the payer's own: the state carries it through every transition.
    joint = JointAction((start.positions[0], start.positions[1]))
    assert all(s.types == (0, 1) for _, s in game.transition(replace(start, types=(0, 1)), joint))


def test_the_variant_without_the_low_yield_answer_has_no_low_yield_rung_for_the_us():
    full = escalab.load("escalate-to-deescalate").compile("ladder")
    variant = escalab.load("escalate-to-deescalate-no-low-yield").compile("ladder")
    low_yield = full.index("limited_nuclear_use")
    assert low_yield in full.allowed[1] and low_yield not in variant.allowed[1]
    assert variant.allowed[0] == full.allowed[0]           # Russia keeps its own limited use
    assert set(full.allowed[1]) - set(variant.allowed[1]) == {low_yield}
    state = replace(variant.initial_state(), positions=(low_yield - 1, low_yield - 1))
    assert low_yield not in variant.legal_actions(state, 1)
    with pytest.raises(ModelError, match="illegal action limited_nuclear_use for us"):
        variant.transition(state, JointAction((low_yield, low_yield)))


TYPED = TINY.read_text(encoding="utf-8")


def problems(old: str, new: str) -> list[tuple[str, str]]:
    assert old in TYPED
    with pytest.raises(ScenarioError) as info:
        loads(TYPED.replace(old, new, 1), "t.yaml", TINY.parent)
    return [(p.path, p.message) for p in info.value.problems]


@pytest.mark.parametrize("old, new, path, message", [
    ("payoffs: {a: balance - turns, d: {tough: -balance - turns, soft: -balance - c_soft * turns}}\n    a_cap",
     "payoffs: {a: {x: 1}, d: {tough: -balance - turns, soft: -balance - c_soft * turns}}\n    a_cap",
     "ladder_crisis.endings.settlement.payoffs.a", "payoffs per type, but actor 'a' declares no types"),
    ("d: {tough: 5 - turns, soft: 5 - c_soft * turns}", "d: {tough: 5 - turns}",
     "ladder_crisis.endings.a_capitulates.payoffs.d", "missing payoff for type 'soft' of actor 'd'"),
    ("d: {tough: 5 - turns, soft: 5 - c_soft * turns}", "d: {tough: 5 - turns, soft: 1, hard: 2}",
     "ladder_crisis.endings.a_capitulates.payoffs.d.hard", "unknown type 'hard' (types of 'd': tough, soft)"),
    ("d: {tough: 5 - turns, soft: 5 - c_soft * turns}", "d: {tough: 5 - turns, soft: 5 - nerve}",
     "ladder_crisis.endings.a_capitulates.payoffs.d.soft", "uses unknown parameter(s) nerve"),
    ("a: {name: Challenger}", "a: {name: Challenger, types: {x: 0.5, y: 0.5}}",
     "ladder_crisis.actors", "a ladder crisis supports private types for one of its actors, but a and d both "
                             "declare types"),
    ("types: {tough: p_tough, soft: 1 - p_tough}", "types: {tough: 0.2, soft: 0.3, mad: 0.5}",
     "actors.d.types", "a ladder crisis supports two private types per actor; 'd' declares 3"),
    ("belief_grid: 10", "belief_grid: 1", "ladder_crisis.belief_grid", ""),
])
def test_bad_typed_crises_are_reported(old: str, new: str, path: str, message: str):
    found = problems(old, new)
    assert any(p == path and message in m for p, m in found), found
