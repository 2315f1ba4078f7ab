"""Parameter sweeps: the equilibrium outcome at every point of a grid.

A phase diagram ("where does escalate-to-deescalate work?") needs the solution at thousands of
parameter points. Games our backward induction with beliefs covers are solved a chunk of points
at a time in NumPy (:mod:`.sequential`); points it cannot settle, and games it does not cover, go
to pygambit one point at a time. Either way the work splits into chunks that run in this process,
in local worker processes, or on an existing Dask cluster -- the same function, so a laptop run
and a cluster run give the same table.

Workers receive a :class:`ScenarioRecipe` (the scenario's document as JSON text and its parameter
values), not the Scenario itself: compiled expressions are closures and do not pickle.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..errors import UsageError
from ..heap import release_heap, steady_heap
from ..model import ExtensiveGame
from ..scenario import Scenario, loads
from ..scenario.scenario import exact_value
from .assessment import node_steps
from .distinct import distinct
from .grid_order import GridCodes, code_dtype
from .sequential import solve_sequential, structure

Progress = Callable[[int, int], None]
# What one vectorised pass may allocate, and by default does: its temporaries (every node's value
# per player, per information set the action values, beliefs and choices: 28-51 bytes per node and
# point measured on the built-in trees, every payoff varying) stay inside the heap escalab.heap keeps
# for reuse (64 MB; beyond it each pass faults its memory in afresh, 2.3x slower), and a tree of
# 200,000 nodes or a --chunk of ten million cannot take the machine's memory. The default scenario
# gets 34,192 points a pass (3% faster end to end than 16,384), the chain store's 53 nodes 11,870.
PASS_BYTES = 48 << 20


def pass_points(game: ExtensiveGame) -> int:
    """Points per vectorised pass whose temporaries fit in :data:`PASS_BYTES`, estimated high:
    8 bytes per node and point for each player and six more (64 for two players; 51 measured)."""
    return max(1, PASS_BYTES // (8 * (len(game.players) + 6) * len(game.nodes)))


# ------------------------------------------------------------------------------ grid
@dataclass(frozen=True)
class Axis:
    """One swept parameter and its values."""

    name: str
    values: np.ndarray = field(compare=False)
    exact: tuple[Fraction, ...] | None = field(default=None, compare=False)   # the values as typed, exactly

    def __len__(self) -> int:
        return len(self.values)


# Memory measured per value: an axis short enough for an exact sweep holds a float and an exact
# Fraction for each (210 bytes peak while made), a longer one a float; a sweep's peak resident size
# grew by 7.2 bytes a point from 2 to 4 million points.
AXIS_BYTES_PER_VALUE = 216
SWEEP_BYTES_PER_POINT = 8


def parse_axis(spec: str) -> Axis:
    """``name=start:stop:num`` (num points, both ends included), ``name=v1,v2,...`` or ``name=v``."""
    name, eq, rest = spec.partition("=")
    name = name.strip()
    what = f"--grid '{spec}'"
    if not eq or not name or not rest.strip():
        raise UsageError(f"{what}: expected name=start:stop:num (e.g. p_resolute=0:1:101) or name=v1,v2,...")
    rest = rest.strip()
    if ":" in rest:
        parts = rest.split(":")
        if len(parts) != 3:
            raise UsageError(f"{what}: expected start:stop:num with three parts, got {len(parts)}")
        start, stop = _num(parts[0], what), _num(parts[1], what)
        try:
            num = int(parts[2])
        except ValueError:
            raise UsageError(f"{what}: the number of points must be a whole number, got '{parts[2]}'") from None
        if num < 1:
            raise UsageError(f"{what}: the number of points must be at least 1, got {num}")
        limits.GRID_POINTS.check(num, where=what)      # before np.linspace allocates them
        exactly = num <= MAX_EXACT_POINTS     # an exact sweep takes no more points; past that, floats alone
        limits.check_memory(num * (AXIS_BYTES_PER_VALUE if exactly else 8), f"{what}: the {num:,} values of this "
                                                                             "axis")
        if num > 1 and not stop > start:
            raise UsageError(f"{what}: stop ({float(stop):g}) must be above start ({float(start):g})")
        values = np.linspace(float(start), float(stop), num)
        exact = None if not exactly else \
            tuple(start + (stop - start) * k / (num - 1) for k in range(num)) if num > 1 else (start,)
    else:
        exact = tuple(_num(v, what) for v in rest.split(","))
        values = np.array([float(v) for v in exact], dtype=float)
        if len(values) > 1 and any(b <= a for a, b in zip(exact, exact[1:])):
            raise UsageError(f"{what}: list the values in increasing order")
    return Axis(name, values, exact)


def _num(text: str, what: str) -> Fraction:
    """A grid value as the exact rational its text names ('8/11', '0.3'); floats are derived from it."""
    t = text.strip()
    try:
        v = Fraction(t)
        if not math.isfinite(float(v)):
            raise OverflowError(t)
    except (ValueError, ZeroDivisionError, OverflowError):
        try:
            finite = math.isfinite(float(t))      # 'inf', 'nan', '1e999' are numbers, but not finite ones
        except ValueError:
            finite = True
        kind = "a number" if finite else "a finite number"
        raise UsageError(f"{what}: expected {kind}, got '{t}'") from None
    return v


def check_axes(scenario: Scenario, axes: Sequence[Axis]) -> None:
    if not axes:
        raise UsageError("a sweep needs at least one --grid name=start:stop:num")
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise UsageError(f"each parameter can be swept once; got {', '.join(names)}")
    for a in axes:
        if a.name not in scenario.parameters:
            known = ", ".join(scenario.parameters) or "none"
            raise UsageError(f"--grid: scenario '{scenario.id}' has no parameter '{a.name}' (parameters: {known})")
        rng = scenario.parameters[a.name].range
        if rng is not None and (a.values.min() < rng[0] or a.values.max() > rng[1]):
            raise UsageError(f"--grid {a.name}: values [{a.values.min():g}, {a.values.max():g}] leave the "
                             f"parameter's range [{rng[0]:g}, {rng[1]:g}]")
    total = math.prod(len(a) for a in axes)
    limits.GRID_POINTS.check(total, where="--grid " + " ".join(a.name for a in axes))
    limits.check_memory(total * SWEEP_BYTES_PER_POINT, f"--grid {' '.join(a.name for a in axes)}: the "
                                                       f"sweep's {total:,} points")


def check_scheduler_address(address: str) -> None:
    """Reject a malformed Dask scheduler address before a Client is made of it (a Client that fails
    on one only says so after a timeout, with a traceback from its finaliser)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address, strict=False)
        if scheme in ("tcp", "tls", "ws", "wss"):
            host, port = parse_host_port(loc)
            if not host or not 0 < int(port) < 65536:
                raise ValueError("expected a host and a port between 1 and 65535")
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--scheduler '{address}': expected a Dask scheduler address such as "
                         f"tcp://127.0.0.1:8786 ({exc})") from None


