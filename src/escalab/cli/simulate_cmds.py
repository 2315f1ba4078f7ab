"""``escalab simulate`` and ``escalab assess`` (issue 4)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from .. import DEFAULT_SCENARIO, limits
from ..errors import UsageError
from .errors import handled
from .progress import console, progress_bar
from .options import OutOpt, ScenarioArg, SetOpt, load_with_sets



def simulate(
    name: ScenarioArg = DEFAULT_SCENARIO,
    set_: SetOpt = None,
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="actor=POLICY (repeatable): equilibrium, logit:LAMBDA[:myopic], level:K, "
                               "doctrine:NAME, uniform. Default: equilibrium.")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="Exact Markov-chain analysis instead of Monte Carlo.")] = False,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo runs.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo runs.")] = 0,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Local worker processes.")] = 1,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="A Dask scheduler address, e.g. tcp://127.0.0.1:8786.")] = None,
    no_accidents: Annotated[bool, typer.Option("--no-accidents", help="Switch accidents off.")] = False,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Monte Carlo engine: numba (compiled; the default when installed) or numpy "
                         "(the reference). Both give bit-identical results.")] = None,
    out: OutOpt = None,
    type_prior_from_assess: Annotated[str | None, typer.Option(
        "--type-prior-from-assess", help="Looks at the typed actor's readiness that replace those of the "
                                         "scenario's ladder_crisis.type_prior (its map stays), as for escalab "
                                         "assess --sequence: 'surge=no; surge=yes alert=no'.")] = None,
    type_prior_declared: Annotated[str | None, typer.Option(
        "--type-prior-declared", help="With --type-prior-from-assess: a declaration made in the last look.")] = None,
) -> None:
    """Simulate a ladder crisis: how it ends, how high it climbs, how long it lasts."""
    # Imported here, not at the top: `escalab --help` must not pay for SciPy or numba (docs/scale.md).
    from ..report.simulate_tables import simulation_view
    from ..simulate import Crisis, parse_policy_options
    scenario = load_with_sets(name, set_)
    if type_prior_from_assess is not None or type_prior_declared is not None:
        scenario = _with_readiness_looks(scenario, type_prior_from_assess, type_prior_declared)
    specs = parse_policy_options(policy)
    # every size and the scheduler before any worker starts or anything is solved (issue 23)
    if exact:
        limits.check_workers(workers)
    else:
        from ..simulate.montecarlo import check_request
        check_request(runs, seed, workers)
        if scheduler is not None:
            from ..solve.dask_client import check_scheduler
            from ..solve.sweep import check_scheduler_address
            check_scheduler_address(scheduler)
            check_scheduler(scheduler)
    pool = None
    if workers > 1 and not exact and scheduler is None:
        # started now, so the workers boot (and load the compiled kernel) while the equilibrium is solved
        # (or the `escalab` script started them, before the command line was parsed: escalab.cli.launch)
        from ..simulate.montecarlo import WARM_MODULES
        from ..workers import WorkerPool, take_launched
        pool = take_launched(workers) or WorkerPool(workers, warm=WARM_MODULES)
    try:
        with progress_bar("solving the equilibrium") as solving:
            crisis = Crisis.of(scenario, accidents=not no_accidents, progress=solving)
            if exact:
                crisis.check_exact()
            policies = crisis.policies(specs)
        labels = {a: p.label for a, p in zip(crisis.game.actors, policies)}
        if exact:
            with progress_bar("exact analysis (turns)") as update:
                result = crisis.exact(labels, progress=update)
        else:
            with progress_bar(f"simulating {runs:,} runs") as update:
                result = crisis.monte_carlo(labels, runs=runs, seed=seed, workers=workers, scheduler=scheduler,
                                            progress=update, engine=engine, pool=pool)
    finally:
        if pool is not None:
            pool.close()
    names = {r.id: r.name for r in crisis.game.ladder.rungs}
    console.print(simulation_view(result, names))
    rp = crisis.game.readiness_prior
    if rp is not None:
        console.print(f"The prior over {rp.actor}'s types is read from its readiness (ladder_crisis.type_prior): "
                      f"{_shares(rp.types, rp.prior)}.")
    if out is not None:
        from ..atomic import output_set
        with output_set(out, "simulate") as outs:        # replaces only an earlier simulate.json
            path = outs.write_text("simulate.json", json.dumps(result.to_dict(), indent=2))
        console.print(f"[dim]wrote {escape(str(path))}[/]")


def assess(
    name: ScenarioArg = DEFAULT_SCENARIO,
    extra: Annotated[list[str] | None, typer.Argument(
        help="More indicator=yes|no pairs, continuing --observe.", show_default=False)] = None,
    observe: Annotated[list[str] | None, typer.Option(
        "--observe", help="indicator=yes|no (repeatable; more pairs may follow without the flag).")] = None,
    declared: Annotated[str | None, typer.Option("--declared", help="A declaration that was made.")] = None,
    sequence: Annotated[str | None, typer.Option(
        "--sequence", help="Observations over time for the hidden Markov model: looks separated by ';', "
                           "e.g. 'ssbn_surge=no; ssbn_surge=yes bombers_airborne=yes'.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Whose readiness (default: the first with "
                                                               "indicators).")] = None,
    set_: SetOpt = None,
) -> None:
    """Infer an actor's readiness level from observed indicators and declarations (Bayes; HMM over time)."""
    from ..report.simulate_tables import assessment_table
    from ..model.indicators import type_shares
    from ..simulate import forward, indicator_model, parse_look
    scenario = load_with_sets(name, set_)
    model = indicator_model(scenario, actor)
    looks = []
    labels = []
    if sequence is not None:
        for i, part in enumerate(s for s in sequence.split(";")):
            if not part.strip():
                raise UsageError(f"--sequence: look {i + 1} is empty")
            looks.append(parse_look(model, [part]))
            labels.append(f"after look {i + 1}")
    if observe or extra or declared or not looks:
        looks.append(parse_look(model, list(observe or []) + list(extra or []), declared))
        labels.append("posterior" if len(looks) == 1 else f"after look {len(looks)}")
    post = forward(model, looks)
    console.print(assessment_table(model, post, labels))
    final = post[-1]
    best = int(final.argmax())
    console.print(f"Most likely level: [bold]{model.level_names[best]}[/] ({100 * final[best]:.1f}%). "
                  f"Probability that readiness is still at its lowest level ({model.level_names[0]}): "
                  f"{100 * final[0]:.1f}%.")
    tp = scenario.spec.ladder_crisis.type_prior if scenario.spec.ladder_crisis is not None else None
    if tp is not None and tp.actor == model.actor:
        types = tuple(scenario.spec.actors[tp.actor].types or {})
        shares = type_shares(model.levels, final, types, tp.from_readiness.map)
        console.print(f"As the prior over {tp.actor}'s types (the scenario's ladder_crisis.type_prior map): "
                      f"{_shares(types, shares)}.")
    # A reading of the declaration is a claim about evidence: it needs indicators that were looked for
    # and not seen, not the prior alone.
    absent = sorted({name for look in looks for name, seen in look.seen.items() if not seen})
    if declared and best == 0 and absent:
        console.print(f"With {', '.join(absent)} not seen, the declaration most likely leaves readiness at its "
                      f"lowest level, {model.level_names[0]} ({100 * final[0]:.1f}%).")
    elif declared and not any(look.seen for look in looks):
        console.print("No indicator was observed, so this posterior rests on the declaration and the prior alone: "
                      "it says nothing about whether a raise is real.")


