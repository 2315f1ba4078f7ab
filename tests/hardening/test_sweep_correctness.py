"""Issue 8: a sweep never answers differently from ``solve --set`` at the same point.

The tie tolerance was once scaled by the largest payoff over a whole chunk of points, so one huge payoff at
one point made every other point a tie; and non-finite payoffs passed a sweep that ``solve --set`` refuses.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import escalab
from escalab.errors import ModelError
from escalab.solve.sequential import solve_sequential
from escalab.solve.sweep import Axis, sweep

FILES = Path(__file__).parent / "files"
pytestmark = pytest.mark.timeout(120)


def _single_point_label(scenario: escalab.Scenario, point: dict[str, float]) -> str:
    """What ``solve --set k=v ... --float --method sequential`` concludes at one point."""
    game = scenario.with_params(point).compile("sequential")
    sol = solve_sequential(game)
    return sol.equilibrium(0).label


def test_tie_tolerance_is_per_point_not_per_grid() -> None:
    s = escalab.load(FILES / "tie.yaml")
    assert _single_point_label(s, {"v": 1.0}) == "R"
    result = sweep(s, [Axis("v", np.array([0.0, 1.0]))])
    by_point = [result.labels[k] for k in result.codes.reshape(-1)]
    assert by_point == ["L", "R"]     # at v=1 the neighbour's 1e12 payoff must not make a tie


def test_cli_sweep_matches_solve_set_at_the_point(invoke, tmp_path: Path) -> None:
    r = invoke("solve", str(FILES / "tie.yaml"), "--set", "v=1")
    assert r.exit_code == 0 and "right" in r.stdout
    r = invoke("sweep", str(FILES / "tie.yaml"), "--grid", "v=0,1", "--out", str(tmp_path / "o"))
    assert r.exit_code == 0, r.stderr
    rows = (tmp_path / "o" / "sweep.csv").read_text().splitlines()
    assert rows[1].startswith("0,L") and rows[2].startswith("1,R")


def test_non_finite_payoff_in_sweep_refused_as_solve_set_refuses(invoke, tmp_path: Path) -> None:
    r = invoke("solve", str(FILES / "inf.yaml"), "--set", "v=0")
    assert r.exit_code == 2 and "division by zero in '1 / v'" in r.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no NumPy RuntimeWarning may leak either
        r = invoke("sweep", str(FILES / "inf.yaml"), "--grid", "v=0:1:5", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert "at v=0:" in r.stderr and "division by zero in '1 / v'" in r.stderr
    assert not (tmp_path / "o" / "sweep.csv").exists()


def test_non_finite_payoff_in_param_scan_refused(invoke) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = invoke("solve", str(FILES / "inf.yaml"), "--set", "v=1", "--param", "v")
    assert r.exit_code == 2 and "division by zero in '1 / v'" in r.stderr


def test_the_first_point_that_is_not_finite_is_named_whichever_payoff_it_is() -> None:
    """Payoffs that do not depend on the swept values are kept as one entry: one that is infinite is
    infinite at every point, so the first point is named, not the first where a per-point payoff is."""
    from escalab.solve.sequential import check_finite

    game = escalab.load(FILES / "inf.yaml").compile("sequential")
    values = {"v": np.array([1.0, 0.5, 0.25])}
    per_point, constant = (np.array([1.0, np.inf, 1.0]),), (np.array([np.inf]),)
    for pays in ({0: per_point, 1: constant}, {0: constant, 1: per_point}):
        with pytest.raises(ModelError, match=r"^at v=1 a payoff"):
            check_finite(game, pays, {}, values)
    with pytest.raises(ModelError, match=r"^at v=0.5 a payoff"):
        check_finite(game, {0: per_point, 1: (np.array([1.0]),)}, {}, values)


def test_nan_probability_refused_at_its_point() -> None:
    s = escalab.load("incomplete-resolve")
    game = s.compile("sequential")
    with pytest.raises(ModelError, match=r"at p=nan"):
        solve_sequential(game, {"p": np.array([0.5, np.nan])})


_EXTREMES = [-1e12, -1e6, -1.0, -1e-9, 0.0, 1e-9, 1.0, 1e3, 1e6, 1e12]


def _grid(draw, lo: float, hi: float) -> np.ndarray:
    inner = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    values = draw(st.lists(st.one_of(inner, st.sampled_from([v for v in _EXTREMES if lo <= v <= hi])),
                           min_size=1, max_size=6, unique=True))
    return np.array(sorted(values))


@st.composite
def _sweeps(draw):
    name = draw(st.sampled_from(["wide", "deterrence-game", "incomplete-resolve"]))
    s = escalab.load(FILES / "wide.yaml") if name == "wide" else escalab.load(name)
    params = sorted(s.parameters)
    chosen = draw(st.lists(st.sampled_from(params), min_size=1, max_size=2, unique=True))
    axes = []
    for p in chosen:
        rng = s.parameters[p].range or (-1e6, 1e6)
        axes.append(Axis(p, _grid(draw, float(rng[0]), float(rng[1]))))
    return s, axes


@settings(max_examples=25)
@given(data=st.data())
def test_sweep_equals_solve_set_at_random_points_of_random_grids(data) -> None:
    s, axes = data.draw(_sweeps())
    result = sweep(s, axes)
    for _ in range(3):
        idx = tuple(data.draw(st.integers(0, len(a) - 1)) for a in axes)
        point = {a.name: float(a.values[i]) for a, i in zip(axes, idx)}
        assert result.labels[int(result.codes[idx])] == _single_point_label(s, point), point
