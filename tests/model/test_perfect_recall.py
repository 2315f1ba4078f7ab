"""Perfect recall is checked on the compiled game, and solvers refuse games without it."""

import pytest
from typer.testing import CliRunner

import escalab
from escalab.cli.app import app
from escalab.errors import ModelError
from escalab.solve.gambit_bridge import to_gambit
from escalab.solve.sequential import solve_sequential

FORGETFUL = """
escalab: 1
id: forgetful
title: A driver who forgets her own first move
actors:
  a: {name: A}
  b: {name: B}
sequential:
  root: first
  nodes:
    first:
      actor: a
      moves:
        left: {next: after_left}
        right: {next: after_right}
    after_left:
      actor: a
      infoset: second
      moves:
        stop: {outcome: x}
        go: {outcome: y}
    after_right:
      actor: a
      infoset: second
      moves:
        stop: {outcome: y}
        go: {outcome: x}
  outcomes:
    x: {payoffs: {a: 1, b: 0}}
    y: {payoffs: {a: 0, b: 1}}
"""


def test_forgetting_ones_own_move_is_imperfect_recall() -> None:
    game = escalab.loads(FORGETFUL).compile()
    assert game.info.perfect_recall is False
    assert "a cannot tell left from right (information set 'second')" in game.recall_problem


def test_simultaneous_moves_keep_perfect_recall() -> None:
    # chicken's column player cannot see the row player's move: imperfect information, perfect recall
    game = escalab.load("chicken").compile()
    assert not game.info.perfect_information
    assert game.info.perfect_recall and game.recall_problem is None


def test_solvers_refuse_imperfect_recall() -> None:
    game = escalab.loads(FORGETFUL).compile()
    with pytest.raises(ModelError, match="lacks perfect recall"):
        solve_sequential(game)
    with pytest.raises(ModelError, match="lacks perfect recall"):
        to_gambit(game)


def test_cli_reports_imperfect_recall_without_traceback(tmp_path) -> None:
    path = tmp_path / "forgetful.yaml"
    path.write_text(FORGETFUL)
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 2
    assert "lacks perfect recall" in result.output
    assert "Traceback" not in result.output
    shown = CliRunner().invoke(app, ["show", str(path)])
    assert shown.exit_code == 0 and "perfect recall" in shown.output