# ------------------------------------------------------------------------------ recipes
@dataclass(frozen=True)
class ScenarioRecipe:
    """Everything a worker process needs to rebuild the scenario."""

    text: str
    base_dir: str | None
    values: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, scenario: Scenario) -> "ScenarioRecipe":
        doc = scenario.spec.model_dump(mode="json", exclude_none=True)
        doc.pop("extends", None)
        base = Path(scenario.source).parent if scenario.source and not scenario.source.startswith("<") else None
        values = tuple((k, float(v)) for k, v in scenario.values.items())
        return cls(json.dumps(doc), str(base) if base else None, values)

    def load(self) -> Scenario:
        s = loads(self.text, name="<sweep worker>", base_dir=Path(self.base_dir) if self.base_dir else None)
        return s.with_params(dict(self.values))


_GAMES: dict[ScenarioRecipe, ExtensiveGame] = {}
_GAMES_KEPT = 8


def _game(recipe: ScenarioRecipe) -> ExtensiveGame:
    game = _GAMES.get(recipe)
    if game is None:
        game = recipe.load().compile("sequential")
        remember_game(recipe, game)
    return game


def remember_game(recipe: ScenarioRecipe, game: ExtensiveGame) -> None:
    """Keep ``game`` as the compiled form of ``recipe`` in this process, where workers forked
    afterwards find it (the last few recipes are kept)."""
    _GAMES[recipe] = game
    while len(_GAMES) > _GAMES_KEPT:
        _GAMES.pop(next(iter(_GAMES)))


