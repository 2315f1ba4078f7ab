"""``escalab solve``, ``escalab sweep`` and ``escalab import-efg`` (issue 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .. import DEFAULT_SCENARIO
from ..atomic import write_text_atomic
from ..errors import UsageError
from . import sweep_cmds
from .errors import handled
from .progress import console, progress_bar
from .options import ScenarioArg, SetOpt, load_with_sets

METHODS = ("auto", "spe", "sequential", "nash", "qre")
AUTO_MIXED_PROFILES = 64     # auto searches mixed equilibria (enummixed) only in games this small
QRE_LAMBDAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def register(app: typer.Typer) -> None:
    """Add the solve commands to the app."""

    @app.command()
    @handled
    def solve(
        name: ScenarioArg = DEFAULT_SCENARIO,
        set_: SetOpt = None,
        method: Annotated[str, typer.Option(help="auto (spe for perfect information, else sequential, else nash), "
                                                 "spe, sequential, nash or qre.")] = "auto",
        nash_method: Annotated[str, typer.Option(help="With --method nash: enumpure, enummixed, lcp, "
                                                      "lcp-strategic, logit, or all.")] = "all",
        lam: Annotated[float | None, typer.Option(
            "--lambda", help="With --method qre: the logit precision λ (without it: the path over several λ).")] = None,
        exact: Annotated[bool, typer.Option("--exact/--float", help="Rational arithmetic for spe/sequential.")] = True,
        cred: Annotated[bool, typer.Option("--credibility",
                                           help="List threats and whether they are credible.")] = False,
        param: Annotated[list[str] | None, typer.Option(
            "--param", help="Find where the equilibrium choices change along this parameter (repeatable).")] = None,
        points: Annotated[int, typer.Option(help="Grid points per --param scan before refinement.")] = 401,
        tree: Annotated[Path | None, typer.Option(
            help="Draw the game tree with the equilibrium path (.png/.svg).")] = None,
        efg: Annotated[Path | None, typer.Option(help="Write the game as a Gambit .efg file.")] = None,
        json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")] = None,
        max_profiles: Annotated[int | None, typer.Option(
            help="Budget of pure profiles --method sequential enumerates (default 65536).")] = None,
    ) -> None:
        """Solve a sequential scenario: subgame-perfect, sequential, Nash or logit QRE equilibria."""
        # Imported here, not at the top: `escalab --help` must not pay for pygambit (docs/scale.md).
        from ..report.solve_tables import (credibility_table, equilibrium_table, qre_path_table,
                                           regions_table)
        from .. import limits
        from ..solve import gambit_bridge
        from ..solve.backward import subgame_perfect
        from ..solve.credibility import credibility, decision_regions, threat_regions
        from ..solve.assessments import label_refinements, rank, sequential_equilibria
        if method not in METHODS:
            raise UsageError(f"--method must be one of: {', '.join(METHODS)}; got '{method}'")
        if lam is not None and method != "qre":
            raise UsageError("--lambda goes with --method qre")
        if efg is not None and efg.suffix.lower() != ".efg":   # checked before any work (issue 8)
            raise UsageError(f"--efg {efg}: a Gambit extensive-form file is written as .efg, not "
                             f"'{efg.suffix or 'no suffix'}'")
        scenario = load_with_sets(name, set_)
        game = scenario.compile("sequential", exact=exact)
        if tree is not None:                                   # the figure's budgets, before any solving
            from ..report.game_tree import check_figure
            check_figure(game, tree)
        record: dict[str, object] = {"scenario": scenario.id,
                                     "parameters": {k: float(v) for k, v in scenario.values.items()}}
        if max_profiles is not None and max_profiles < 1:
            raise UsageError(f"--max-profiles must be at least 1, got {max_profiles}")
        if method == "auto":
            method, reason = _auto_method(game, max_profiles)
            console.print(f"[dim]auto: {method} - {reason}[/]")
            record["method"], record["method_reason"] = method, reason
        equilibria: list = []
        if method == "spe":
            result = subgame_perfect(game)
            spe_eq = label_refinements(game, result.equilibrium)
            equilibria.append(spe_eq)
            console.print(equilibrium_table(game, spe_eq, "Subgame-perfect equilibrium (backward induction)"))
            if result.ties:
                console.print(f"[yellow]ties:[/] {len(result.ties)} node(s) with several best actions; the profile "
                              "takes the first of each (another choice gives another SPE)")
        elif method == "sequential":
            with progress_bar("pure profiles") as cb:
                found, note = sequential_equilibria(game, max_profiles=max_profiles, progress=cb)
            count = f"{len(found)} equilibri{'um' if len(found) == 1 else 'a'}"
            console.print(f"[bold]sequential[/]: {count} [dim]({note}; best-refined first)[/]")
            for k, eq in enumerate(found, 1):
                undecided = eq.refinements is not None and eq.refinements.get("sequential") is None
                console.print(equilibrium_table(game, eq, f"Pure profile #{k} (sequential: not decided)" if undecided
                                                else f"Sequential equilibrium #{k}"))
            equilibria.extend(found)
            if record.get("method") == "sequential" and len(game.players) == 2 and \
                    gambit_bridge.strategy_profile_count(game) <= AUTO_MIXED_PROFILES:
                # auto on a small game: the mixed sequential equilibria too (pygambit's extreme ones)
                res = gambit_bridge.nash(game, "enummixed")
                rest = [e for e in (label_refinements(game, e) for e in res.equilibria)
                        if e.refinements["sequential"] and (not e.is_pure or not any(_same_play(e, f) for f in found))]
                console.print(f"[bold]{res.method}[/]: {len(res.equilibria)} equilibri"
                              f"{'um' if len(res.equilibria) == 1 else 'a'} [dim]({res.note}); "
                              f"{len(rest)} more sequential, listed below (--method nash lists every one)[/]")
                for k, eq in enumerate(rest, 1):
                    console.print(equilibrium_table(game, eq, f"{res.method} #{k}"))
                equilibria.extend(rest)
        elif method == "nash":
            methods = ["enumpure", "enummixed", "lcp"] if nash_method == "all" else [nash_method]
            if nash_method == "all" and len(game.players) != 2:
                methods = ["enumpure"]
            if nash_method == "all" and gambit_bridge.strategy_profile_count(game) > \
                    gambit_bridge.MAX_STRATEGY_PROFILES:
                methods = ["logit"]
            record["nash"] = []
            for m in methods:
                try:
                    res = gambit_bridge.nash(game, m)
                except limits.LimitError as exc:     # of every method, the others still run; alone, refused
                    if nash_method != "all" or exc.limit.name != limits.MIXED_PROFILES.name:
                        raise
                    console.print(f"[dim]{m} skipped: {escape(str(exc))}[/]")
                    continue
                labelled = [label_refinements(game, e) for e in res.equilibria]
                if record.get("method") == "nash":        # auto fell back to Nash: sequential ones first
                    labelled = rank(labelled)
                count = f"{len(labelled)} equilibri{'um' if len(labelled) == 1 else 'a'}"
                console.print(f"[bold]{res.method}[/]: {count} [dim]({res.note})[/]")
                for k, eq in enumerate(labelled, 1):
                    console.print(equilibrium_table(game, eq, f"{res.method} #{k}"))
                equilibria.extend(labelled)
                record["nash"].append({"method": res.method, "note": res.note,  # type: ignore[union-attr]
                                       "equilibria": [e.to_dict() for e in labelled]})
        elif lam is not None:
            eq = gambit_bridge.qre(game, lam)
            equilibria.append(eq)
            console.print(equilibrium_table(game, eq, f"Logit agent QRE at λ = {num_text(eq.extra.get('lambda'))}"))
        else:
            path = gambit_bridge.qre_path(game, QRE_LAMBDAS)
            console.print(qre_path_table(game, path))
            equilibria.extend(path)
        record["equilibria"] = [e.to_dict() for e in equilibria]

        if cred or param:
            report = credibility(game)
            record["credibility"] = report.to_dict()
            console.print(credibility_table(report))
            for p in param or []:
                with progress_bar(f"thresholds along {p}") as cb:
                    regions = decision_regions(scenario, p, points=points, progress=cb)
                    threats = threat_regions(scenario, report, p, points=points) if report.threats else []
                console.print(regions_table(regions, threats))
                record.setdefault("thresholds", {})[p] = {  # type: ignore[index]
                    "regions": [r.to_dict() for r in regions], "threats": [t.to_dict() for t in threats]}
        if tree is not None:
            from ..report.game_tree import plot_game_tree
            plot_game_tree(game, tree, equilibria[0] if equilibria else None)
            console.print(f"[dim]wrote {tree}[/]")
        if efg is not None:
            from ..solve.efg import export_efg
            export_efg(game, efg)
            console.print(f"[dim]wrote {efg}[/]")
        if json_out is not None:
            write_text_atomic(json_out, json.dumps(record, indent=2, default=str))
            console.print(f"[dim]wrote {json_out}[/]")

    sweep_cmds.register(app)      # issue 11: its own module (worker pool, columnar outputs)

    @app.command("import-efg")
    @handled
    def import_efg_cmd(
        file: Annotated[Path, typer.Argument(help="A Gambit extensive-form game (.efg).")],
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the scenario YAML here.")] = None,
        scenario_id: Annotated[str | None, typer.Option("--id", help="Scenario id (default: the file name).")] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    ) -> None:
        """Convert a Gambit .efg game into an escalab scenario (YAML)."""
        from ..solve.efg import efg_to_yaml, import_efg
        if out is None:
            typer.echo(efg_to_yaml(file, scenario_id))
            return
        scenario = import_efg(file, out, scenario_id, force=force)
        game = scenario.compile("sequential")
        console.print(f"[green]ok[/] wrote {out}: scenario '{scenario.id}' with {len(scenario.actors)} actors, "
                      f"{game.info.num_nodes} nodes, {len(game.infosets)} information sets")


def _same_play(a: object, b: object) -> bool:
    """Two pure equilibria that choose alike wherever both choose (a reduced strategy leaves sets open)."""
    for label, acts in a.behaviour.items():  # type: ignore[attr-defined]
        x, y = a.choice(label), b.choice(label)  # type: ignore[attr-defined]
        if x is not None and y is not None and x != y:
            return False
    return True


def _auto_method(game: object, max_profiles: int | None) -> tuple[str, str]:
    """Which method ``--method auto`` uses for this game, and why (printed and recorded)."""
    from ..errors import ModelError
    from ..solve.assessments import check_budget
    if game.info.perfect_information:  # type: ignore[attr-defined]
        return "spe", ("perfect information: backward induction gives the subgame-perfect equilibrium, "
                       "which is sequential here")
    try:
        n = check_budget(game, max_profiles)  # type: ignore[arg-type]
    except ModelError as exc:
        return "nash", f"{exc}; Nash equilibria by pygambit instead, sequential ones first"
    return "sequential", (f"imperfect information: all {n} pure profiles checked for a consistent belief "
                          "system that makes them sequentially rational")


def num_text(v: object) -> str:
    return f"{float(v):.4g}" if isinstance(v, (int, float)) else str(v)  # type: ignore[arg-type]
