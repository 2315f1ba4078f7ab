"""Helpers shared by the simulate tests: compiled crises are built once per test session."""

from __future__ import annotations

import math
from typing import Any

import escalab
from escalab.scenario import library
from escalab.simulate import Crisis

_CRISES: dict[tuple[str, bool], Crisis] = {}


def ladder_scenarios() -> list[str]:
    """Every built-in scenario with a ladder crisis."""
    return [n for n in library.builtin_names("scenario") if escalab.load(n).spec.ladder_crisis is not None]


def crisis(name: str, accidents: bool = True) -> Crisis:
    key = (name, accidents)
    if key not in _CRISES:
        _CRISES[key] = Crisis.of(escalab.load(name), accidents=accidents)
    return _CRISES[key]


def within(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    """Is count/n within ``sigmas`` binomial standard errors of p?"""
    return abs(count / n - p) <= sigmas * math.sqrt(p * (1 - p) / n) + 1e-12


# ----------------------------------------------------------------------------- exact against Monte Carlo
FAMILY_LEVEL = 0.001      # the chance that one test of a correct engine fails, whatever the seed


def critical_z(quantities: int, level: float = FAMILY_LEVEL) -> float:
    """The two-sided normal quantile that Bonferroni puts on each of ``quantities`` comparisons."""
    from scipy.stats import norm

    return float(norm.isf(level / (2 * quantities)))


def disagreements(exact: Any, mc: Any, level: float = FAMILY_LEVEL,
                  tables: tuple[str, ...] = ("endings", "peak", "duration")) -> list[str]:
    """The quantities on which a Monte Carlo result contradicts the exact one at family-wise level
    ``level``, whatever the seed.

    Each rate's count of runs is tested against Binomial(runs, exact p) - two-sided, by doubling the
    smaller exact tail, so rare rates (a few expected runs, where "within 3 standard errors" is far
    from the normal 0.3%) are judged by their true law - and each mean payoff against a normal law
    with its standard error. A quantity disagrees when its p-value is below level / m, m being the
    number of quantities compared (Bonferroni: valid however they depend on each other, as the rates
    of one distribution do). An empty list means agreement.
    """
    from scipy.stats import binom, norm

    n = mc.runs
    assert n is not None
    checks: list[tuple[str, float, float, float]] = []       # label, exact, estimate, p-value
    for table in tables:
        ex, est = getattr(exact, table), getattr(mc, table)
        for key in sorted(set(ex) | set(est), key=str):
            p = ex[key].p if key in ex else 0.0
            count = round((est[key].p if key in est else 0.0) * n)
            tail = min(binom.cdf(count, n, p), binom.sf(count - 1, n, p))
            checks.append((f"{table} {key}", p, count / n, min(1.0, 2 * float(tail))))
    for actor, value in exact.payoffs.items():
        se = mc.payoff_se[actor]
        diff = abs(mc.payoffs[actor] - value)
        checks.append((f"payoff {actor}", value, mc.payoffs[actor],
                       2 * float(norm.sf(diff / se)) if se > 0 else float(diff <= 1e-9)))
    cut = level / len(checks)
    return [f"{label}: exact {p:.6g}, Monte Carlo {q:.6g} (p-value {pv:.2g} < {cut:.2g})"
            for label, p, q, pv in checks if pv < cut]
