"""The report's numbers and sentences against the solver, and ``--from`` reproducing them bit for bit."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.solve.credibility import credibility
from escalab.solve.sequential import solve_sequential

REPORT = Path(escalab.__file__).parent / "report"


def exact_solution(s):
    game = s.compile("sequential", exact=True)
    return game, solve_sequential(game)


@pytest.mark.slow
def test_from_reproduces_every_number_bit_for_bit(default_report, invoke, monkeypatch) -> None:
    out, results, _ = default_report
    monkeypatch.chdir(out.parent)          # where it was made: the same (absent) game store
    r = invoke("run", "--from", str(out / "results.json"))
    assert r.exit_code == 0, r.output + r.stderr
    assert "Reproduced: all" in r.output and "agree bit for bit" in r.output


@pytest.mark.slow
def test_from_says_which_number_differs(default_report, invoke, tmp_path: Path) -> None:
    out, results, _ = default_report
    bad = json.loads(json.dumps(results))
    bad["solve"]["equilibrium"]["payoffs"]["russia"] += 1e-12
    (tmp_path / "results.json").write_text(json.dumps(bad))
    r = invoke("run", "--from", str(tmp_path / "results.json"))
    assert r.exit_code == 1
    assert "Not reproduced" in r.output and "solve.equilibrium.payoffs.russia" in r.output


def test_from_rejects_a_file_that_is_not_a_report(invoke, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"a": 1}')
    r = invoke("run", "--from", str(tmp_path / "x.json"))
    assert r.exit_code == 2 and "not the results.json of an escalab report" in r.stderr
    assert invoke("run", "--from", str(tmp_path / "missing.json")).exit_code == 2
    both = invoke("run", "chicken", "--from", str(tmp_path / "x.json"))
    assert both.exit_code == 2 and "give no scenario name" in both.stderr


def test_reproducibility_block(default_report) -> None:
    _, results, _ = default_report
    rp = results["reproducibility"]
    assert rp["command"] == "escalab run escalate-to-deescalate --out report"
    assert rp["escalab"] == escalab.__version__ and re.fullmatch(r"sha256:[0-9a-f]{64}", rp["scenario_hash"])
    assert rp["parameters"]["p_resolute"] == 0.3 and rp["seeds"] == {"monte_carlo_seed": 0}
    assert {"numpy", "pygambit", "matplotlib"} <= set(rp["libraries"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rp["utc_time"])
    assert "escalab run escalate-to-deescalate" in results["citation"]
    assert "sequential equilibrium" in results["methods"] and "Monte Carlo" in results["methods"]


def test_findings_match_the_solver(default_report) -> None:
    """Every 'plays' sentence is the solver's choice; every 'outcome changes' sentence holds just past it."""
    _, results, _ = default_report
    s = escalab.load("escalate-to-deescalate")
    game, sol = exact_solution(s)
    eq = sol.equilibrium(0)
    lines = results["findings"]
    from escalab.report.findings import outcome_words

    assert f"Equilibrium: {outcome_words(s, eq.label)} (path {eq.path})." in lines
    plays = [ln for ln in lines if ln.startswith("On the equilibrium path")]
    on_path = results["solve"]["on_path"]
    assert len(plays) == len(on_path) == 4          # Russia, each US type, Russia after the answer in kind
    for ln, d in zip(plays, on_path):
        assert eq.choice(d["infoset"]) == d["action"]
        m = re.fullmatch(r"On the equilibrium path(?:, if (.+?),)? (.+) plays '(.+?)' \((\S+)\) at '(.+)'\.", ln)
        # a step reached under one type only names the type in its condition, not twice
        who = s.spec.actors[d["actor"]].name if d["given"] and d["type"] else d["actor_name"]
        assert m and m.groups() == (" or ".join(d["given"]) or None, who, d["action_label"], d["action"],
                                    d["where"]), ln
    changes = [ln for ln in lines if ln.startswith("The outcome changes to")]
    assert changes
    fgame = s.compile("sequential")
    for ln in changes:
        # the outcome as the scenario labels it, the parameter by its id and what it means
        m = re.fullmatch(r"The outcome changes to (.+) when (\S+) \((.+)\) reaches (\S+)(?: \(≈\S+\))? \(it is (\S+)\)\.",
                         ln)
        assert m, ln
        outcome, name, doc = m.group(1), m.group(2), m.group(3)
        at, now = float(Fraction(m.group(4))), float(m.group(5))
        assert s.parameters[name].doc.startswith(doc) and "_" not in outcome
        step = 1e-6 * max(1.0, abs(at))
        x = at + step if at > now else at - step
        past = solve_sequential(fgame, {name: np.array([x])})
        codes, labels, _ = past.labels()
        label = labels[int(codes[0])]
        assert label != eq.label and outcome == f"'{s.spec.sequential.outcomes[label].label}'"
    # The variant removes the low-yield answer from the tree and its rung from the US ladder actions, so
    # its ladder crisis is simulated anew (never "the same"), and the sentence gives that simulation's numbers.
    (row,) = results["variants"]["rows"]
    crisis, base = row["crisis"], results["variants"]["base"]["crisis"]
    assert crisis["same"] is False
    (variant,) = [ln for ln in lines if "escalate-to-deescalate-no-low-yield" in ln]
    said = {o: f"'{out.label}'" for o, out in s.spec.sequential.outcomes.items()}    # as the scenario words them
    assert variant.startswith(
        "Escalate to de-escalate, without the US low-yield option (escalate-to-deescalate-no-low-yield, variant) "
        "removes the move 'Answer with a low-yield weapon' at 'The US President after Russian limited use' "
        "(us_decides.answer_in_kind) and with it United States / NATO's ladder action 'Limited "
        "nuclear use' (its other ladder actions remain, so the ladder crisis can still differ from the tree): the "
        f"equilibrium outcome changes from resolute: {said['limited_exchange']}; irresolute: {said['us_stops']} to "
        f"{said['us_stops']}; ")
    assert "the ladder crisis is the same" not in variant
    ends = (f"most often {base['most_often'].replace('us_', 'United States / NATO ')} "
            f"({100 * base['p_most_often']:.0f}%), strategic war {100 * base['strategic_war']:.1f}%")
    assert f"strategic war {100 * crisis['strategic_war']:.1f}%" in variant
    assert variant.endswith(f"(in this scenario: {ends}).") or variant.endswith(f"read the same: {ends}.")


