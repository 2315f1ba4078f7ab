"""A scenario as one self-contained JSON document, stored with each game.

A game must replay and resume years later, after the built-in library or a scenario file has
changed, so the store keeps the scenario itself: the specification with ``extends`` already
merged, ladders and readiness scales inlined, and the bound parameter values as defaults.
"""

from __future__ import annotations

import json
from typing import Any

from ..scenario import Scenario
from ..scenario.loader import loads


def dump_scenario(scenario: Scenario) -> str:
    spec: dict[str, Any] = scenario.spec.model_dump(mode="json", exclude_none=True)
    spec.pop("extends", None)
    if scenario.ladder is not None:
        spec["ladder"] = scenario.ladder.model_dump(mode="json", exclude_none=True)
    if spec.get("ladder_crisis") is not None and scenario.crisis_ladder is not None:
        spec["ladder_crisis"]["ladder"] = scenario.crisis_ladder.model_dump(mode="json", exclude_none=True)
    for actor, scale in scenario.scales.items():
        spec["actors"][actor]["readiness"] = scale.model_dump(mode="json", exclude_none=True)
    for name, value in scenario.values.items():
        v = float(value)
        spec["parameters"][name]["default"] = int(v) if v.is_integer() and isinstance(value, int) else v
    return json.dumps(spec, sort_keys=True)


def restore_scenario(text: str) -> Scenario:
    return loads(text, name="<stored scenario>")
