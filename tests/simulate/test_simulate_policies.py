"""Policies: doctrine rule semantics, the equilibrium's stage games, logit, level-k, alias sampling."""

from __future__ import annotations

import numpy as np
import pytest

import escalab
from escalab.errors import UsageError
from escalab.simulate import Crisis, Observations
from escalab.simulate.policies import DoctrinePolicy, DoctrineTable, alias_tables
from escalab.solve.ladder import pure_equilibria, solve_stage_games

# A small crisis on the compact ladder whose doctrines exercise every kind of rule target.
DOCTRINES = """
escalab: 1
id: rules
title: Doctrine rules
parameters:
  line: {default: 450}
actors:
  a: {name: A}
  b: {name: B}
ladder_crisis:
  ladder: kahn-game-compact
  actors: [a, b]
  start: {a: maximum_conventional_effort, b: maximum_conventional_effort}
  actions:
    a: [return_to_start_line, conventional_military_pressure, maximum_conventional_effort, limited_nuclear_use,
        strategic_nuclear_war]
  max_step: 2
  turn_limit: 4
  endings:
    settlement: {payoffs: {a: 0, b: 0}}
    a_capitulates: {payoffs: {a: -1, b: 1}}
    b_capitulates: {payoffs: {a: 1, b: -1}}
    strategic_war: {payoffs: {a: -10, b: -10}}
    turn_limit: {payoffs: {a: balance, b: -balance}}
doctrines:
  ordered:
    rules:
      - {when: opponent >= line, do: match, signal: strategic_nuclear_war}
      - {when: losing, do: escalate, signal: escalate}
      - {when: winning, do: deescalate}
      - {when: turn >= 3, do: match_plus_one}
  fixed:
    rules:
      - {do: strategic_nuclear_war}
  signal_reader:
    rules:
      - {when: opponent_signal > opponent, do: hold, signal: hold}
      - {do: return_to_start_line}
"""


@pytest.fixture(scope="module")
def rules_crisis() -> Crisis:
    return Crisis.of(escalab.loads(DOCTRINES))


def _obs(c: Crisis, turn: int, own: str, opp: str, bal: int, sig: str | None = None, peak: str | None = None):
    i = c.game.index
    return Observations(turn, np.array([i(own)]), np.array([i(opp)]), np.array([-1 if sig is None else i(sig)]),
                        np.array([bal]), np.array([i(peak or max(own, opp, key=i))]))


def _choose(c: Crisis, doctrine: str, *args, **kw) -> tuple[str, str | None]:
    pol = c.factory.build("a", f"doctrine:{doctrine}")
    act, sig = pol.choose(_obs(c, *args, **kw))
    ids = c.game.rung_ids
    return ids[int(act[0])], None if sig[0] < 0 else ids[int(sig[0])]


@pytest.mark.parametrize("args, expected", [
    # The first rule that holds decides: nuclear use is matched (nearest legal action), signal sent.
    ((1, "maximum_conventional_effort", "limited_nuclear_use", -1), ("limited_nuclear_use", "strategic_nuclear_war")),
    # Losing: one legal action up (the next allowed rung above, within max_step 2); signal one rung up.
    ((1, "conventional_military_pressure", "conventional_military_pressure", -2),
     ("maximum_conventional_effort", "maximum_conventional_effort")),
    # Winning: one allowed rung down.
    ((1, "maximum_conventional_effort", "return_to_start_line", 2), ("conventional_military_pressure", None)),
    # No rule holds: hold.
    ((1, "maximum_conventional_effort", "maximum_conventional_effort", 0), ("maximum_conventional_effort", None)),
    # From turn 3: one rung above the opponent, projected to the nearest legal action (ties go down).
    ((3, "maximum_conventional_effort", "maximum_conventional_effort", 0), ("maximum_conventional_effort", None)),
    ((3, "conventional_military_pressure", "return_to_start_line", 0), ("conventional_military_pressure", None)),
])
def test_doctrine_rules(rules_crisis: Crisis, args, expected) -> None:
    assert _choose(rules_crisis, "ordered", *args) == expected


def test_rung_targets_are_projected_onto_legal_actions(rules_crisis: Crisis) -> None:
    # max_step 2 from 'return to start line' cannot reach strategic war: the nearest legal action is taken.
    assert _choose(rules_crisis, "fixed", 0, "return_to_start_line", "return_to_start_line", 0)[0] == \
        "maximum_conventional_effort"
    assert _choose(rules_crisis, "fixed", 0, "limited_nuclear_use", "return_to_start_line", 0)[0] == \
        "strategic_nuclear_war"


