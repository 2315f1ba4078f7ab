"""The ``escalab`` console script: a command's worker processes are started before the CLI exists.

Importing Typer, Rich and the command modules and parsing the options takes a fifth of a second,
during which a command run with ``--workers N`` has nothing for its workers to do yet. Here the
command line is read just far enough to see ``sweep ... --workers N`` or ``simulate ... --workers
N``, and that pool is started first (forked on Linux while this process runs one thread), so its
workers import what they need while this process imports the CLI. What every process of the command
needs -- a sweep's solver -- is imported here once, before the fork, and inherited; what only
workers need (the Monte Carlo kernel, the figure's matplotlib) they import themselves. Limits given
with ``--limit``, read later, travel with each task (escalab.workers). The command then takes the
pool if it was started for the number of workers it parsed (:func:`escalab.workers.take_launched`);
any other case, or a command that fails before taking it, gets the pool it would have made anyway,
or none, and the unused one is closed at exit. Nothing here decides what a command does: a wrong
guess costs a fork, never a different result.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple

# What the processes of each command import, and where: a sweep's solver is imported by this
# process before the fork and inherited by its workers (spawned ones import it first), and one
# worker imports the module that draws the phase diagram (it draws it while the command's process
# writes the tables); every Monte Carlo worker imports the kernel itself,
# escalab.simulate.montecarlo.WARM_MODULES (a test keeps them equal).
SWEEP_MODULES = ("escalab.solve.sweep",)
PLOT_MODULE = "escalab.report.phase_diagram"
SIMULATE_MODULES = ("escalab.simulate.montecarlo", "escalab.simulate.kernel")

_GLOBAL_WITH_VALUE = ("--limit",)       # the app's own options that take a value (app._main)


class PoolPlan(NamedTuple):
    """The pool a command line will use, and what goes into its processes when."""

    workers: int
    warm: tuple[str, ...]           # every worker imports these as it starts
    first: tuple[str, ...]          # one worker's first task imports these
    inherited: tuple[str, ...]      # this process imports these before forking: workers start with them


def planned_pool(argv: Sequence[str]) -> PoolPlan | None:
    """The pool the command in ``argv`` would start, or None.

    Read as Click would read it where it matters here: the command is the first word that is not
    an option of the app; ``--workers N`` / ``--workers=N`` (also ``-w N`` for simulate); the last
    one given counts. Anything this does not recognise means no early pool.
    """
    args = list(argv)
    k = 0
    while k < len(args) and args[k].startswith("-"):
        k += 2 if args[k] in _GLOBAL_WITH_VALUE else 1
    if k >= len(args) or args[k] not in ("sweep", "simulate"):
        return None
    command, rest = args[k], args[k + 1:]
    if "--" in rest:
        rest = rest[:rest.index("--")]
    flags = ("--workers", "-w") if command == "simulate" else ("--workers",)
    workers = None
    for i, a in enumerate(rest):
        if a in flags and i + 1 < len(rest):
            workers = rest[i + 1]
        elif a.startswith("--workers="):
            workers = a.partition("=")[2]
    if workers is None or not workers.isdigit() or len(workers) > 6 or int(workers) < 2 or "--scheduler" in rest or \
            any(a.startswith("--scheduler=") for a in rest) or "--exact" in rest or "--help" in rest:
        return None
    if command == "simulate":
        return PoolPlan(int(workers), SIMULATE_MODULES, (), ())
    grids = sum(a in ("--grid", "-g") or a.startswith("--grid=") for a in rest)
    drawn = "--no-figure" not in rest and grids <= 2
    return PoolPlan(int(workers), (), (PLOT_MODULE,) if drawn else (), SWEEP_MODULES)


def sweep_modules(drawn: bool) -> tuple[str, ...]:
    """What a sweep's first worker imports first: the solver, and the figure's module when it draws
    the phase diagram (one or two --grid, no --no-figure)."""
    return SWEEP_MODULES + ((PLOT_MODULE,) if drawn else ())


def main() -> None:
    plan = planned_pool(sys.argv[1:])
    if plan is not None:
        from ..errors import EscalabError
        from ..workers import fork_is_safe, launch_pool
        if plan.inherited and fork_is_safe():
            # Both processes need the solver: imported once here and inherited by a forked worker,
            # not imported by each (0.3 s of CPU that two busy cores share). Frozen before the fork,
            # so the collector's passes in the worker do not write to, and copy, the pages holding
            # them. With the two, a 4-million-point sweep on two workers took 1.65 s, not 1.77 s.
            for name in plan.inherited:
                importlib.import_module(name)
            gc.freeze()
        try:
            launch_pool(plan.workers, plan.warm, plan.inherited + plan.first)
        except EscalabError:
            pass                     # over the workers limit: the command refuses it, with its message
    from .app import main as run
    try:
        run()
    finally:
        leave_quickly()


def leave_quickly() -> None:
    """Spare the interpreter's exit a walk through every object the command made.

    On its way out CPython runs the cyclic garbage collector over everything still alive, several
    times as it clears the modules: after a sweep, hundreds of thousands of objects (NumPy, pyarrow,
    matplotlib, Typer, Rich, pydantic) took 0.15-0.2 s in one process, 0.06-0.07 s with workers --
    after the work was done and every file written and closed. Frozen, they are skipped and the exit
    takes 0.02-0.03 s. Nothing is lost: atexit handlers still run, standard streams are still flushed,
    and objects are still freed as their modules are cleared; only cycles that are garbage at exit
    stay unvisited, which CPython never promises to finalise anyway."""
    gc.freeze()
