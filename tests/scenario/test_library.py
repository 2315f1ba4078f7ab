"""The built-in library: everything loads, and the published ladders have their published shape."""

from __future__ import annotations

import pytest

from escalab.scenario import library, load, load_ladder, load_scale

SCENARIOS = library.builtin_names("scenario")


def test_library_lists_every_kind() -> None:
    assert "escalate-to-deescalate" in SCENARIOS
    assert "escalate-to-deescalate-no-low-yield" in SCENARIOS
    assert {"kahn-44", "kahn-game-30", "kahn-game-compact"} <= set(library.builtin_names("ladder"))
    assert {"defcon", "russia-4"} <= set(library.builtin_names("readiness_scale"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_builtin_scenario_loads_and_compiles(name: str) -> None:
    s = load(name)
    assert s.id == name
    assert s.forms
    for form in s.forms:
        assert s.compile(form) is not None


@pytest.mark.parametrize("name", library.builtin_names("ladder"))
def test_every_builtin_ladder_loads(name: str) -> None:
    ladder = load_ladder(name)
    values = [r.value for r in ladder.rungs]
    assert values == sorted(values) and len(set(values)) == len(values)


def test_kahn_44() -> None:
    ladder = load_ladder("kahn-44")
    assert len(ladder.rungs) == 44
    assert len(ladder.thresholds) == 6
    assert ladder.rungs[0].name == "Ostensible crisis"
    assert ladder.rungs[-1].name.lower().startswith("spasm")
    assert [t.name for t in ladder.thresholds][0] == "Don't Rock The Boat"


def test_kahn_game_30_has_paynes_values() -> None:
    ladder = load_ladder("kahn-game-30")
    assert len(ladder.rungs) == 30
    values = [r.value for r in ladder.rungs]
    assert values[0] == -95 and values[-1] == 1000
    assert 0 in values and 450 in values and 125 in values
    by_id = {r.id: r for r in ladder.rungs}
    assert by_id["complete_surrender"].value == -95
    assert by_id["return_to_start_line"].value == 0
    assert by_id["limited_nuclear_use"].value == 450
    assert by_id["strategic_nuclear_war"].band == "strategic"
    assert all(r.band == "nuclear_use" for r in ladder.rungs if 450 <= r.value < 1000)
    assert all(r.band == "nuclear_signalling" for r in ladder.rungs if 125 <= r.value <= 350)


def test_compact_ladder_is_a_subset_of_kahn_game_30() -> None:
    full = {r.id: r.value for r in load_ladder("kahn-game-30").rungs}
    compact = load_ladder("kahn-game-compact")
    assert all(full[r.id] == r.value for r in compact.rungs)


def test_readiness_scales() -> None:
    defcon = load_scale("defcon")
    assert len(defcon.levels) == 5 and defcon.levels[0].id == "defcon_5" and defcon.levels[-1].id == "defcon_1"
    russia = load_scale("russia-4")
    assert [lvl.id for lvl in russia.levels] == ["constant", "increased", "military_danger", "full"]


def test_default_scenario_uses_both_scales_and_indicators() -> None:
    s = load("escalate-to-deescalate")
    assert s.scales["russia"].id == "russia-4" and s.scales["us"].id == "defcon"
    assert s.ladder.id == "kahn-game-30" and s.crisis_ladder.id == "kahn-game-compact"
    assert set(s.spec.indicators["russia"].signs) == {"ssbn_surge", "bombers_airborne", "forward_deployment"}
