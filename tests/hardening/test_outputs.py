"""Issue 8: every output is written atomically; a full disk is exit 2 naming the path as the user gave it;
.efg input is bounded; small CLI findings (--efg suffix, import-efg --out overwrite)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hardening_helpers import chain_yaml, fifo_and_folder

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch):
    """Every rename of a finished output fails as on a full disk (ENOSPC)."""
    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(src))
    monkeypatch.setattr(os, "replace", no_space)


@pytest.mark.parametrize("flag, name", [("--json", "res.json"), ("--efg", "game.efg"), ("--tree", "tree.png")])
def test_full_disk_at_each_solve_output(invoke, tmp_path: Path, monkeypatch, full_disk, flag: str, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("solve", "deterrence-game", flag, f"out/{name}")
    assert r.exit_code == 2, r.stderr
    assert f"cannot use 'out/{name}': No space left on device" in r.stderr
    assert str(tmp_path) not in r.stderr                      # relative, as the user gave it
    assert [p.name for p in (tmp_path / "out").iterdir()] == []   # no temporary file left behind


def test_efg_with_png_suffix_refused_before_solving(invoke, tmp_path: Path) -> None:
    r = invoke("solve", "deterrence-game", "--efg", str(tmp_path / "game.png"))
    assert r.exit_code == 2 and "a Gambit extensive-form file is written as .efg, not '.png'" in r.stderr
    assert not (tmp_path / "game.png").exists()


def test_import_efg_does_not_overwrite_without_force(invoke, tmp_path: Path) -> None:
    efg = tmp_path / "g.efg"
    assert invoke("solve", "deterrence-game", "--efg", str(efg)).exit_code == 0
    out = tmp_path / "mine.yaml"
    out.write_text("precious")
    r = invoke("import-efg", str(efg), "--out", str(out))
    assert r.exit_code == 2 and "already exists" in r.stderr and "--force" in r.stderr
    assert out.read_text() == "precious"
    r = invoke("import-efg", str(efg), "--out", str(out), "--force")
    assert r.exit_code == 0 and "escalab: 1" in out.read_text()


def test_efg_with_a_5000_digit_payoff(invoke, tmp_path: Path) -> None:
    big = "9" * 5000
    path = tmp_path / "big.efg"
    path.write_text(f'EFG 2 R "g" {{ "a" "b" }}\n""\n\np "" 1 1 "n" {{ "x" "y" }} 0\n'
                    f't "" 1 "o1" {{ {big}, 1 }}\nt "" 2 "o2" {{ 0, 0 }}\n')
    r = invoke("import-efg", str(path))
    assert r.exit_code == 2
    assert "big.efg:5: the number of digits in a number of an .efg file is 5,000, over the limit 'efg-digits'" \
        in r.stderr


@pytest.mark.parametrize("player", ["7", "0"])
def test_efg_with_a_bad_player_number(invoke, tmp_path: Path, player: str) -> None:
    path = tmp_path / "bad.efg"
    path.write_text(f'EFG 2 R "g" {{ "a" "b" }}\n""\n\np "" {player} 1 "n" {{ "x" "y" }} 0\n'
                    't "" 1 "o1" { 1, 1 }\nt "" 2 "o2" { 0, 0 }\n')
    r = invoke("import-efg", str(path))
    assert r.exit_code == 2
    assert f"bad.efg:4: player number {player} does not name one of the 2 players" in r.stderr
    assert "_M_range_check" not in r.stderr


def test_efg_from_a_fifo_or_folder(invoke, tmp_path: Path) -> None:
    fifo, folder = fifo_and_folder(tmp_path, ".efg")
    r = invoke("import-efg", str(fifo))
    assert r.exit_code == 2 and "FIFO" in r.stderr
    r = invoke("import-efg", str(folder))
    assert r.exit_code == 2 and "is a folder" in r.stderr


def test_figure_refused_before_solving_when_too_big(invoke, tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(chain_yaml(150))
    r = invoke("solve", str(path), "--tree", str(tmp_path / "t.png"))
    assert r.exit_code == 2
    assert "the number of nodes drawn in a game-tree figure is 301, over the limit 'figure-nodes' of 200" in r.stderr
    assert "Subgame-perfect" not in r.stdout                  # refused before the work, not after


def test_escape_codes_in_names_are_shown_escaped(invoke, tmp_path: Path) -> None:
    path = tmp_path / "esc.yaml"
    src = (Path(__file__).parent / "files" / "tie.yaml").read_text()
    path.write_text(src.replace("title: Tie tolerance per point", 'title: "Evil \\e]0;pwned\\a\\e[2J"')
                    .replace("a: {name: A}", 'a: {name: "A\\e[31mred"}'))
    r = invoke("show", str(path))
    assert r.exit_code == 0
    assert "\x1b" not in r.stdout
    assert "\\x1b[2J" in r.stdout and "A\\x1b[31mred" in r.stdout
    r = invoke("solve", str(path), "--set", "v=9")
    assert "\x1b" not in r.stderr


def test_terminal_shown() -> None:
    from escalab.terminal import shown
    assert shown("a\x1b[2Jb\u202ec\x9bd") == "a\\x1b[2Jb\\u202ec\\x9bd"
    assert shown("line1\nline2\ttab") == "line1\nline2\ttab"
    assert shown("x\ny", one_line=True) == "x\\x0ay"
