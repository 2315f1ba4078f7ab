"""Sweeps: grid parsing, vectorised vs per-point, workers, Dask, CSV."""

from __future__ import annotations

import csv
from fractions import Fraction

import numpy as np
import pytest

import escalab
from escalab.errors import UsageError
from escalab.solve.gambit_bridge import limit_outcome, nash
from escalab.solve.sequential import sequential_equilibrium, solve_sequential
from escalab.solve.sweep import ScenarioRecipe, check_axes, parse_axis, sweep


def test_parse_axis_forms():
    a = parse_axis("p_resolute=0:1:11")
    assert a.name == "p_resolute" and len(a) == 11 and a.values[0] == 0 and a.values[-1] == 1
    assert list(parse_axis("c_limited=1,2.5,4").values) == [1, 2.5, 4]
    assert list(parse_axis("c_limited=3").values) == [3]


@pytest.mark.parametrize("spec,message", [
    ("p_resolute", "expected name=start:stop:num"),
    ("p_resolute=0:1", "three parts"),
    ("p_resolute=0:1:x", "whole number"),
    ("p_resolute=1:0:5", "must be above start"),
    ("p_resolute=0:1:0", "at least 1"),
    ("p_resolute=a:1:5", "expected a number"),
    ("c=3,2", "increasing order"),
    ("p_resolute=0:1:99999999999", "over the limit 'grid-points' of 20,000,000"),   # regression: MemoryError (exit 1)
])
def test_parse_axis_rejects_bad_specs(spec, message):
    with pytest.raises(UsageError, match=message):
        parse_axis(spec)


def test_check_axes_names_and_ranges(default_scenario):
    with pytest.raises(UsageError, match="has no parameter 'p_res'"):
        check_axes(default_scenario, [parse_axis("p_res=0:1:3")])
    with pytest.raises(UsageError, match="leave the parameter's range"):
        check_axes(default_scenario, [parse_axis("p_resolute=0:2:3")])
    with pytest.raises(UsageError, match="swept once"):
        check_axes(default_scenario, [parse_axis("c_limited=0:1:3"), parse_axis("c_limited=0:2:3")])


def test_sweep_equals_per_point_solutions(default_scenario):
    axes = [parse_axis("p_resolute=0.05:0.95:7"), parse_axis("c_limited=1:19:6")]
    result = sweep(default_scenario, axes)
    assert result.codes.shape == (7, 6)
    assert result.method == "vectorised backward induction"
    for i, p in enumerate(axes[0].values):
        for j, c in enumerate(axes[1].values):
            point = default_scenario.with_params(p_resolute=float(p), c_limited=float(c))
            eq = sequential_equilibrium(point.compile("sequential", exact=True))
            assert result.labels[result.codes[i, j]] == eq.label


def test_vectorised_sweep_equals_pygambit_sweep_off_ties(default_scenario):
    axes = [parse_axis("p_resolute=0.05:0.95:5"), parse_axis("c_limited=1:19:4")]
    ours = sweep(default_scenario, axes)
    theirs = sweep(default_scenario, axes, force_gambit=True)
    assert theirs.method.startswith("pygambit")
    grids = np.meshgrid(*[a.values for a in axes], indexing="ij")
    sol = solve_sequential(default_scenario.compile("sequential"),
                           {"p_resolute": grids[0].ravel(), "c_limited": grids[1].ravel()})
    tied = np.logical_or.reduce(list(sol.ties.values())).reshape(ours.codes.shape)
    compared = 0
    for idx in np.ndindex(ours.codes.shape):
        if not tied[idx]:
            compared += 1
            assert ours.labels[ours.codes[idx]] == theirs.labels[theirs.codes[idx]]
    assert compared >= 15


def test_games_outside_the_vectorised_class_go_to_pygambit():
    s = escalab.load("chicken")
    result = sweep(s, [parse_axis("T=1,2,3")])
    assert result.method.startswith("pygambit") and result.gambit_points == 3
    for k, T in enumerate((1, 2, 3)):
        game = s.with_params(T=T).compile("sequential")
        assert result.labels[result.codes[k]] == limit_outcome(game).label
        nash_labels = {e.label.split(" (")[0] for e in nash(game, "enummixed").equilibria}
        assert result.labels[result.codes[k]].split(" (")[0] in nash_labels


