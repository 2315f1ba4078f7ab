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

import contextlib
import csv
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..model import ExtensiveGame
from ..scenario import Scenario, loads
from .sequential import solve_sequential, structure

Progress = Callable[[int, int], None]
CHUNK = 16_384
MAX_POINTS = 20_000_000


# ------------------------------------------------------------------------------ grid
@dataclass(frozen=True)
class Axis:
    """One swept parameter and its values."""

    name: str
    values: np.ndarray = field(compare=False)

    def __len__(self) -> int:
        return len(self.values)


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
        if num > MAX_POINTS:                # before np.linspace allocates them
            raise UsageError(f"{what}: at most {MAX_POINTS} points are supported, got {num}")
        if num > 1 and not stop > start:
            raise UsageError(f"{what}: stop ({stop:g}) must be above start ({start:g})")
        values = np.linspace(start, stop, num)
    else:
        values = np.array([_num(v, what) for v in rest.split(",")], dtype=float)
        if len(values) > 1 and np.any(np.diff(values) <= 0):
            raise UsageError(f"{what}: list the values in increasing order")
    return Axis(name, values)


def _num(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise UsageError(f"{what}: expected a number, got '{text.strip()}'") from None
    if not math.isfinite(v):
        raise UsageError(f"{what}: expected a finite number, got '{text.strip()}'")
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
    total = int(np.prod([len(a) for a in axes]))
    if total > MAX_POINTS:
        raise UsageError(f"the grid has {total} points; at most {MAX_POINTS} are supported")


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


@contextlib.contextmanager
def dask_client(scheduler: Any) -> Iterator[Any]:
    """A Client for ``scheduler`` (an address, checked first, or a Client, used as is); a Client made
    here is closed on the way out. A scheduler that cannot be reached is the user's input: UsageError."""
    from distributed import Client

    from ..limits import DASK_TIMEOUT

    if not isinstance(scheduler, str):
        yield scheduler
        return
    check_scheduler_address(scheduler)
    try:
        client = Client(scheduler, timeout=f"{DASK_TIMEOUT.value()}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


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


@lru_cache(maxsize=8)
def _game(recipe: ScenarioRecipe) -> ExtensiveGame:
    return recipe.load().compile("sequential")


# ------------------------------------------------------------------------------ chunks
@dataclass
class ChunkResult:
    start: int
    codes: np.ndarray          # per point: index into labels
    labels: list[tuple[str, str]]
    gambit_points: int


def solve_chunk(recipe: ScenarioRecipe, names: tuple[str, ...], columns: np.ndarray, start: int,
                vectorised: bool = True, game: ExtensiveGame | None = None) -> ChunkResult:
    """Solve a block of points (``columns``: one row per parameter in ``names``)."""
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
    if todo.size:
        from .gambit_bridge import limit_outcome
    for i in todo:
        eq = limit_outcome(game, {n: float(columns[k, i]) for k, n in enumerate(names)})
        key = (eq.label, eq.path)
        if key not in labels:
            labels.append(key)
        codes[i] = labels.index(key)
    return ChunkResult(start, codes, labels, len(todo))


def _solve_chunk_remote(recipe: ScenarioRecipe, names: tuple[str, ...], columns: np.ndarray, start: int,
                        vectorised: bool) -> ChunkResult:
    return solve_chunk(recipe, names, columns, start, vectorised)


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

    def counts(self) -> dict[str, int]:
        return {self.labels[k]: int(np.sum(self.codes == k)) for k in range(len(self.labels))}

    def write_csv(self, path: str | Path) -> Path:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = path.open("w", newline="")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        grids = np.meshgrid(*[a.values for a in self.axes], indexing="ij")
        with fh:
            w = csv.writer(fh)
            w.writerow([a.name for a in self.axes] + ["outcome", "path"])
            flat = self.codes.reshape(-1)
            cols = [g.reshape(-1) for g in grids]
            for i in range(flat.size):
                k = int(flat[i])
                w.writerow([f"{c[i]:.10g}" for c in cols] + [self.labels[k], self.paths[k]])
        return path

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "axes": {a.name: [float(a.values[0]), float(a.values[-1]), len(a)]
                                                    for a in self.axes},
                "fixed": self.fixed, "method": self.method, "points": self.size,
                "pygambit_points": self.gambit_points, "outcomes": self.counts(),
                "paths": dict(zip(self.labels, self.paths))}


def sweep(scenario: Scenario, axes: Sequence[Axis], *, workers: int | None = None, scheduler: str | None = None,
          chunk: int = CHUNK, progress: Progress | None = None, force_gambit: bool = False,
          connect_timeout: float = 10.0) -> SweepResult:
    """The equilibrium outcome at every point of the grid spanned by ``axes``.

    In-process by default; ``workers=N`` uses N local processes; ``scheduler='tcp://host:port'``
    uses an existing Dask cluster (reached within ``connect_timeout`` seconds). ``force_gambit``
    solves every point with pygambit (for checks).
    """
    check_axes(scenario, axes)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if workers is not None and scheduler is not None:
        raise UsageError("give either --workers or --scheduler, not both")
    game = scenario.compile("sequential")
    st = structure(game)
    vectorised = st.applies and not force_gambit
    if not vectorised:
        chunk = min(chunk, 64)
    shape = tuple(len(a) for a in axes)
    names = tuple(a.name for a in axes)
    grids = np.meshgrid(*[a.values for a in axes], indexing="ij")
    columns = np.stack([g.reshape(-1) for g in grids])
    total = columns.shape[1]
    starts = list(range(0, total, chunk))
    recipe = ScenarioRecipe.of(scenario)
    results: list[ChunkResult] = []
    done = 0
    if progress:
        progress(0, total)

    def record(r: ChunkResult) -> None:
        nonlocal done
        results.append(r)
        done += r.codes.size
        if progress:
            progress(done, total)

    if scheduler is not None:
        try:
            from distributed import Client, as_completed
        except ImportError:  # pragma: no cover - pinned dependency
            raise UsageError("--scheduler needs dask.distributed installed") from None
        check_scheduler_address(scheduler)
        try:
            client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            with client.as_current():
                futures = [client.submit(_solve_chunk_remote, recipe, names, columns[:, s:s + chunk], s,
                                         vectorised, pure=False) for s in starts]
                for fut in as_completed(futures):
                    record(fut.result())
        finally:
            client.close()
    elif workers is not None and workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed as done_first
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futs = [pool.submit(_solve_chunk_remote, recipe, names, columns[:, s:s + chunk], s, vectorised)
                    for s in starts]
            for f in done_first(futs):
                record(f.result())
    else:
        for s in starts:
            record(solve_chunk(recipe, names, columns[:, s:s + chunk], s, vectorised, game))

    labels: list[tuple[str, str]] = []
    codes = np.empty(total, dtype=np.int64)
    for r in sorted(results, key=lambda r: r.start):
        remap = np.empty(len(r.labels), dtype=np.int64)
        for k, key in enumerate(r.labels):
            if key not in labels:
                labels.append(key)
            remap[k] = labels.index(key)
        codes[r.start:r.start + r.codes.size] = remap[r.codes]
    gambit_points = sum(r.gambit_points for r in results)
    method = "pygambit per point (logit limit)" if not vectorised else \
        ("vectorised backward induction" + (f" + pygambit at {gambit_points} points" if gambit_points else ""))
    fixed = {k: float(v) for k, v in scenario.values.items() if k not in names}
    units = {a.name: scenario.parameters[a.name].unit for a in axes}
    return SweepResult(scenario.id, scenario.title, list(axes), codes.reshape(shape), [k[0] for k in labels],
                       [k[1] for k in labels], method, gambit_points, fixed, units)


__all__ = ["Axis", "ScenarioRecipe", "SweepResult", "check_axes", "check_scheduler_address", "parse_axis", "solve_chunk",
           "sweep"]
