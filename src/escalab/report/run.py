"""``escalab run``: the full analysis of one scenario, written as a report a reader can cite.

Two steps, kept apart so a stored run can be checked: :func:`compute` turns a scenario into every
number of the report (a JSON-ready dict, no files), and :func:`write` draws the figures and the
HTML page from those numbers into one output set (``index.html``, every figure as PNG,
``results.json``, ``scenario.json``), published atomically: the folder shows the previous complete
report or the new one, never a mix. :func:`check` recomputes a stored ``results.json`` and lists
every number that differs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from .. import limits
from ..atomic import output_set
from ..errors import UsageError
from ..scenario import Scenario
from . import (figures, plays_section, readiness_section, reproducibility, simulate_section, solve_section,
               variants)
from .colours import OutcomeColours
from .findings import findings, path_line, path_steps
from .presolve import Presolve
from .html_report import render
from .reproducibility import self_contained

Progress = Callable[[str], None]
FORMAT = "escalab-report/1"


def scenario_record(s: Scenario) -> dict[str, Any]:
    spec = s.spec
    actors = []
    for aid, a in spec.actors.items():
        types = {k: float(s.evaluate("actors", aid, "types", k)) for k in a.types} if a.types else {}
        scale = s.scales.get(aid)
        actors.append({"id": aid, "name": a.name, "role": a.role, "readiness": scale.id if scale else None,
                       "types": types})
    read_by = s.parameter_forms()
    params = [{"name": n, "value": float(s.values[n]), "default": float(p.default),
               "range": [float(p.range[0]), float(p.range[1])] if p.range else None, "unit": p.unit,
               "doc": " ".join(p.doc.split()), "source": " ".join(p.source.split()), "read_by": list(read_by[n])}
              for n, p in s.parameters.items()]
    indicator_sources = []
    for actor, ind in spec.indicators.items():
        indicator_sources.append((f"{actor}: prior, persistence, declarations", " ".join(ind.source.split())
                                  or "no source given"))
        for sign, sg in ind.signs.items():
            indicator_sources.append((f"{actor}: sign {sign}", " ".join(sg.source.split()) or "no source given"))
    docs = []
    seen = set()
    for d in [s.ladder, s.crisis_ladder, *s.scales.values()]:
        if d is not None and d.id not in seen:
            seen.add(d.id)
            docs.append((f"{d.id} ({d.kind.replace('_', ' ')})", "; ".join(d.sources) or "no source given"))
    return {"id": s.id, "title": s.title, "summary": " ".join(spec.summary.split()), "forms": list(s.forms),
            "actors": actors, "parameters": params, "sources": list(spec.sources),
            "indicator_sources": indicator_sources, "document_sources": docs, "document": self_contained(s)}


def settings() -> dict[str, int]:
    """The run's sizes and seeds; stored in results.json and used again by ``--from``."""
    return {"monte_carlo_runs": simulate_section.RUNS, "monte_carlo_seed": simulate_section.SEED}


def compute(s: Scenario, progress: Progress = lambda msg: None, sizes: dict[str, int] | None = None
            ) -> dict[str, Any]:
    """Every number of the report, in reading order. Sections that do not apply say why."""
    sizes = sizes or settings()
    check_sizes(s, sizes)           # before the variants' crises start solving alongside
    runs, seed = sizes["monte_carlo_runs"], sizes["monte_carlo_seed"]
    colours = OutcomeColours()
    results: dict[str, Any] = {"format": FORMAT, "scenario": scenario_record(s)}
    ahead = Presolve(s)             # the variants' ladder crises, solved meanwhile in a second process
    try:
        results["solve"] = solve_section.compute(s, colours, progress)
        progress("simulating the ladder crisis")
        results["simulate"] = simulate_section.compute(s, progress, runs=runs, seed=seed)
        if ahead.started:
            progress("variants: waiting for the ladder crises solved alongside")
        ahead.collect()
    finally:
        ahead.close()
    progress("variants")
    results["variants"] = variants.compare(s, results, colours, progress, runs=runs, seed=seed)
    progress("readiness")
    results["readiness"] = readiness_section.compute(s)
    progress("stored plays")
    results["plays"] = plays_section.compute(s)
    results["colours"] = dict(colours.map)
    results["findings"] = findings(s, results)
    return results


def _jsonable(results: dict[str, Any]) -> dict[str, Any]:
    """The results as they read back from JSON (tuples become lists, keys strings), for comparisons."""
    return json.loads(json.dumps(results))