def test_opponent_signal_is_read_and_defaults_to_the_action(rules_crisis: Crisis) -> None:
    threat = _choose(rules_crisis, "signal_reader", 0, "maximum_conventional_effort", "nuclear_posturing", 0,
                     sig="limited_nuclear_use")
    assert threat == ("maximum_conventional_effort", "maximum_conventional_effort")
    # Without a signal, opponent_signal equals the opponent's rung: the rule does not hold.
    assert _choose(rules_crisis, "signal_reader", 0, "maximum_conventional_effort", "nuclear_posturing", 0) == \
        ("return_to_start_line", None)


def test_tabulated_doctrine_equals_the_rules(rules_crisis: Crisis, default_crisis: Crisis) -> None:
    rng = np.random.default_rng(0)
    for c, actor, names in ((rules_crisis, "a", ["ordered", "fixed", "signal_reader"]),
                            (default_crisis, "russia", list(default_crisis.scenario.spec.doctrines))):
        R = c.game.num_rungs
        lo, hi = c.game.balance_range
        for name in names:
            table = c.factory.build(actor, f"doctrine:{name}")
            c.factory.tabulate = False
            rules = c.factory.build(actor, f"doctrine:{name}")
            c.factory.tabulate = True
            assert isinstance(table, DoctrineTable) and isinstance(rules, DoctrinePolicy)
            n = 5000
            own, opp = rng.integers(0, R, n), rng.integers(0, R, n)
            obs = Observations(int(rng.integers(c.game.spec.turn_limit)), own, opp, rng.integers(-1, R, n),
                               rng.integers(lo, hi + 1, n), np.maximum(np.maximum(own, opp), rng.integers(0, R, n)))
            for x, y in zip(table.choose(obs), rules.choose(obs)):
                assert np.array_equal(x, y)


def test_unknown_doctrine_and_policy(default_crisis: Crisis) -> None:
    with pytest.raises(UsageError, match="no doctrine 'nope'"):
        default_crisis.factory.build("russia", "doctrine:nope")
    with pytest.raises(UsageError, match="unknown policy 'greedy'"):
        default_crisis.factory.build("russia", "greedy")
    with pytest.raises(UsageError, match="rationality"):
        default_crisis.factory.build("russia", "logit:-1")
    with pytest.raises(UsageError, match="unknown actor 'nato'"):
        default_crisis.policies({"nato": "uniform"})


def test_logit_zero_is_uniform_over_legal_actions(rules_crisis: Crisis) -> None:
    logit = rules_crisis.factory.build("a", "logit:0")
    uniform = rules_crisis.factory.build("a", "uniform")
    obs = _obs(rules_crisis, 0, "return_to_start_line", "maximum_conventional_effort", 0)
    p, q = logit.action_probs(obs)[0], uniform.action_probs(obs)[0]
    assert np.allclose(p, q)
    legal = rules_crisis.arrays.legal[0][rules_crisis.game.index("return_to_start_line")]
    assert np.allclose(p[legal], 1 / legal.sum()) and np.all(p[~legal] == 0)


def test_high_lambda_logit_plays_a_best_reply(default_crisis: Crisis) -> None:
    eq = default_crisis.factory.equilibrium
    sharp = default_crisis.factory.build("us", "logit:1000")
    g = default_crisis.game
    o = g.observe(g.initial_state(), 1)
    obs = Observations(0, np.array([o.own]), np.array([o.opponent]), np.array([-1]), np.array([o.balance]),
                       np.array([o.peak]))
    q = eq.action_values[1].rows(0, obs.own, obs.opponent, obs.balance, obs.peak)[0]
    legal = default_crisis.arrays.legal[1][o.own]
    best = legal & (q >= np.max(np.where(legal, q, -np.inf)) - 1e-9)
    assert sharp.action_probs(obs)[0][best].sum() > 0.99


def test_stage_game_selection_rule() -> None:
    # Two pure equilibria (coordination): the one with the higher sum of payoffs is chosen.
    G0 = np.array([[[2.0, 0.0], [0.0, 3.0]]])
    s0, s1, mixed = solve_stage_games(G0, G0.copy(), np.ones((1, 2), bool), np.ones((1, 2), bool))
    assert mixed == 0 and s0[0].tolist() == [0, 1] and s1[0].tolist() == [0, 1]
    # Equal sums: the least escalatory action (lowest index) of the first actor.
    G0 = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    s0, s1, _ = solve_stage_games(G0, G0.copy(), np.ones((1, 2), bool), np.ones((1, 2), bool))
    assert s0[0].tolist() == [1, 0]
    # Matching pennies has only the mixed equilibrium (1/2, 1/2).
    G0 = np.array([[[1.0, -1.0], [-1.0, 1.0]]])
    s0, s1, mixed = solve_stage_games(G0, -G0, np.ones((1, 2), bool), np.ones((1, 2), bool))
    assert mixed == 1 and np.allclose(s0[0], 0.5) and np.allclose(s1[0], 0.5)


