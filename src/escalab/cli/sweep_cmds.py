"""``escalab sweep``: a scenario solved over a parameter grid, written as files (issues 3 and 11).

With ``--workers N`` one pool of N processes is used (this process is one of them). The `escalab`
script starts it before the command line is parsed, with the solver imported once and inherited
(escalab.cli.launch); otherwise (the app called directly) it is started here, before this process
imports the solver, and a worker imports the solver and the figure's libraries while this process
imports the solver and loads the scenario. The CSV is written while the grid is solved:
this process appends each solved range in between its own share of the solving, so the workers take
more of it. Once the grid is solved a worker draws the phase diagram, handed over before the last
rows of the CSV are written, while this process writes those rows and the columnar file and a
thread syncs the CSV to disk. Every file is staged and published together (``output_set``).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from .. import DEFAULT_SCENARIO, limits
from ..errors import UsageError
from .errors import handled
from .launch import PLOT_MODULE, sweep_modules
from .options import OutOpt, ScenarioArg, SetOpt, load_with_sets, parse_sets
from .progress import console, progress_bar


# named, not imported, so this process does not pay for matplotlib when a worker draws the figure
PLOT = f"{PLOT_MODULE}:plot_phase_diagram"


def human_size(n: int) -> str:
    """1234567 -> '1.2 MB' (decimal units, as file managers show them)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


# CSV rows kept back for the end when a worker draws the figure, so that both processes end
# together instead of one waiting for the other: on the machine measured the worker took 0.25-0.3 s
# to draw a 2000 x 2000 grid's figure, this process 0.15 s for the columnar file and 0.1 s per
# million rows. Seven interleaved runs of that sweep with two workers each: 1.79-1.85 s with two
# million rows kept, 1.71-1.72 s with one million, 1.70 s with 700,000, 1.77 s with 400,000.
CSV_ROWS_KEPT_FOR_THE_END = 1_000_000


class _CsvHeldBack:
    """The CSV stream's ``add``, except that ranges reaching into the grid's last ``rows`` points are
    held back until :meth:`release`, as is the range completing the grid: their rows are written
    after the figure has been handed to a worker, so the worker draws while this process writes."""

    def __init__(self, stream: Any, total: int, rows: int):
        self.stream, self.total, self.seen, self.from_row = stream, total, 0, total - rows
        self.held: list[tuple[int, Any, Any]] = []

    def add(self, start: int, codes: Any, labels: Any) -> None:
        self.seen += codes.size
        if self.seen == self.total or start + codes.size > self.from_row:
            self.held.append((start, codes, labels))
        else:
            self.stream.add(start, codes, labels)

    def release(self) -> None:
        for held in self.held:
            self.stream.add(*held)
        self.held.clear()