def write(s: Scenario, results: dict[str, Any], out: Path | str, progress: Progress = lambda msg: None
          ) -> list[Path]:
    """Draw every figure and the page into ``out`` and publish them together; returns the files."""
    with output_set(out, "run") as outs:
        where = outs.staging
        progress("drawing figures")
        figs: dict[str, Any] = {"tree": figures.tree(s, results, where), "ladders": figures.ladders(s, results, where)}
        colours = results.get("colours", {})
        solve = results.get("solve", {})
        figs["phase"] = figures.phase(s, solve.get("phase_diagram", {}), colours, where, "phase.png",
                                      f"{s.title}: equilibrium outcome")
        figs["variant_phase"] = {}
        for row in results.get("variants", {}).get("rows", []):
            name = figures.phase(s, row.get("phase_diagram", {}), colours, where, f"phase-{row['scenario']}.png",
                                 f"{row['title']}: equilibrium outcome")
            if name:
                figs["variant_phase"][row["scenario"]] = name
        figs["endings"] = figures.endings(s, results.get("simulate", {}), where)
        figs["readiness"] = figures.readiness(results.get("readiness", {}), where)
        progress("writing the report")
        cite = reproducibility.citation(s, results["reproducibility"])
        methods = reproducibility.methods(results)
        html, images = render(s, results, figs, where, cite, methods)
        for name in images:
            outs.path(name)          # register every drawn figure in the set
        outs.write_text("index.html", html)
        outs.write_text("results.json", json.dumps({**results, "citation": cite, "methods": methods}, indent=1))
        outs.write_text("scenario.json", json.dumps({"schema": "escalab/1", "id": s.id,
                                                     "parameters": results["reproducibility"]["parameters"],
                                                     "document": results["scenario"]["document"]}, indent=1))
    return [outs.final(n) for n in outs.names]


def run(s: Scenario, out: Path | str, console: Console, command: str = "escalab run") -> dict[str, Any]:
    """Compute, write and summarise; returns the results written to ``results.json``."""
    started = time.monotonic()
    shown = [""]
    with console.status("starting") as status:
        def progress(msg: str) -> None:
            status.update(f"[bold]{escape(msg)}[/] ({time.monotonic() - started:.0f} s)")
            head = msg.split(":")[0]
            if not console.is_terminal and head != shown[0]:     # a log gets one line per step, not per tick
                shown[0] = head
                console.print(f"… {msg}", markup=False, highlight=False)
        sizes = settings()
        results = compute(s, progress, sizes)
        results = {"reproducibility": reproducibility.block(s, results["scenario"]["document"], command, sizes),
                   **_jsonable(results)}
        write(s, results, out, progress)
    short_summary(s, results, console)
    console.print(f"Report: [bold]{Path(out) / 'index.html'}[/] (every number in {Path(out) / 'results.json'}; "
                  f"{time.monotonic() - started:.0f} s)", highlight=False)
    return results


def short_summary(s: Scenario, results: dict[str, Any], console: Console, most: int = 10) -> None:
    """The findings for the terminal: the ladder crisis with accidents only, at most ``most`` lines."""
    lines = _path_in_one_line([ln.split(" Without accidents: ")[0] for ln in results.get("findings", [])],
                              path_line(path_steps(s, results.get("solve", {}))))
    more = len(lines) - most
    text = "\n".join(f"• {ln}" for ln in lines[:most]) + (f"\n… {more} more in the report" if more > 0 else "")
    if lines:
        console.print(Panel(Text(text), title=f"In short: {s.title}", title_align="left"))


PATH_STEP = "On the equilibrium path"


def _path_in_one_line(lines: list[str], one_line: str) -> list[str]:
    """The equilibrium path's steps (one finding each, in the report) as ``one_line`` in the terminal,
    so ten lines still reach the ladder crisis."""
    at = [k for k, ln in enumerate(lines) if ln.startswith(PATH_STEP)]
    if len(at) < 2:
        return lines
    return [*lines[:at[0]], one_line, *(ln for k, ln in enumerate(lines) if k > at[0] and k not in at)]


def check(stored: dict[str, Any], console: Console, name: str = "results.json") -> list[str]:
    """Recompute a stored run; the differences (empty when every number agrees bit for bit).

    The stored file is checked before anything is computed (every key read, the scenario's hash, the
    sizes against their budgets) and compared in form after: a file that was cut or edited is
    refused by key (a UsageError), never taken as reproduced."""
    s, sizes = reproducibility.stored_scenario(stored, name)
    check_sizes(s, sizes, f"'{name}' (reproducibility.settings)")
    with console.status("recomputing") as status:
        fresh = _jsonable(compute(s, lambda msg: status.update(f"[bold]{escape(msg)}[/]"), sizes))
    old = reproducibility.numbers_view({k: v for k, v in stored.items() if k not in ("citation", "methods")})
    form = reproducibility.form_differences(old, reproducibility.numbers_view(fresh))
    if form:
        key, _, what = form[0].partition(": ")
        more = f" (and {len(form) - 1} more difference(s) in form)" if len(form) > 1 else ""
        raise reproducibility.StoredResultsError(name, key, what + more, recomputed=True)
    return reproducibility.differences(old, reproducibility.numbers_view(fresh))


def monte_carlo_simulations(s: Scenario) -> int:
    """How many Monte Carlo simulations of ``monte_carlo_runs`` runs each the report makes."""
    return simulate_section.simulations(s) + len(variants.separate_crises(s))


def check_sizes(s: Scenario, sizes: dict[str, int], where: str = "the report's settings") -> None:
    """The report's Monte Carlo runs, all simulations together, against the mc-runs budget: before
    anything is solved or simulated (a stored setting of 10^8 runs once ran for hours)."""
    runs = sizes["monte_carlo_runs"]
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise UsageError(f"{where}: monte_carlo_runs must be a whole number >= 1, got {runs!r}")
    n = monte_carlo_simulations(s)
    limits.MC_RUNS.check(runs * n, where=f"{where}: {runs:,} runs for each of the report's {n} Monte Carlo "
                                         "simulations")