# ------------------------------------------------------------------------------ chunks
@dataclass
class ChunkResult:
    """The outcome codes of a contiguous range of grid points: small integers, not Python objects.

    ``labels`` are in the order of their first point in the range, so merging ranges in grid order
    gives every label its first point in the whole grid -- the same table however the grid was cut.
    """

    start: int
    codes: np.ndarray          # per point: index into labels (int8 when there are few labels)
    labels: list[tuple[str, str]]
    gambit_points: int


def _first_seen_order(codes: np.ndarray, labels: list[tuple[str, str]]) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Renumber codes by first appearance; labels no point uses are dropped."""
    present, first, _ = distinct(codes)
    order = present[np.argsort(first, kind="stable")]
    remap = np.zeros(max(len(labels), 1), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[codes].astype(code_dtype(len(order))), [labels[k] for k in order]


class GambitBudgetSpent(Exception):
    """A task would solve more points with pygambit than the sweep's budget allows (``args[0]``: how
    many it had reached); :func:`sweep` turns it into the ``pygambit-points`` refusal. A plain
    exception with one argument, so it comes back whole from a worker process or a Dask worker."""


def solve_chunk(recipe: ScenarioRecipe, names: tuple[str, ...], columns: np.ndarray, start: int,
                vectorised: bool = True, game: ExtensiveGame | None = None,
                gambit_budget: int | None = None) -> ChunkResult:
    """Solve a block of points (``columns``: one row per parameter in ``names``); at most
    ``gambit_budget`` of them with pygambit, checked before the first."""
    game = game or _game(recipe)
    size = columns.shape[1]
    codes = np.full(size, -1, dtype=np.int64)
    labels: list[tuple[str, str]] = []
    todo = np.arange(size)
    if vectorised:
        sol = solve_sequential(game, {n: columns[k] for k, n in enumerate(names)})
        local, outs, paths = sol.labels()
        labels = list(zip(outs, paths))
        codes[:] = local
        todo = np.flatnonzero(~sol.converged)
        codes[todo] = -1
    if gambit_budget is not None and todo.size > gambit_budget:
        raise GambitBudgetSpent(int(todo.size))
    if todo.size:
        from .gambit_bridge import limit_outcome
    for i in todo:
        eq = limit_outcome(game, {n: float(columns[k, i]) for k, n in enumerate(names)})
        key = (eq.label, eq.path)
        if key not in labels:
            labels.append(key)
        codes[i] = labels.index(key)
    codes, labels = _first_seen_order(codes, labels)
    return ChunkResult(start, codes, labels, len(todo))


@dataclass(frozen=True)
class GridJob:
    """What any worker needs to solve any range of the grid; a few kilobytes, sent once per worker.

    Points are not shipped: a worker computes the parameter values of points [start, stop) from the
    axes (row-major, last axis fastest -- the order of ``np.meshgrid(..., indexing="ij")``).
    """

    recipe: ScenarioRecipe
    names: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    vectorised: bool
    chunk: int
    gambit_budget: int | None = None     # points one task may solve with pygambit (the whole sweep's budget)

    def columns(self, start: int, stop: int) -> np.ndarray:
        flat = np.arange(start, stop, dtype=np.int64)
        cols = np.empty((len(self.values), stop - start))
        for k in range(len(self.values) - 1, -1, -1):
            flat, idx = np.divmod(flat, len(self.values[k]))
            cols[k] = self.values[k][idx]
        return cols


def solve_range(job: Any, start: int, stop: int, game: ExtensiveGame | None = None) -> ChunkResult:
    """Worker task: the points [start, stop), solved ``job.chunk`` at a time, as one compact result.

    ``job`` is a :class:`GridJob` or a handle to one (:class:`escalab.workers.Shared`).
    """
    if not isinstance(job, GridJob):
        job = job.get()
    parts: list[ChunkResult] = []
    used = 0
    with steady_heap():         # each chunk reuses the memory the last one freed (escalab.heap)
        for s in range(start, stop, job.chunk):
            left = None if job.gambit_budget is None else job.gambit_budget - used
            try:
                parts.append(solve_chunk(job.recipe, job.names, job.columns(s, min(s + job.chunk, stop)), s,
                                         job.vectorised, game, left))
            except GambitBudgetSpent as exc:
                raise GambitBudgetSpent(used + exc.args[0]) from None
            used += parts[-1].gambit_points
    return merge_chunks(parts, start, stop - start)


def merge_chunks(parts: Sequence[ChunkResult], start: int, size: int) -> ChunkResult:
    """Consecutive ranges as one range: labels numbered by first appearance, codes remapped."""
    grid = GridCodes(start, size)
    for r in parts:
        grid.add(r.start, r.codes, r.labels, r.gambit_points)
    return ChunkResult(start, grid.codes(), grid.order.labels, grid.gambit_points)


def task_points(total: int, chunk: int, workers: int) -> int:
    """Points per task sent to a worker: whole chunks, about 16 tasks per worker (few round trips,
    still balanced), at most 16 chunks (a progress bar that moves)."""
    per = math.ceil(total / (16 * max(workers, 1)))
    chunks = min(16, max(1, math.ceil(per / chunk)))
    return chunks * chunk


# ------------------------------------------------------------------------------ sweep
@dataclass
class SweepResult:
    scenario: str
    title: str
    axes: list[Axis]
    codes: np.ndarray                 # shape: one dimension per axis
    labels: list[str]                 # outcome label per code
    paths: list[str]                  # path label per code
    method: str
    gambit_points: int = 0
    fixed: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.codes.size)

    def code_counts(self) -> np.ndarray:
        """Points per code, counted a block at a time: ``np.bincount`` widens its input to 64-bit
        integers, and for millions of int8 codes at once that is tens of megabytes of fresh memory,
        which a virtual machine's host backs on first touch (15-70 ms of a sweep's last steps)."""
        flat, total = self.codes.reshape(-1), np.zeros(len(self.labels), dtype=np.int64)
        for s in range(0, flat.size, 1 << 16):
            total += np.bincount(flat[s:s + (1 << 16)], minlength=len(self.labels))
        return total

    def counts(self) -> dict[str, int]:
        counts = self.code_counts()
        out: dict[str, int] = {}
        for label, n in zip(self.labels, counts):
            out[label] = out.get(label, 0) + int(n)
        return out

    def write_csv(self, path: str | Path) -> Path:
        """One row per point (swept values, outcome, path), written in blocks, atomically."""
        from ..atomic import atomic_path
        from .sweep_files import write_csv

        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                write_csv(self, tmp)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def write_columnar(self, path: str | Path) -> Path:
        """Parquet (``.parquet``) or NumPy (``.npz``) by suffix; see :mod:`.sweep_files`. Atomic."""
        from ..atomic import atomic_path
        from .sweep_files import write_columnar

        path = Path(path)
        with atomic_path(path) as tmp:
            write_columnar(self, tmp)
        return path

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "axes": {a.name: [float(a.values[0]), float(a.values[-1]), len(a)]
                                                    for a in self.axes},
                "fixed": self.fixed, "method": self.method, "points": self.size,
                "pygambit_points": self.gambit_points, "outcomes": self.counts(),
                "paths": dict(zip(self.labels, self.paths))}


def sweep(scenario: Scenario, axes: Sequence[Axis], *, workers: int | None = None, scheduler: Any = None,
          chunk: int | None = None, progress: Progress | None = None, force_gambit: bool = False,
          connect_timeout: float | None = None, pool: Any = None, exact: bool = False,
          on_range: Callable[[int, np.ndarray, list[tuple[str, str]]], None] | None = None) -> SweepResult:
    """The equilibrium outcome at every point of the grid spanned by ``axes``.

    With ``exact`` every point is solved in rational arithmetic at the grid values as typed
    (``p=0:8/11:9`` includes 8/11 itself), one point at a time, within :data:`MAX_EXACT_POINTS`.

    In-process by default; ``workers=N`` uses N local processes (started for this call, or ``pool``,
    a :class:`escalab.workers.WorkerPool` the caller keeps for more work); ``scheduler`` is a Dask
    scheduler address ('tcp://host:port', reached within ``connect_timeout`` seconds) or a
    ``distributed.Client``. ``force_gambit`` solves every point with pygambit (for checks).
    ``chunk`` is the points per vectorised pass, at most (and by default) :func:`pass_points`.
    ``on_range(start, codes, labels)`` is called in this thread with every range as it is solved
    (in any order; ``labels`` are the range's own), e.g. :meth:`escalab.solve.sweep_files.CsvStream.add`
    writing the CSV meanwhile.

    Workers get the grid's description once and solve ranges of points, returning one small
    integer per point; the table is the same, bit for bit, whatever runs it and however it is cut.
    No ``if __name__ == "__main__":`` guard is needed around a call with workers.
    """
    check_axes(scenario, axes)
    if exact:
        result = _exact_sweep(scenario, axes, progress)
        if on_range is not None:
            on_range(0, result.codes.reshape(-1), list(zip(result.labels, result.paths)))
        return result
    if workers is not None:
        limits.check_workers(workers)
    if chunk is not None and chunk < 1:
        raise UsageError(f"--chunk must be at least 1, got {chunk}")
    if (workers is not None or pool is not None) and scheduler is not None:
        raise UsageError("give either --workers or --scheduler, not both")
    game = scenario.compile("sequential")
    st = structure(game)
    vectorised = st.applies and not force_gambit
    most = pass_points(game) if vectorised else 64       # pygambit points go in small chunks
    chunk = most if chunk is None else min(chunk, most)
    shape = tuple(len(a) for a in axes)
    names = tuple(a.name for a in axes)
    total = int(np.prod(shape))
    budget = limits.PYGAMBIT_POINTS.value()
    where = f"sweep of '{scenario.id}'"
    if not vectorised:
        from .gambit_bridge import check_reach      # every point goes there: imported here anyway

        why = f"{where} (every point goes to pygambit: {'forced' if st.applies else st.reason})"
        limits.PYGAMBIT_POINTS.check(total, where=why)
        check_reach(game, why)
    job = GridJob(ScenarioRecipe.of(scenario), names, tuple(np.asarray(a.values, dtype=float) for a in axes),
                  vectorised, chunk, budget)
    remember_game(job.recipe, game)               # workers forked below solve without rebuilding it
    grid = GridCodes(0, total)                  # filled in grid order as ranges come in, in any order
    done = gambit_done = 0
    if progress:
        progress(0, total)

    def record(r: ChunkResult) -> None:
        nonlocal done, gambit_done
        gambit_done += r.gambit_points
        if gambit_done > budget:
            raise GambitBudgetSpent(gambit_done)
        grid.add(r.start, r.codes, r.labels)
        done += r.codes.size
        if on_range is not None:
            on_range(r.start, r.codes, r.labels)
        if progress:
            progress(done, total)

    parallel = pool.workers if pool is not None else (workers or 1)
    step = task_points(total, chunk, parallel) if (scheduler is not None or parallel > 1) else chunk
    ranges = [(s, min(s + step, total)) for s in range(0, total, step)]
    try:
        if scheduler is not None:
            _sweep_on_dask(job, total, scheduler, connect_timeout, record)
        elif parallel > 1 and len(ranges) > 1:
            from ..workers import WorkerPool, run_unordered

            own = pool is None
            pool = pool or WorkerPool(parallel)
            try:
                shared = pool.share(job)
                run_unordered(pool, solve_range, [(shared, s, e) for s, e in ranges], lambda task, r: record(r))
            finally:
                if own:
                    pool.close()
        else:
            for s, e in ranges:
                record(solve_range(job, s, e, game))
    except GambitBudgetSpent as exc:
        # points found without a pure equilibrium as the grid is solved: the budget is checked
        # before each chunk's pygambit points, and over the whole sweep as ranges come in
        raise limits.LimitError(limits.PYGAMBIT_POINTS, max(int(exc.args[0]), gambit_done),
                                where=f"{where} (points where backward induction with beliefs finds no pure "
                                      "equilibrium, counted as the grid is solved)") from None
    finally:
        release_heap()          # where the environment fixes malloc's thresholds, its values are back
    codes, labels, gambit_points = grid.codes(), grid.order.labels, gambit_done
    method = "pygambit per point (logit limit)" if not vectorised else \
        ("vectorised backward induction" + (f" + pygambit at {gambit_points} points" if gambit_points else ""))
    fixed = {k: float(v) for k, v in scenario.values.items() if k not in names}
    units = {a.name: scenario.parameters[a.name].unit for a in axes}
    return SweepResult(scenario.id, scenario.title, list(axes), codes.reshape(shape),
                       [k[0] for k in labels], [k[1] for k in labels], method, gambit_points, fixed,
                       units)


MAX_EXACT_POINTS = 20_000


def _exact_sweep(scenario: Scenario, axes: Sequence[Axis], progress: Progress | None) -> SweepResult:
    """Each point in exact arithmetic: ties at exact thresholds stay ties (the first maximiser wins,
    as in the exact solvers), where a float grid lands an ulp to one side."""
    shape = tuple(len(a) for a in axes)
    total = int(np.prod(shape))
    if total > MAX_EXACT_POINTS:
        raise UsageError(f"an exact sweep solves one point at a time and is limited to {MAX_EXACT_POINTS} points; "
                         f"the grid has {total} (drop --exact, or use fewer points)")
    grids = [a.exact if a.exact is not None else tuple(exact_value(float(v)) for v in a.values) for a in axes]
    labels: list[tuple[str, str]] = []
    codes = np.empty(total, dtype=np.int64)
    converged_all = True
    for n, point in enumerate(itertools.product(*grids)):
        game = scenario.with_params({a.name: v for a, v in zip(axes, point)}).compile("sequential", exact=True)
        sol = solve_sequential(game)
        if bool(sol.converged[0]):
            eq = sol.equilibrium(0)
        else:
            from .gambit_bridge import limit_outcome
            converged_all = False
            eq = limit_outcome(game)
        on_path = {game.infosets[game.nodes[p].infoset].label for t in eq.outcomes
                   for p, _ in node_steps(game, game.node_at(t.split("/")).index) if game.nodes[p].kind == "decision"}
        tied = sorted(i for i in eq.ties if i in on_path)
        key = (eq.label + (f" (tie at {', '.join(tied)})" if tied else ""), eq.path)
        if key not in labels:
            labels.append(key)
        codes[n] = labels.index(key)
        if progress and (n % 64 == 0 or n == total - 1):
            progress(n + 1, total)
    names = {a.name for a in axes}
    fixed = {k: float(v) for k, v in scenario.values.items() if k not in names}
    units = {a.name: scenario.parameters[a.name].unit for a in axes}
    method = "exact backward induction per point" + ("" if converged_all else " (+ pygambit where it does not settle)")
    return SweepResult(scenario.id, scenario.title, list(axes), codes.reshape(shape), [k[0] for k in labels],
                       [k[1] for k in labels], method, 0, fixed, units)


def _sweep_on_dask(job: GridJob, total: int, scheduler: Any, connect_timeout: float | None,
                   record: Callable[[ChunkResult], None]) -> None:
    """The ``total`` points of the grid as a few Dask tasks sized to the cluster, cut at whole chunks
    as one process cuts it; the job goes to every worker once, results are integer codes."""
    try:
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - pinned dependency
        raise UsageError("--scheduler needs dask.distributed installed") from None
    from .dask_client import cluster_threads, run_tasks, scheduler_client, task_spans

    with scheduler_client(scheduler, connect_timeout) as client:
        spans = [(a * job.chunk, min(b * job.chunk, total))
                 for a, b in task_spans(math.ceil(total / job.chunk), cluster_threads(client))]
        run_tasks(client, solve_range, job, spans, lambda span, r: record(r))


__all__ = ["Axis", "ChunkResult", "GambitBudgetSpent", "GridJob", "ScenarioRecipe", "SweepResult", "check_axes",
           "check_scheduler_address", "merge_chunks", "parse_axis", "pass_points", "remember_game", "solve_chunk",
           "solve_range", "sweep"]
