"""The brinkmanship scenario's summary makes claims; the solver must bear every one out."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import escalab
from escalab.solve.assessments import pure_sequential_equilibria
from escalab.solve.backward import subgame_perfect


def test_the_summary_states_the_claims_tested_here():
    summary = " ".join(escalab.load("brinkmanship").spec.summary.split())
    assert "it stands firm iff (1 - r) * v_C > r * D" in summary
    assert "The Defender's stake v_D never matters" in summary
    assert "more resolve) prevails" not in summary          # the old, untrue claim


def test_the_challenger_prevails_iff_its_last_step_pays_whatever_the_defenders_stake():
    base = escalab.load("brinkmanship")
    for r, D, v_C, v_D in product(("0.05", "0.1", "0.3"), (10, 100), (5, 12, 20, 60), (1, 5, 20, 200)):
        s = base.with_params(r=float(r), D=D, v_C=v_C, v_D=v_D)
        eq = subgame_perfect(s.compile("sequential", exact=True)).equilibrium
        rr = Fraction(r)
        if (1 - rr) * v_C > rr * D:
            assert eq.choice("challenger_1") == "stand_firm" and eq.choice("defender_1") == "quit"
            assert eq.outcomes == {"stand_firm/slip": rr, "stand_firm/hold/quit": 1 - rr}
        elif (1 - rr) * v_C < rr * D:
            assert eq.outcomes == {"quit": 1}, (r, D, v_C, v_D)
        assert eq.choice("defender_2") == "quit"


def test_more_resolve_for_the_defender_does_not_help_it():
    """The issue's example: v_C = 12, v_D = 20 (the Defender values the stake more) and still the
    Challenger prevails, in the only sequential equilibrium."""
    game = escalab.load("brinkmanship").with_params(v_C=12, v_D=20).compile("sequential", exact=True)
    (eq,) = pure_sequential_equilibria(game)
    assert eq.label.endswith("defender_quits")
