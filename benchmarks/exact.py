"""The exact Markov analysis against a Monte Carlo run precise enough to match it.

Run: ``python benchmarks/exact.py [--repeat N] [--workers W] [--baseline]``. For each crisis - the
``kahn-game`` under logit policies, and typed ladder crises (``escalate-to-deescalate``, whose US
President's resolve is private, and the tiny typed crisis of the tests) - it

1. builds the policies once (the equilibrium solve they need is timed apart and only reported);
2. times the exact analysis (best of ``--repeat``);
3. sizes a Monte Carlo run so that 3 standard errors are at most 0.1 percentage point on every
   ending (n >= p(1 - p) / (0.001 / 3)^2 at the exact p), times it (numba engine, ``--workers``
   processes, one run), and checks every ending against the exact value within 3 standard errors;
4. prints the ratio Monte Carlo time / exact time (target: >= 1, exact at least as fast).

With ``--baseline`` it also times the exact analysis by enumeration of states (``method="sparse"``,
the only path before the factorised shortcut) on the untyped crisis: slow (minutes), reported as a
ratio. In the typed crises beliefs move with what each side sees; under policies that send no
signals the exact analysis propagates one dense array per turn over (balance, peak, belief,
positions, what the uninformed side perceived, type) - the typed side's own perception factorises
out - so ``escalate-to-deescalate`` under logit play, whose enumeration meets about a million
states with hundreds of successors each, takes well under a second once its policies are built.
With ``--baseline`` the tiny typed crisis is also timed by enumeration of states (on
``escalate-to-deescalate`` under logit play that would take gigabytes). The belief grid's own
error is measured by solving on a grid twice as fine.
Wall-clock numbers on a shared machine are noisy: read them as measured under load.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path

import escalab
from escalab.simulate import Crisis
from escalab.simulate.exact import exact_analysis
from escalab.simulate.montecarlo import CHUNK_RUNS, Plan, monte_carlo

TINY = Path(__file__).parents[1] / "tests" / "simulate" / "files" / "typed-tiny.yaml"
CASES = [
    ("kahn-game", "kahn-game", {"state_a": "logit:1", "state_b": "logit:1"}),
    ("escalate-to-deescalate (typed)", "escalate-to-deescalate", {"russia": "equilibrium", "us": "equilibrium"}),
    ("escalate-to-deescalate (typed, logit)", "escalate-to-deescalate", {"russia": "logit:0.5", "us": "logit:0.5"}),
    ("typed-tiny (tests)", str(TINY), {"a": "logit:1", "d": "logit:1"}),
]
PRECISION = 0.001          # 3 standard errors on every ending, as a probability


def best(f, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return min(times), out


def runs_needed(p: dict[str, float]) -> int:
    var = max(max(x * (1 - x) for x in p.values()), 1e-12)
    n = math.ceil(var / (PRECISION / 3) ** 2)
    return max(CHUNK_RUNS, math.ceil(n / CHUNK_RUNS) * CHUNK_RUNS)


def finer(s: escalab.Scenario) -> escalab.Scenario:
    lc = s.spec.ladder_crisis
    spec = s.spec.model_copy(update={"ladder_crisis": lc.model_copy(update={"belief_grid": 2 * lc.belief_grid})})
    return replace(s, spec=spec)


def case(label: str, name: str, specs: dict[str, str], repeat: int, workers: int, baseline: bool) -> None:
    print(f"\n== {label}: policies {specs}")
    scenario = escalab.load(name)
    crisis = Crisis.of(scenario)
    start = time.perf_counter()
    policies = crisis.policies(specs)
    print(f"  policies built (equilibrium solve included): {time.perf_counter() - start:.1f} s")
    t_exact, exact = best(lambda: exact_analysis(crisis.arrays, policies, scenario=name), repeat)
    print(f"  exact analysis: {t_exact:.2f} s ({exact.states:,} transient states)")
    p = {e: r.p for e, r in exact.endings.items()}
    n = runs_needed(p)
    plan = Plan(crisis.arrays, policies)
    monte_carlo(plan, CHUNK_RUNS, 1, scenario=name, engine="numba")      # warm-up: kernel load, alias tables
    start = time.perf_counter()
    mc = monte_carlo(plan, n, 0, scenario=name, workers=workers, engine="numba")
    t_mc = time.perf_counter() - start
    worst_se = max(math.sqrt(max(x * (1 - x), 1e-12) / n) for x in p.values())
    agree = all(abs(mc.endings[e].p - x) <= 3 * math.sqrt(max(x * (1 - x), 1e-12) / n) for e, x in p.items())
    print(f"  Monte Carlo: {n:,} runs, 3 SE <= {300 * worst_se:.3f} pp, {t_mc:.2f} s on {workers} process(es); "
          f"every ending within 3 SE of exact: {'yes' if agree else 'NO'}")
    for e, x in p.items():
        print(f"    {e:24s} exact {100 * x:8.4f}%   Monte Carlo {100 * mc.endings[e].p:8.4f}%")
    print(f"  ratio Monte Carlo / exact: {t_mc / t_exact:.1f}x (target >= 1: {'met' if t_mc >= t_exact else 'NOT met'})")
    if crisis.arrays.typed >= 0:
        fine = Crisis.of(finer(scenario))
        f_exact = exact_analysis(fine.arrays, fine.policies(specs), scenario=name)
        gap = max(abs(f_exact.endings[e].p - x) for e, x in p.items())
        print(f"  belief grid 1/{crisis.arrays.grid} vs 1/{fine.arrays.grid}: largest change of an ending "
              f"{100 * gap:.3f} pp (the grid's error, measured by refining it)")
    if baseline and (crisis.arrays.typed < 0 or crisis.arrays.num_rungs <= 5):
        t_sparse, sparse = best(lambda: exact_analysis(crisis.arrays, policies, scenario=name, method="sparse"), 1)
        diff = max(abs(sparse.endings[e].p - x) for e, x in p.items())
        print(f"  baseline, exact by enumeration of states: {t_sparse:.2f} s ({sparse.states:,} states); ratio "
              f"enumeration / fast path {t_sparse / t_exact:.2g}x (largest difference {diff:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--baseline", action="store_true", help="also time the enumeration of states (slow)")
    parser.add_argument("--only", default=None, help="run the cases whose label contains this text")
    args = parser.parse_args()
    for label, name, specs in CASES:
        if args.only is None or args.only in label:
            case(label, name, specs, args.repeat, args.workers, args.baseline)


if __name__ == "__main__":
    main()
