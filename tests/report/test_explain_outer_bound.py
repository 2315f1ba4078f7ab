"""A belief range that is only an outer bound (tied information sets, see solve/consistency.py) is
a necessary condition: the sentence must say so and must never claim the equilibrium holds for
every belief in it."""

from __future__ import annotations

from dataclasses import replace

import escalab
from escalab.report.explain import belief_range_sentence
from escalab.solve.assessments import pure_sequential_equilibria


def _ranges():
    game = escalab.load("beer-quiche").compile("sequential", exact=True)
    eqs = pure_sequential_equilibria(game)
    eqs = eqs[0] if isinstance(eqs, tuple) else eqs
    return game, [r for eq in eqs for r in eq.belief_ranges]


def test_exact_ranges_read_as_before_and_outer_bounds_say_so() -> None:
    game, ranges = _ranges()
    assert ranges, "Beer-Quiche's pooling equilibria have off-path beliefs"
    for r in ranges:
        exact = belief_range_sentence(game, r)
        assert r.basis == "exact" and "outer bound" not in exact
        outer = belief_range_sentence(game, replace(r, basis="outer bound", coupled_with=("elsewhere",)))
        assert outer.startswith(exact.replace(": the equilibrium holds for every one", ""))
        assert "outer bound" in outer and "'elsewhere'" in outer
        assert "holds for every one" not in outer
