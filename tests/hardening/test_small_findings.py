"""Issue 8, the smaller findings: each silently wrong or misleading behaviour now has a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

KEYWORDS = """escalab: 1
id: kw
title: Keyword parameters
parameters:
  if: {default: 1}
  None: {default: 2}
  lambda: {default: 3}
actors:
  a: {name: A}
  b: {name: B}
sequential:
  root: n
  nodes:
    n: {actor: a, moves: {l: {outcome: L}, r: {outcome: R}}}
  outcomes:
    L: {payoffs: {a: 1, b: 0}}
    R: {payoffs: {a: 0, b: 1}}
"""


def test_show_ladder_with_set_refused(invoke) -> None:
    r = invoke("show", "defcon", "--set", "p=1")
    assert r.exit_code == 2 and "which has no parameters" in r.stderr


def test_set_and_grid_of_one_parameter_refused(invoke) -> None:
    r = invoke("sweep", "deterrence-game", "--set", "v=3", "--grid", "v=0:1:3")
    assert r.exit_code == 2 and "'v' is given by --set and by --grid" in r.stderr


def test_repeated_policy_for_one_actor_refused(invoke) -> None:
    r = invoke("simulate", "escalate-to-deescalate", "--policy", "us=logit:2", "--policy", "us=logit:3",
               "--runs", "10")
    assert r.exit_code == 2 and "gives 'us' two policies (logit:2 and logit:3)" in r.stderr


def test_python_words_as_parameter_names_refused_at_validation(invoke, tmp_path: Path) -> None:
    path = tmp_path / "kw.yaml"
    path.write_text(KEYWORDS)
    r = invoke("validate", str(path))
    assert r.exit_code == 2
    for name, line in (("if", 5), ("None", 6), ("lambda", 7)):
        assert f"kw.yaml:{line}:" in r.stderr and f"parameter name '{name}' is a word of the expression" in r.stderr


def test_yes_as_an_actor_key(invoke, tmp_path: Path) -> None:
    path = tmp_path / "yes.yaml"
    path.write_text(KEYWORDS.replace("parameters:\n  if: {default: 1}\n  None: {default: 2}\n  lambda: {default: 3}\n",
                                     "").replace("a:", "yes:").replace("{a: ", "{yes: ").replace("actor: a", "actor: yes"))
    r = invoke("validate", str(path))            # the key is 'yes'; the value `actor: yes` is a boolean
    assert r.exit_code == 2
    assert "sequential.nodes.n.actor: expected a string, got a boolean True (YAML reads yes" in r.stderr
    path.write_text(path.read_text().replace("actor: yes", "actor: 'yes'"))
    r = invoke("show", str(path))
    assert r.exit_code == 0, r.stderr
    assert "yes" in r.stdout and "True" not in r.stdout


def test_directory_is_not_file_not_found(invoke, tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    r = invoke("validate", str(tmp_path / "adir"))
    assert r.exit_code == 2 and "is a folder, not a file" in r.stderr and "not found" not in r.stderr
