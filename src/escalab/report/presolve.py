"""Ladder-crisis equilibria a report will need, solved ahead in a second process.

A typed ladder crisis (a President whose resolve is private) takes half a minute to solve, and the
default scenario's report needs two of them: its own crisis and the crisis of the variant without
the low-yield answer. The solver is NumPy on small arrays and holds the GIL, so a thread does not
help; a second process does, on any machine with two cores. While this process works through the
move tree, the phase diagram and its own crisis, a worker solves each variant's crisis, and the
result reaches this process through the machine's disk cache (``solve.ladder_cache``; a variant
already there is not sent at all) or, with the cache off or unusable, through this process's memo
(``solve.ladder.remember``), where the variants section finds it. The worker runs the same code on
the same arrays, so the numbers are the same bit for bit as a solve here (both are keyed by the
arrays' content), and a worker that fails costs nothing but the time: the crisis is then solved
here, and any error is reported from here.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..scenario import Scenario

# below this many belief-augmented states (turn, both positions, balance, peak, belief), a solve
# takes about as long as starting a process
MIN_STATES = 200_000


def _solve(document: str, values: dict[str, Any]) -> Any:
    """Worker task: the equilibrium of the scenario's ladder crisis with accidents (as the report's
    rows use it). The scenario travels as its self-contained document and values, as ``run --from``
    reloads it (a Scenario object holds compiled closures that do not pickle)."""
    from ..scenario import loads
    from ..simulate import Crisis

    from ..solve.ladder import arrays_key
    from ..solve.ladder_cache import cached

    scenario = loads(document, name="variant").with_params(values)
    eq = Crisis.of(scenario).factory.equilibrium
    # on disk, the caller loads it in a fraction of a second: half a gigabyte need not be pickled back
    return None if cached(arrays_key(eq.arrays)) else eq


def _worth_it(v: Scenario) -> bool:
    from ..simulate import Crisis
    from ..solve.ladder import arrays_key
    from ..solve.ladder_cache import cached

    a = Crisis.of(v).arrays
    big = a.typed >= 0 and a.num_rungs ** 3 * a.num_balances * a.num_beliefs * a.turn_limit >= MIN_STATES
    return big and not cached(arrays_key(a))


class Presolve:
    """Started before the report's sections; ``collect()`` before the variants section."""

    def __init__(self, s: Scenario, workers: int | None = None):
        from .variants import separate_crises

        self._futures: list[Any] = []
        self._pool = None
        cores = workers if workers is not None else (os.cpu_count() or 1)
        if cores < 2:
            return
        try:
            todo = [v for v in separate_crises(s) if _worth_it(v)]
        except Exception:  # noqa: BLE001 - the sections report a bad variant in their own words
            return
        if not todo:
            return
        from ..workers import WorkerPool

        self._pool = WorkerPool(2)
        self._futures = [self._pool.submit(_solve, json.dumps(v.self_contained()), dict(v.values)) for v in todo]

    @property
    def started(self) -> int:
        return len(self._futures)

    def collect(self) -> int:
        """Wait for the workers and put what they solved (and did not leave in the disk cache) in the
        memo; returns how many were solved."""
        from ..solve.ladder import remember

        got = 0
        try:
            for fut in self._futures:
                try:
                    eq = fut.result()
                    if eq is not None:          # None: it is in the disk cache
                        remember(eq)
                    got += 1
                except Exception:  # noqa: BLE001 - solved again here, where errors are reported
                    continue
        finally:
            self.close()
        return got

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
