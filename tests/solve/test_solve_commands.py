"""``escalab solve``, ``escalab sweep`` and ``escalab import-efg`` through Typer's runner."""

from __future__ import annotations

import csv
import json

import pytest

import escalab





def test_solve_default_reports_the_sequential_equilibrium(tmp_path, invoke):
    out = tmp_path / "r.json"
    r = invoke("solve", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    assert "Sequential equilibrium" in r.stdout
    assert "answer_in_kind" in r.stdout
    record = json.loads(out.read_text())
    eq = record["equilibria"][0]
    assert eq["behaviour"]["russia_decides"]["limited_use"] == 1.0
    assert eq["beliefs"]["russia_decides"] == {"resolute": "3/10", "irresolute": "7/10"}   # exact text
    assert eq["refinements"] == {"subgame_perfect": True, "sequential": True, "intuitive": None}
    assert record["method"] == "sequential" and "128 pure profiles" in record["method_reason"]


def test_solve_spe_with_set_tree_and_efg(tmp_path, invoke):
    tree, efg = tmp_path / "t.png", tmp_path / "g.efg"
    r = invoke("solve", "deterrence-game", "--set", "c_D=0.5", "--method", "spe",
               "--tree", str(tree), "--efg", str(efg))
    assert r.exit_code == 0, r.stderr
    assert "Subgame-perfect" in r.stdout and "status_quo" in r.stdout
    assert tree.read_bytes()[:4] == b"\x89PNG"
    assert efg.read_text().startswith("EFG 2 R")


def test_solve_tree_as_svg(tmp_path, invoke):
    svg = tmp_path / "t.svg"
    assert invoke("solve", "e2d-perfect-information", "--tree", str(svg)).exit_code == 0
    assert "<svg" in svg.read_text()[:400]


def test_solve_credibility_with_thresholds(tmp_path, invoke):
    out = tmp_path / "c.json"
    r = invoke("solve", "--credibility", "--param", "p_resolute", "--param", "c_limited", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    assert "credible?" in r.stdout
    record = json.loads(out.read_text())
    root = [x for x in record["thresholds"]["p_resolute"]["regions"] if x["infoset"] == "russia_decides"][0]
    assert root["boundaries"][0]["exact"] == "3/4"
    resolute = [x for x in record["thresholds"]["c_limited"]["regions"] if x["infoset"] == "us_decides|resolute"][0]
    assert resolute["boundaries"][0]["exact"] == "10"


def test_solve_nash_lists_all_equilibria(invoke):
    r = invoke("solve", "chicken", "--method", "nash", "--nash-method", "enummixed")
    assert r.exit_code == 0, r.stderr
    assert "3 equilibria" in r.stdout
    assert "1/10" in r.stdout


def test_solve_qre_path_without_lambda(tmp_path, invoke):
    out = tmp_path / "q.json"
    r = invoke("solve", "deterrence-game", "--method", "qre", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    assert "along λ" in r.stdout
    eqs = json.loads(out.read_text())["equilibria"]
    lams = [e["extra"]["lambda"] for e in eqs]
    assert lams == pytest.approx([0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0])
    concede = [e["behaviour"]["defender_decides"]["concede"] for e in eqs]
    assert concede == sorted(concede) and concede[-1] > 0.99


def test_auto_lists_pure_sequential_then_the_mixed_equilibrium_for_simultaneous_moves(invoke, tmp_path):
    out = tmp_path / "c.json"
    r = invoke("solve", "chicken", "--json", str(out))
    assert r.exit_code == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "auto: sequential" in text and "sequential: 2 equilibria" in text
    assert "nash:enummixed: 3 equilibria" in text and "1 more sequential, listed below" in text
    eqs = json.loads(out.read_text())["equilibria"]
    assert len(eqs) == 3 and all(e["refinements"]["sequential"] for e in eqs)
    mixed = eqs[2]     # each goes straight with q = (T - R) / (T - R + S - P) = 1/10
    assert mixed["behaviour"]["row_decides"]["straight"] == pytest.approx(0.1)
    assert mixed["beliefs"]["col_decides"] == {"swerve": "9/10", "straight": "1/10"}


def test_solve_qre(invoke):
    r = invoke("solve", "deterrence-game", "--method", "qre", "--lambda", "2")
    assert r.exit_code == 0, r.stderr
    assert "Logit agent QRE" in r.stdout and "λ = 2" in r.stdout


@pytest.mark.parametrize("args,message", [
    (("solve", "--method", "magic"), "--method must be one of"),
    (("solve", "--lambda", "2"), "--lambda goes with --method qre"),
    (("solve", "--set", "p_resolute=2"), "outside its range"),
    (("solve", "--credibility", "--param", "nope"), "has no parameter 'nope'"),
    (("solve", "chicken", "--method", "spe"), "not a game of perfect information"),
    (("solve", "kahn-game"), "has no sequential form"),
    (("solve", "no-such-scenario"), "unknown built-in scenario"),
    (("sweep",), "give at least one --grid"),
    (("sweep", "--grid", "p_resolute=0:1"), "three parts"),
    (("sweep", "--grid", "nope=0:1:3"), "has no parameter 'nope'"),
    (("sweep", "--grid", "p_resolute=0:1:3", "--workers", "0"), "--workers must be at least 1"),
    (("solve", "deterrence-game", "--method", "qre", "--lambda", "inf"), "a number from 0 to 1e+06"),
    (("sweep", "--grid", "p_resolute=0:1:3", "--scheduler", "garbage"), "expected a Dask scheduler address"),
])
def test_bad_input_exits_2_with_a_message(args, message, invoke):
    r = invoke(*args)
    assert r.exit_code == 2
    assert message in " ".join(r.stderr.split())


def test_sweep_writes_csv_png_and_json(tmp_path, invoke):
    r = invoke("sweep", "--grid", "p_resolute=0:1:21", "--grid", "c_limited=0:20:9", "--set", "stake_r=12",
               "--out", str(tmp_path))
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert len(rows) == 21 * 9
    assert (tmp_path / "phase-diagram.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((tmp_path / "sweep.json").read_text())
    assert summary["points"] == 189 and summary["fixed"]["stake_r"] == 12
    assert sum(summary["outcomes"].values()) == 189


def test_import_efg_command(tmp_path, invoke):
    efg = tmp_path / "g.efg"
    assert invoke("solve", "perfect-deterrence", "--efg", str(efg)).exit_code == 0
    out = tmp_path / "imported.yaml"
    r = invoke("import-efg", str(efg), "--out", str(out), "--id", "pd-copy")
    assert r.exit_code == 0, r.stderr
    s = escalab.load(out)
    assert s.id == "pd-copy"
    r2 = invoke("solve", str(out))
    assert r2.exit_code == 0 and "no_challenge" in r2.stdout
    assert invoke("import-efg", str(tmp_path / "missing.efg")).exit_code == 2


def test_run_includes_the_solve_section(default_report):
    out, results, _ = default_report          # `escalab run --out DIR`, made once for the suite
    assert results["solve"]["on_path"][0]["action"] == "limited_use"
    assert (out / "phase.png").exists()