def test_stage_games_against_pygambit() -> None:
    """Batched pure-equilibrium detection equals enumpure_solve; every returned profile is an equilibrium."""
    import pygambit as gbt

    rng = np.random.default_rng(3)
    G0 = rng.integers(-3, 4, size=(60, 3, 4)).astype(float)
    G1 = rng.integers(-3, 4, size=(60, 3, 4)).astype(float)
    legal0, legal1 = np.ones((60, 3), bool), np.ones((60, 4), bool)
    ne = pure_equilibria(G0, G1, legal0, legal1)
    for n in range(60):
        game = gbt.Game.from_arrays(G0[n], G1[n])
        found = set()
        for eq in gbt.nash.enumpure_solve(game).equilibria:
            p0, p1 = game.players
            found.add(([float(eq[s]) for s in p0.strategies].index(1.0),
                       [float(eq[s]) for s in p1.strategies].index(1.0)))
        assert found == set(zip(*np.nonzero(ne[n])))
    s0, s1, _ = solve_stage_games(G0, G1, legal0, legal1)
    v0 = np.einsum("na,nac,nc->n", s0, G0, s1)
    v1 = np.einsum("na,nac,nc->n", s0, G1, s1)
    assert np.all(np.einsum("nac,nc->na", G0, s1).max(axis=1) <= v0 + 1e-9)
    assert np.all(np.einsum("na,nac->nc", s0, G1).max(axis=1) <= v1 + 1e-9)


def test_level_k_best_responds(default_crisis: Crisis) -> None:
    """Without fog, level 1 does at least as well against level 0 (uniform) as the other policies."""
    clear = Crisis.of(escalab.load("escalate-to-deescalate").with_params(p_misread=0))
    best = clear.exact({"russia": "level:1", "us": "uniform"}).payoffs["russia"]
    for other in ("uniform", "equilibrium", "logit:3", "doctrine:escalate-to-deescalate"):
        assert best >= clear.exact({"russia": other, "us": "uniform"}).payoffs["russia"] - 1e-9, other


def test_equilibrium_value_is_what_the_chain_pays(default_crisis: Crisis) -> None:
    """Without fog the simulated equilibrium earns exactly the values of the backward induction."""
    clear = Crisis.of(escalab.load("escalate-to-deescalate").with_params(p_misread=0))
    result = clear.exact({})
    v0, v1 = clear.factory.equilibrium.value()
    assert result.payoffs["russia"] == pytest.approx(v0) and result.payoffs["us"] == pytest.approx(v1)


def test_no_unilateral_deviation_pays_in_equilibrium() -> None:
    clear = Crisis.of(escalab.load("kahn-game").with_params(p_misread=0))
    base = clear.exact({})
    for actor in clear.game.actors:
        dev = clear.exact({actor: "uniform"})
        assert dev.payoffs[actor] <= base.payoffs[actor] + 1e-9


def test_alias_tables_reproduce_the_rows() -> None:
    rng = np.random.default_rng(1)
    P = rng.random((500, 6))
    P[:, 3] = 0
    P /= P.sum(axis=1, keepdims=True)
    keep, alias = alias_tables(P)
    implied = keep / 6
    for c in range(6):
        np.add.at(implied, (np.arange(500), alias[:, c]), (1 - keep[:, c]) / 6)
    assert np.allclose(implied, P)


def test_huge_lambda_gives_a_proper_distribution(default_crisis: Crisis) -> None:
    """Regression: lam * value overflowed to inf for a huge finite lambda and inf - inf made the whole
    table NaN; the logit response must tend to the best reply instead."""
    for lam in ("1e308", "1e300"):
        table = default_crisis.factory.build("us", f"logit:{lam}").table.data
        assert np.all(np.isfinite(table))
        assert np.allclose(table.sum(axis=-1), 1.0)
    sharp = default_crisis.factory.build("us", "logit:1e308")
    g = default_crisis.game
    o = g.observe(g.initial_state(), 1)
    obs = Observations(0, np.array([o.own]), np.array([o.opponent]), np.array([-1]), np.array([o.balance]),
                       np.array([o.peak]))
    q = default_crisis.factory.equilibrium.action_values[1].rows(0, obs.own, obs.opponent, obs.balance, obs.peak)[0]
    legal = default_crisis.arrays.legal[1][o.own]
    best = legal & (q >= np.max(np.where(legal, q, -np.inf)))
    assert sharp.action_probs(obs)[0][best].sum() == pytest.approx(1.0)


def test_level_k_depth_is_bounded(default_crisis: Crisis) -> None:
    """Regression: level:100000 recursed once per level and died with a RecursionError (exit 1)."""
    from escalab.simulate.policies import MAX_LEVEL

    with pytest.raises(UsageError, match=f"between 0 and {MAX_LEVEL}"):
        default_crisis.policies({"us": f"level:{MAX_LEVEL + 1}"})
    with pytest.raises(UsageError, match="between 0 and"):
        default_crisis.policies({"us": "level:100000"})
