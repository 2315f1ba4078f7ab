"""``escalab list`` reads only what it shows of the built-ins, and says the same as the full loader.

The catalog skips validation for speed (issue 11); these tests hold it to the loader's answers for
every built-in, for ``extends`` chains that null a form, and for built-ins it cannot read (those
go through the loader, which names the file and line).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from escalab.errors import ScenarioError
from escalab.scenario import catalog, library, load, load_ladder, load_scale, loader


@pytest.mark.parametrize("name", library.builtin_names("scenario"))
def test_scenario_entry_matches_the_loader(name: str) -> None:
    s = load(name)
    assert catalog.scenario_entry(name) == (s.title, s.forms)


@pytest.mark.parametrize("name", library.builtin_names("ladder"))
def test_ladder_entry_matches_the_loader(name: str) -> None:
    ladder = load_ladder(name)
    assert catalog.ladder_entry(name) == (ladder.name, len(ladder.rungs))


@pytest.mark.parametrize("name", library.builtin_names("readiness_scale"))
def test_scale_entry_matches_the_loader(name: str) -> None:
    scale = load_scale(name)
    assert catalog.scale_entry(name) == (scale.name, len(scale.levels))


@pytest.fixture
def own_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built-in library in a temporary folder, used as the built-ins."""
    for kind, folder in library.FOLDERS.items():
        shutil.copytree(library._folder(kind), tmp_path / folder)
    monkeypatch.setattr(library, "_folder", lambda kind: tmp_path / library.FOLDERS[kind])
    return tmp_path / "scenarios"


def test_an_extends_chain_that_nulls_a_form(own_library: Path) -> None:
    (own_library / "child.yaml").write_text("escalab: 1\nid: child\nextends: escalate-to-deescalate\n"
                                            "ladder_crisis: null\n")
    (own_library / "grandchild.yaml").write_text("escalab: 1\nid: grandchild\nextends: child\ntitle: Third\n")
    assert catalog.scenario_entry("child") == ("Escalate to de-escalate", ("sequential",))
    assert catalog.scenario_entry("grandchild") == ("Third", ("sequential",))
    for name in ("child", "grandchild"):
        s = load(name)
        assert catalog.scenario_entry(name) == (s.title, s.forms)


def test_a_builtin_that_extends_a_file_goes_through_the_loader(own_library: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(own_library / "chicken.yaml", own_library.parent / "elsewhere.yaml")
    (own_library / "child.yaml").write_text("escalab: 1\nid: child\nextends: ../elsewhere.yaml\n")
    calls: list[str] = []
    real = loader.load
    monkeypatch.setattr(loader, "load", lambda ref: calls.append(ref) or real(ref))
    assert catalog.scenario_entry("child") == ("Chicken", ("sequential",))
    assert calls == ["child"]


def test_a_broken_builtin_is_reported_by_the_loader(own_library: Path) -> None:
    (own_library / "broken.yaml").write_text("escalab: 1\nid: broken\ntitle: [not closed\n")
    with pytest.raises(ScenarioError) as err:
        catalog.scenario_entry("broken")
    assert "broken.yaml:4" in str(err.value) and "not valid YAML" in str(err.value)
    ladders = own_library.parent / "ladders"
    (ladders / "short.yaml").write_text("escalab: 1\nkind: ladder\nid: short\nname: Short\n")
    with pytest.raises(ScenarioError, match="rungs"):
        catalog.ladder_entry("short")


def test_list_exits_2_on_a_broken_builtin(own_library: Path, invoke) -> None:
    (own_library / "broken.yaml").write_text("escalab: 1\nid: broken\nkind: ladder\ntitle: Wrong kind\n")
    result = invoke("list")
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr and "expected a scenario document" in result.stderr