def test_why_is_the_solvers_arithmetic(default_report) -> None:
    _, results, _ = default_report
    s = escalab.load("escalate-to-deescalate")
    game, sol = exact_solution(s)
    by_label = {x["infoset"]: x for x in results["solve"]["explanations"]}
    assert set(by_label) == {i.label for i in game.infosets}
    for info in game.infosets:
        x = by_label[info.label]
        for k, o in enumerate(x["options"]):
            assert o["value"] == float(sol.action_values[info.index][k][0])
            # the arithmetic shown evaluates to the value (× for *, a/b (≈...) for the fraction)
            expr = re.sub(r"\(≈[^)]*\)", "", o["arithmetic"]).replace("×", "*").split("=")[0]
            assert float(eval(expr, {})) == pytest.approx(o["value"], abs=1e-12)  # noqa: S307 - our own digits
    root = by_label["russia_decides"]
    assert root["sentence"] == ("Russia compares limited_use (Fire a few low-yield weapons): 0.3 × (-16) + 0.7 × 8 "
                                "= 0.8 with accept (Accept the loss): -10; it plays limited_use.")
    # what follows each option, in the scenario's words
    (fire,) = [o for o in root["options"] if o["action"] == "limited_use"]
    stories = [t["story"] for t in fire["terms"]]
    assert stories == ["United States / NATO (resolute) plays 'Answer with a low-yield weapon', Russia plays 'Stop "
                       "after the exchange', ends in 'A limited nuclear exchange, then Russia stops'",
                       "United States / NATO (irresolute) plays 'Stop the war', ends in 'Escalation to de-escalate "
                       "succeeds; the war stops on Russia's terms'"]


def test_threats_match_credibility(default_report) -> None:
    _, results, _ = default_report
    game, _ = exact_solution(escalab.load("escalate-to-deescalate"))
    ref = {(t.infoset, t.action): t.credible for t in credibility(game).threats}
    got = {(t["infoset"], t["action"]): t["credible"] for t in results["solve"]["threats"]}
    assert got == ref and got
    for t in results["solve"]["threats"]:
        assert ("so it is credible" in t["explanation"]) == t["credible"]


def test_robustness_covers_every_tree_parameter_with_exact_switches(default_report) -> None:
    _, results, _ = default_report
    rob = results["solve"]["robustness"]
    s = escalab.load("escalate-to-deescalate")
    assert {r["parameter"] for r in rob["rows"]} | set(rob["not_in_tree"]) == set(s.parameters)
    assert set(rob["not_in_tree"]) == {"c_war_turn", "p_accident", "p_misread"}
    shares = [r["relative"] for r in rob["rows"] if r["relative"] is not None]
    assert shares == sorted(shares) and [r["rank"] for r in rob["rows"]] == list(range(1, len(rob["rows"]) + 1))
    p = next(r for r in rob["rows"] if r["parameter"] == "p_resolute")
    # model M4: Russia uses limited weapons iff p < (8 - (-10)) / (8 - (-16)) = 3/4
    assert p["nearest"]["exact"] == "0.75" and p["nearest"]["infoset"] == "russia_decides"
    assert (p["nearest"]["from"], p["nearest"]["to"]) == ("limited_use", "accept")
    assert p["nearest_outcome"]["outcome_after"] == "conventional_defeat"


def _number(text: str) -> Fraction:
    return Fraction(text.split(" ")[0])      # '10/3 (≈3.333)' -> 10/3


