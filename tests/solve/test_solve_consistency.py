"""Kreps-Wilson consistency across information sets: trembles eps^k(a) w(a) shared by every set.

Each game here is built so that every information set, taken alone, can be given beliefs that
support the profile's choice -- the check escalab used to make, set by set -- while consistency
(the same orders k and weights w at every set) rules some profiles out. The answers are derived by
hand in each test's docstring; where a profile is accepted, the orders and weights that support it
are replayed through pygambit (beliefs and action values of the completely mixed profile at a
small eps, in exact rationals), so a witness is checked by code that is not ours.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import escalab
from escalab.solve import consistency
from escalab.solve.assessments import check, label_refinements, pure_sequential_equilibria
from escalab.solve.gambit_bridge import nash, to_gambit

EPS = Fraction(1, 10**6)

# P1 stays out or deviates (a: chance then P3 at I or J; b: P2, whose own deviation c leads to I).
TIED = """\
escalab: 1
id: tied-beliefs
title: beliefs tied across two information sets
actors: {p1: {name: P1}, p2: {name: P2}, p3: {name: P3}}
sequential:
  root: n1
  nodes:
    n1: {actor: p1, moves: {out: {outcome: o_out}, a: {next: ca}, b: {next: n2}}}
    ca: {chance: {h: {prob: '1/2', next: xa}, t: {prob: '1/2', next: ya}}}
    n2: {actor: p2, moves: {c: {next: xbc}, d: {next: yb}}}
    xa: {actor: p3, infoset: I, moves: {L: {outcome: o_xa_L}, R: {outcome: o_xa_R}}}
    xbc: {actor: p3, infoset: I, moves: {L: {outcome: o_xbc_L}, R: {outcome: o_xbc_R}}}
    ya: {actor: p3, infoset: J, moves: {l: {outcome: o_ya_l}, r: {outcome: o_ya_r}}}
    yb: {actor: p3, infoset: J, moves: {l: {outcome: o_yb_l}, r: {outcome: o_yb_r}}}
  outcomes:
    o_out: {payoffs: {p1: 2, p2: 0, p3: 0}}
    o_xa_L: {payoffs: {p1: 0, p2: 0, p3: 1}}
    o_xa_R: {payoffs: {p1: 0, p2: 0, p3: 0}}
    o_xbc_L: {payoffs: {p1: 0, p2: 0, p3: 0}}
    o_xbc_R: {payoffs: {p1: 0, p2: 0, p3: 1}}
    o_ya_l: {payoffs: {p1: 0, p2: 0, p3: 0}}
    o_ya_r: {payoffs: {p1: 0, p2: 0, p3: 1}}
    o_yb_l: {payoffs: {p1: 0, p2: 1, p3: 1}}
    o_yb_r: {payoffs: {p1: 0, p2: 1, p3: 0}}
"""


def cycle(theta: int) -> str:
    """P1's deviations a, b, c each lead (by a fair coin) to two of P2's sets I {a, b}, J {b, c},
    L {a, c}. X at I needs w_a/w_b >= 2, X at J needs w_b/w_c >= 2, X at L needs w_a/w_c <= theta."""
    return f"""\
escalab: 1
id: tremble-cycle
title: three sets tied by a cycle of trembles
actors: {{p1: {{name: P1}}, p2: {{name: P2}}}}
parameters: {{theta: {{default: {theta}}}}}
sequential:
  root: n1
  nodes:
    n1: {{actor: p1, moves: {{out: {{outcome: o_out}}, a: {{next: ca}}, b: {{next: cb}}, c: {{next: cc}}}}}}
    ca: {{chance: {{i: {{prob: '1/2', next: ia}}, l: {{prob: '1/2', next: la}}}}}}
    cb: {{chance: {{i: {{prob: '1/2', next: ib}}, j: {{prob: '1/2', next: jb}}}}}}
    cc: {{chance: {{j: {{prob: '1/2', next: jc}}, l: {{prob: '1/2', next: lc}}}}}}
    ia: {{actor: p2, infoset: I, moves: {{X: {{outcome: ia_X}}, Y: {{outcome: zero}}}}}}
    ib: {{actor: p2, infoset: I, moves: {{X: {{outcome: ib_X}}, Y: {{outcome: zero}}}}}}
    jb: {{actor: p2, infoset: J, moves: {{X: {{outcome: jb_X}}, Y: {{outcome: zero}}}}}}
    jc: {{actor: p2, infoset: J, moves: {{X: {{outcome: jc_X}}, Y: {{outcome: zero}}}}}}
    la: {{actor: p2, infoset: L, moves: {{X: {{outcome: la_X}}, Y: {{outcome: zero}}}}}}
    lc: {{actor: p2, infoset: L, moves: {{X: {{outcome: lc_X}}, Y: {{outcome: zero}}}}}}
  outcomes:
    o_out: {{payoffs: {{p1: 1, p2: 0}}}}
    zero: {{payoffs: {{p1: 0, p2: 0}}}}
    ia_X: {{payoffs: {{p1: 0, p2: 1}}}}
    ib_X: {{payoffs: {{p1: 0, p2: -2}}}}
    jb_X: {{payoffs: {{p1: 0, p2: 1}}}}
    jc_X: {{payoffs: {{p1: 0, p2: -2}}}}
    la_X: {{payoffs: {{p1: 0, p2: -1}}}}
    lc_X: {{payoffs: {{p1: 0, p2: theta}}}}
