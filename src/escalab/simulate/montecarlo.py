"""Monte Carlo over many runs at once: NumPy arrays indexed by run, one turn per step.

Reproducibility is a contract: a seed gives bit-identical results whether the runs go through
one process, N processes or a Dask cluster. The runs are cut into chunks of a fixed size
(``CHUNK_RUNS``, independent of the number of workers); chunk ``c`` draws from
``SeedSequence(seed, spawn_key=(c, 0))`` (dynamics) and ``(c, 1)`` (readiness indicators) - the
children of ``SeedSequence(seed).spawn(...)[c]`` - and chunk totals are added in chunk order.

Within a chunk every step draws, for the runs still going, one uniform per stochastic policy, one
per actor for accidents and one per actor for misreadings (each only if the scenario has them),
and inverts the distributions that :meth:`LadderGame.transition` states exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UsageError
from ..solve.ladder import LadderArrays
from .policies import NO_SIGNAL, Observations, Policy
from .readiness import IndicatorModel, update_beliefs
from .results import Belief, Rate, SimulationResult, distribution_result

CHUNK_RUNS = 65_536
INDEX = np.int32          # run state in 32-bit integers: half the memory traffic of int64
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
    uniforms: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        a = self.arrays
        n = sum(not p.deterministic for p in self.policies)
        n += 2 * a.has_accidents + 2 * (a.misperception > 0)
        object.__setattr__(self, "uniforms", n)


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


def chunk_generators(seed: int, chunk: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The generators of one chunk: dynamics and policies first, readiness indicators second."""
    return (np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, 0)))),
            np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, 1)))))


def run_chunk(plan: Plan, seed: int, chunk: int, runs: int) -> ChunkTotals:
    """Run ``runs`` crises to their end with the generators of chunk ``chunk``."""
    a = plan.arrays
    kern = _Kernel.of(a)
    rng, rng_ind = chunk_generators(seed, chunk)
    R, T, B = a.num_rungs, a.turn_limit, a.num_balances
    E = len(a.endings)
    pol0, pol1 = plan.policies
    p0 = np.full(runs, a.start[0], dtype=INDEX)
    p1 = np.full(runs, a.start[1], dtype=INDEX)
    q0, q1 = p1.copy(), p0.copy()
    s0 = np.full(runs, NO_SIGNAL, dtype=INDEX)
    s1 = s0.copy()
    b = np.full(runs, a.initial_balance, dtype=INDEX)
    k = np.maximum(p0, p1)
    tracks = plan.beliefs
    beliefs = [np.broadcast_to(tr.model.prior, (runs, len(tr.model.levels))).copy() for tr in tracks]
    out = ChunkTotals(np.zeros(E, dtype=np.int64), np.zeros(R, dtype=np.int64), np.zeros(T + 1, dtype=np.int64),
                      0, np.zeros(2), np.zeros(2), [np.zeros(len(tr.model.levels)) for tr in tracks],
                      [np.zeros(len(tr.model.levels)) for tr in tracks], [0 for _ in tracks])
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
        for pol, obs in ((pol0, Observations(t, p0, q0, s1, b, k)), (pol1, Observations(t, p1, q1, s0, -b, k))):
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
        else:
            n0, n1 = x1, x0
        # Endings, balances and peaks of the runs that ended, in one count (row 0: runs still going);
        # payoffs then come from the small table of counts, not from the runs.
        tally = np.bincount(((code + 1) * B + (nb - a.lo)) * R + nk, minlength=(E + 1) * B * R)
        tally = tally.reshape(E + 1, B, R)[1:]
        finished = int(tally.sum())
        ended = code >= 0
        for i, tr in enumerate(tracks):
            x = x0 if tr.target == 0 else x1
            level = tr.level_of_rung[x]
            beliefs[i] = update_beliefs(tr.model, beliefs[i], level, rng_ind.random((len(tr.model.signs), m)),
                                        first=t == 0)
            if finished:
                done = beliefs[i][ended]
                out.belief_sum[i] = out.belief_sum[i] + done.sum(axis=0)
                out.belief_true[i] = out.belief_true[i] + np.bincount(level[ended], minlength=done.shape[1])
                out.map_correct[i] += int(np.sum(np.argmax(done, axis=1) == level[ended]))
        if finished:
            for i in (0, 1):
                pay = a.payoff[i][:, t + 1]                 # (E, B, R)
                out.payoff_sum[i] += float(np.sum(tally * pay))
                out.payoff_sq[i] += float(np.sum(tally * pay * pay))
            out.endings += tally.sum(axis=(1, 2))
            out.peak += tally.sum(axis=(0, 1))
            out.duration[t + 1] += finished
            keep = ~ended
            # One compress of the stacked state is several times cheaper than eight masked copies.
            p0, p1, q0, q1, s0, s1, b, k = np.compress(keep, np.stack((x0, x1, n0, n1, g0, g1, nb, nk)), axis=1)
            beliefs = [bl[keep] for bl in beliefs]
        else:
            p0, p1, q0, q1, s0, s1, b, k = x0, x1, n0, n1, g0, g1, nb, nk
    return out


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
        R, B = a.num_rungs, a.num_balances
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
_WORKER_PLAN: Plan | None = None


