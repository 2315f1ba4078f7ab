"""Threats, their credibility, and the parameter regions where they become credible."""

from __future__ import annotations

from fractions import Fraction

import pytest

import escalab
from escalab.errors import UsageError
from escalab.solve.credibility import credibility, decision_regions, threat_regions


def test_m1_the_threat_to_resist_is_empty(exact_game):
    report = credibility(exact_game("deterrence-game", v=1, c_C=2, c_D=3))
    assert report.sequential.label == "defender_concedes"
    resist = [t for t in report.threats if t.action == "resist"]
    assert len(resist) == 1
    t = resist[0]
    assert t.actor == "defender" and t.infoset == "defender_decides"
    assert t.credible is False
    assert t.gap == pytest.approx(-2.0)  # -c_D - (-v)
    assert t.best == ("concede",)
    assert any("status_quo" in e for e in t.equilibria)


def test_m1_resist_credible_iff_c_d_below_v():
    s = escalab.load("deterrence-game").with_params(v=1, c_C=2, c_D=3)
    report = credibility(s.compile("sequential"))
    regions = threat_regions(s, report, "c_D")
    assert len(regions) == 1
    r = regions[0]
    b = r.regions.boundaries[0]
    assert b.exact and b.value == Fraction(1) and b.method == "linear"
    assert r.statement() == "defender credibly plays resist at defender_decides iff c_D < 1"
    assert [(float(s.lo), float(s.hi)) for s in r.credible_on] == [(0.0, 1.0)]


def test_default_russia_uses_limited_weapons_iff_p_below_three_quarters(default_scenario):
    stake_r, c1, cx = 10, 2, 4
    u_stopped, u_answered, L = stake_r - c1, -stake_r - c1 - cx, -stake_r
    p_star = Fraction(u_stopped - L, u_stopped - u_answered)
    assert p_star == Fraction(3, 4)
    regions = {r.infoset: r for r in decision_regions(default_scenario, "p_resolute")}
    root = regions["russia_decides"]
    assert len(root.boundaries) == 1
    b = root.boundaries[0]
    assert b.value == p_star and b.exact and (b.before, b.after) == ("limited_use", "accept")
    assert root.statement("limited_use") == "russia plays limited_use at russia_decides iff p_resolute < 3/4 (= 0.75)"


def test_default_answer_in_kind_thresholds_in_c_limited(default_scenario):
    regions = {r.infoset: r for r in decision_regions(default_scenario, "c_limited", 0, 20)}
    resolute = regions["us_decides|resolute"]
    # stake_us - c_limited > -stake_us  <=>  c_limited < 10
    assert [(b.value, b.method) for b in resolute.boundaries] == [(Fraction(10), "linear")]
    irresolute = regions["us_decides|irresolute"]
    # stake_us - 3 c_limited > -stake_us  <=>  c_limited < 10/3
    assert [b.value for b in irresolute.boundaries] == [Fraction(10, 3)]
    # Russia's choice switches at the same point, because the irresolute type's does
    root = regions["russia_decides"]
    assert [b.value for b in root.boundaries] == [Fraction(10, 3)]
    assert root.boundaries[0].method == "follows a switch below"


def test_nonlinear_parameter_falls_back_to_bisection():
    text = """
escalab: 1
id: curved
title: curved
parameters: {x: {default: 1, range: [0, 4]}}
actors: {p: {name: P}}
sequential:
  root: n
  nodes:
    n: {actor: p, moves: {safe: {outcome: a}, risky: {outcome: b}}}
  outcomes:
    a: {payoffs: {p: 2}}
    b: {payoffs: {p: x * x}}
"""
    s = escalab.loads(text)
    r = decision_regions(s, "x")[0]
    b = r.boundaries[0]
    assert b.method == "bisection" and not b.exact
    assert float(b.value) == pytest.approx(2 ** 0.5, abs=1e-9)


def test_thresholds_reject_unknown_parameters(default_scenario):
    with pytest.raises(UsageError, match="no parameter 'p_reslute'"):
        decision_regions(default_scenario, "p_reslute")


@pytest.mark.parametrize("points", [2, 10**11])
def test_thresholds_reject_scans_too_small_or_too_large(default_scenario, points):
    # regression: --points 99999999999 went to np.linspace and died with a MemoryError (exit 1)
    with pytest.raises(UsageError, match="a threshold scan needs between 3 and"):
        decision_regions(default_scenario, "p_resolute", points=points)


def test_m6_deterrence_threshold_is_exact(exact_game):
    s = escalab.load("perfect-deterrence")
    a = {r.infoset: r for r in decision_regions(s, "p_hard")}["a_decides"]
    expected = Fraction(5 - 0, 5 - (-5))
    assert [b.value for b in a.boundaries] == [expected]
    assert a.holds("no_challenge")[0].lo == expected


