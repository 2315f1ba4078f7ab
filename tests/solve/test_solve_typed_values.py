"""Payoffs and chance probabilities that depend on any actor's type ('by: <actor>' mappings)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
import yaml

import escalab
from escalab.scenario.schema import ScenarioSpec

BASE = """
escalab: 1
id: typed
title: typed values
parameters: {q: {default: 0.25, range: [0, 1]}}
actors:
  s: {name: S, types: {hi: q, lo: 1 - q}}
  r: {name: R, types: {x: 1/2, y: 1/2}}
sequential:
  root: move
  nodes:
    move: {actor: s, moves: {go: {next: luck}, stop: {outcome: stopped}}}
    luck:
      chance:
        good: {prob: PROB, outcome: good}
        bad: {prob: PROB_BAD, outcome: bad}
  outcomes:
    stopped: {payoffs: {s: 0, r: RPAY}}
    good: {payoffs: {s: {hi: 2, lo: {by: r, x: 3, y: 4}}, r: 1}}
    bad: {payoffs: {s: -1, r: 0}}
"""


def make(prob="{by: s, hi: 0.9, lo: 0.2}", bad="{by: s, hi: 0.1, lo: 0.8}", rpay="{by: s, hi: 5, lo: 7}"):
    return BASE.replace("PROB_BAD", bad).replace("PROB", prob).replace("RPAY", rpay)


def test_values_follow_the_type_of_the_actor_named_by_by():
    game = escalab.loads(make()).compile("sequential", exact=True)
    pays = {n.history: n.payoffs for n in game.terminals()}
    # the root's chance move draws (s type, r type); the receiver's payoff follows the sender's type
    assert pays[("s:hi,r:x", "stop")] == (0, 5) and pays[("s:lo,r:y", "stop")] == (0, 7)
    # nested: the low sender's payoff depends on the receiver's type
    assert pays[("s:lo,r:x", "go", "good")][0] == 3 and pays[("s:lo,r:y", "go", "good")][0] == 4
    assert pays[("s:hi,r:y", "go", "good")][0] == 2
    luck = {n.history[0]: n.probs for n in game.nodes if n.source == "luck"}
    assert luck["s:hi,r:x"] == (Fraction(9, 10), Fraction(1, 10))
    assert luck["s:lo,r:y"] == (Fraction(1, 5), Fraction(4, 5))


def test_vectorised_evaluation_keeps_the_typed_expressions():
    game = escalab.loads(make(rpay="{by: s, hi: q, lo: 2 * q}")).compile("sequential")
    pays, _ = game.evaluate({"q": 0.5})
    stop = {n.history[0]: n.index for n in game.terminals() if n.history[-1] == "stop"}
    assert pays[stop["s:hi,r:x"]][1] == 0.5 and pays[stop["s:lo,r:x"]][1] == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"rpay": "{by: nobody, hi: 5, lo: 7}"}, "'by' names unknown actor 'nobody'"),
    ({"rpay": "{by: s, hi: 5}"}, "missing payoff for type 'lo' of actor 's'"),
    ({"rpay": "{by: s, hi: 5, lo: 7, mid: 1}"}, "unknown type 'mid'"),
    ({"rpay": "{hi: 5, lo: 7}"}, "unknown type 'hi' (types of 'r': x, y)"),
    ({"prob": "{hi: 0.9, lo: 0.2}"}, "needs 'by: <actor>'"),
    ({"bad": "{by: s, hi: 0.2, lo: 0.8}"}, "sum to 1.1 at the default parameters when s hi, r x"),
    ({"prob": "{by: s, hi: 1.5, lo: 0.2}"}, "expected a probability in [0, 1]"),
])
def test_bad_typed_values_are_reported_at_their_place(kwargs, message):
    with pytest.raises(escalab.ScenarioError) as info:
        escalab.loads(make(**kwargs))
    assert message in str(info.value)


def test_a_type_may_not_be_called_by():
    text = make().replace("types: {x: 1/2, y: 1/2}", "types: {x: 1/2, by: 1/2}")
    with pytest.raises(escalab.ScenarioError, match="'by' is reserved"):
        escalab.loads(text)


def test_the_json_schema_accepts_typed_values_and_rejects_lists():
    schema = ScenarioSpec.model_json_schema()
    path = Path(escalab.__file__).parent / "library" / "scenarios" / "beer-quiche.yaml"
    doc = yaml.safe_load(path.read_text())
    jsonschema.validate(doc, schema)
    doc["sequential"]["outcomes"]["beer_duel"]["payoffs"]["receiver"] = [1, 0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(json.dumps(doc)), schema)


def test_grid_fractions_stay_exact_in_an_exact_sweep():
    """With L = -3 and u_answered = -6 Russia is indifferent exactly at p = 8/11: the exact sweep
    reaches that point and marks the tie; a float grid never lands on it."""
    from escalab.errors import UsageError
    from escalab.solve.sweep import parse_axis, sweep
    axis = parse_axis("p=0:8/11:5")
    assert axis.exact[-1] == Fraction(8, 11) and axis.exact[1] == Fraction(2, 11)
    s = escalab.load("incomplete-resolve").with_params(L=-3, u_answered=-6)
    result = sweep(s, [parse_axis("p=1/2,8/11,3/4")], exact=True)
    labels = [result.labels[c] for c in result.codes]
    assert labels[1] == "conventional_defeat (tie at russia_decides)"
    assert labels[0] != labels[1] and "tie" not in labels[2]
    assert "tie" not in " ".join(sweep(s, [parse_axis("p=1/2,8/11,3/4")]).labels)
    with pytest.raises(UsageError, match="expected a finite number"):
        parse_axis("p=0:inf:3")


def test_set_with_a_fraction_reaches_the_exact_solver(invoke, tmp_path):
    out = tmp_path / "s.json"
    r = invoke("solve", "incomplete-resolve", "--set", "L=-3", "--set", "u_answered=-6", "--set", "p=8/11",
               "--method", "sequential", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(out.read_text())["equilibria"]) == 2       # accept and limited_use both
    assert invoke("solve", "--set", "p_resolute=1/0").exit_code == 2
