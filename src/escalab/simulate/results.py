"""What a simulation reports: how crises end, how high they climb, how long they last.

Exact analysis and Monte Carlo return the same record, so a table or a test can put them side by
side. Every Monte Carlo rate carries its standard error and a 95% Wilson interval (which stays
inside [0, 1] and behaves for rates near 0, where accidents live); exact rates carry neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """A probability: exact (``n`` None) or estimated from ``n`` independent runs."""

    p: float
    n: int | None = None

    @property
    def se(self) -> float:
        return 0.0 if self.n is None else math.sqrt(max(self.p * (1 - self.p), 0.0) / self.n)

    @property
    def ci(self) -> tuple[float, float]:
        """The 95% Wilson score interval (the point itself when exact)."""
        if self.n is None:
            return (self.p, self.p)
        n, z = self.n, Z95
        centre = (self.p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(self.p * (1 - self.p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        # At p = 0 (p = 1) the lower (upper) end is exactly 0 (1); computed, it misses by rounding.
        lo = 0.0 if self.p <= 0 else max(0.0, centre - half)
        hi = 1.0 if self.p >= 1 else min(1.0, centre + half)
        return (lo, hi)

    def to_dict(self) -> dict[str, Any]:
        if self.n is None:
            return {"p": self.p}
        lo, hi = self.ci
        return {"p": self.p, "se": self.se, "ci95": [lo, hi]}


@dataclass(frozen=True)
class Belief:
    """An observer's posterior over an actor's readiness at the end of the runs (Monte Carlo only)."""

    observer: str
    target: str
    levels: tuple[str, ...]
    mean_posterior: tuple[float, ...]
    true_level: tuple[float, ...]       # share of runs ending with the target at each level
    map_correct: Rate                   # share of runs whose most likely level is the true one

    def to_dict(self) -> dict[str, Any]:
        return {"observer": self.observer, "target": self.target,
                "mean_posterior": dict(zip(self.levels, self.mean_posterior)),
                "true_level": dict(zip(self.levels, self.true_level)),
                "map_correct": self.map_correct.to_dict()}


@dataclass(frozen=True)
class SimulationResult:
    method: str                          # "exact" or "monte_carlo"
    scenario: str
    policies: dict[str, str]
    accidents: bool
    endings: dict[str, Rate]
    peak: dict[str, Rate]                # by rung id
    duration: dict[int, Rate]            # by number of turns
    mean_duration: float
    runs: int | None = None
    seed: int | None = None
    states: int | None = None            # exact: transient states enumerated
    beliefs: tuple[Belief, ...] = field(default=())
    payoffs: dict[str, float] = field(default_factory=dict)     # expected payoff of each actor
    payoff_se: dict[str, float] = field(default_factory=dict)   # its standard error (Monte Carlo)
    # With private types: the endings given each type of the typed actor.
    by_type: dict[str, dict[str, Rate]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "scenario": self.scenario, "policies": self.policies,
            "accidents": self.accidents, "runs": self.runs, "seed": self.seed, "states": self.states,
            "endings": {k: v.to_dict() for k, v in self.endings.items()},
            "peak": {k: v.to_dict() for k, v in self.peak.items()},
            "duration": {str(k): v.to_dict() for k, v in self.duration.items()},
            "mean_duration": self.mean_duration,
            "payoffs": self.payoffs, "payoff_se": self.payoff_se,
            "beliefs": [b.to_dict() for b in self.beliefs],
            "by_type": {t: {e: r.to_dict() for e, r in rates.items()} for t, rates in self.by_type.items()},
        }


def distribution_result(method: str, scenario: str, policies: dict[str, str], accidents: bool,
                        endings: tuple[str, ...], rung_ids: tuple[str, ...], ending_w: np.ndarray,
                        peak_w: np.ndarray, duration_w: np.ndarray, runs: int | None, **extra: Any
                        ) -> SimulationResult:
    """Build a result from weights (probabilities when exact, counts when ``runs`` is given)."""
    total = float(runs) if runs is not None else 1.0

    def rate(w: float) -> Rate:
        return Rate(float(w) / total, runs)

    mean = float(np.dot(np.arange(len(duration_w)), duration_w) / total)
    return SimulationResult(
        method=method, scenario=scenario, policies=policies, accidents=accidents,
        endings={e: rate(ending_w[i]) for i, e in enumerate(endings)},
        peak={r: rate(peak_w[i]) for i, r in enumerate(rung_ids) if peak_w[i] > 0},
        duration={t: rate(duration_w[t]) for t in range(len(duration_w)) if duration_w[t] > 0},
        mean_duration=mean, runs=runs, **extra)


def type_rates(type_names: tuple[str, ...], endings: tuple[str, ...], weights: np.ndarray,
               counts: np.ndarray | None) -> dict[str, dict[str, Rate]]:
    """The endings given each private type: ``weights`` (n, E) are probabilities (exact) or counts of
    runs (Monte Carlo, with ``counts`` (n,) runs of each type); empty without types."""
    out: dict[str, dict[str, Rate]] = {}
    for th, name in enumerate(type_names):
        total = float(weights[th].sum()) if counts is None else float(counts[th])
        if total > 0:
            out[name] = {e: Rate(float(weights[th, i]) / total, None if counts is None else int(counts[th]))
                         for i, e in enumerate(endings)}
    return out
