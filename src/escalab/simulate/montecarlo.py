"""Monte Carlo over many runs at once: NumPy arrays indexed by run, one turn per step.

Reproducibility is a contract: a seed gives bit-identical results whether the runs go through
one process, N processes or a Dask cluster. The runs are cut into chunks of a fixed size
(``CHUNK_RUNS``, independent of the number of workers); chunk ``c`` draws from
``SeedSequence(seed, spawn_key=(c, 0))`` (dynamics) and ``(c, 1)`` (readiness indicators) - the
children of ``SeedSequence(seed).spawn(...)[c]`` - and chunk totals are added in chunk order.

Within a chunk every step draws, for the runs still going, one uniform per stochastic policy, one
per actor for accidents and one per actor for misreadings (each only if the scenario has them),
and inverts the distributions that :meth:`LadderGame.transition` states exactly.

Two engines run a chunk: ``"numpy"`` (the reference: whole-array passes, one turn per step) and
``"numba"`` (:mod:`escalab.simulate.kernel`: one compiled loop over the runs per turn). Both draw
the same uniforms from the same generator calls in the same order and apply the same
floating-point operations, so they give bit-identical results; the default is numba when it can
be imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from .. import limits
from ..errors import UsageError
from ..solve.ladder import LadderArrays
from ..solve.ladder_types import SNAP
from .policies import NO_SIGNAL, DoctrineTable, Observations, Policy, TablePolicy
from .private_types import TypeTrack
from .readiness import IndicatorModel, update_beliefs
from .results import Belief, Rate, SimulationResult, distribution_result, type_rates

CHUNK_RUNS = 65_536
INDEX = np.int32          # run state in 32-bit integers: half the memory traffic of int64
ENGINES = ("numpy", "numba")
Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class BeliefTrack:
    """``observer`` infers ``target``'s readiness from indicators drawn each turn at its true level."""

    observer: int
    target: int
    model: IndicatorModel
    level_of_rung: np.ndarray


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything a worker needs to run chunks: picklable arrays and policies."""

    arrays: LadderArrays
    policies: tuple[Policy, Policy]
    beliefs: tuple[BeliefTrack, ...] = ()
    engine: str | None = None     # "numpy", "numba", or None: numba when it can be imported
    uniforms: int = field(init=False, default=0)
    types: TypeTrack = field(init=False, repr=False)

    def __post_init__(self) -> None:
        a = self.arrays
        types = TypeTrack.of(a, self.policies)
        n = sum(not p.deterministic for p in self.policies)
        n += 2 * a.has_accidents + 2 * (a.misperception > 0) + (types.table is not None)
        object.__setattr__(self, "uniforms", n)
        object.__setattr__(self, "types", types)
        if self.engine is not None:
            resolve_engine(self.engine)


@lru_cache(maxsize=1)
def numba_available() -> bool:
    """Can the compiled kernel be imported (numba installed and working with this NumPy)?"""
    try:
        from . import kernel  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_engine(engine: str | None) -> str:
    """The engine that will run: ``engine`` itself, or for None numba if importable, else numpy."""
    if engine is None:
        return "numba" if numba_available() else "numpy"
    if engine not in ENGINES:
        raise UsageError(f"unknown Monte Carlo engine '{engine}' (expected one of: {', '.join(ENGINES)})")
    if engine == "numba" and not numba_available():
        raise UsageError("the numba engine needs numba (pip install numba==0.68.1); use engine='numpy'")
    return engine


@dataclass
class ChunkTotals:
    endings: np.ndarray
    peak: np.ndarray
    duration: np.ndarray
    steps: int
    payoff_sum: np.ndarray          # (2,) sum of each actor's payoff over the finished runs
    payoff_sq: np.ndarray           # (2,) sum of squares, for standard errors
    belief_sum: list[np.ndarray]
    belief_true: list[np.ndarray]
    map_correct: list[int]
    by_type: np.ndarray             # (n, E): endings per private type of the typed actor

    def add(self, other: "ChunkTotals") -> None:
        self.endings += other.endings
        self.peak += other.peak
        self.duration += other.duration
        self.steps += other.steps
        self.payoff_sum = self.payoff_sum + other.payoff_sum
        self.payoff_sq = self.payoff_sq + other.payoff_sq
        for i in range(len(self.belief_sum)):
            self.belief_sum[i] = self.belief_sum[i] + other.belief_sum[i]
            self.belief_true[i] = self.belief_true[i] + other.belief_true[i]
            self.map_correct[i] += other.map_correct[i]
        self.by_type = self.by_type + other.by_type


def chunk_generators(seed: int, chunk: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The generators of one chunk: dynamics and policies first, readiness indicators second."""
    return (np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, 0)))),
            np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, 1)))))


