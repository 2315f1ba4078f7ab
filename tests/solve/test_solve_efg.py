"""Gambit .efg export and import: the round trip keeps the game and its equilibria."""

from __future__ import annotations

from fractions import Fraction

import pytest

import escalab
from escalab.errors import UsageError
from escalab.solve.efg import efg_to_yaml, export_efg, import_efg
from escalab.solve.gambit_bridge import nash
from escalab.solve.sequential import sequential_equilibrium


@pytest.mark.parametrize("name", ["escalate-to-deescalate", "costly-signalling", "chain-store", "brinkmanship"])
def test_round_trip_keeps_structure_and_equilibrium(exact_game, tmp_path, name):
    game = exact_game(name)
    path = tmp_path / f"{name}.efg"
    text = export_efg(game, path)
    assert path.read_text() == text and text.startswith("EFG 2 R")
    scenario = import_efg(path, tmp_path / f"{name}.yaml")
    assert escalab.load(tmp_path / f"{name}.yaml").id == scenario.id == name
    back = scenario.compile("sequential", exact=True)
    assert back.players == game.players
    assert back.info.num_nodes == game.info.num_nodes
    assert sorted(len(i.nodes) for i in back.infosets) == sorted(len(i.nodes) for i in game.infosets)
    a, b = sequential_equilibrium(game), sequential_equilibrium(back)
    assert a.payoffs == b.payoffs
    assert sorted(a.outcomes.values()) == sorted(b.outcomes.values())
    assert all(isinstance(v, Fraction) for v in b.payoffs.values())


def test_round_trip_keeps_nash_equilibria(exact_game, tmp_path):
    game = exact_game("chicken")
    export_efg(game, tmp_path / "c.efg")
    back = import_efg(tmp_path / "c.efg").compile("sequential", exact=True)
    before = sorted(tuple(sorted(e.payoffs.items())) for e in nash(game, "enummixed").equilibria)
    after = sorted(tuple(sorted(e.payoffs.items())) for e in nash(back, "enummixed").equilibria)
    assert before == after


def test_import_handwritten_efg(tmp_path):
    path = tmp_path / "entry game.efg"
    path.write_text('''EFG 2 R "Entry" { "Entrant" "Incumbent" }
""

p "" 1 1 "enter?" { "Out" "In" } 0
t "" 1 "stay out" { 0, 2 }
p "" 2 1 "respond" { "Fight" "Accommodate" } 0
t "" 2 "war" { -1, -1 }
t "" 3 "share" { 1, 1/2 }
''')
    text = efg_to_yaml(path)
    assert "id: entry_game" in text
    scenario = escalab.loads(text)
    assert scenario.actors == ("Entrant", "Incumbent")
    eq = sequential_equilibrium(scenario.compile("sequential", exact=True))
    assert eq.path == "In > Accommodate"
    assert eq.payoffs == {"Entrant": 1, "Incumbent": Fraction(1, 2)}


def test_import_errors_name_the_file(tmp_path):
    with pytest.raises(UsageError, match="file not found"):
        import_efg(tmp_path / "missing.efg")
    bad = tmp_path / "bad.efg"
    bad.write_text("this is not a game")
    with pytest.raises(UsageError, match="bad.efg: not a readable Gambit .efg file"):
        import_efg(bad)


FEE_EFG = '''EFG 2 R "outcome at an inner node" { "P1" "P2" }
""

p "" 1 1 "" { "L" "R" } 1 "fee" { 10, 0 }
t "" 2 "a" { 1, 1 }
p "" 2 1 "" { "l" "r" } 0
t "" 3 "b" { 2, 0 }
t "" 0
'''


def test_outcomes_on_inner_nodes_are_added_along_the_path(tmp_path):
    """Gambit pays the sum of the outcomes on the path; the 'fee' at the root goes to every play.
    (Regression: the importer used to drop it, and crashed on a terminal node without an outcome.)"""
    path = tmp_path / "fee.efg"
    path.write_text(FEE_EFG)
    scenario = import_efg(path)
    game = scenario.compile("sequential", exact=True)
    pays = {n.id: tuple(n.payoffs) for n in game.nodes if n.kind == "terminal"}
    # by hand: L -> fee + a = (11, 1); R, l -> fee + b = (12, 0); R, r -> fee + nothing = (10, 0)
    assert sorted(pays.values()) == [(10, 0), (11, 1), (12, 0)]
    # P2 is indifferent after R (0 = 0): l first gives P1 12 > 11, so P1 plays R
    eq = sequential_equilibrium(game)
    assert eq.path == "R > l" and eq.payoffs == {"P1": 12, "P2": 0}
    # pygambit's own payoffs of the pure profiles agree with the imported tree
    import pygambit as gbt
    g = gbt.read_efg(str(path))
    prof = g.mixed_behavior_profile(rational=True)
    for first, second, expected in (("L", "l", (11, 1)), ("R", "l", (12, 0)), ("R", "r", (10, 0))):
        for infoset, move in zip(g.infosets, (first, second)):
            for action in infoset.actions:
                prof[action] = 1 if action.label == move else 0
        assert tuple(Fraction(prof.payoff(pl)) for pl in g.players) == expected


def test_import_efg_creates_the_output_folder_and_reports_unwritable_paths(tmp_path):
    path = tmp_path / "fee.efg"
    path.write_text(FEE_EFG)
    out = tmp_path / "new" / "folder" / "fee.yaml"
    assert import_efg(path, out).id == "fee" and out.is_file()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write the scenario"):
        import_efg(path, blocker / "fee.yaml")