"""


# P1's deviations a and b lead (by a fair coin) to P2's sets I and J; c leads to I alone.
THREE = """\
escalab: 1
id: three-keys
title: a three-node set tied to a two-node set
actors: {p1: {name: P1}, p2: {name: P2}}
sequential:
  root: n1
  nodes:
    n1: {actor: p1, moves: {out: {outcome: o_out}, a: {next: ca}, b: {next: cb}, c: {next: xc}}}
    ca: {chance: {i: {prob: '1/2', next: xa}, j: {prob: '1/2', next: ya}}}
    cb: {chance: {i: {prob: '1/2', next: xb}, j: {prob: '1/2', next: yb}}}
    xa: {actor: p2, infoset: I, moves: {X: {outcome: zero}, Y: {outcome: m1}, Z: {outcome: p1}}}
    xb: {actor: p2, infoset: I, moves: {X: {outcome: zero}, Y: {outcome: p1}, Z: {outcome: zero}}}
    xc: {actor: p2, infoset: I, moves: {X: {outcome: zero}, Y: {outcome: p1}, Z: {outcome: m3}}}
    ya: {actor: p2, infoset: J, moves: {X: {outcome: zero}, Y: {outcome: p1}, Z: {outcome: m1}}}
    yb: {actor: p2, infoset: J, moves: {X: {outcome: zero}, Y: {outcome: m4}, Z: {outcome: p2}}}
  outcomes:
    o_out: {payoffs: {p1: 1, p2: 0}}
    zero: {payoffs: {p1: 0, p2: 0}}
    m1: {payoffs: {p1: 0, p2: -1}}
    m3: {payoffs: {p1: 0, p2: -3}}
    m4: {payoffs: {p1: 0, p2: -4}}
    p1: {payoffs: {p1: 0, p2: 1}}
    p2: {payoffs: {p1: 0, p2: 2}}
