"""Benchmark: vectorised backward induction vs pygambit rebuilt and solved per point.

Run:  python benchmarks/solve.py [--points 100000] [--sample 200] [--seed 0]

Both solve the default scenario (escalate-to-deescalate) on the same grid over p_resolute x
c_limited. The vectorised solver does every point; pygambit (build the tree at the point, follow
the logit branch to its limit -- the fallback the sweep uses) does a seeded random sample, and its
rate is extrapolated. The script checks both give the same outcome at every sampled point (points
where the vectorised solver reports a payoff tie are excluded: there the equilibrium is not unique)
and prints points per second and their ratio. Targets: >= 1e6 points/s vectorised, >= 1000x pygambit.
It also measures pygambit's other routes at their best -- Lemke (lcp) in floating point and in
rational arithmetic, the tree built at each point -- with each route's agreement with the sequential
outcome, and prints the ratio against float lcp and against the fastest route giving the same answer.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import numpy as np
import pygambit as gbt

import escalab
from escalab.solve.gambit_bridge import from_behaviour, limit_outcome, to_gambit
from escalab.solve.sequential import solve_sequential
from escalab.solve.sweep import Axis, sweep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000, help="grid size (about; the grid is square)")
    ap.add_argument("--sample", type=int, default=200, help="points solved with pygambit")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    scenario = escalab.load(escalab.DEFAULT_SCENARIO)
    side = int(math.ceil(math.sqrt(args.points)))
    axes = [Axis("p_resolute", np.linspace(0, 1, side + 3)), Axis("c_limited", np.linspace(0, 20, side - 3))]
    total = len(axes[0]) * len(axes[1])
    print(f"scenario {scenario.id}; grid p_resolute x c_limited = {len(axes[0])} x {len(axes[1])} = {total} points")

    sweep(scenario, axes)  # warm-up (imports, compile caches)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = sweep(scenario, axes)
        times.append(time.perf_counter() - t0)
    t_vec = statistics.median(times)
    rate_vec = total / t_vec
    print(f"vectorised backward induction (sweep, labels included): median {t_vec * 1e3:.1f} ms "
          f"over {args.repeat} runs -> {rate_vec:,.0f} points/s ({result.method})")

    # pygambit per point on a seeded sample
    rng = np.random.default_rng(args.seed)
    grid_p, grid_c = np.meshgrid(axes[0].values, axes[1].values, indexing="ij")
    flat_p, flat_c = grid_p.reshape(-1), grid_c.reshape(-1)
    idx = rng.choice(total, size=min(args.sample, total), replace=False)
    game = scenario.compile("sequential")
    sol = solve_sequential(game, {"p_resolute": flat_p[idx], "c_limited": flat_c[idx]})
    tied = np.logical_or.reduce([t for t in sol.ties.values()])
    t0 = time.perf_counter()
    gambit_labels = [limit_outcome(game, {"p_resolute": float(flat_p[i]), "c_limited": float(flat_c[i])}).label
                     for i in idx]
    t_gbt = time.perf_counter() - t0
    rate_gbt = len(idx) / t_gbt
    print(f"pygambit per point (build tree + logit_solve): {len(idx)} points in {t_gbt:.2f} s -> "
          f"{rate_gbt:,.1f} points/s (extrapolated to the grid: {total / rate_gbt:,.0f} s)")

    # the other pygambit routes, each at its best (tree built per point, which costs far less than
    # solving it): Lemke's algorithm on the sequence form in floating point and in rational arithmetic.
    # Lemke returns *a* Nash equilibrium, which may rest on an empty threat, so each route's agreement
    # with the sequential outcome is measured, and only routes that agree everywhere count as routes
    # "to the same answer".
    codes = result.codes.reshape(-1)
    ours = [result.labels[int(codes[i])] for i in idx]
    compared = [k for k in range(len(idx)) if not tied[k]]
    routes = {"logit limit": (rate_gbt, gambit_labels)}
    for name, rational, share in (("float lcp", False, 1), ("rational lcp", True, 4)):
        sub = idx[: max(1, len(idx) // share)]
        t0 = time.perf_counter()
        labels = []
        for i in sub:
            gg = to_gambit(game, {"p_resolute": float(flat_p[i]), "c_limited": float(flat_c[i])})
            prof = gbt.nash.lcp_solve(gg.game, rational=rational).equilibria[0]
            labels.append(from_behaviour(gg, prof, "lcp", exact=rational).label)
        routes[name] = (len(sub) / (time.perf_counter() - t0), labels)
    print("pygambit routes (build the tree at the point, then solve):")
    fastest_same = None
    for name, (rate, labels) in routes.items():
        agree = [k for k in compared if k < len(labels) and labels[k] == ours[k]]
        total_k = len([k for k in compared if k < len(labels)])
        same = len(agree) == total_k
        print(f"  {name:13s} {rate:10,.1f} points/s; same outcome as the sequential equilibrium at "
              f"{len(agree)}/{total_k} sampled points; vectorised is {rate_vec / rate:,.0f}x faster")
        if same and (fastest_same is None or rate > routes[fastest_same][0]):
            fastest_same = name
    rate_float_lcp = routes["float lcp"][0]
    print(f"ratio against float lcp (pygambit's fastest solver, any Nash equilibrium): "
          f"{rate_vec / rate_float_lcp:,.0f}x")
    if fastest_same is not None:
        print(f"ratio against the fastest pygambit route to the same answer ({fastest_same}): "
              f"{rate_vec / routes[fastest_same][0]:,.0f}x")

    mismatches = [(float(flat_p[idx[k]]), float(flat_c[idx[k]]), ours[k], gambit_labels[k])
                  for k in compared if ours[k] != gambit_labels[k]]
    print(f"agreement: {len(compared) - len(mismatches)}/{len(compared)} sampled points give the same outcome "
          f"({len(idx) - len(compared)} tie points excluded)")
    for m in mismatches[:5]:
        print(f"  mismatch at p_resolute={m[0]:.6g}, c_limited={m[1]:.6g}: ours '{m[2]}' vs pygambit '{m[3]}'")
    ratio = rate_vec / rate_gbt
    print(f"ratio vectorised / pygambit: {ratio:,.0f}x")
    ok_rate, ok_ratio = rate_vec >= 1e6, ratio >= 1000
    print(f"targets: >= 1e6 points/s {'met' if ok_rate else 'NOT met'}; >= 1000x {'met' if ok_ratio else 'NOT met'}")
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
