"""The typed ladder-crisis equilibrium of the default scenario: what it costs cold, and what the
machine's disk cache (``escalab.solve.ladder_cache``) makes of the commands that stand on it.

Run: ``python benchmarks/typed_equilibrium.py [--scenario ID] [--skip-run] [--mixed-vs-pure]``.
Each step runs in a fresh process (nothing in memory carries over) with a cache folder of its own,
never the user's, and prints its measurement beside the target of issue 22:

1. the cold solve: time and peak memory of a process that solves the crisis (target <= 10 s and
   <= 500 MB); it fills the benchmark's cache. The crisis is the one ``escalab play`` compiles
   from the stored scenario;
2. a cache hit: the time a new process takes to have that equilibrium (target <= 0.2 s), best of 3;
3. ``escalab play`` with equilibrium agents on the cached scenario: seconds from the command's
   start to its line for turn 1 (target <= 2 s), best of 3;
4. ``escalab run`` cold (an empty cache): seconds to the finished report (target <= 40 s; the
   slowest step, left out with ``--skip-run``).

The tournament's speed-up on 2 workers is measured by ``benchmarks/play.py``. ``--mixed-vs-pure``
adds the older comparison: the crisis solved with the mixed search off (``MIXED_BUDGET = 0``)
and on, in this process. Wall-clock numbers on a shared machine are noisy: read them as measured
under load (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOLVE = """
import json, resource, sys, time
import escalab
from escalab.wargame.engine import compiled
from escalab.wargame.policy_agents import policy_factory
from escalab.wargame.scenario_record import dump_scenario
from escalab.solve import ladder, ladder_cache
factory = policy_factory(compiled(dump_scenario(escalab.load(sys.argv[1])))[1])
factory.arrays
start = time.perf_counter()
eq = factory.equilibrium
print(json.dumps({"seconds": time.perf_counter() - start, "solves": sum(ladder.SOLVES.values()),
                  "hits": ladder_cache.STATS["hit"], "typed": eq.arrays.typed >= 0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def fresh_process(code: str, scenario: str, cache: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, scenario], capture_output=True, text=True, check=True,
                         env=os.environ | {"ESCALAB_CACHE_DIR": cache})
    return json.loads(out.stdout.strip().splitlines()[-1])


def escalab_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from escalab.cli.app import main; main()", *args]


def play_to_turn_1(scenario: str, cache: str, folder: str) -> float:
    """Seconds from starting ``escalab play`` to its line for turn 1."""
    env = os.environ | {"ESCALAB_CACHE_DIR": cache, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    db = os.path.join(folder, f"play-{time.monotonic_ns()}.sqlite")
    start = time.perf_counter()
    proc = subprocess.Popen(escalab_cmd("play", scenario, "--agent", "russia=equilibrium", "--agent",
                                        "us=equilibrium", "--seed", "0", "--db", db),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    seen = None
    for line in proc.stdout:
        if seen is None and line.startswith("turn 1"):
            seen = time.perf_counter() - start
    proc.wait()
    if proc.returncode != 0 or seen is None:
        raise SystemExit(f"escalab play failed (exit {proc.returncode}) or printed no turn 1")
    return seen


def run_cold(scenario: str, folder: str) -> float:
    cache = tempfile.mkdtemp(prefix="cache-run-", dir=folder)
    start = time.perf_counter()
    subprocess.run(escalab_cmd("run", scenario, "--out", os.path.join(folder, "report")), check=True,
                   stdout=subprocess.DEVNULL, env=os.environ | {"ESCALAB_CACHE_DIR": cache})
    return time.perf_counter() - start


def verdict(value: float, target: float) -> str:
    return f"target <= {target:g}: {'met' if value <= target else 'NOT met'} ({value / target:.2f} of it)"


def mixed_vs_pure(scenario: str) -> None:
    import escalab
    import escalab.solve.ladder_types as ladder_types
    from escalab.simulate import Crisis

    arrays = Crisis.of(escalab.load(scenario)).arrays
    if arrays.typed < 0:
        raise SystemExit(f"{scenario}: its ladder crisis has no private types")
    saved = ladder_types.MIXED_BUDGET
    rows = []
    try:
        for label, budget in (("pure profiles only", 0), ("mixed strategies", saved)):
            ladder_types.MIXED_BUDGET = budget
            start = time.perf_counter()
            eq = ladder_types.solve_typed(arrays)
            rows.append((label, time.perf_counter() - start, eq))
    finally:
        ladder_types.MIXED_BUDGET = saved
    for label, seconds, eq in rows:
        print(f"{label:>20}: {seconds:7.1f} s  solved in mixed strategies {eq.mixed_stage_games:>9,}  "
              f"left approximate {eq.unsettled:>9,}  largest gain from deviating {eq.epsilon:.3g}")
    print(f"ratio mixed / pure-only time: {rows[1][1] / rows[0][1]:.2f} (measured under load)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="escalate-to-deescalate")
    parser.add_argument("--skip-run", action="store_true", help="leave out 'escalab run' cold (the slowest step)")
    parser.add_argument("--mixed-vs-pure", action="store_true", help="also time the solve without the mixed search")
    args = parser.parse_args()
    print(f"{args.scenario}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    with tempfile.TemporaryDirectory(prefix="escalab-bench-") as folder:
        cache = os.path.join(folder, "cache")
        cold = fresh_process(SOLVE, args.scenario, cache)
        if cold["solves"] != 1:
            raise SystemExit(f"expected one solve in the cold process, got {cold}")
        print(f"cold solve           {cold['seconds']:7.2f} s    {verdict(cold['seconds'], 10)}")
        print(f"  its peak memory    {cold['peak_mb']:7.0f} MB   {verdict(cold['peak_mb'], 500)}")
        size = sum(p.stat().st_size for p in Path(cache).rglob("*.eq"))
        print(f"  its cache entry    {size / 1e6:7.0f} MB")
        hits = [fresh_process(SOLVE, args.scenario, cache) for _ in range(3)]
        if any(h["solves"] or h["hits"] != 1 for h in hits):
            raise SystemExit(f"expected cache hits, got {hits}")
        hit = min(h["seconds"] for h in hits)
        print(f"cache hit            {hit:7.3f} s    {verdict(hit, 0.2)}; {cold['seconds'] / hit:,.0f}x faster "
              f"than the cold solve")
        play = min(play_to_turn_1(args.scenario, cache, folder) for _ in range(3))
        print(f"play to turn 1       {play:7.2f} s    {verdict(play, 2)} (cached; equilibrium agents)")
        if not args.skip_run:
            run = run_cold(args.scenario, folder)
            print(f"escalab run, cold    {run:7.1f} s    {verdict(run, 40)}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end; the tournament on 2 workers: benchmarks/play.py")
    if args.mixed_vs_pure:
        mixed_vs_pure(args.scenario)


if __name__ == "__main__":
    main()
