"""One ladder-crisis equilibrium solve per crisis in a process (``escalab.solve.ladder``'s memo).

The machine's disk cache is off here (``ESCALAB_CACHE=off``): these count what the memo saves;
tests/solve/test_ladder_cache.py counts what the disk cache saves.

``escalab run`` meets the same crisis more than once (its section, ``--from`` with ``--out``, the
agents of a play); a typed solve takes half a minute on the default scenario. Counted, not timed:
the number of solves computed, and the tables a hit returns against a fresh solve, bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.report import presolve
from escalab.simulate import Crisis
from escalab.solve import ladder as solve_ladder

TINY = Path(__file__).parent / "files" / "typed-tiny.yaml"


@pytest.fixture(autouse=True)
def empty_memo(monkeypatch):
    monkeypatch.setenv("ESCALAB_CACHE", "off")
    solve_ladder.clear_memo()
    yield
    solve_ladder.clear_memo()


def tables(eq) -> list[np.ndarray]:  # noqa: ANN001
    return ([t.data for t in eq.strategy] + [t.data for t in eq.action_values] + list(eq.values))


def test_same_crisis_twice_solves_once_and_gives_the_fresh_tables() -> None:
    s = escalab.load(str(TINY))
    before = solve_ladder.SOLVES["typed"]
    first, second = Crisis.of(s), Crisis.of(escalab.load(str(TINY)))
    assert first.arrays is not second.arrays
    eq1, eq2 = first.factory.equilibrium, second.factory.equilibrium
    assert solve_ladder.SOLVES["typed"] == before + 1
    assert eq2.arrays is second.arrays          # the hit is tied to the caller's own arrays
    fresh = solve_ladder._solve_equilibrium(second.arrays)
    for got, want in zip(tables(eq2), tables(fresh), strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert (eq2.unsettled, eq2.epsilon, eq2.mixed_stage_games) == (fresh.unsettled, fresh.epsilon,
                                                                     fresh.mixed_stage_games)
    assert eq1.value() == eq2.value() == fresh.value()
    # what the simulation reports is the same too
    specs = {"a": "equilibrium", "d": "logit:1"}
    assert first.exact(specs).to_dict() == second.exact(specs).to_dict()


def test_another_parameter_point_is_solved_again() -> None:
    base = escalab.load(str(TINY))
    before = solve_ladder.SOLVES["typed"]
    Crisis.of(base).factory.equilibrium
    Crisis.of(base.with_params({"p_tough": 0.7})).factory.equilibrium
    Crisis.of(base.with_params({"c_soft": 10})).factory.equilibrium
    Crisis.of(base).factory.equilibrium                  # back to the first: still remembered
    assert solve_ladder.SOLVES["typed"] == before + 3


def test_without_accidents_is_another_crisis() -> None:
    s = escalab.load(str(TINY))
    before = solve_ladder.SOLVES["typed"]
    with_acc, without = Crisis.of(s), Crisis.of(s, accidents=False)
    assert solve_ladder.arrays_key(with_acc.arrays) != solve_ladder.arrays_key(without.arrays)
    with_acc.factory.equilibrium, without.factory.equilibrium  # noqa: B018
    assert solve_ladder.SOLVES["typed"] == before + 2


def test_the_report_section_and_a_repeat_share_one_solve() -> None:
    """The caller ``escalab run`` goes through: the simulate section computed twice (as ``run --from
    ... --out`` does) solves the typed equilibrium once, and both give the same numbers."""
    from escalab.report.simulate_section import compute

    s = escalab.load(str(TINY))
    before = solve_ladder.SOLVES["typed"]
    one = compute(s, lambda msg: None, runs=500, seed=3)
    two = compute(escalab.load(str(TINY)), lambda msg: None, runs=500, seed=3)
    assert solve_ladder.SOLVES["typed"] == before + 1
    assert one == two


def test_the_memo_is_bounded() -> None:
    base = escalab.load(str(TINY))
    for i in range(solve_ladder.MEMO_SIZE + 2):
        Crisis.of(base.with_params({"p_tough": 0.1 * (i + 1)})).factory.equilibrium
    assert len(solve_ladder._memo) == solve_ladder.MEMO_SIZE


# ``escalab run`` solves the variants' typed ladder crises in a second process while it works on the
# scenario's own sections (report/presolve.py), and puts them in this memo: the crisis is then not
# solved again here, and what the memo holds is a fresh solve's tables bit for bit.
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