def test_thresholds_are_the_solvers(default_report) -> None:
    """Each threshold sentence names the decision in the scenario's words, and the solver makes that
    choice just inside every interval it states and another just outside."""
    _, results, _ = default_report
    s = escalab.load("escalate-to-deescalate")
    game = s.compile("sequential")
    words = {x["infoset"]: x for x in results["solve"]["explanations"]}
    checked = 0
    for row in results["solve"]["robustness"]["rows"]:
        name = row["parameter"]
        lo, hi = row["scanned"]
        assert len(row["thresholds"]) == len(row["statements"])
        for sentence, statement in zip(row["thresholds"], row["statements"]):
            infoset, action = re.match(r"\S+ plays (\S+) at (\S+) iff ", statement).group(2, 1)
            x = words[infoset]
            label = next(o["label"] for o in x["options"] if o["action"] == action)
            head = f"{x['actor_name']} plays '{label}' at '{x['where']}' while {name} is "
            assert sentence.startswith(head), sentence
            spans = []
            for span in sentence[len(head):].split(" or "):
                if span.startswith("between "):
                    a, b = span[len("between "):].split(" and ")
                    spans.append((_number(a), _number(b)))
                elif span.startswith("below "):
                    spans.append((Fraction(lo), _number(span[len("below "):])))
                else:
                    assert span.startswith("above "), span
                    spans.append((_number(span[len("above "):]), Fraction(hi)))
            step = Fraction(1, 10**6)
            inside = [float(v) for a, b in spans for v in (a + step, b - step)]
            edges = [v for a, b in spans for v in (a - step, b + step) if lo < v < hi]
            outside = [float(v) for v in edges if not any(a < v < b for a, b in spans)]
            sol = solve_sequential(game, {name: np.array(inside + outside)})
            chosen = [sol.equilibrium(i).choice(infoset) for i in range(len(inside) + len(outside))]
            assert chosen[:len(inside)] == [action] * len(inside), sentence
            assert action not in chosen[len(inside):], sentence
            checked += 1
    assert checked >= 10


def test_phase_diagram_follows_the_analysis_block(default_report) -> None:
    _, results, _ = default_report
    ph = results["solve"]["phase_diagram"]
    assert [a["name"] for a in ph["axes"]] == ["p_resolute", "c_limited"]
    assert ph["axes"][1]["hi"] == 20 and "analysis block" in ph["chosen"]
    assert ph["default"] == {"p_resolute": 0.3, "c_limited": 4.0}
    codes = np.array(ph["codes"])
    assert codes.shape == (ph["axes"][0]["points"], ph["axes"][1]["points"])


def test_one_outcome_one_colour(default_report) -> None:
    _, results, _ = default_report
    colours = results["colours"]
    assert len(set(colours.values())) == len(colours)
    variant = results["variants"]["rows"][0]
    shared = set(variant["phase_diagram"]["labels"]) & set(results["solve"]["phase_diagram"]["labels"])
    assert shared and all(lbl in colours for lbl in shared)


def _code_strings(path: Path) -> list[str]:
    """Every string literal and name in a module's code, docstrings left out."""
    import ast
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
            out.append(n.value)
        elif isinstance(n, ast.Name):
            out.append(n.id)
    return out


def test_report_code_names_no_built_in_parameter_or_node() -> None:
    """The report learns what to draw from the scenario, never from a built-in scenario's names."""
    words = ("p_resolute", "c_limited", "russia", "us_decides", "low-yield", "low_yield", "escalate-to-deescalate")
    for f in sorted(REPORT.glob("*.py")):
        for text in _code_strings(f):
            for w in words:
                assert w not in text, (f.name, w, text)


ANALYSED = """
escalab: 1
id: deterrence-analysed
extends: deterrence-game
title: Deterrence, with the phase diagram named
analysis:
  phase_diagram: [c_D, v]
  ranges: {v: [0, 10], c_D: [0, 10]}
"""


def test_a_scenario_names_its_phase_diagram(tmp_path: Path, fast_simulation) -> None:
    from escalab.report.run import compute
    s = escalab.loads(ANALYSED)
    ph = compute(s)["solve"]["phase_diagram"]
    assert [a["name"] for a in ph["axes"]] == ["c_D", "v"] and ph["axes"][1]["hi"] == 10
    # without the block, the two parameters with the nearest switches are drawn
    plain = compute(escalab.load("deterrence-game"))["solve"]
    nearest = [r["parameter"] for r in plain["robustness"]["rows"] if r["relative"] is not None][:2]
    assert [a["name"] for a in plain["phase_diagram"]["axes"]] == nearest


def test_tree_outcomes_and_ladder_endings_never_share_a_colour(default_report) -> None:
    """Orange for 'us capitulates' in the endings chart and for 'conventional_defeat' (Russia's defeat) in
    the phase diagram would tell the reader the opposite of the model."""
    from escalab.report.colours import ending_colours

    _, results, _ = default_report
    endings = ending_colours(results["simulate"]["endings"])
    assert set(results["colours"].values()).isdisjoint(endings.values())
    assert len(set(endings.values())) == len(endings)
