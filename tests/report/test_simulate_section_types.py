"""The ladder-crisis section of the report with private types: outcomes per type and the measured
approximation of the Bayesian equilibrium are in its record."""

from __future__ import annotations

from pathlib import Path

import escalab
from escalab.report import simulate_section
from escalab.simulate import Crisis

TINY = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"


def test_the_report_records_the_bayesian_equilibrium_approximation() -> None:
    s = escalab.load(str(TINY))
    rows = simulate_section.simulate_rows(s, simulate_section.configurations(s)[:1], lambda msg: None, (True,),
                                          runs=2000)
    eq = Crisis.of(s).factory.equilibrium
    assert rows[0]["bayesian_equilibrium"] == {"stage_games_without_pure_pbe": eq.mixed_stage_games + eq.unsettled,
                                               "solved_in_mixed_strategies": eq.mixed_stage_games,
                                               "left_approximate": eq.unsettled,
                                               "largest_gain_from_deviating": eq.epsilon,
                                               "grid_error": eq.grid_error().largest}
    assert set(rows[0]["by_type"]) == {"tough", "soft"}
    assert simulate_section.private_types(s) == {"actor": "d", "observer": "a", "prior": {"tough": 0.4, "soft": 0.6},
                                                 "belief_grid": 10}


def test_the_grid_error_is_printed_where_the_smallest_gain_was() -> None:
    from escalab.report.findings import grid_error_line

    assert "0.0123 in payoff units" in grid_error_line({"grid_error": 0.0123})
    assert "not measured" in grid_error_line({"grid_error": None})
    assert "not measured" in grid_error_line({})          # a record written before it was measured
