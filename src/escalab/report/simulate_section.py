"""The ladder crisis's part of the report: how the crisis ends under different leaders.

Rows compare the equilibrium (of the crisis without misreadings; perfect Bayesian where a side has a
private type), a logit (boundedly rational) response, and the scenario's
doctrines, each with and without accidents, so a reader sees at once how much of the risk of
strategic war comes from choices and how much from chance: the rows without accidents play the
very same policies (those of the crisis with accidents) with chance switched off. Doctrines are
paired by a fixed rule:
the first actor follows the first doctrine in the file, the second actor each of the others in
turn (both the same one if the file has only one). Monte Carlo with a fixed seed keeps the section
to a few seconds and reproducible bit for bit; every rate carries its 95% interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dataclasses import replace

from ..errors import ModelError, UsageError
from ..scenario import Scenario
from ..simulate import Crisis
from ..simulate.montecarlo import Plan, monte_carlo

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


def simulations(s: Scenario) -> int:
    """How many Monte Carlo simulations :func:`compute` makes (for the runs budget, before any)."""
    if s.spec.ladder_crisis is None:
        return 0
    configs = configurations(s)
    named, used = s.ladder, s.crisis_ladder
    compacted = (named is not None and used is not None and named.id != used.id
                 and len(named.rungs) > len(used.rungs))
    doctrines = sum(all(spec.startswith("doctrine:") for spec in specs.values()) for _, specs in configs)
    return 2 * len(configs) + (2 * doctrines if compacted else 0)


def simulate_rows(s: Scenario, configs: list[tuple[str, dict[str, str]]], progress: Progress,
                  accidents_options: tuple[bool, ...] = (True, False), runs: int | None = None,
                  seed: int | None = None) -> list[dict[str, Any]]:
    runs = RUNS if runs is None else runs
    seed = SEED if seed is None else seed
    # The policies are those of the crisis with accidents; the rows without accidents play the same
    # policies with chance switched off, so the difference is what chance adds, the leaders unchanged.
    crisis = Crisis.of(s, accidents=True, progress=lambda done, total: progress(
        f"ladder-crisis equilibrium: {done}/{total}"))
    worlds = {acc: crisis if acc else Crisis.of(s, accidents=False) for acc in accidents_options}
    policies: dict[str, Any] = {}
    rows = []
    for accidents in accidents_options:
        for label, specs in configs:
            progress(f"ladder crisis: {label}, accidents {'on' if accidents else 'off'}")
            if label not in policies:
                policies[label] = crisis.policies(specs)
            r = monte_carlo(Plan(worlds[accidents].arrays, policies[label]), runs, seed, scenario=s.id)
            row = {"configuration": label, "accidents": accidents, "policies": r.policies,
                   "endings": {k: v.to_dict() for k, v in r.endings.items()},
                   "mean_duration": r.mean_duration, "payoffs": r.payoffs}
            if r.by_type:
                row["by_type"] = {t: {k: v.to_dict() for k, v in rates.items()} for t, rates in r.by_type.items()}
            if crisis.arrays.typed >= 0 and "equilibrium" in specs.values():
                # The Bayesian equilibrium's approximation, measured: stage games without a pure perfect
                # Bayesian equilibrium, how many of them were solved in mixed strategies and how many
                # were left approximate, and the largest gain from deviating over all stage games.
                # The belief grid's error is measured in the game with exact Bayes beliefs (None: too many
                # states for that measurement).
                eq = crisis.factory.equilibrium
                err = eq.grid_error()
                row["bayesian_equilibrium"] = {"stage_games_without_pure_pbe": eq.mixed_stage_games + eq.unsettled,
                                               "solved_in_mixed_strategies": eq.mixed_stage_games,
                                               "left_approximate": eq.unsettled,
                                               "largest_gain_from_deviating": eq.epsilon,
                                               "grid_error": None if err is None else err.largest}
            rows.append(row)
    return rows


def private_types(s: Scenario) -> dict[str, Any] | None:
    """Which actor of the ladder crisis has private types, their prior and the belief grid."""
    game = Crisis.of(s, accidents=False).game if s.spec.ladder_crisis is not None else None
    if game is None or game.typed < 0:
        return None
    return {"actor": game.actors[game.typed], "observer": game.actors[1 - game.typed],
            "prior": dict(zip(game.type_names[game.typed], (float(p) for p in game.type_prior))),
            "belief_grid": game.belief_grid}


def compaction(s: Scenario, configs: list[tuple[str, dict[str, str]]], progress: Progress,
               runs: int, seed: int) -> dict[str, Any] | None:
    """When the ladder crisis runs on a shorter ladder than the one the scenario names, the effect of
    that choice, measured: strategic war under each doctrine pairing on both ladders (doctrines
    need no equilibrium, so the full ladder costs seconds)."""
    named, used = s.ladder, s.crisis_ladder
    if named is None or used is None or named.id == used.id or len(named.rungs) <= len(used.rungs):
        return None
    try:
        full = Crisis.of(replace(s, crisis_ladder=named))
    except (ModelError, UsageError):
        return {"used": used.id, "used_rungs": len(used.rungs), "named": named.id, "named_rungs": len(named.rungs),
                "rows": []}
    short = Crisis.of(s)
    rows = []
    for label, specs in configs:
        if not all(spec.startswith("doctrine:") for spec in specs.values()):
            continue
        progress(f"ladder crisis on {named.id}: {label}")
        war = [c.monte_carlo(specs, runs=runs, seed=seed, beliefs=False).endings["strategic_war"]
               for c in (short, full)]
        rows.append({"configuration": label, "policies": specs, "strategic_war_used": war[0].to_dict(),
                     "strategic_war_named": war[1].to_dict()})
    return {"used": used.id, "used_rungs": len(used.rungs), "named": named.id, "named_rungs": len(named.rungs),
            "rows": rows}


def compute(s: Scenario, progress: Progress, runs: int | None = None, seed: int | None = None) -> dict[str, Any]:
    runs = RUNS if runs is None else runs
    seed = SEED if seed is None else seed
    if s.spec.ladder_crisis is None:
        return {"skipped": "the scenario has no ladder crisis ('ladder_crisis'), so there is nothing to simulate"}
    configs = configurations(s)
    rows = simulate_rows(s, configs, progress, runs=runs, seed=seed)
    first = configs[-1][1]
    actors = list(first)
    names = [s.spec.actors[a].name if a in s.spec.actors else a for a in actors]
    caption = (f"Doctrine rows: {names[0]} follows {first[actors[0]].partition(':')[2]}, {names[1]} the doctrine "
               "named." if len(configs) > 2 else "")
    out = {"method": "monte_carlo", "runs": runs, "seed": seed, "logit_lambda": LOGIT_LAMBDA,
           "endings": list(rows[0]["endings"]), "rows": rows, "caption": caption}
    types = private_types(s)
    if types is not None:
        out["types"] = types
    ladder = compaction(s, configs, progress, runs, seed)
    if ladder is not None:
        out["compaction"] = ladder
    return out