def test_a_strictly_dominant_pure_profile_is_the_limit_not_a_trace_short_of_it():
    """Chicken with R > T is no longer chicken: swerving strictly dominates, so both swerve is the only
    equilibrium. The logit tracer crawls toward it (minutes per point at these margins, stopping with
    0.3% still on driving straight); the sweep gives the limit itself."""
    s = escalab.load("chicken").with_params(T=0.5)
    result = sweep(s, [parse_axis("R=0.5625,0.625,0.75,1")])
    assert [result.labels[c] for c in result.codes] == ["both_swerve"] * 4
    eq = limit_outcome(s.with_params(R=0.625).compile("sequential"))
    assert eq.is_pure and eq.label == "both_swerve"
    assert len(nash(s.with_params(R=0.625).compile("sequential"), "enummixed").equilibria) == 1


def test_a_game_solved_point_by_point_is_refused_before_any_point_when_over_the_budget(monkeypatch):
    """Chicken is outside backward induction with beliefs, so every point goes to pygambit; a grid
    over the pygambit-points budget is refused before the first, with the reason and the way out."""
    from escalab import limits
    from escalab.solve import gambit_bridge

    monkeypatch.setattr(gambit_bridge, "limit_outcome", lambda *a, **k: pytest.fail("a point was solved"))
    with limits.raised(pygambit_points=100), pytest.raises(UsageError) as refused:
        sweep(escalab.load("chicken"), [parse_axis("T=0:1:11"), parse_axis("R=0:1:11")])
    text = str(refused.value)
    assert "sweep of 'chicken' (every point goes to pygambit:" in text
    assert "is 121, over the limit 'pygambit-points' of 100" in text and "--limit pygambit-points=N" in text


@pytest.mark.parametrize("workers", [None, 2])
def test_points_without_a_pure_equilibrium_count_against_the_budget_as_the_grid_is_solved(workers):
    """Beer-quiche's pooling region has no pure equilibrium that backward induction with beliefs
    settles: those points go to pygambit (10 of these 12), counted as they turn up -- before each
    chunk's first, and over the whole sweep, in this process or in workers."""
    from escalab import limits

    s, axes = escalab.load("beer-quiche"), [parse_axis("p_weak=0:1:12")]
    assert sweep(s, axes, chunk=3).gambit_points == 10
    with limits.raised(pygambit_points=10):
        assert sweep(s, axes, chunk=3, workers=workers).gambit_points == 10
    for budget, chunk in ((2, 12), (4, 3)):            # over in the first chunk; over only in total
        with limits.raised(pygambit_points=budget), pytest.raises(UsageError) as refused:
            sweep(s, axes, chunk=chunk, workers=workers)
        assert f"over the limit 'pygambit-points' of {budget}" in str(refused.value)
        assert "points where backward induction with beliefs finds no pure equilibrium" in str(refused.value)


def test_a_sweep_leaves_its_compiled_game_where_workers_forked_after_it_find_it(default_scenario):
    """Workers a sweep forks inherit the game it compiled instead of rebuilding it from the recipe;
    the process keeps the last few."""
    from escalab.solve import sweep as sweep_module

    sweep(default_scenario, [parse_axis("p_resolute=0:1:3")])
    recipe = ScenarioRecipe.of(default_scenario)
    game = sweep_module._GAMES[recipe]
    assert sweep_module._game(recipe) is game
    for k in range(sweep_module._GAMES_KEPT):
        sweep(default_scenario.with_params({"stake_r": 1 + k}), [parse_axis("p_resolute=0:1:3")])
    assert recipe not in sweep_module._GAMES and len(sweep_module._GAMES) == sweep_module._GAMES_KEPT


def test_progress_callback_reaches_the_total(default_scenario):
    seen = []
    sweep(default_scenario, [parse_axis("p_resolute=0:1:50")], chunk=16, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 50) and seen[-1] == (50, 50)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_csv_has_one_row_per_point(default_scenario, tmp_path):
    result = sweep(default_scenario, [parse_axis("p_resolute=0:1:5"), parse_axis("c_limited=0:20:3")])
    path = result.write_csv(tmp_path / "s.csv")
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 15
    assert set(rows[0]) == {"p_resolute", "c_limited", "outcome", "path"}
    assert {r["outcome"] for r in rows} <= set(result.labels)
    first = rows[0]
    assert float(first["p_resolute"]) == 0 and float(first["c_limited"]) == 0


def test_recipe_rebuilds_the_scenario_with_its_values(default_scenario):
    s = default_scenario.with_params(p_resolute=0.9)
    again = ScenarioRecipe.of(s).load()
    assert again.values["p_resolute"] == 0.9
    same = sequential_equilibrium(s.compile("sequential")).label
    assert sequential_equilibrium(again.compile("sequential")).label == same
    variant = escalab.load("escalate-to-deescalate-no-low-yield")
    rebuilt = ScenarioRecipe.of(variant).load().compile("sequential")
    assert "answer_in_kind" not in rebuilt.infosets[1].actions