def run_chunk(plan: Plan, seed: int, chunk: int, runs: int, engine: str | None = None) -> ChunkTotals:
    """Run ``runs`` crises to their end with the generators of chunk ``chunk``.

    ``engine`` overrides ``plan.engine``; every engine gives the same totals bit for bit.
    """
    if resolve_engine(engine if engine is not None else plan.engine) == "numba":
        return _run_chunk_numba(plan, seed, chunk, runs)
    return _run_chunk_numpy(plan, seed, chunk, runs)


def _new_totals(plan: Plan, runs: int) -> tuple[ChunkTotals, list[np.ndarray]]:
    a, tracks = plan.arrays, plan.beliefs
    beliefs = [np.broadcast_to(tr.model.prior, (runs, len(tr.model.levels))).copy() for tr in tracks]
    out = ChunkTotals(np.zeros(len(a.endings), dtype=np.int64), np.zeros(a.num_rungs, dtype=np.int64),
                      np.zeros(a.turn_limit + 1, dtype=np.int64), 0, np.zeros(2), np.zeros(2),
                      [np.zeros(len(tr.model.levels)) for tr in tracks],
                      [np.zeros(len(tr.model.levels)) for tr in tracks], [0 for _ in tracks],
                      np.zeros((a.num_types, len(a.endings)), dtype=np.int64))
    return out, beliefs


def _add_finished(out: ChunkTotals, a: LadderArrays, t: int, tally: np.ndarray, finished: int) -> None:
    """Add the runs that ended at turn t, counted in ``tally`` (n, E, B, R) by private type, to the
    totals; payoffs come from the small table of counts, not from the runs."""
    for i in (0, 1):
        pay = a.payoffs_by_type(i)[:, :, t + 1]     # (n, E, B, R)
        out.payoff_sum[i] += float(np.sum(tally * pay))
        out.payoff_sq[i] += float(np.sum(tally * pay * pay))
    out.by_type += tally.sum(axis=(2, 3))
    out.endings += tally.sum(axis=(0, 2, 3))
    out.peak += tally.sum(axis=(0, 1, 2))
    out.duration[t + 1] += finished


def _update_beliefs(plan: Plan, out: ChunkTotals, beliefs: list[np.ndarray], rng_ind: np.random.Generator, t: int,
                    m: int, x0: np.ndarray, x1: np.ndarray, ended: np.ndarray, finished: int) -> None:
    """Each observer's forward step over the m runs of turn t; the runs that ended add their beliefs."""
    for i, tr in enumerate(plan.beliefs):
        x = x0 if tr.target == 0 else x1
        level = tr.level_of_rung[x]
        beliefs[i] = update_beliefs(tr.model, beliefs[i], level, rng_ind.random((len(tr.model.signs), m)),
                                    first=t == 0)
        if finished:
            done = beliefs[i][ended]
            out.belief_sum[i] = out.belief_sum[i] + done.sum(axis=0)
            out.belief_true[i] = out.belief_true[i] + np.bincount(level[ended], minlength=done.shape[1])
            out.map_correct[i] += int(np.sum(np.argmax(done, axis=1) == level[ended]))


def _initial_state(a: LadderArrays, runs: int, types: TypeTrack, rng: np.random.Generator) -> np.ndarray:
    """Rows p0, p1 (positions), q0, q1 (perceived), s0, s1 (signals), balance, peak, the typed
    actor's type and the belief index, for every run.

    One contiguous array, so the compiled kernel can compact it in place; the NumPy engine takes
    its rows as views. In a crisis with private types, chance draws each run's type first (one
    uniform per run, before any turn), then, where the prior lies between two grid points, the
    point of its lottery each run starts from (one more uniform per run); without types nothing
    is drawn.
    """
    state = np.empty((10, runs), dtype=INDEX)
    state[0], state[1], state[2], state[3] = a.start[0], a.start[1], a.start[1], a.start[0]
    state[4], state[5] = NO_SIGNAL, NO_SIGNAL
    state[6], state[7] = a.initial_balance, max(a.start)
    state[8] = types.draw(rng.random(runs)) if types.on else 0
    state[9] = types.draw_start(rng.random(runs)) if types.on and types.start_w > 0 else types.start
    return state


