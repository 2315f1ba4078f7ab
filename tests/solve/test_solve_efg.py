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
