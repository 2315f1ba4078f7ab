"""``escalab run``: the report of one scenario, and ``--from`` to check a stored one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import DEFAULT_SCENARIO, limits
from ..errors import UsageError
from ..terminal import safe_console
from .errors import handled
from .options import OutOpt, ScenarioArg, SetOpt, load_with_sets

console = safe_console(highlight=False)   # user text with escape codes is shown escaped
FromOpt = Annotated[Path | None, typer.Option(
    "--from", help="Recompute a stored results.json and say whether every number agrees bit for bit "
                   "(with --out, also write the recomputed report there).")]


def _stored(path: Path) -> dict:
    from ..report import run as run_report      # here, not at the top: see docs/scale.md, "A command line that starts at once"

    from ..scenario import json_text
    from ..scenario.source import read_text

    data = json_text.loads(read_text(path, limits.RESULTS_BYTES), str(path))
    if not isinstance(data, dict) or data.get("format") != run_report.FORMAT:     # each key: stored_scenario
        raise UsageError(f"'{path}' is not the results.json of an escalab report (expected \"format\": "
                         f"\"{run_report.FORMAT}\")")
    return data


def run(name: ScenarioArg = DEFAULT_SCENARIO, set_: SetOpt = None, out: OutOpt = None,
        from_: FromOpt = None) -> None:
    """Analyse a scenario and write its report: index.html, figures as PNG, every number in results.json."""
    from ..report import reproducibility
    from ..report import run as run_report
    if from_ is not None:
        if name != DEFAULT_SCENARIO or set_:
            raise UsageError("--from recomputes the scenario stored in the results file; give no scenario name "
                             "and no --set with it")
        stored = _stored(from_)
        diffs = run_report.check(stored, console, str(from_))
        repro = stored["reproducibility"]
        if diffs:
            console.print(f"[bold red]Not reproduced:[/] {len(diffs)}{'+' if len(diffs) >= 20 else ''} number(s) "
                          f"differ from {from_} (made with escalab {repro.get('escalab')}):", highlight=False)
            for d in diffs:
                console.print(f"  {d}", markup=False, highlight=False)
        else:
            n = reproducibility.count_numbers(reproducibility.numbers_view(stored))
            console.print(f"[bold green]Reproduced:[/] all {n:,} numbers in {from_} agree bit for bit "
                          f"(scenario {repro['scenario_hash'][:19]}).", highlight=False)
        if out is not None:
            s = reproducibility.scenario_from_results(stored)
            cmd = reproducibility.command(s.id, [], str(out), from_file=str(from_))
            run_report.run(s, out, console, cmd)
        if diffs:
            raise typer.Exit(1)
        return
    scenario = load_with_sets(name, set_)
    out_dir = out or Path("escalab-out") / scenario.id
    cmd = reproducibility.command(name, list(set_ or []), str(out) if out is not None else None)
    run_report.run(scenario, out_dir, console, cmd)


def register(app: typer.Typer) -> None:
    app.command("run")(handled(run))