"""


def _game(text: str):
    return escalab.loads(text).compile("sequential", exact=True)


def _sigma(game, choices: dict[str, str]):
    return {i.index: tuple(Fraction(1 if a == choices[i.label] else 0) for a in i.actions) for i in game.infosets}


def _pure(eqs) -> set[tuple[tuple[str, str | None], ...]]:
    return {tuple(sorted((k, e.choice(k)) for k in e.behaviour)) for e in eqs}


def _replay(game, choices: dict[str, str], orders: dict[str, int], weights: dict[str, Fraction]) -> None:
    """Play ``choices`` with every other action trembling eps^k w ("set:action" keys, default 1) in
    pygambit, and assert every player's choice is a best reply to pygambit's beliefs there."""
    gg = to_gambit(game)
    prof = gg.game.mixed_behavior_profile(rational=True)
    for info in game.infosets:
        played = choices[info.label]
        trembles = {a: Fraction(weights.get(f"{info.label}:{a}", 1)) * EPS ** orders.get(f"{info.label}:{a}", 1)
                    for a in info.actions if a != played}
        for act in gg.infosets[info.index].actions:
            prof[act] = trembles[act.label] if act.label != played else 1 - sum(trembles.values())
    for info in game.infosets:
        values = {a.label: Fraction(str(prof.action_value(a))) for a in gg.infosets[info.index].actions}
        best = max(values.values())
        assert values[choices[info.label]] == best, (info.label, values)


# ----------------------------------------------------------------------------- tied sets
def test_tied_sets_reject_a_profile_every_set_alone_accepts():
    """By hand. P1's out pays 2 against 0 elsewhere and P2's d pays 1 against 0, so on the path P1
    plays out and P2 (off the path) d; P3's sets are off the path. With trembles eps^k w:
    J = {ya (weight w_a/2, order k_a), yb (w_b, k_b)}; I = {xa (w_a/2, k_a), xbc (w_b w_c, k_b + k_c)}.
    P3 plays R at I iff belief(xbc) >= 1/2, and r at J iff belief(ya) >= 1/2.

    (R, r): r needs ya in J's support, k_a <= k_b; R needs xbc in I's support, k_b + k_c <= k_a,
    so k_b < k_a. Contradiction: not consistent, for any weights. Yet each set alone has
    beliefs making its choice a best reply (I on xbc, J on ya) -- the set-by-set check accepted it.
    (L, l): all orders 1, w = 1: I on xa, J's belief(ya) = 1/3. (L, r): all orders 1, w_a = 4:
    belief(ya) = 2/3. (R, l): k_a = 3, k_b = k_c = 1: I on xbc, J on yb. So three pure
    sequential equilibria, all with out and d; all four are Nash equilibria (P3 never moves)."""
    game = _game(TIED)
    found = _pure(pure_sequential_equilibria(game))
    base = (("n1", "out"), ("n2", "d"))
    expected = {tuple(sorted(base + (("I", i), ("J", j)))) for i, j in (("L", "l"), ("L", "r"), ("R", "l"))}
    assert found == expected
    v = check(game, _sigma(game, {"n1": "out", "n2": "d", "I": "R", "J": "r"}), stop_early=False)
    assert v.sequential is False and "best replies" in v.reason
    assert v.local == {"I": True, "J": True, "n2": True}        # each set alone: supported
    theirs = nash(game, "enumpure").equilibria
    assert any(e.choice("I") == "R" and e.choice("J") == "r" for e in theirs)   # Nash, not sequential
    base_choice = {"n1": "out", "n2": "d"}
    _replay(game, {**base_choice, "I": "L", "J": "l"}, {}, {})
    _replay(game, {**base_choice, "I": "L", "J": "r"}, {}, {"n1:a": 4})
    _replay(game, {**base_choice, "I": "R", "J": "l"}, {"n1:a": 3}, {})


def test_tied_sets_ranges_are_exact_or_labelled_outer_bounds(invoke, tmp_path):
    """By hand (orders k, weights w as in the test above; L needs belief(xa|I) >= 1/2, R the
    reverse; r needs belief(ya|J) >= 1/2, l the reverse). I mixes iff k_a = k_b + k_c, J mixes iff
    k_a = k_b; both cannot hold (k_c >= 1).

    (L, l): I on xa with J mixed at any ratio (k_a = k_b), or I mixed at any ratio with J on yb
    (k_a = k_b + k_c): every belief in both linear ranges occurs -- exact, set by set, though I and
    J never mix together (the text says the sets are tied).
    (L, r): r needs ya in J's support, k_a <= k_b < k_b + k_c, so I sits on xa: the only consistent
    belief at I is 1, and I's linear range [1/2, 1] is an outer bound; J's [1/2, 1] is exact.
    (R, l): R needs xbc in I's support, k_b < k_a, so J sits on yb: J's range is an outer bound
    (only belief(ya) = 0), I's exact."""
    eqs, r = _solved(invoke, tmp_path, TIED)
    assert len(eqs) == 3 and all(e["refinements"]["sequential"] is True for e in eqs)
    got = {}
    for e in eqs:
        name = ("L" if e["behaviour"]["I"]["L"] == 1 else "R") + ("l" if e["behaviour"]["J"]["l"] == 1 else "r")
        got[name] = {s: (e["belief_ranges"][s]["interval"]["lo"], e["belief_ranges"][s]["interval"]["hi"],
                         e["belief_ranges"][s]["basis"]) for s in "IJ"}   # belief(xa|I), belief(ya|J)
        assert e["belief_ranges"]["I"]["coupled_with"] == ["J"]
    assert got == {"Ll": {"I": ("1/2", "1", "exact"), "J": ("0", "1/2", "exact")},
                   "Lr": {"I": ("1/2", "1", "outer bound"), "J": ("1/2", "1", "exact")},
                   "Rl": {"I": ("0", "1/2", "exact"), "J": ("0", "1/2", "outer bound")}}
    text = " ".join(r.stdout.split())
    assert "consistent with some beliefs at 'J'" in text and "outer bound: the same trembles tie" in text


