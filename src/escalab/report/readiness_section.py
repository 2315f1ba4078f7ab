"""The readiness part of the report: what each observable sign and declaration says about readiness.

The article's points 7-9: a declaration is cheap, submarines at sea are not. For every actor with
indicators, the posterior over its readiness levels after one look in which exactly one thing is
observed (each sign seen alone, each declaration heard alone), after all signs are seen, and after
none is -- Bayes' rule on the scenario's likelihoods, so a reader sees which evidence moves the
belief and which does not.
"""

from __future__ import annotations

from typing import Any

from ..scenario import Scenario
from ..simulate.readiness import Observation, indicator_model, posterior


def compute(s: Scenario) -> dict[str, Any]:
    if not s.spec.indicators:
        return {"skipped": "the scenario gives no readiness indicators ('indicators'), so there is no "
                           "posterior to show"}
    actors = []
    for actor, spec in s.spec.indicators.items():
        m = indicator_model(s, actor)
        looks: list[tuple[str, Observation]] = []
        for sign in m.signs:
            looks.append((f"{sign} seen (nothing else known)", Observation({sign: True})))
        for text in m.declarations:
            looks.append((f"declaration heard: \u201c{text}\u201d", Observation({}, text)))
        if m.signs:
            looks.append(("every sign seen", Observation({sg: True for sg in m.signs})))
            looks.append(("no sign seen", Observation({sg: False for sg in m.signs})))
        rows = [{"look": label, "posterior": [float(x) for x in posterior(m, obs)]} for label, obs in looks]
        actors.append({
            "actor": actor, "name": s.spec.actors[actor].name, "scale": s.scales[actor].id,
            "levels": list(m.levels), "level_names": list(m.level_names), "prior": [float(x) for x in m.prior],
            "persistence": float(m.persistence),
            "signs": [{"id": sg, "doc": spec.signs[sg].doc, "source": spec.signs[sg].source,
                       "likelihood": [float(x) for x in m.likelihood[i]]} for i, sg in enumerate(m.signs)],
            "declarations": [{"text": d, "likelihood": [float(x) for x in v]} for d, v in m.declarations.items()],
            "source": spec.source, "rows": rows})
    return {"actors": actors}
