"""Scenario.with_params: names, ranges and probabilities are checked again at the new values."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import escalab
from escalab.errors import UsageError
from escalab.scenario import load, loads

FILES = Path(__file__).parent / "files"

OPEN_PRIOR = """escalab: 1
id: open-prior
title: A prior with no declared range
parameters:
  q: {default: 0.5}
  up: {default: 0.1, form: ladder_crisis}
actors:
  a: {name: A, types: {tough: q, soft: 1 - q}}
  b: {name: B}
sequential:
  root: n
  nodes:
    n: {actor: a, moves: {go: {outcome: o}}}
  outcomes:
    o: {payoffs: {a: 1, b: 0}}
ladder_crisis:
  ladder: kahn-game-compact
  actors: [a, b]
  start: {a: return_to_start_line, b: return_to_start_line}
  accidents:
    nuclear_use: {up: up, down: 0.5}
  turn_limit: 3
  endings:
    settlement: {payoffs: {a: 0, b: 0}}
    a_capitulates: {payoffs: {a: -1, b: 1}}
    b_capitulates: {payoffs: {a: 1, b: -1}}
    strategic_war: {payoffs: {a: -9, b: -9}}
    turn_limit: {payoffs: {a: 0, b: 0}}
"""


def test_with_params_returns_a_new_scenario() -> None:
    s = load("escalate-to-deescalate")
    t = s.with_params(p_resolute=0.8)
    assert t.values["p_resolute"] == 0.8 and s.values["p_resolute"] == 0.3
    assert t.with_params({"stake_r": 20}, c_strategic=50).values["stake_r"] == 20
    assert t.evaluate("actors", "us", "types", "irresolute") == pytest.approx(0.2)
    assert t.evaluate("actors", "us", "types", "irresolute", exact=True) == Fraction(1, 5)
    assert "changed" in repr(t)


def test_unknown_parameter() -> None:
    with pytest.raises(UsageError, match="has no parameter 'p_resolut'.*p_resolute"):
        load("escalate-to-deescalate").with_params(p_resolut=0.5)


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_out_of_range(value: float) -> None:
    with pytest.raises(UsageError, match=r"lies outside its range \[0, 1\]"):
        load("escalate-to-deescalate").with_params(p_resolute=value)


@pytest.mark.parametrize("value", ["high", None, True, float("nan"), float("inf")])
def test_not_a_number(value: object) -> None:
    with pytest.raises(UsageError):
        loads(OPEN_PRIOR, "o.yaml").with_params(q=value)


def test_probabilities_rechecked_at_new_values() -> None:
    s = loads(OPEN_PRIOR, "o.yaml")
    assert s.with_params(q=0.9).values["q"] == 0.9
    with pytest.raises(UsageError, match="not a probability"):
        s.with_params(q=1.5)
    with pytest.raises(UsageError, match="up \\+ down = 1.1 exceed 1"):
        s.with_params(up=0.6)


def test_compile_uses_new_values() -> None:
    s = load(FILES / "base.yaml")
    g = s.with_params(p=0.75, cost=4).compile()
    assert g.root.probs == (0.75, 0.25)
    war = [n for n in g.terminals() if n.outcome == "war"]
    assert {n.payoffs for n in war} == {(-4.0, -3.0), (-4.0, -12.0)}
    exact = s.with_params(p=0.75).compile(exact=True)
    assert exact.root.probs == (Fraction(3, 4), Fraction(1, 4))


def test_top_level_api_names() -> None:
    assert escalab.load("escalate-to-deescalate").with_params(p_resolute=0.5).compile().info.has_chance