# ----------------------------------------------------------------------------- a cycle of trembles
@pytest.mark.parametrize("theta, xxx, yyy", [(3, False, True), (4, True, True), (5, True, False)])
def test_a_cycle_of_trembles_multiplies_the_ratios(theta, xxx, yyy):
    """By hand. X at I needs a in I's support (k_a <= k_b) and w_a/w_b >= 2 if b is too; X at J
    needs k_b <= k_c; X at L needs c in L's support (k_c <= k_a). So (X, X, X) forces
    k_a = k_b = k_c: every set mixes, and the ratios multiply, w_a/w_c = (w_a/w_b)(w_b/w_c) >= 4,
    while L needs <= theta: sequential iff theta >= 4 (at 4 exactly, w = (4, 2, 1)). Symmetrically
    (Y, Y, Y) forces equal orders and needs w_a/w_c <= 4 and >= theta: sequential iff theta <= 4.
    Each set alone supports X and Y for every theta > 0, so the set-by-set check accepted both always."""
    game = _game(cycle(theta))
    found = {"".join(e.choice(k) for k in ("I", "J", "L")) for e in pure_sequential_equilibria(game)}
    assert ("XXX" in found) is xxx and ("YYY" in found) is yyy
    assert found >= {"XXY", "XYX", "XYY", "YXX", "YXY", "YYX"}
    for prof in ("XXX", "YYY"):
        v = check(game, _sigma(game, {"n1": "out", **dict(zip("IJL", prof))}), stop_early=False)
        assert v.local == {"I": True, "J": True, "L": True}
        assert v.sequential is (xxx if prof == "XXX" else yyy)
    if xxx:              # equal orders are forced, so belief(a|I) = 1, inside I's linear range, is not consistent
        v = check(game, _sigma(game, {"n1": "out", "I": "X", "J": "X", "L": "X"}))
        assert v.ranges["I"].interval == (Fraction(2, 3), 1) and v.ranges["I"].basis == "outer bound"
        assert any(t.startswith("outer bound") for t in v.ranges["I"].texts)
    if theta == 4:       # the tie is exact: beliefs 2/3, 2/3, 4/5 and X indifferent at I, J and L
        _replay(game, {"n1": "out", "I": "X", "J": "X", "L": "X"}, {}, {"n1:a": 4, "n1:b": 2})
        _replay(game, {"n1": "out", "I": "Y", "J": "Y", "L": "Y"}, {}, {"n1:a": 4, "n1:b": 2})


# ----------------------------------------------------------------------------- certificates
THREE_CHOICES = {"n1": "out", "I": "X", "J": "X"}


def test_a_three_node_set_tied_to_another_is_proven_by_a_verified_certificate():
    """By hand. J = {ya, yb} with weights w_a/2, w_b/2: X beats Y iff r = w_a/w_b <= 4 and beats Z
    iff r >= 2, so both nodes are in J's support: k_a = k_b. I = {xa, xb, xc} with weights
    (w_a/2, w_b/2, w_c): X beats Y iff t_a >= t_b + t_c and beats Z iff t_a <= 3 t_c, so xa and xc
    are in I's support: all orders equal, and the three weights tie the two sets. Feasible, e.g.
    w = (3, 1, 3/2): r = 3, t = (3/2, 1/2, 3/2). The three-key support with a relation is decided
    by a certificate: orders and weights found numerically and verified in exact rationals."""
    game = _game(THREE)
    v = check(game, _sigma(game, THREE_CHOICES))
    assert v.sequential is True and v.certificate is not None
    w = v.certificate["weights"]
    assert set(v.certificate["orders"].values()) == {1}
    ta, tb, tc = w["n1:a"] / 2, w["n1:b"] / 2, w["n1:c"]
    assert 2 <= w["n1:a"] / w["n1:b"] <= 4 and ta >= tb + tc and ta <= 3 * tc
    _replay(game, THREE_CHOICES, v.certificate["orders"], w)
    assert {r.infoset: r.basis for r in v.ranges.values() if len(r.nodes) > 1} == {"I": "outer bound",
                                                                                  "J": "outer bound"}


