"""The perfect Bayesian equilibrium of a ladder crisis with private types: what solving the stage
games without a pure equilibrium in mixed strategies costs, against the pure-profile search alone.

Run: ``python benchmarks/typed_equilibrium.py [--scenario ID] [--repeat N]``. In one process it
solves the crisis with the mixed search off (``MIXED_BUDGET = 0``: every stage game without a pure
perfect Bayesian equilibrium keeps the profile with the smallest largest gain from deviating, as
before mixing was added) and on, best of ``--repeat`` each, and prints both times, their ratio,
how many stage games each leaves approximate and the largest gain from deviating each measures.
Wall-clock numbers on a shared machine are noisy: read them as measured under load.
"""

from __future__ import annotations

import argparse
import time

import escalab
import escalab.solve.ladder_types as ladder_types
from escalab.simulate import Crisis


def solve(arrays, budget: int, repeat: int):  # noqa: ANN001, ANN201
    saved = ladder_types.MIXED_BUDGET
    ladder_types.MIXED_BUDGET = budget
    try:
        best, eq = float("inf"), None
        for _ in range(repeat):
            start = time.perf_counter()
            eq = ladder_types.solve_typed(arrays)
            best = min(best, time.perf_counter() - start)
        return best, eq
    finally:
        ladder_types.MIXED_BUDGET = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="escalate-to-deescalate")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    arrays = Crisis.of(escalab.load(args.scenario)).arrays
    if arrays.typed < 0:
        raise SystemExit(f"{args.scenario}: its ladder crisis has no private types")
    rows = [("pure profiles only", *solve(arrays, 0, args.repeat)),
            ("mixed strategies", *solve(arrays, ladder_types.MIXED_BUDGET, args.repeat))]
    for label, seconds, eq in rows:
        print(f"{label:>20}: {seconds:7.1f} s  solved in mixed strategies {eq.mixed_stage_games:>9,}  "
              f"left approximate {eq.unsettled:>9,}  largest gain from deviating {eq.epsilon:.3g}")
    print(f"ratio mixed / pure-only time: {rows[1][1] / rows[0][1]:.2f} (measured under load)")


if __name__ == "__main__":
    main()
