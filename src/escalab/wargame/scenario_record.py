"""A scenario as one self-contained JSON document, stored with each game.

A game must replay and resume years later, after the built-in library or a scenario file has
changed, so the store keeps the scenario itself: the specification with ``extends`` already
merged, ladders and readiness scales inlined, and the bound parameter values as defaults.
"""

from __future__ import annotations

import json

from ..scenario import Scenario
from ..scenario.loader import loads


def dump_scenario(scenario: Scenario) -> str:
    spec = scenario.self_contained()
    for name, value in scenario.values.items():
        v = float(value)
        spec["parameters"][name]["default"] = int(v) if v.is_integer() and isinstance(value, int) else v
    # in the scenario's own order: sorted keys would reorder a tree's moves and an actor's types, and
    # the stored game would be a different (if equivalent) crisis with an equilibrium of its own
    return json.dumps(spec)


def restore_scenario(text: str) -> Scenario:
    return loads(text, name="<stored scenario>")