def _with_readiness_looks(scenario, sequence: str | None, declared: str | None):  # noqa: ANN001, ANN202 (Scenario)
    """The scenario with other looks behind its ladder_crisis.type_prior (checked like escalab assess's)."""
    from dataclasses import replace

    from ..scenario.schema import ReadinessLook
    from ..simulate import indicator_model, parse_look
    lc = scenario.spec.ladder_crisis
    if lc is None or lc.type_prior is None:
        raise UsageError(f"--type-prior-from-assess needs a scenario whose ladder_crisis has a 'type_prior' (with "
                         f"the map from readiness levels to types); '{scenario.id}' has none")
    model = indicator_model(scenario, lc.type_prior.actor)
    parts = (sequence or "").split(";")
    for i, part in enumerate(parts):
        if not part.strip() and (len(parts) > 1 or declared is None):
            raise UsageError(f"--type-prior-from-assess: look {i + 1} is empty")
    looks = [parse_look(model, [part]) for part in parts[:-1]]
    last = parse_look(model, [parts[-1]], declared)
    fr = lc.type_prior.from_readiness.model_copy(update={
        "sequence": [ReadinessLook(observe=look.seen, declared=look.declared) for look in looks],
        "observe": last.seen, "declared": last.declared})
    tp = lc.type_prior.model_copy(update={"from_readiness": fr})
    spec = scenario.spec.model_copy(update={"ladder_crisis": lc.model_copy(update={"type_prior": tp})})
    return replace(scenario, spec=spec)


def _shares(names: tuple[str, ...], probs: object) -> str:
    return ", ".join(f"{n} {100 * float(p):.1f}%" for n, p in zip(names, probs))  # type: ignore[call-overload]


def register(app: typer.Typer) -> None:
    """Add the simulation commands to the app."""
    app.command("simulate")(handled(simulate))
    app.command("assess")(handled(assess))
