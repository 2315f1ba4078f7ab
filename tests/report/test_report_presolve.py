"""``escalab run`` solves the variants' typed ladder crises in a second process while it works on
the scenario's own sections (report/presolve.py). Counted, not timed: the crisis is then not
solved again here, and what the memo holds is a fresh solve's tables bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.report import presolve
from escalab.simulate import Crisis
from escalab.solve import ladder as solve_ladder

TINY = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"


@pytest.fixture(autouse=True)
def empty_memo():
    solve_ladder.clear_memo()
    yield
    solve_ladder.clear_memo()


def tables(eq) -> list[np.ndarray]:  # noqa: ANN001
    return [t.data for t in eq.strategy] + [t.data for t in eq.action_values] + list(eq.values)


def test_a_variant_solved_alongside_is_not_solved_again(monkeypatch) -> None:
    base = escalab.load(str(TINY))
    variant = base.with_params({"p_tough": 0.7})
    monkeypatch.setattr("escalab.report.variants.separate_crises", lambda s: [variant])
    monkeypatch.setattr(presolve, "MIN_STATES", 0)
    ahead = presolve.Presolve(base, workers=2)
    assert ahead.started == 1
    assert ahead.collect() == 1
    before = solve_ladder.SOLVES["typed"]
    here = Crisis.of(variant)
    got = here.factory.equilibrium
    assert solve_ladder.SOLVES["typed"] == before            # the memo had it
    fresh = solve_ladder._solve_equilibrium(here.arrays)
    for a, b in zip(tables(got), tables(fresh), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_small_crises_and_one_core_start_nothing(monkeypatch) -> None:
    base = escalab.load(str(TINY))
    monkeypatch.setattr("escalab.report.variants.separate_crises", lambda s: [base.with_params({"p_tough": 0.7})])
    assert presolve.Presolve(base, workers=2).started == 0      # below MIN_STATES: solved here
    monkeypatch.setattr(presolve, "MIN_STATES", 0)
    assert presolve.Presolve(base, workers=1).started == 0