def test_m5_brinkmanship_stand_firm_threshold_is_exact():
    # at the last challenger move: standing firm gives (1 - r) v_C - r D (the defender then quits),
    # quitting gives 0, so the challenger stands firm iff r < v_C / (v_C + D)
    s = escalab.load("brinkmanship")
    v_C, D = s.values["v_C"], s.values["D"]
    regions = {r.infoset: r for r in decision_regions(s, "r")}
    last = regions["challenger_2"]
    assert [b.value for b in last.boundaries] == [Fraction(v_C, v_C + D)]
    assert last.boundaries[0].method == "linear"
    assert last.holds("stand_firm")[0].hi == Fraction(v_C, v_C + D)
    assert regions["defender_2"].current == "quit"



OFF_PATH_BELIEF = """
escalab: 1
id: off-path-belief
title: a threat held up by an off-path belief
parameters: {mu: {default: 0.3, range: [0, 1]}}
actors: {a: {name: A}, b: {name: B}}
sequential:
  root: nature
  nodes:
    nature: {chance: {tough: {prob: mu, next: a_tough}, weak: {prob: 1 - mu, next: a_weak}}}
    a_tough: {actor: a, infoset: a_tough, moves: {quiet: {outcome: quiet}, provoke: {next: b_tough}}}
    a_weak: {actor: a, infoset: a_weak, moves: {quiet: {outcome: quiet}, provoke: {next: b_weak}}}
    b_tough: {actor: b, infoset: b, moves: {fight: {outcome: fight_tough}, yield: {outcome: yielded}}}
    b_weak: {actor: b, infoset: b, moves: {fight: {outcome: fight_weak}, yield: {outcome: yielded}}}
  outcomes:
    quiet: {payoffs: {a: 1, b: 0}}
    yielded: {payoffs: {a: 2, b: 0}}
    fight_tough: {payoffs: {a: -1, b: -2}}
    fight_weak: {payoffs: {a: -1, b: 1}}
"""


def test_off_path_threat_is_judged_with_every_consistent_belief():
    """B's information set spans A's two types. By hand, with b = P(tough) at B's set, fighting
    is worth -2 b + (1 - b) = 1 - 3 b to B and yielding 0. At mu = 3/10 both types stay quiet
    (fighting costs A 1 + 1 = 2 against quiet), so B's set is off the path; each type reaches it
    by its own deviation (A's types are different information sets), so consistency leaves b
    free: fighting is a best reply iff b <= 1/3, and the threat is credible. The gap is measured
    at the uniform-tremble belief (the prior): 1/10. At mu = 2/5 B yields on the path and both
    types provoke; the Nash equilibrium in which both stay quiet because B would fight is still
    sequential -- on the off-path belief b <= 1/3, as in Cho and Kreps's Beer-Quiche -- so the
    threat is credible there too, although at the prior it would cost B 1/5."""
    s = escalab.loads(OFF_PATH_BELIEF)
    report = credibility(s.compile("sequential", exact=True))
    assert report.sequential.label == "quiet"
    assert report.sequential.beliefs["b"] is None
    (rng,) = [r for r in report.sequential.belief_ranges if r.infoset == "b"]
    assert rng.interval == (0, Fraction(1, 3)) and rng.group == ("tough/provoke",)
    assert rng.texts == ("belief tough|b <= 1/3",)
    fight = [t for t in report.threats if t.infoset == "b" and t.action == "fight"]
    assert len(fight) == 1 and fight[0].credible and fight[0].best == ("fight",)
    assert fight[0].gap == pytest.approx(1 / 10)
    assert not [t for t in report.threats if t.action == "yield"]     # no equilibrium rests on yielding
    other = credibility(s.with_params(mu=0.4).compile("sequential", exact=True))
    assert other.sequential.choice("b") == "yield" and other.sequential.path == "provoke > yield"
    held = [t for t in other.threats if t.infoset == "b"]
    assert [(t.action, t.credible) for t in held] == [("fight", True)]
    assert held[0].gap == pytest.approx(-1 / 5) and held[0].equilibria == ("nash:enumpure: quiet",)
    # the threshold mu* = 1/3 where 1 - 3 mu = 0, exact
    r = {x.infoset: x for x in decision_regions(s, "mu")}["b"]
    assert [b.value for b in r.boundaries] == [Fraction(1, 3)]


def test_a_concession_is_no_threat():
    """In the default scenario every US reply to Russian limited use other than stopping leaves Russia
    worse off than stopping (8 to Russia) - continuing (Russia then expands: -10), answering in kind
    (-16), escalating (-100) - so those are the threats that can hold Russia back; 'stop the war' is
    the most Russia-friendly reply, a concession, and is listed for neither type. Russia's threats
    after a US reply are its expansions (the US gets -15 or worse against +5 if Russia stops)."""
    report = credibility(escalab.load("escalate-to-deescalate").compile(exact=True))
    listed = {(t.infoset, t.action) for t in report.threats}
    assert not {a for i, a in listed if i.startswith("us_decides") and a == "stop"}
    assert {("us_decides|resolute", "answer_in_kind"), ("us_decides|resolute", "continue"),
            ("us_decides|irresolute", "escalate")} <= listed
    assert {a for i, a in listed if i.startswith("russia_after")} == {"escalate"}