def _run_chunk_numpy(plan: Plan, seed: int, chunk: int, runs: int) -> ChunkTotals:
    """The reference engine: every step is a few dozen whole-array NumPy passes over the runs."""
    a = plan.arrays
    kern = _kernel_of(a)
    rng, rng_ind = chunk_generators(seed, chunk)
    R, T, B = a.num_rungs, a.turn_limit, a.num_balances
    E = len(a.endings)
    pol0, pol1 = plan.policies
    types = plan.types
    p0, p1, q0, q1, s0, s1, b, k, th, g = _initial_state(a, runs, types, rng)
    n = a.num_types
    out, beliefs = _new_totals(plan, runs)
    accidents, misread = a.has_accidents, a.misperception > 0
    limit_code = a.endings.index("turn_limit")
    for t in range(T):
        m = len(p0)
        if m == 0:
            break
        out.steps += m
        u = rng.random((plan.uniforms, m))
        j = 0
        chosen = []
        for pol, obs in ((pol0, Observations(t, p0, q0, s1, b, k, types.variant(0, th, g))),
                         (pol1, Observations(t, p1, q1, s0, -b, k, types.variant(1, th, g)))):
            if pol.deterministic:
                chosen.append(pol.choose(obs))     # type: ignore[union-attr]
            else:
                chosen.append((pol.sample(obs, u[j]), pol.signals(obs)))  # type: ignore[union-attr]
                j += 1
        (a0, g0), (a1, g1) = chosen
        if accidents:
            x0 = kern.accident(0, a0, u[j])
            x1 = kern.accident(1, a1, u[j + 1])
            j += 2
        else:
            x0, x1 = a0, a1
        # Balance and ending after the turn, from tables over (x0, x1, balance).
        pair = (x0 * R + x1) * B - a.lo
        nb = np.take(kern.next_balance, pair + b)
        code = np.take(kern.ending, pair + nb)
        if t + 1 >= T:
            code[code < 0] = limit_code
        nk = np.maximum(np.maximum(k, x0), x1)
        if misread:
            n0 = kern.perceive(x1, u[j])
            n1 = kern.perceive(x0, u[j + 1])
            j += 2
        else:
            n0, n1 = x1, x0
        if types.table is not None:             # the uninformed actor's Bayes' rule on what it saw, its lottery drawn
            g = (types.update(t, p0, q0, b, k, g, n0, u[j]) if types.typed == 1 else
                 types.update(t, p1, q1, b, k, g, n1, u[j]))
        # Endings, balances and peaks of the runs that ended, in one count over those runs only.
        ended = code >= 0
        gone = np.flatnonzero(ended)
        finished = len(gone)
        _update_beliefs(plan, out, beliefs, rng_ind, t, m, x0, x1, ended, finished)
        if finished:
            cell = ((np.take(th, gone) * E + np.take(code, gone)) * B + (np.take(nb, gone) - a.lo)) * R + np.take(nk, gone)
            _add_finished(out, a, t, np.bincount(cell, minlength=n * E * B * R).reshape(n, E, B, R), finished)
            keep = ~ended
            # One compress of the stacked state is several times cheaper than ten masked copies.
            p0, p1, q0, q1, s0, s1, b, k, th, g = np.compress(keep, np.stack((x0, x1, n0, n1, g0, g1, nb, nk, th, g)),
                                                              axis=1)
            beliefs = [bl[keep] for bl in beliefs]
        else:
            p0, p1, q0, q1, s0, s1, b, k = x0, x1, n0, n1, g0, g1, nb, nk
    return out


