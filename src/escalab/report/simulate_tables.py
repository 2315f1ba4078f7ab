"""Terminal views of simulation results and readiness assessments (Rich renderables).

Rates from Monte Carlo are shown with their standard error and 95% interval, because a rate of
0.3% from 10,000 runs means little without them; exact rates are shown alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..simulate import IndicatorModel, SimulationResult
from ..simulate.results import Rate


def _pct(p: float) -> str:
    return f"{100 * p:.2f}%"


def _rate_cells(r: Rate) -> list[str]:
    if r.n is None:
        return [_pct(r.p)]
    lo, hi = r.ci
    return [_pct(r.p), f"±{100 * r.se:.2f}", f"[{_pct(lo)}, {_pct(hi)}]"]


def _rate_columns(t: Table, result: SimulationResult) -> None:
    t.add_column("probability", justify="right")
    if result.method == "monte_carlo":
        t.add_column("± s.e. (pp)", justify="right")
        t.add_column("95% interval", justify="right")


def method_line(result: SimulationResult) -> str:
    pol = ", ".join(f"{a}: {p}" for a, p in result.policies.items())
    how = ("exact (absorbing Markov chain, "
           f"{result.states:,} transient states)" if result.method == "exact"
           else f"Monte Carlo, {result.runs:,} runs, seed {result.seed}")
    return f"{result.scenario} - {pol} - accidents {'on' if result.accidents else 'off'} - {how}"


def endings_table(result: SimulationResult) -> Table:
    t = Table(title="How the crisis ends", title_justify="left")
    t.add_column("ending")
    _rate_columns(t, result)
    for name, r in result.endings.items():
        t.add_row(name, *_rate_cells(r))
    return t


def peak_table(result: SimulationResult, rung_names: dict[str, str] | None = None) -> Table:
    t = Table(title="Highest rung reached", title_justify="left")
    t.add_column("peak rung")
    _rate_columns(t, result)
    for rung, r in result.peak.items():
        t.add_row((rung_names or {}).get(rung, rung), *_rate_cells(r))
    return t


def beliefs_table(result: SimulationResult) -> Table | None:
    if not result.beliefs:
        return None
    t = Table(title="Readiness beliefs at the end (inferred from indicators each turn)", title_justify="left")
    t.add_column("observer → actor")
    t.add_column("level")
    t.add_column("mean posterior", justify="right")
    t.add_column("true level share", justify="right")
    for b in result.beliefs:
        for i, lvl in enumerate(b.levels):
            t.add_row(f"{b.observer} → {b.target}" if i == 0 else "", lvl, _pct(b.mean_posterior[i]),
                      _pct(b.true_level[i]))
        lo, hi = b.map_correct.ci
        t.add_row("", Text("most likely level is right", style="dim"), _pct(b.map_correct.p),
                  f"[{_pct(lo)}, {_pct(hi)}]", end_section=True)
    return t


def simulation_view(result: SimulationResult, rung_names: dict[str, str] | None = None) -> RenderableType:
    parts: list[RenderableType] = [Text(method_line(result), style="bold"), endings_table(result),
                                   peak_table(result, rung_names),
                                   Text(f"Mean duration: {result.mean_duration:.2f} turns"),
                                   Text("Expected payoffs: " + ", ".join(
                                       f"{a} {v:.3f}" + (f" ± {result.payoff_se[a]:.3f}" if a in result.payoff_se
                                                         else "") for a, v in result.payoffs.items()))]
    beliefs = beliefs_table(result)
    if beliefs is not None:
        parts.append(beliefs)
    return Group(*parts)


def assessment_table(model: IndicatorModel, posteriors: np.ndarray, labels: Sequence[str]) -> Table:
    """Prior and posterior(s) over the readiness levels of one actor."""
    t = Table(title=f"Readiness of {model.actor}: posterior over levels", title_justify="left")
    t.add_column("level (lowest first)")
    t.add_column("prior", justify="right")
    for label in labels:
        t.add_column(label, justify="right")
    best = np.argmax(posteriors[-1])
    for i, name in enumerate(model.level_names):
        cells = [_pct(p) for p in posteriors[:, i]]
        style = "bold" if i == best else ""
        t.add_row(Text(name, style=style), _pct(model.prior[i]), *cells)
    return t
