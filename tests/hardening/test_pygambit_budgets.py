"""pygambit's solvers get a budget checked before they start (pygambit-actions, mixed-profiles).

The tree-nodes limit lets through trees of 200,000 nodes, but pygambit's lcp on the tree and its
logit solvers took 13 s and 32 s on a binary tree with 254 actions at its information sets and
about 7 times as long for every doubling, enummixed 84 s on a 12 x 12 strategic form and
lcp-strategic 20 s on 24 x 24: a small file could keep `solve` busy for hours. Escalab's own
solvers (backward induction, sequential equilibria) are not bounded by these.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from escalab import limits
from escalab.limits import LimitError
from hardening_helpers import binary_tree_yaml

pytestmark = pytest.mark.timeout(120)

TREE_SOLVERS = (["--method", "nash", "--nash-method", "lcp"], ["--method", "nash", "--nash-method", "logit"],
                ["--method", "qre"], ["--method", "qre", "--lambda", "2"], ["--method", "nash"])


def test_tree_solvers_refuse_a_tree_over_the_limit_before_they_start(tmp_path: Path, invoke) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(binary_tree_yaml(8))             # 255 information sets, 510 actions: lcp took about 100 s
    for args in TREE_SOLVERS:
        r = invoke("solve", str(path), *args)
        assert r.exit_code == 2, args
        assert "'bintree': the number of actions at the information sets of a tree given to pygambit's tree " \
               "solvers is 510, over the limit 'pygambit-actions' of 200" in r.stderr, args
        assert "--limit pygambit-actions=N" in r.stderr
    solved = invoke("solve", str(path))               # backward induction is escalab's own
    assert solved.exit_code == 0 and "Subgame-perfect equilibrium" in solved.stdout


def test_the_limit_is_raised_and_lowered_like_any_other(tmp_path: Path, invoke) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(binary_tree_yaml(4))             # 15 information sets, 30 actions
    lcp = ["solve", str(path), "--method", "nash", "--nash-method", "lcp"]
    assert invoke(*lcp).exit_code == 0
    r = invoke("--limit", "pygambit-actions=29", *lcp)
    assert r.exit_code == 2 and "is 30, over the limit 'pygambit-actions' of 29" in r.stderr


def test_a_sweep_that_sends_every_point_to_pygambit_is_refused_before_it_starts(tmp_path: Path, invoke) -> None:
    r = invoke("--limit", "pygambit-actions=3", "sweep", "chicken", "--grid", "R=0:1:3", "--out", str(tmp_path / "out"))
    assert r.exit_code == 2
    assert "every point goes to pygambit" in r.stderr and "is 4, over the limit 'pygambit-actions' of 3" in r.stderr
    assert not (tmp_path / "out").exists()


def test_enummixed_is_refused_over_mixed_profiles_and_left_out_of_every_method(invoke) -> None:
    # the default scenario's reduced strategic form: 5 x 16 strategies
    r = invoke("--limit", "mixed-profiles=50", "solve", "--method", "nash", "--nash-method", "enummixed")
    assert r.exit_code == 2
    assert "the number of pure strategy profiles searched for mixed equilibria is 80, over the limit " \
           "'mixed-profiles' of 50" in r.stderr
    r = invoke("--limit", "mixed-profiles=50", "solve", "--method", "nash", "--nash-method", "lcp-strategic")
    assert r.exit_code == 2 and "Nash equilibria (lcp-strategic) of 'escalate-to-deescalate'" in r.stderr
    every = invoke("--limit", "mixed-profiles=50", "solve", "--method", "nash")
    assert every.exit_code == 0
    assert "enummixed skipped" in every.stdout and "nash:enummixed" not in every.stdout
    assert "nash:enumpure: 13 equilibria" in every.stdout and "nash:lcp: 1 equilibrium" in every.stdout


def test_the_python_api_is_bounded_too() -> None:
    import escalab
    from escalab.solve import gambit_bridge

    game = escalab.load("escalate-to-deescalate").compile("sequential")
    with limits.raised(mixed_profiles=79), pytest.raises(LimitError, match="is 80"):
        gambit_bridge.nash(game, "enummixed")
    with limits.raised(pygambit_actions=13), pytest.raises(LimitError, match="is 14"):
        gambit_bridge.qre(game, 1.0)
    with limits.raised(pygambit_actions=13), pytest.raises(LimitError, match="is 14"):
        gambit_bridge.limit_outcome(game)


def _pennies() -> str:
    """Matching pennies after a chance draw that neither player sees: no pure equilibrium."""
    lines = ["escalab: 1", "id: pennies", "title: Matching pennies after a draw", "actors:", "  row: {name: Row}",
             "  col: {name: Col}", "sequential:", "  root: nature", "  nodes:", "    nature:", "      chance:",
             "        first: {prob: 1/2, next: r1}", "        second: {prob: 1/2, next: r2}"]
    for k in (1, 2):
        lines.append(f"    r{k}: {{actor: row, infoset: row_moves, moves: {{h: {{next: ch{k}}}, t: {{next: ct{k}}}}}}}")
        for a in "ht":
            out = {b: "same" if a == b else "differ" for b in "ht"}
            lines.append(f"    c{a}{k}: {{actor: col, infoset: col_moves, moves: "
                         f"{{h: {{outcome: {out['h']}}}, t: {{outcome: {out['t']}}}}}}}")
    lines += ["  outcomes:", "    same: {payoffs: {row: 1, col: -1}}", "    differ: {payoffs: {row: -1, col: 1}}"]
    return "\n".join(lines) + "\n"


def test_the_report_says_why_a_mixed_equilibrium_is_missing(tmp_path: Path) -> None:
    """`run` states what it could not compute, and the claim that there is no pure equilibrium is
    the enumeration's own result."""
    import escalab
    from escalab.report.solve_section import solve_point
    from escalab.solve.assessments import pure_sequential_equilibria

    path = tmp_path / "pennies.yaml"
    path.write_text(_pennies())
    scenario = escalab.load(str(path))
    with limits.raised(pygambit_actions=3):
        said = solve_point(scenario)
    assert said == ("the game has no pure-strategy sequential equilibrium, and its mixed one (the logit limit) was "
                    "not computed: its 4 actions at information sets are over the 'pygambit-actions' limit of 3 "
                    "('escalab --limit pygambit-actions=N run' raises it)")
    assert pure_sequential_equilibria(scenario.compile("sequential", exact=True)) == []
    within = solve_point(scenario)                  # within the limit: pygambit's logit limit, mixed
    assert isinstance(within, str) and within.startswith("the game has no pure-strategy sequential equilibrium; "
                                                         "its mixed one (the logit limit) reaches")