def _run_chunk_numba(plan: Plan, seed: int, chunk: int, runs: int) -> ChunkTotals:
    """The compiled engine: per turn, the NumPy path's draws, then one :func:`kernel.turn` call."""
    from . import kernel

    a = plan.arrays
    kern = _kernel_of(a)
    rng, rng_ind = chunk_generators(seed, chunk)
    R, T, B = a.num_rungs, a.turn_limit, a.num_balances
    E = len(a.endings)
    types = plan.types
    state = _initial_state(a, runs, types, rng)
    p0, p1, q0, q1, s0, s1, b, k, th, g = state
    out, beliefs = _new_totals(plan, runs)
    # Uniform rows in the NumPy path's order: stochastic policies, accidents (2), misreadings (2).
    rows, j = [], 0
    for pol in plan.policies:
        rows.append(-1 if pol.deterministic else j)
        j += not pol.deterministic
    ja = j if a.has_accidents else -1
    j += 2 * a.has_accidents
    jm = j if a.misperception > 0 else -1
    j += 2 * (a.misperception > 0)
    jb = j if types.table is not None else -1
    pols = [_kernel_policy(pol, a) for pol in plan.policies]
    given = [not isinstance(pol, (TablePolicy, DoctrineTable)) for pol in plan.policies]
    buf = np.empty(plan.uniforms * runs)
    tally = np.zeros((T, a.num_types, E, B, R), dtype=np.int64)
    tm = [types.beliefs if i == types.typed else 0 for i in (0, 1)]
    upd = types.table is not None
    bdata = np.ascontiguousarray(types.table.data.reshape(-1)) if upd else np.zeros(1)
    lik = np.ascontiguousarray(types.likelihood.reshape(-1))
    record = bool(plan.beliefs)
    xs = np.empty((2, runs if record else 1), dtype=INDEX)
    ended = np.empty(runs if record else 1, dtype=np.bool_)
    limit_code = a.endings.index("turn_limit")
    m = runs
    for t in range(T):
        if m == 0:
            break
        out.steps += m
        u = buf[:plan.uniforms * m]
        if plan.uniforms:
            rng.random(out=u)                   # = rng.random((uniforms, m)), row by row
        for i, pol in enumerate(plan.policies):
            if given[i]:                        # a doctrine in rule form: evaluated here, on arrays
                obs = (Observations(t, p0[:m], q0[:m], s1[:m], b[:m], k[:m]) if i == 0 else
                       Observations(t, p1[:m], q1[:m], s0[:m], -b[:m], k[:m]))
                act, sig = pol.choose(obs)      # type: ignore[union-attr]
                pols[i] = pols[i][:4] + (act.astype(INDEX), sig.astype(INDEX)) + pols[i][6:]
        left = kernel.turn(t, T, m, u, rows[0], rows[1], ja, jm, jb, p0, p1, q0, q1, s0, s1, b, k, th, g,
                           pols[0], pols[1], tm[0], tm[1],
                           kern.up[0], kern.up[1], kern.up_scale[0], kern.up_scale[1], kern.down, kern.down_scale,
                           kern.max_shift, kern.any_down, kern.next_balance, kern.ending, kern.neighbours,
                           kern.half, kern.misperception, upd, types.typed, bdata, lik, types.grid, types.beliefs,
                           R, B, a.lo, limit_code, tally[t], record, xs, ended, SNAP)
        finished = m - left
        if record:
            _update_beliefs(plan, out, beliefs, rng_ind, t, m, xs[0, :m], xs[1, :m], ended[:m], finished)
        if finished:
            _add_finished(out, a, t, tally[t], finished)
            if record:
                keep = ~ended[:m]
                beliefs = [bl[keep] for bl in beliefs]
        m = left
    return out