def test_without_a_certificate_the_profile_is_labelled_undecided_never_claimed(monkeypatch, invoke, tmp_path):
    """With the certificate search switched off, nothing proves or refutes (X, X): it is listed
    with "sequential": null and the reason, and the terminal says it is not claimed."""
    monkeypatch.setattr(consistency, "CERTIFICATE_STARTS", 0)
    game = _game(THREE)
    v = check(game, _sigma(game, THREE_CHOICES))
    assert v.sequential is None and "multiplicatively" in v.reason
    assert {r.infoset: r.basis for r in v.ranges.values() if len(r.nodes) > 1} == {"I": "outer bound",
                                                                                  "J": "outer bound"}
    eqs, r = _solved(invoke, tmp_path, THREE)
    (open_,) = [e for e in eqs if e["behaviour"]["I"]["X"] == 1 and e["behaviour"]["J"]["X"] == 1]
    assert open_["refinements"]["sequential"] is None
    assert open_["refinements"]["sequential_basis"].startswith("undecided: consistency ties")
    text = " ".join(r.stdout.split())
    assert "sequential: not decided" in text and "not claimed" in text
    labelled = label_refinements(game, next(e for e in pure_sequential_equilibria(game)
                                            if e.choice("I") == "X" and e.choice("J") == "X"))
    assert labelled.refinements["sequential"] is None


def test_over_the_pattern_budget_the_verdict_is_undecided_and_says_why(monkeypatch):
    """The patterns of a tied component are counted before any is tried: I, J and L of the cycle
    allow 2 supports each locally for (X, X, X) (X alone on a, or both), so 8 patterns; with a
    budget of 4 nothing is claimed either way."""
    monkeypatch.setattr(consistency, "MAX_PATTERNS", 4)
    game = _game(cycle(4))
    v = check(game, _sigma(game, {"n1": "out", "I": "X", "J": "X", "L": "X"}))
    assert v.sequential is None and "8 order patterns exceed the budget of 4" in v.reason
    eq = next(e for e in pure_sequential_equilibria(game) if all(e.choice(s) == "X" for s in "IJL"))
    assert label_refinements(game, eq).refinements["sequential"] is None


def test_an_undecided_local_check_is_neither_credible_nor_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """A threat whose support by a consistent belief is not decided within the solver's budget is
    reported as not decided -- in the table of `escalab solve`, its sentence and the HTML report's
    words -- never as "not credible": an undecided check is not a refutation."""
    from rich.console import Console

    from escalab.report.explain import explain_threat
    from escalab.report.html_report import threats_html
    from escalab.report.solve_tables import credibility_table
    from escalab.solve import assessments
    from escalab.solve.credibility import credibility

    # P1 gets 1 after P2's d and 0 after its c, and 1 after P3's R at xa and 0 after its L, so c and L
    # are threats against P1's deviations (in TIED itself P1 is indifferent everywhere off 'out', so
    # nothing there deters anybody and no threat is listed); P1 still takes 'out' (2)
    tied = TIED.replace("o_yb_l: {payoffs: {p1: 0,", "o_yb_l: {payoffs: {p1: 1,").replace(
        "o_yb_r: {payoffs: {p1: 0,", "o_yb_r: {payoffs: {p1: 1,").replace(
        "o_xa_R: {payoffs: {p1: 0,", "o_xa_R: {payoffs: {p1: 1,")
    decided = {(t.infoset, t.action): t.credible for t in credibility(_game(tied)).threats}
    assert decided[("n2", "c")] is False and decided[("I", "L")] is True

    monkeypatch.setattr(assessments, "_locally_consistent", lambda keys, rows, t: None)
    threats = {(t.infoset, t.action): t for t in credibility(_game(tied)).threats}
    assert set(threats) == set(decided)
    assert {k: t.credible for k, t in threats.items()} == dict.fromkeys(decided)     # every one undecided
    assert threats[("n2", "c")].to_dict()["credible"] is None

    console = Console(width=200, record=True)
    console.print(credibility_table(credibility(_game(tied))))
    shown = console.export_text()
    assert "not decided" in shown and " no " not in shown

    threat = threats[("n2", "c")].to_dict()
    choices = [{"infoset": "n2", "actor_name": "P2", "options": [
        {"action": "c", "value": 0.0, "arithmetic": "0"}, {"action": "d", "value": 1.0, "arithmetic": "1"}]}]
    sentence = explain_threat(threat, choices)
    assert "not decided" in sentence and "not credible" not in sentence and "so it is credible" not in sentence
    html = threats_html({"solve": {"threats": [{**threat, "explanation": sentence}], "explanations": []}})
    assert '<span class="undecided">not decided</span>' in html and "not credible" not in html


def _solved(invoke, tmp_path, text: str):  # noqa: ANN001, ANN202
    """``escalab solve FILE --method sequential --json``: the equilibria written, and the command's result."""
    src, out = tmp_path / "game.yaml", tmp_path / "game.json"
    src.write_text(text)
    r = invoke("solve", str(src), "--method", "sequential", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    return json.loads(out.read_text())["equilibria"], r
