"""Issue 8: tree size and depth are computed before expansion; deep trees need no recursion.

A 40-line file whose moves share ``next:`` nodes expands to 2^40 nodes (``validate`` once said "ok"); a
chain of 400 decision nodes crashed ``show``, ``solve`` and ``import-efg`` with a RecursionError.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hardening_helpers import chain_yaml, dag_yaml

pytestmark = pytest.mark.timeout(120)


@pytest.mark.timeout(30)
def test_shared_next_nodes_refused_before_expansion(tmp_path: Path, invoke) -> None:
    path = tmp_path / "dag.yaml"
    path.write_text(dag_yaml(40))
    for cmd in (["validate", str(path)], ["solve", str(path)], ["show", str(path)]):
        r = invoke(*cmd)
        assert r.exit_code == 2, cmd
        assert "the number of nodes in the expanded game tree is 2,199,023,255,551" in r.stderr
        assert "'tree-nodes' of 200,000" in r.stderr and "--limit tree-nodes=N" in r.stderr
        assert "dag.yaml:7:" in r.stderr          # located at sequential.root


def test_shared_next_nodes_allowed_when_raised(tmp_path: Path, invoke) -> None:
    path = tmp_path / "dag.yaml"
    path.write_text(dag_yaml(10))              # 2,047 nodes
    assert invoke("--limit", "tree-nodes=1000", "validate", str(path)).exit_code == 2
    assert invoke("--limit", "tree-nodes=3000", "validate", str(path)).exit_code == 0


def test_chain_of_400_decisions_shows_solves_and_round_trips(tmp_path: Path, invoke) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(chain_yaml(400))
    r = invoke("show", str(path))
    assert r.exit_code == 0, r.stderr
    assert "moves deeper than 12 levels are not shown" in r.stdout and "801" in r.stdout
    efg = tmp_path / "chain.efg"
    r = invoke("solve", str(path), "--method", "spe", "--efg", str(efg))
    assert r.exit_code == 0, r.stderr
    assert "outcome: end" in r.stdout          # both prefer the end (2, 2) to any stop: everyone goes on
    r = invoke("import-efg", str(efg), "--out", str(tmp_path / "back.yaml"))
    assert r.exit_code == 0, r.stderr
    assert "801 nodes, 400 information sets" in r.stdout


def test_tree_depth_limit(tmp_path: Path, invoke) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(chain_yaml(60))
    r = invoke("--limit", "tree-depth=50", "validate", str(path))
    assert r.exit_code == 2 and "depth of the expanded game tree" in r.stderr and "is 60," in r.stderr


def test_types_per_actor_limit(tmp_path: Path, invoke) -> None:
    types = ", ".join(f"t{i}: 1/300" for i in range(300))
    path = tmp_path / "types.yaml"
    path.write_text(chain_yaml(2).replace("  a: {name: A}", f"  a: {{name: A, types: {{{types}}}}}"))
    r = invoke("validate", str(path))
    assert r.exit_code == 2
    assert "the number of private types of one actor is 300, over the limit 'types-per-actor' of 32" in r.stderr
    assert "actors.a.types" in r.stderr


def test_profile_count_of_a_long_chain_is_not_printed_in_full(tmp_path: Path, invoke) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(chain_yaml(400))
    r = invoke("solve", str(path), "--method", "sequential")
    assert r.exit_code == 2
    assert "has about 10^120 pure behaviour profiles" in r.stderr and len(r.stderr) < 600