def _kernel_policy(pol: Policy, a: LadderArrays) -> tuple:
    """A policy as the kernel reads it: (kind, own offsets, opponent offsets, strides of (signal + 1,
    balance, peak, turn, 1, variant), actions, signals, keep, alias, allowed); unused slots hold dummies.

    The row of an observation is ``own_off[own] + opp_off[opp] + strides . (sig + 1, bal, peak,
    turn, 1, variant)``: :meth:`DoctrineTable.index` and :meth:`ObsTable.flat_index` written out.
    """
    from . import kernel

    R = a.num_rungs
    rungs = np.arange(R, dtype=np.int64)
    none_i, none_f = np.zeros(1, dtype=INDEX), np.zeros(1)
    if isinstance(pol, DoctrineTable):
        T, R0, R1, S, B, K = pol.actions.shape
        own_off = rungs * (R1 * S * B * K) if R0 > 1 else rungs * 0
        opp_off = rungs * (S * B * K) if R1 > 1 else rungs * 0
        strides = [B * K if S > 1 else 0, K if B > 1 else 0, 1 if K > 1 else 0, R0 * R1 * S * B * K if T > 1 else 0,
                   -pol.bal_lo * K if B > 1 else 0, 0]
        return (kernel.LOOKUP, own_off, opp_off, np.array(strides, dtype=np.int64),
                np.ascontiguousarray(pol.actions.reshape(-1), dtype=INDEX),
                np.ascontiguousarray(pol.signal_table.reshape(-1), dtype=INDEX), none_f, none_i, none_i)
    if isinstance(pol, TablePolicy):
        tab = pol.table
        VT, C0, C1, B, K, _ = tab.data.shape
        T = VT // tab.variants
        own_off = np.asarray(tab.own_class, dtype=np.int64) * (C1 * B * K)
        opp_off = np.asarray(tab.opp_class, dtype=np.int64) * (B * K)
        strides = [0, K if B > 1 else 0, 1 if K > 1 else 0, C0 * C1 * B * K if T > 1 else 0,
                   -tab.bal_lo * K if B > 1 else 0, tab.variant_stride]
        return (kernel.ALIAS, own_off, opp_off, np.array(strides, dtype=np.int64), none_i, none_i,
                np.ascontiguousarray(pol.keep, dtype=np.float64), np.ascontiguousarray(pol.alias, dtype=INDEX),
                np.ascontiguousarray(pol.allowed, dtype=INDEX))
    return (kernel.GIVEN, rungs * 0, rungs * 0, np.zeros(6, dtype=np.int64), none_i, none_i, none_f, none_i, none_i)


_LAST_KERNEL: list[tuple[Any, Any]] = []


def _kernel_of(a: LadderArrays) -> "_Kernel":
    """The lookup tables of the crisis being run, built once per process, not once per chunk (a
    chunk of 65,536 runs spent 2-3% of its time rebuilding them)."""
    if not _LAST_KERNEL or _LAST_KERNEL[0][0] is not a:
        _LAST_KERNEL[:] = [(a, _Kernel.of(a))]
    return _LAST_KERNEL[0][1]


