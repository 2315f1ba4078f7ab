"""The simulate and assess commands, and the 'simulate' section of escalab run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import escalab
from escalab.cli.app import app
from escalab.report import simulate_section

ASSESS = ["assess", "escalate-to-deescalate", "--observe", "ssbn_surge=no", "bombers_airborne=no",
          "forward_deployment=no", "--declared", "special regime of combat duty"]


def _run(args: list[str]):
    result = CliRunner().invoke(app, args, terminal_width=200)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    return result.exit_code, " ".join(output.split())


def test_assess_reproduces_the_article_reading() -> None:
    code, out = _run(ASSESS)
    assert code == 0, out
    assert "Most likely level: Constant" in out
    assert ("With bombers_airborne, forward_deployment, ssbn_surge not seen, the declaration most likely leaves "
            "readiness at its lowest level, Constant") in out


def test_assess_gives_no_verdict_on_the_declaration_without_indicators() -> None:
    """The declaration alone leaves Constant the most likely level (the prior's 0.6), but nothing was
    looked for: no reading of the declaration is offered as a finding."""
    code, out = _run(["assess", "escalate-to-deescalate", "--declared", "special regime of combat duty"])
    assert code == 0, out
    assert "Most likely level: Constant" in out
    assert "leaves readiness at its lowest level" not in out
    assert "No indicator was observed" in out


def test_assess_sequence_uses_the_hmm() -> None:
    code, out = _run(["assess", "escalate-to-deescalate", "--sequence",
                      "ssbn_surge=yes bombers_airborne=yes; ssbn_surge=yes,forward_deployment=yes"])
    assert code == 0, out
    assert "after look 2" in out and "Most likely level: Full" in out


@pytest.mark.parametrize("args, message", [
    (["assess", "escalate-to-deescalate", "--observe", "radar=no"], "unknown indicator 'radar'"),
    (["assess", "escalate-to-deescalate", "--observe", "ssbn_surge"], "expects indicator=yes|no"),
    (["assess", "escalate-to-deescalate", "--declared", "ready"], "unknown declaration 'ready'"),
    (["assess", "escalate-to-deescalate", "--actor", "us"], "no indicators for 'us'"),
    (["simulate", "escalate-to-deescalate", "--policy", "us=greedy"], "unknown policy 'greedy'"),
    (["simulate", "escalate-to-deescalate", "--policy", "nato=uniform"], "unknown actor 'nato'"),
    (["simulate", "escalate-to-deescalate", "--policy", "uniform"], "--policy expects actor=policy"),
    (["simulate", "escalate-to-deescalate", "--policy", "russia=doctrine:none"], "no doctrine 'none'"),
    (["simulate", "escalate-to-deescalate", "--runs", "0"], "--runs must be at least 1"),
    (["simulate", "escalate-to-deescalate", "--set", "p_accident=2"], "outside its range"),
    (["simulate", "escalate-to-deescalate", "--policy", "us=level:100000"], "expected a level k between 0 and"),
    (["simulate", "escalate-to-deescalate", "--runs", "10", "--scheduler", "garbage"],
     "expected a Dask scheduler address"),
    (["assess", "escalate-to-deescalate", "--observe", "ssbn_surge=no", "ssbn_surge=yes"], "both seen and not seen"),
])
def test_bad_input_exits_2_with_a_message(args: list[str], message: str) -> None:
    code, out = _run(args)
    assert code == 2, out
    assert "error:" in out and message in out


def test_simulate_monte_carlo_writes_json(tmp_path: Path) -> None:
    code, out = _run(["simulate", "kahn-game", "--policy", "state_a=doctrine:brinkmanship",
                      "--policy", "state_b=logit:2.0", "--runs", "3000", "--seed", "7", "--out", str(tmp_path)])
    assert code == 0, out
    assert "Monte Carlo, 3,000 runs, seed 7" in out and "95% interval" in out
    record = json.loads((tmp_path / "simulate.json").read_text())
    assert record["method"] == "monte_carlo" and record["runs"] == 3000
    assert sum(v["p"] for v in record["endings"].values()) == pytest.approx(1.0)
    assert record["policies"] == {"state_a": "doctrine:brinkmanship", "state_b": "logit:2.0"}


def test_simulate_exact_without_accidents(tmp_path: Path) -> None:
    code, out = _run(["simulate", "escalate-to-deescalate", "--exact", "--no-accidents",
                      "--policy", "russia=doctrine:escalate-to-deescalate", "--policy", "us=doctrine:stop-on-nuclear-use",
                      "--out", str(tmp_path)])
    assert code == 0, out
    assert "accidents off" in out and "exact (absorbing Markov chain" in out
    record = json.loads((tmp_path / "simulate.json").read_text())
    # Without accidents the doctrine works as the article describes: the US stops, no strategic war.
    assert record["endings"]["us_capitulates"]["p"] == pytest.approx(1.0)


def test_simulate_with_workers_matches_one_process() -> None:
    args = ["simulate", "escalate-to-deescalate", "--policy", "us=uniform", "--runs", "70000", "--seed", "3"]
    code1, out1 = _run(args)
    code2, out2 = _run(args + ["--workers", "2"])
    assert code1 == code2 == 0
    assert out1 == out2


def test_run_section_for_the_default_scenario(tmp_path: Path) -> None:
    record = simulate_section.compute(escalab.load("escalate-to-deescalate"), lambda msg: None)
    assert "skipped" not in record
    labels = [(row["configuration"], row["accidents"]) for row in record["rows"]]
    assert ("equilibrium", True) in labels and ("doctrine stop-on-nuclear-use", False) in labels
    for row in record["rows"]:
        assert sum(e["p"] for e in row["endings"].values()) == pytest.approx(1.0)
        assert all("ci95" in e for e in row["endings"].values())
    json.dumps(record)


def test_run_section_skips_scenarios_without_a_ladder_crisis(tmp_path: Path) -> None:
    text = """
escalab: 1
id: tiny
title: Tiny
actors: {a: {name: A}, b: {name: B}}
sequential:
  root: start
  nodes:
    start: {actor: a, moves: {stay: {outcome: quiet}, go: {outcome: loud}}}
  outcomes:
    quiet: {payoffs: {a: 0, b: 0}}
    loud: {payoffs: {a: 1, b: -1}}
"""
    assert "ladder crisis" in simulate_section.compute(escalab.loads(text), lambda msg: None)["skipped"]


def test_engines_give_identical_files_from_the_cli(tmp_path, invoke) -> None:
    args = ["simulate", "-p", "russia=doctrine:escalate-to-deescalate", "-p", "us=logit:2", "--runs", "3000"]
    ref = invoke(*args, "--engine", "numpy", "--out", str(tmp_path / "numpy"))
    fast = invoke(*args, "--engine", "numba", "--out", str(tmp_path / "numba"))
    assert ref.exit_code == 0 and fast.exit_code == 0
    assert (tmp_path / "numpy" / "simulate.json").read_text() == (tmp_path / "numba" / "simulate.json").read_text()


def test_unknown_engine_is_bad_input(invoke) -> None:
    result = invoke("simulate", "--engine", "gpu")
    assert result.exit_code == 2
    assert "unknown Monte Carlo engine 'gpu' (expected one of: numpy, numba)" in result.output