def _set_worker_plan(plan: Plan) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = plan


def _run_worker_chunk(seed: int, chunk: int, runs: int) -> ChunkTotals:
    assert _WORKER_PLAN is not None
    return run_chunk(_WORKER_PLAN, seed, chunk, runs)


def run_chunks(plan: Plan, runs: int, seed: int, workers: int = 1, scheduler: Any = None,
               progress: Progress | None = None, chunk_runs: int = CHUNK_RUNS) -> ChunkTotals:
    """All chunks, locally, over ``workers`` processes, or on a Dask scheduler (address or Client).

    Results depend on ``seed`` and ``chunk_runs`` only, never on ``workers`` or ``scheduler``.
    """
    if runs < 1:
        raise UsageError(f"--runs must be at least 1, got {runs}")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {seed}")
    sizes = [min(chunk_runs, runs - c * chunk_runs) for c in range(math.ceil(runs / chunk_runs))]
    results: list[ChunkTotals | None] = [None] * len(sizes)
    done = 0

    def finished(c: int, res: ChunkTotals) -> None:
        nonlocal done
        results[c] = res
        done += sizes[c]
        if progress is not None:
            progress(done, runs)

    if scheduler is not None:
        _run_dask(plan, sizes, seed, scheduler, finished)
    elif workers == 1 or len(sizes) == 1:
        for c, n in enumerate(sizes):
            finished(c, run_chunk(plan, seed, c, n))
    else:
        import multiprocessing
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(sizes)), mp_context=ctx,
                                 initializer=_set_worker_plan, initargs=(plan,)) as pool:
            futures = {pool.submit(_run_worker_chunk, seed, c, n): c for c, n in enumerate(sizes)}
            from concurrent.futures import as_completed
            for f in as_completed(futures):
                finished(futures[f], f.result())
    total = results[0]
    assert total is not None
    for r in results[1:]:
        assert r is not None
        total.add(r)
    return total


def _run_dask(plan: Plan, sizes: Sequence[int], seed: int, scheduler: Any,
              finished: Callable[[int, ChunkTotals], None]) -> None:
    from distributed import Client, as_completed

    own = isinstance(scheduler, str)
    try:
        client = Client(scheduler, timeout="10s") if own else scheduler
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        remote = client.scatter(plan, broadcast=True)
        futures = [client.submit(run_chunk, remote, seed, c, n, pure=False) for c, n in enumerate(sizes)]
        index = {f.key: c for c, f in enumerate(futures)}
        for f in as_completed(futures):
            finished(index[f.key], f.result())
    finally:
        if own:
            client.close()


def monte_carlo(plan: Plan, runs: int, seed: int, *, scenario: str, workers: int = 1, scheduler: Any = None,
                progress: Progress | None = None, chunk_runs: int = CHUNK_RUNS) -> SimulationResult:
    """Simulate ``runs`` crises and report every rate with its standard error and 95% interval."""
    a = plan.arrays
    tot = run_chunks(plan, runs, seed, workers, scheduler, progress, chunk_runs)
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
        payoff_se={a.actors[i]: float(np.sqrt(var[i] / max(runs - 1, 1))) for i in (0, 1)})
