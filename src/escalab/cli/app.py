"""The ``escalab`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .. import DEFAULT_SCENARIO, __version__, limits
from ..errors import UsageError
from ..terminal import safe_console
from ..scenario import library
from . import analysis_cmds, play_cmds, run_cmd, simulate_cmds, solve_cmds
from .errors import handled
from .options import ScenarioArg, SetOpt, load_with_sets

app = typer.Typer(
    name="escalab",
    help="An open laboratory for nuclear-crisis escalation: solve, simulate, play and report crisis scenarios.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = safe_console(highlight=False)   # user text with escape codes is shown escaped
# The scenario language (pydantic, NumPy) and the report are imported inside the commands that use
# them: --help and list must start at once (issue 11; tests/cli/test_cli_imports.py).
DOCUMENT_KINDS = tuple(library.FOLDERS)   # the kinds of scenario.schema.DOCUMENT_KINDS, without pydantic


def validate_file(path: str | Path) -> object:
    """The scenario language's validate_file, imported when a command first needs it."""
    from ..scenario import validate_file as validate
    return validate(path)


def _version(value: bool) -> None:
    if value:
        console.print(f"escalab {__version__}")
        raise typer.Exit()


@app.callback()
@handled
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
          limit: Annotated[list[str] | None, typer.Option(
              "--limit", metavar="NAME=N", help="Raise (or lower) a named budget for this run; "
              "see docs/limits.md. Repeatable.")] = None) -> None:
    limits.set_limits(dict(limits.parse_limit_option(x) for x in limit or []), replace=True)


@app.command("list")
@handled
def list_cmd() -> None:
    """List the built-in scenarios, ladders and readiness scales."""
    from ..scenario import catalog
    t = Table("name", "title", "forms", title="Built-in scenarios", title_justify="left")
    for name in library.builtin_names("scenario"):
        title, forms = catalog.scenario_entry(name)
        t.add_row(name + (" (default)" if name == DEFAULT_SCENARIO else ""), title, ", ".join(forms))
    console.print(t)
    lt = Table("name", "kind", "description", title="Built-in ladders and readiness scales", title_justify="left")
    for name in library.builtin_names("ladder"):
        ladder_name, rungs = catalog.ladder_entry(name)
        count = f"{rungs} rungs"           # a ladder's own name may already give its size
        lt.add_row(name, "ladder", ladder_name if count in ladder_name else f"{ladder_name} ({count})")
    for name in library.builtin_names("readiness_scale"):
        scale_name, levels = catalog.scale_entry(name)
        lt.add_row(name, "readiness scale", f"{scale_name} ({levels} levels)")
    console.print(lt)


@app.command()
@handled
def show(name: ScenarioArg = DEFAULT_SCENARIO, set_: SetOpt = None,
         kind: Annotated[str | None, typer.Option(
             help="scenario, ladder or readiness_scale, when a name is used by more than one kind.")] = None
         ) -> None:
    """Show a scenario (actors, parameters, move tree), a ladder or a readiness scale."""
    from ..report.summary import ladder_table, scale_table, scenario_overview
    from ..scenario import LadderSpec, ReadinessScaleSpec, load, load_ladder, load_scale
    obj: object
    if kind is not None and kind not in DOCUMENT_KINDS:
        raise UsageError(f"--kind must be one of: {', '.join(DOCUMENT_KINDS)}; got '{kind}'")
    if library.is_file_reference(name):
        obj = validate_file(name)
    else:
        kinds = [k for k in DOCUMENT_KINDS if name in library.builtin_names(k) and kind in (None, k)]
        other = [k for k in DOCUMENT_KINDS if name in library.builtin_names(k)]
        if not kinds and other:
            raise UsageError(f"'{name}' is not a built-in {str(kind).replace('_', ' ')}; it is a built-in "
                             f"{other[0].replace('_', ' ')} (use --kind {other[0]} or leave --kind out)")
        if not kinds:
            known = library.builtin_names("scenario") + library.builtin_names("ladder") + \
                library.builtin_names("readiness_scale")
            raise UsageError(f"unknown name '{name}' (built-in: {', '.join(sorted(set(known)))}; "
                             "or give a .yaml file)")
        if len(kinds) > 1:
            console.print(f"[dim]'{name}' names a {' and a '.join(k.replace('_', ' ') for k in kinds)}; showing the "
                          f"{kinds[0].replace('_', ' ')} (use --kind to choose)[/]")
        obj = {"scenario": load, "ladder": load_ladder, "readiness_scale": load_scale}[kinds[0]](name)
    if set_ and isinstance(obj, (LadderSpec, ReadinessScaleSpec)):
        what = "ladder" if isinstance(obj, LadderSpec) else "readiness scale"
        raise UsageError(f"--set gives parameter values to a scenario; '{name}' is a {what}, which has no "
                         "parameters")
    if isinstance(obj, LadderSpec):
        console.print(ladder_table(obj))
    elif isinstance(obj, ReadinessScaleSpec):
        console.print(scale_table(obj))
    else:
        if set_:
            obj = load_with_sets(name, set_)
        console.print(scenario_overview(obj))  # type: ignore[arg-type]


@app.command()
@handled
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario, ladder or readiness-scale files.")]) -> None:
    """Check files against the scenario language; print every problem with file, line and field."""
    from ..errors import ScenarioError
    from ..scenario.semantics import FORM_WORDS
    from ..scenario import LadderSpec, ReadinessScaleSpec
    from .errors import report_error
    failed = 0
    for f in files:
        try:
            obj = validate_file(f)
        except ScenarioError as exc:
            failed += 1
            report_error(exc)
            continue
        kind = "ladder" if isinstance(obj, LadderSpec) else \
            "readiness scale" if isinstance(obj, ReadinessScaleSpec) else "scenario"
        console.print(f"[green]ok[/] {escape(str(f))} ({kind} '{escape(obj.id)}')")
        own = obj.own_parameters() if kind == "scenario" else {}   # type: ignore[union-attr]
        for form, names in own.items():
            console.print(f"[dim]  parameters read only by the {FORM_WORDS[form]} ({form}): "
                          f"{escape(', '.join(names))}[/]")
    if failed:
        raise typer.Exit(2)


@app.command()
@handled
def schema(kind: Annotated[str, typer.Option(help="scenario, ladder or readiness_scale")] = "scenario") -> None:
    """Print the JSON Schema of the scenario language (for editors and validators)."""
    if kind not in DOCUMENT_KINDS:
        raise UsageError(f"--kind must be one of: {', '.join(DOCUMENT_KINDS)}; got '{kind}'")
    from ..scenario.schema import DOCUMENT_KINDS as MODELS
    typer.echo(json.dumps(MODELS[kind].model_json_schema(), indent=2))


cache_app = typer.Typer(help="escalab's cache of solved ladder-crisis equilibria (see docs/simulate.md).",
                        no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("clear")
@handled
def cache_clear() -> None:
    """Delete every solved equilibrium kept on disk (each is solved again when next needed)."""
    from ..solve import ladder_cache
    n, size = ladder_cache.clear()
    if n == 0:
        console.print("the cache of solved equilibria is empty: nothing to delete")
    else:
        console.print(f"deleted {n} solved equilibri{'um' if n == 1 else 'a'} ({size / 1e6:,.1f} MB) from the cache")


run_cmd.register(app)
solve_cmds.register(app)
simulate_cmds.register(app)
play_cmds.register(app)
analysis_cmds.register(app)


def main() -> None:
    app()