@dataclass(frozen=True)
class _Kernel:
    """Lookup tables that turn the dynamics of one turn into a few gathers per run."""

    R: int
    next_balance: np.ndarray      # [(x0 * R + x1) * B + b - lo] -> balance after the turn
    ending: np.ndarray            # [(x0 * R + x1) * B + b' - lo] -> ending code before the turn limit, or -1
    up: tuple[np.ndarray, np.ndarray]
    up_scale: tuple[np.ndarray, np.ndarray]
    down: np.ndarray
    down_scale: np.ndarray
    max_shift: np.ndarray
    any_down: bool
    neighbours: np.ndarray        # [x * 3 + c]: c = 0 one below, 1 one above, 2 itself (clipped)
    half: float
    misperception: float

    @classmethod
    def of(cls, a: LadderArrays) -> "_Kernel":
        R = a.num_rungs
        x0, x1, bal = np.meshgrid(np.arange(R), np.arange(R), np.arange(a.lo, a.hi + 1), indexing="ij")
        nb, _, _ = a.advance(bal, 0, x0, x1, 0)
        code = a.ending_code(x0, x1, bal, 0)            # turn 0: the turn limit is applied separately
        ups, scales = [], []
        for i in (0, 1):
            up = a.acc_up[i]
            ups.append(up)
            # k / up, shaded by 1e-12 so that u * scale < k for every u < up despite rounding: the
            # shift is then at most k without a clamp, at a cost of 1e-12 of the mass of each shift.
            scales.append(np.where(up > 0, a.acc_k / np.where(up > 0, up, 1), 0.0) * (1 - 1e-12))
        down = a.acc_down
        down_scale = np.where(down > 0, a.acc_k / np.where(down > 0, down, 1), 0.0)
        x = np.arange(R)
        neighbours = np.stack([np.maximum(x - 1, 0), np.minimum(x + 1, R - 1), x], axis=1).reshape(-1)
        return cls(R, nb.reshape(-1).astype(INDEX), code.reshape(-1).astype(INDEX), (ups[0], ups[1]),
                   (scales[0], scales[1]), down, down_scale, a.acc_k.astype(INDEX), bool(np.any(down > 0)),
                   neighbours.astype(INDEX), a.misperception / 2, a.misperception)

    def accident(self, i: int, chosen: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Executed rungs: up by a uniform 1..k with probability up, down likewise, else as chosen."""
        up = np.take(self.up[i], chosen)
        shift = (u * np.take(self.up_scale[i], chosen)).astype(INDEX) + 1
        if self.any_down:
            k = np.take(self.max_shift, chosen)
            lower = u - up
            down_shift = np.minimum((lower * np.take(self.down_scale, chosen)).astype(INDEX) + 1, k)
            shift = np.where(u < up, np.minimum(shift, k), np.where(lower < np.take(self.down, chosen), -down_shift, 0))
            return np.clip(chosen + shift, 0, self.R - 1)
        shift *= u < up
        return np.minimum(chosen + shift, self.R - 1)

    def perceive(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """What the other side sees: one rung below with probability m/2, above with m/2, else x."""
        c = (u >= self.half).view(np.int8) + (u >= self.misperception).view(np.int8)
        return np.take(self.neighbours, x * 3 + c)


# ----------------------------------------------------------------------------- running many chunks
def run_chunk_list(plan: Any, seed: int, chunks: Sequence[tuple[int, int]]) -> list[ChunkTotals]:
    """Worker task: several consecutive chunks ``(index, runs)``, each chunk's totals kept apart so
    the caller adds them in chunk order, as one process would (floating-point sums are then the
    same bit for bit). ``plan`` is a :class:`Plan` or a handle to one (:class:`escalab.workers.Shared`)."""
    if not isinstance(plan, Plan):
        plan = plan.get()
    return [run_chunk(plan, seed, c, n) for c, n in chunks]


def _tasks(sizes: Sequence[int], workers: int) -> list[list[tuple[int, int]]]:
    """Consecutive chunks grouped into about 16 tasks per worker (at most 8 chunks each)."""
    per = min(8, max(1, math.ceil(len(sizes) / (16 * max(workers, 1)))))
    chunks = list(enumerate(sizes))
    return [chunks[i:i + per] for i in range(0, len(chunks), per)]


def check_request(runs: int, seed: int, workers: int = 1, chunk_runs: int = CHUNK_RUNS) -> None:
    """The sizes of a Monte Carlo run, refused before anything is solved for it (a ladder
    equilibrium takes seconds to minutes) or allocated: callers check here first, the chunks again."""
    if runs < 1:
        raise UsageError(f"--runs must be at least 1, got {runs}")
    limits.MC_RUNS.check(runs, where="--runs")
    limits.check_workers(workers)
    limits.check_seed(seed)
    if chunk_runs < 1:
        raise UsageError(f"chunk_runs must be at least 1, got {chunk_runs}")


def run_chunks(plan: Plan, runs: int, seed: int, workers: int = 1, scheduler: Any = None,
               progress: Progress | None = None, chunk_runs: int = CHUNK_RUNS,
               engine: str | None = None, pool: Any = None) -> ChunkTotals:
    """All chunks, locally, over ``workers`` processes, or on a Dask scheduler (address or Client).

    Results depend on ``seed`` and ``chunk_runs`` only, never on ``workers``, ``pool``, ``scheduler``
    or ``engine`` (which, when given, overrides ``plan.engine``). Worker processes are started once
    (or ``pool``, a :class:`escalab.workers.WorkerPool`, is used as is), get the plan once, and
    import the compiled kernel as they start; no ``if __name__ == "__main__":`` guard is needed.
    """
    if engine is not None:
        plan = replace(plan, engine=engine)
    check_request(runs, seed, workers, chunk_runs)     # before the list of chunk sizes is built
    if pool is not None and scheduler is not None:
        raise UsageError("give either --workers or --scheduler, not both")
    sizes = [min(chunk_runs, runs - c * chunk_runs) for c in range(math.ceil(runs / chunk_runs))]
    results: list[ChunkTotals | None] = [None] * len(sizes)
    done = 0

    def finished(chunks: Sequence[tuple[int, int]], totals: Sequence[ChunkTotals]) -> None:
        nonlocal done
        for (c, n), res in zip(chunks, totals):
            results[c] = res
            done += n
        if progress is not None:
            progress(done, runs)

    parallel = pool.workers if pool is not None else workers
    if scheduler is not None:
        _run_dask(plan, _tasks(sizes, 2), seed, scheduler, finished)
    elif parallel == 1 or len(sizes) == 1:
        for c, n in enumerate(sizes):
            finished([(c, n)], [run_chunk(plan, seed, c, n)])
    else:
        from ..workers import WorkerPool, run_unordered

        own = pool is None
        pool = pool or WorkerPool(min(workers, len(sizes)), warm=WARM_MODULES)
        try:
            shared = pool.share(plan)
            run_unordered(pool, run_chunk_list, [(shared, seed, t) for t in _tasks(sizes, pool.workers)],
                          lambda task, totals: finished(task[2], totals))
        finally:
            if own:
                pool.close()
    total = results[0]
    assert total is not None
    for r in results[1:]:
        assert r is not None
        total.add(r)
    return total


# what a Monte Carlo worker imports as it starts (numba loads the kernel from its on-disk cache)
WARM_MODULES = ("escalab.simulate.montecarlo", "escalab.simulate.kernel")


def _run_dask(plan: Plan, tasks: Sequence[Sequence[tuple[int, int]]], seed: int, scheduler: Any,
              finished: Callable[[Sequence[tuple[int, int]], Sequence[ChunkTotals]], None]) -> None:
    """The chunks of ``tasks``, regrouped into a few Dask tasks sized to the cluster; the plan is
    scattered to every worker once, each chunk's totals come back apart (added in chunk order)."""
    from ..solve.dask_client import cluster_threads, run_tasks, scheduler_client, task_spans
    from ..solve.sweep import check_scheduler_address

    if isinstance(scheduler, str) and not scheduler.startswith("inproc://"):
        check_scheduler_address(scheduler)
    chunks = [c for t in tasks for c in t]
    with scheduler_client(scheduler) as client:
        groups = [(seed, chunks[a:b]) for a, b in task_spans(len(chunks), cluster_threads(client))]
        run_tasks(client, run_chunk_list, plan, groups, lambda group, totals: finished(group[1], totals))


def monte_carlo(plan: Plan, runs: int, seed: int, *, scenario: str, workers: int = 1, scheduler: Any = None,
                progress: Progress | None = None, chunk_runs: int = CHUNK_RUNS,
                engine: str | None = None, pool: Any = None) -> SimulationResult:
    """Simulate ``runs`` crises and report every rate with its standard error and 95% interval."""
    a = plan.arrays
    tot = run_chunks(plan, runs, seed, workers, scheduler, progress, chunk_runs, engine, pool)
    beliefs = tuple(
        Belief(observer=a.actors[tr.observer], target=a.actors[tr.target], levels=tr.model.levels,
               mean_posterior=tuple(float(x) for x in tot.belief_sum[i] / runs),
               true_level=tuple(float(x) for x in tot.belief_true[i] / runs),
               map_correct=Rate(tot.map_correct[i] / runs, runs))
        for i, tr in enumerate(plan.beliefs))
    mean = tot.payoff_sum / runs
    var = np.maximum(tot.payoff_sq / runs - mean ** 2, 0.0)
    return distribution_result(
        "monte_carlo", scenario, {a.actors[i]: p.label for i, p in enumerate(plan.policies)}, a.has_accidents,
        a.endings, a.rung_ids, tot.endings, tot.peak, tot.duration, runs, seed=seed, beliefs=beliefs,
        payoffs={a.actors[i]: float(mean[i]) for i in (0, 1)},
        payoff_se={a.actors[i]: float(np.sqrt(var[i] / max(runs - 1, 1))) for i in (0, 1)},
        by_type=type_rates(a.type_names if a.typed >= 0 else (), a.endings, tot.by_type, tot.by_type.sum(axis=1)))
