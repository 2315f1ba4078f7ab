"""Throughput of the Monte Carlo engine, against a per-run Python loop and the raw random generator.

Run: ``python benchmarks/simulate.py [--runs N]``. One process, one core. Prints run-steps per
second (one run advanced by one turn) of

1. the engine (``escalab.simulate.montecarlo.run_chunk``) with each of its two paths: ``numba``
   (the compiled kernel, the default) and ``numpy`` (the array reference);
2. a straightforward loop, one run at a time, over the same policies and the same dynamics;
3. NumPy's generator drawing exactly as many uniforms as the engine consumed,

and the ratios, with the targets (engine >= 100x the loop, >= 25% of the raw generator rate).
Engines and generator are timed as the best of ``--repeat`` runs, after a warm-up; the numba
kernel's JIT compile time is measured apart (a fresh, uncached compile) and only reported.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import escalab
from escalab.simulate import Crisis
from escalab.simulate.montecarlo import CHUNK_RUNS, ENGINES, Plan, numba_available, run_chunk
from escalab.simulate.policies import Observations

POLICIES = {"russia": "doctrine:escalate-to-deescalate", "us": "logit:2.0"}


def engine(plan: Plan, runs: int, seed: int, which: str = "numba") -> tuple[float, int]:
    steps = 0
    start = time.perf_counter()
    for c in range(runs // CHUNK_RUNS):
        steps += run_chunk(plan, seed, c, CHUNK_RUNS, engine=which).steps
    return time.perf_counter() - start, steps


def compile_time(plan: Plan) -> tuple[float, float, str]:
    """(seconds for a fresh compile of the kernel, seconds of this process's first call, and
    whether that first call compiled or loaded the on-disk cache)."""
    import numba

    from escalab.simulate import kernel

    start = time.perf_counter()
    run_chunk(plan, 0, 0, 100, engine="numba")              # first call: cache load or compile
    first = time.perf_counter() - start
    how = "loaded from the on-disk cache" if kernel.turn.stats.cache_hits else "compiled"
    fresh = numba.njit(cache=False, nogil=True)(kernel.turn.py_func)
    real, kernel.turn = kernel.turn, fresh
    try:
        start = time.perf_counter()
        run_chunk(plan, 0, 0, 100, engine="numba")
        return time.perf_counter() - start, first, how
    finally:
        kernel.turn = real


def loop(plan: Plan, runs: int, seed: int) -> tuple[float, int]:
    """One run at a time, scalar dynamics, the same policy objects called on one observation."""
    a = plan.arrays
    rng = np.random.default_rng(seed)
    up = [a.acc_up[0], a.acc_up[1]]
    steps = 0
    start = time.perf_counter()
    for _ in range(runs):
        p = [a.start[0], a.start[1]]
        q = [a.start[1], a.start[0]]
        sig = [-1, -1]
        b, k = a.initial_balance, max(p)
        for t in range(a.turn_limit):
            steps += 1
            chosen = []
            for i, pol in enumerate(plan.policies):
                sign = 1 if i == 0 else -1
                obs = Observations(t, np.array([p[i]]), np.array([q[i]]), np.array([sig[1 - i]]),
                                   np.array([sign * b]), np.array([k]))
                if pol.deterministic:
                    act, s = pol.choose(obs)
                else:
                    act, s = pol.sample(obs, np.array([rng.random()])), pol.signals(obs)
                chosen.append((int(act[0]), int(s[0])))
            x = []
            for i, (act, _) in enumerate(chosen):
                u = rng.random()
                kk = int(a.acc_k[act])
                if u < up[i][act]:
                    act = min(act + min(int(u / up[i][act] * kk) + 1, kk), a.num_rungs - 1)
                x.append(act)
            seen = []
            for i in (0, 1):
                u = rng.random()
                r = x[1 - i]
                if u < a.misperception / 2:
                    r = max(r - 1, 0)
                elif u < a.misperception:
                    r = min(r + 1, a.num_rungs - 1)
                seen.append(r)
            nb, nk, code = a.advance(np.array(b), np.array(k), np.array(x[0]), np.array(x[1]), t + 1)
            p, q, sig, b, k = x, seen, [chosen[0][1], chosen[1][1]], int(nb), int(nk)
            if int(code) >= 0:
                break
    return time.perf_counter() - start, steps


def raw(uniforms: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    block = CHUNK_RUNS * 4
    start = time.perf_counter()
    left = uniforms
    while left > 0:
        rng.random(min(block, left))
        left -= block
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16 * CHUNK_RUNS, help="engine runs (whole chunks)")
    parser.add_argument("--loop-runs", type=int, default=2_000, help="runs for the per-run loop")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of the engine and generator timings")
    args = parser.parse_args()
    crisis = Crisis.of(escalab.load(escalab.DEFAULT_SCENARIO))
    plan = Plan(crisis.arrays, crisis.policies(POLICIES))
    engines = [e for e in ENGINES if e != "numba" or numba_available()]
    jit = compile_time(plan) if "numba" in engines else None
    totals = {e: [run_chunk(plan, 99, c, CHUNK_RUNS, engine=e) for c in range(2)] for e in engines}  # warm-up
    agree = all(a.steps == b.steps and a.endings.tobytes() == b.endings.tobytes()
                and a.payoff_sum.tobytes() == b.payoff_sum.tobytes()
                for a, b in zip(*totals.values())) if len(totals) == 2 else None
    # Best of several repeats for the fast measurements (as timeit does): other processes on the
    # machine only ever add time.
    timed = {e: min(engine(plan, args.runs, 1, e) for _ in range(args.repeat)) for e in engines}
    steps = timed[engines[0]][1]
    uniforms = steps * plan.uniforms
    t_loop, loop_steps = loop(plan, args.loop_runs, 1)
    t_raw = min(raw(uniforms, 1) for _ in range(args.repeat))
    rate = {e: steps / t for e, (t, _) in timed.items()}
    rate_loop = loop_steps / t_loop
    rate_raw = steps / t_raw                              # run-steps/s if drawing were all the work
    print(f"scenario {escalab.DEFAULT_SCENARIO}, policies {POLICIES}, {plan.uniforms} uniforms per run-step")
    print(f"machine: {os.cpu_count()} logical CPUs, one used; numpy {np.__version__}", end="")
    if jit is not None:
        import numba
        print(f", numba {numba.__version__}")
        print(f"numba JIT compile : {jit[0]:.2f} s fresh (not timed below); this process's first call "
              f"{jit[1]:.2f} s, {jit[2]}")
    else:
        print(" (numba not installed: numpy engine only)")
    for e in engines:
        t = timed[e][0]
        print(f"engine {e:<6}     : {rate[e]:14,.0f} run-steps/s  ({steps:,} run-steps in {t:.2f} s)")
    print(f"per-run loop      : {rate_loop:14,.0f} run-steps/s  ({loop_steps:,} run-steps in {t_loop:.2f} s)")
    print(f"raw generator     : {rate_raw:14,.0f} run-steps/s  ({uniforms:,} uniforms in {t_raw:.2f} s)")
    for e in engines:
        print(f"{e:<6} / loop     : {rate[e] / rate_loop:8.1f}x   (target >= 100x)")
        print(f"{e:<6} / raw      : {100 * rate[e] / rate_raw:8.1f}%   (target >= 25%)")
    if len(engines) == 2:
        print(f"numba / numpy     : {rate['numba'] / rate['numpy']:8.2f}x   (same results bit for bit: "
              f"{'yes' if agree else 'NO'})")


if __name__ == "__main__":
    main()