def test_worker_processes_give_the_same_table(default_scenario):
    axes = [parse_axis("p_resolute=0:1:21"), parse_axis("c_limited=0:20:11")]
    serial = sweep(default_scenario, axes)
    parallel = sweep(default_scenario, axes, workers=2, chunk=50)
    assert [serial.labels[c] for c in serial.codes.ravel()] == [parallel.labels[c] for c in parallel.codes.ravel()]


def test_dask_cluster_gives_the_same_table(default_scenario):
    distributed = pytest.importorskip("distributed")
    axes = [parse_axis("p_resolute=0:1:11"), parse_axis("c_limited=0:20:5")]
    serial = sweep(default_scenario, axes)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        remote = sweep(default_scenario, axes, scheduler=cluster.scheduler_address, chunk=10)
    assert [serial.labels[c] for c in serial.codes.ravel()] == [remote.labels[c] for c in remote.codes.ravel()]


def test_unreachable_scheduler_is_a_usage_error(default_scenario):
    with pytest.raises(UsageError, match="cannot connect to 127.0.0.1:1"):
        sweep(default_scenario, [parse_axis("p_resolute=0:1:3")], scheduler="tcp://127.0.0.1:1",
              connect_timeout=1)


@pytest.mark.parametrize("address", ["garbage", "tcp://host-without-port", "tcp://127.0.0.1:port"])
def test_malformed_scheduler_address_is_a_usage_error_at_once(default_scenario, address):
    """Regression: 'garbage' reached distributed.Client, which failed only after a 20 s timeout and
    printed a traceback from its finaliser."""
    import time

    start = time.monotonic()
    with pytest.raises(UsageError, match="address of a running Dask scheduler"):
        sweep(default_scenario, [parse_axis("p_resolute=0:1:3")], scheduler=address)
    assert time.monotonic() - start < 5


BAD_PROBABILITY = """
escalab: 1
id: badp
title: a range wider than the probabilities allow
parameters: {p: {default: 0.5, range: [0, 2]}}
actors: {a: {name: A}}
sequential:
  root: c
  nodes:
    c: {chance: {x: {prob: p, next: n1}, y: {prob: 1 - p, next: n2}}}
    n1: {actor: a, infoset: i, moves: {l: {outcome: o1}, r: {outcome: o2}}}
    n2: {actor: a, infoset: i, moves: {l: {outcome: o2}, r: {outcome: o1}}}
  outcomes:
    o1: {payoffs: {a: 1}}
    o2: {payoffs: {a: 0}}
"""


def test_points_where_chance_probabilities_are_not_a_distribution_are_refused():
    """Regression: a sweep (and a threshold scan) solved at p = 1.5, where the chance node is
    (1.5, -0.5), and reported an outcome; compiling at that p is refused, so must they be."""
    from escalab.errors import ModelError
    from escalab.solve.credibility import decision_regions

    s = escalab.loads(BAD_PROBABILITY)
    with pytest.raises(UsageError, match="not a probability"):
        s.with_params(p=1.5).compile("sequential")
    with pytest.raises(ModelError, match=r"at p=1.5 .*\(x: 1.5, y: -0.5\), not a probability distribution"):
        sweep(s, [parse_axis("p=0:2:5")])
    with pytest.raises(ModelError, match="not a probability distribution"):
        sweep(s, [parse_axis("p=0:2:5")], force_gambit=True)
    with pytest.raises(ModelError, match="not a probability distribution"):
        decision_regions(s, "p")
    # inside [0, 1] nothing changes: a plays l iff x is likelier (p > 1/2), by hand
    ok = sweep(s, [parse_axis("p=0,0.25,0.75,1")])
    assert [ok.paths[c] for c in ok.codes] == ["r", "r", "l", "l"]
    r = decision_regions(s, "p", 0, 1)[0]
    assert [b.value for b in r.boundaries] == [Fraction(1, 2)]


def test_csv_into_an_unwritable_place_is_a_usage_error(default_scenario, tmp_path):
    # regression: --out below a regular file raised NotADirectoryError (exit 1)
    result = sweep(default_scenario, [parse_axis("p_resolute=0:1:3")])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write"):
        result.write_csv(blocker / "sub" / "sweep.csv")
