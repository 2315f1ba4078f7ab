"""The ladder crisis's part of the report: how the crisis ends under different leaders.

Rows compare the fog-free equilibrium, a logit (boundedly rational) response, and the scenario's
doctrines, each with and without accidents, so a reader sees at once how much of the risk of
strategic war comes from choices and how much from chance. Doctrines are paired by a fixed rule:
the first actor follows the first doctrine in the file, the second actor each of the others in
turn (both the same one if the file has only one). Monte Carlo with a fixed seed keeps the section
to a few seconds and reproducible bit for bit; every rate carries its 95% interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..scenario import Scenario
from ..simulate import Crisis

RUNS = 20_000
SEED = 0
LOGIT_LAMBDA = 1.0
Progress = Callable[[str], None]


def configurations(s: Scenario) -> list[tuple[str, dict[str, str]]]:
    actors = s.spec.ladder_crisis.actors  # type: ignore[union-attr]
    rows = [("equilibrium", {a: "equilibrium" for a in actors}),
            (f"logit λ={LOGIT_LAMBDA:g}", {a: f"logit:{LOGIT_LAMBDA:g}" for a in actors})]
    doctrines = list(s.spec.doctrines)
    if doctrines:
        first, others = doctrines[0], doctrines[1:] or doctrines[:1]
        for d in others:
            rows.append((f"doctrine {d}", {actors[0]: f"doctrine:{first}", actors[1]: f"doctrine:{d}"}))
    return rows


def simulate_rows(s: Scenario, configs: list[tuple[str, dict[str, str]]], progress: Progress,
                  accidents_options: tuple[bool, ...] = (True, False), runs: int | None = None,
                  seed: int | None = None) -> list[dict[str, Any]]:
    runs = RUNS if runs is None else runs
    seed = SEED if seed is None else seed
    rows = []
    for accidents in accidents_options:
        crisis = Crisis.of(s, accidents=accidents)
        for label, specs in configs:
            progress(f"ladder crisis: {label}, accidents {'on' if accidents else 'off'}")
            r = crisis.monte_carlo(specs, runs=runs, seed=seed, beliefs=False)
            rows.append({"configuration": label, "accidents": r.accidents, "policies": r.policies,
                         "endings": {k: v.to_dict() for k, v in r.endings.items()},
                         "mean_duration": r.mean_duration, "payoffs": r.payoffs})
    return rows


def compute(s: Scenario, progress: Progress, runs: int | None = None, seed: int | None = None) -> dict[str, Any]:
    runs = RUNS if runs is None else runs
    seed = SEED if seed is None else seed
    if s.spec.ladder_crisis is None:
        return {"skipped": "the scenario has no ladder crisis ('ladder_crisis'), so there is nothing to simulate"}
    configs = configurations(s)
    rows = simulate_rows(s, configs, progress, runs=runs, seed=seed)
    first = configs[-1][1]
    actors = list(first)
    caption = (f"Doctrine rows: {actors[0]} follows {first[actors[0]].partition(':')[2]}, {actors[1]} the doctrine "
               "named." if len(configs) > 2 else "")
    return {"method": "monte_carlo", "runs": runs, "seed": seed, "logit_lambda": LOGIT_LAMBDA,
            "endings": list(rows[0]["endings"]), "rows": rows, "caption": caption}