def register(app: typer.Typer) -> None:
    """Add the sweep command to the app."""

    @app.command("sweep")
    @handled
    def sweep_cmd(
        name: ScenarioArg = DEFAULT_SCENARIO,
        grid: Annotated[list[str] | None, typer.Option(
            "--grid", "-g", help="A swept parameter: name=start:stop:num or name=v1,v2,... (one or two).")] = None,
        set_: SetOpt = None,
        out: OutOpt = None,
        workers: Annotated[int | None, typer.Option(
            help="Solve and write in N local worker processes (started once for the command).")] = None,
        scheduler: Annotated[str | None, typer.Option(help="Use an existing Dask cluster (tcp://host:port).")] = None,
        chunk: Annotated[int | None, typer.Option(
            help="Points per vectorised solve; at most, and by default, as many as keep its arrays "
                 "within 48 MB (34192 for the default scenario).")] = None,
        csv: Annotated[bool, typer.Option("--csv/--no-csv", help="Also write sweep.csv (one row per point).")] = True,
        figure: Annotated[bool, typer.Option("--figure/--no-figure", help="Draw phase-diagram.png.")] = True,
        exact: Annotated[bool, typer.Option(
            "--exact", help="Solve each point in rational arithmetic at the values as typed (8/11 stays 8/11; "
                            "ties are marked); at most 20000 points.")] = False,
    ) -> None:
        """Solve a scenario over a parameter grid; write the table (Parquet or .npz, and CSV) and a phase diagram."""
        from ..workers import WorkerPool, call_named, preload, result_of, take_launched

        if not grid:
            raise UsageError("give at least one --grid name=start:stop:num (e.g. --grid p_resolute=0:1:101)")
        if chunk is not None and chunk < 1:
            raise UsageError(f"--chunk must be at least 1, got {chunk}")
        if workers is not None:
            limits.check_workers(workers)
        if workers is not None and scheduler is not None:
            raise UsageError("give either --workers or --scheduler, not both")
        # The `escalab` script started the workers before the command line was parsed, the solver
        # already in them (escalab.cli.launch). Called otherwise, they start here, before this process
        # imports the solver: a worker forked now imports it (and, to draw the figure, matplotlib)
        # while this process does, instead of idling until the grid is ready.
        drawn = figure and len(grid) <= 2         # a phase diagram shows one or two swept parameters
        pool = None
        if workers is not None and workers > 1:
            pool = take_launched(workers)
            if pool is None:
                pool = WorkerPool(workers)
                pool.submit(preload, *sweep_modules(drawn))
        drawn_by_pool = drawn and pool is not None
        try:
            # Imported here, not at the top: `escalab --help` must not pay for them (docs/scale.md).
            from ..atomic import output_set
            from ..report.solve_tables import sweep_table
            from ..solve.sweep import check_axes, parse_axis, sweep
            from ..solve.sweep_files import CsvStream, columnar_suffix, pyarrow_available, write_columnar

            axes = [parse_axis(g) for g in grid]
            both = sorted({a.name for a in axes} & set(parse_sets(set_)))
            if both:        # --grid used to override --set silently
                raise UsageError(f"'{both[0]}' is given by --set and by --grid; a swept parameter takes its "
                                 "values from --grid (drop the --set)")
            if scheduler is not None:
                from ..solve.dask_client import check_scheduler
                from ..solve.sweep import check_scheduler_address
                check_scheduler_address(scheduler)
                check_scheduler(scheduler)       # refuse inproc://, http://, an hour's wait... before anything starts
            scenario = load_with_sets(name, set_)
            check_axes(scenario, axes)            # before the output folder is made
            out_dir = out or Path("escalab-out") / scenario.id
            with output_set(out_dir, "sweep") as outs:
                stream = CsvStream(outs.path("sweep.csv"), [a.name for a in axes], [a.values for a in axes]) \
                    if csv else None
                try:
                    if pool is not None and pyarrow_available():
                        import pyarrow.parquet  # noqa: F401 - imported while the workers solve, not after
                    held = CSV_ROWS_KEPT_FOR_THE_END if drawn_by_pool else 0
                    last = None if stream is None else _CsvHeldBack(stream, math.prod(len(a) for a in axes), held)
                    with progress_bar(f"sweep {scenario.id}") as cb:
                        result = sweep(scenario, axes, scheduler=scheduler, chunk=chunk, progress=cb, pool=pool,
                                       exact=exact, on_range=last.add if last is not None else None)
                    names = ["sweep" + columnar_suffix(), "sweep.json"]
                    drawing = None
                    if drawn:
                        names.append("phase-diagram.png")
                        if drawn_by_pool:           # a worker draws it while this process writes
                            # sent without the axes' exact values: a figure needs the floats, and
                            # thousands of Fractions cost the worker more to unpickle than the grid
                            slim = replace(result, axes=[replace(a, exact=None) for a in result.axes])
                            drawing = pool.submit(call_named, PLOT, slim, str(outs.path("phase-diagram.png")))
                    if last is not None:
                        last.release()
                        stream.end(result.size)     # synced to disk while the other files are written
                    if drawn and not drawn_by_pool:
                        from ..report.phase_diagram import plot_phase_diagram
                        plot_phase_diagram(result, outs.path("phase-diagram.png"))
                    write_columnar(result, outs.path(names[0]))      # the staging folder makes it atomic
                    outs.write_text("sweep.json", json.dumps(result.to_dict(), indent=2))
                    if stream is not None:
                        stream.finish(result.size)
                        names.insert(0, "sweep.csv")
                    if drawing is not None:
                        result_of(drawing)
                finally:
                    if stream is not None:      # closed by finish(); on a failure, closed before the discard
                        stream.close()
                sizes = {n: outs.path(n).stat().st_size for n in names}
        finally:
            if pool is not None:
                pool.close()
        console.print(sweep_table(result))
        for n in names:
            console.print(f"[dim]wrote {escape(str(outs.final(n)))} ({human_size(sizes[n])})[/]", soft_wrap=True)
        if figure and len(axes) > 2:
            console.print("[dim]no phase diagram: it shows one or two swept parameters[/]")
