"""A typed actor's prior read from a readiness assessment (``ladder_crisis.type_prior``).

The prior the ladder crisis uses must be the posterior ``escalab assess`` gives for the same looks,
summed over the levels the scenario maps to each type; and the crisis must then behave exactly as
the same crisis with that prior written as type probabilities.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import escalab
from escalab.cli.app import app
from escalab.simulate import Crisis, forward, indicator_model, parse_look

FILES = Path(__file__).parent / "files"
WITH_PRIOR = FILES / "typed-tiny-readiness.yaml"
LEVELS = ["defcon_5", "defcon_4", "defcon_3", "defcon_2", "defcon_1"]
PRIOR = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
SURGE = np.array([0.05, 0.1, 0.3, 0.6, 0.8])
ALERT = np.array([0.02, 0.05, 0.2, 0.5, 0.7])
RAISED = np.array([0.1, 0.2, 0.4, 0.5, 0.6])
TOUGH = np.array([False, False, True, True, True])   # the fixture's map: DEFCON 3 and above are tough


def by_hand(persistence: float = 0.8) -> np.ndarray:
    """The fixture's looks: no surge; then a surge, no alert and the 'raised alert' declaration."""
    b = PRIOR * (1 - SURGE)
    b /= b.sum()
    off = (1 - persistence) / 4
    b = persistence * b + off * (1 - b)
    b = b * SURGE * (1 - ALERT) * RAISED
    return b / b.sum()


def with_looks(tmp_path: Path, looks: str) -> escalab.Scenario:
    """The fixture with other looks (``looks`` replaces its sequence/observe/declared lines)."""
    shutil.copy(FILES / "typed-tiny.yaml", tmp_path / "typed-tiny.yaml")
    text = WITH_PRIOR.read_text(encoding="utf-8")
    start = text.index("      sequence:")
    end = text.index("      map:")
    (tmp_path / "other.yaml").write_text(text[:start] + looks + text[end:], encoding="utf-8")
    return escalab.load(str(tmp_path / "other.yaml"))


def test_prior_is_the_readiness_posterior_mapped_to_types() -> None:
    s = escalab.load(str(WITH_PRIOR))
    game = s.compile("ladder")
    levels = by_hand()
    assert np.allclose(game.readiness_prior.levels, levels, rtol=0, atol=1e-12)
    assert game.type_names[game.typed] == ("tough", "soft")
    assert np.allclose(game.type_prior, [levels[TOUGH].sum(), levels[~TOUGH].sum()], rtol=0, atol=1e-12)
    # the same posterior from the functions behind `escalab assess`
    model = indicator_model(s, "d")
    post = forward(model, [parse_look(model, ["surge=no"]),
                           parse_look(model, ["surge=yes", "alert=no"], "raised alert")])[-1]
    assert np.array_equal(post, game.readiness_prior.levels)
    # ... and the arrays every solver and simulator reads carry it
    assert np.array_equal(Crisis.of(s).arrays.type_prior, game.type_prior)
    # not the prior written under actors.d.types (p_tough = 0.4)
    assert game.type_prior[0] > 0.8


def test_assess_prints_the_same_type_prior() -> None:
    result = CliRunner().invoke(app, ["assess", str(WITH_PRIOR), "--actor", "d", "--sequence", "surge=no",
                                      "--observe", "surge=yes", "--observe", "alert=no",
                                      "--declared", "raised alert"], terminal_width=200)
    assert result.exit_code == 0, result.output
    m = re.search(r"types \(the scenario's ladder_crisis.type_prior map\): tough ([\d.]+)%, soft ([\d.]+)%",
                  " ".join(result.output.split()))   # the console wraps long lines
    assert m, result.output
    prior = escalab.load(str(WITH_PRIOR)).compile("ladder").type_prior
    assert float(m.group(1)) == pytest.approx(100 * prior[0], abs=0.05)
    assert float(m.group(2)) == pytest.approx(100 * prior[1], abs=0.05)


def test_crisis_matches_the_same_prior_written_as_type_probabilities() -> None:
    """The readiness prior changes nothing but the prior: the exact ending distribution equals the
    one of typed-tiny with p_tough set to the mapped posterior."""
    read = Crisis.of(escalab.load(str(WITH_PRIOR)))
    p = float(read.arrays.type_prior[0])
    written = Crisis.of(escalab.load(str(FILES / "typed-tiny.yaml")).with_params({"p_tough": p}))
    specs = {"a": "equilibrium", "d": "equilibrium"}
    r1, r2 = read.exact(specs), written.exact(specs)
    for e in r1.endings:
        assert r1.endings[e].p == pytest.approx(r2.endings[e].p, abs=1e-12), e
    for t in r1.by_type:
        for e in r1.by_type[t]:
            assert r1.by_type[t][e].p == pytest.approx(r2.by_type[t][e].p, abs=1e-12), (t, e)


def test_endings_move_with_what_was_seen(tmp_path: Path) -> None:
    """Seeing nothing makes the soft type likely, a surge with alert the tough one. With war costly
    for the soft type (c_soft = 10) the challenger presses a defender it believes soft, who gives in,
    and settles with one it believes tough. Each ending distribution is the mixture of the per-type
    distributions under its prior."""
    quiet = with_looks(tmp_path, "      observe: {surge: false, alert: false}\n").with_params({"c_soft": 10})
    loud = with_looks(tmp_path, "      observe: {surge: true, alert: true}\n").with_params({"c_soft": 10})
    specs = {"a": "equilibrium", "d": "equilibrium"}
    results = {}
    for name, s in (("quiet", quiet), ("loud", loud)):
        c = Crisis.of(s)
        results[name] = (c.arrays.type_prior, c.exact(specs))
    (p_quiet, r_quiet), (p_loud, r_loud) = results["quiet"], results["loud"]
    assert p_quiet[0] < 0.3 < 0.9 < p_loud[0]
    assert r_quiet.endings["d_capitulates"].p > 0.5 and r_quiet.endings["settlement"].p < 0.5
    assert r_loud.endings["settlement"].p > 0.9
    for prior, r in ((p_quiet, r_quiet), (p_loud, r_loud)):
        for e in r.endings:
            mix = sum(prior[i] * r.by_type[t][e].p for i, t in enumerate(("tough", "soft")))
            assert r.endings[e].p == pytest.approx(mix, abs=1e-9), e


def test_impossible_looks_are_bad_input_for_the_cli(tmp_path: Path) -> None:
    """A surge seen that no readiness level can show: exit 2 with the reason, no traceback."""
    s = with_looks(tmp_path, "      observe: {surge: true}\n")
    text = (tmp_path / "other.yaml").read_text(encoding="utf-8")
    line = "likelihood: {defcon_5: 0.05, defcon_4: 0.1, defcon_3: 0.3, defcon_2: 0.6, defcon_1: lik_surge}"
    assert line in text and s.compile("ladder").type_prior[0] > 0.5
    (tmp_path / "other.yaml").write_text(text.replace(line, line.replace("0.05, defcon_4: 0.1, defcon_3: 0.3, "
                                                                         "defcon_2: 0.6", "0, defcon_4: 0, defcon_3: 0, defcon_2: 0")))
    result = CliRunner().invoke(app, ["simulate", str(tmp_path / "other.yaml"), "--exact", "--set", "lik_surge=0"])
    assert result.exit_code == 2, result.output
    assert "impossible under every readiness level" in result.output
    assert "Traceback" not in result.output


def test_json_schema_describes_type_prior() -> None:
    """`escalab schema` accepts the fixture's type_prior and rejects a non-boolean look or a map to a list."""
    import copy
    import json

    import jsonschema
    import yaml

    schema = json.loads(CliRunner().invoke(app, ["schema"]).output)
    doc = yaml.safe_load((FILES / "typed-tiny.yaml").read_text(encoding="utf-8"))  # what the fixture extends
    extra = yaml.safe_load(WITH_PRIOR.read_text(encoding="utf-8"))
    doc["actors"]["d"]["readiness"] = extra["actors"]["d"]["readiness"]
    doc["indicators"] = extra["indicators"]
    doc["ladder_crisis"]["type_prior"] = extra["ladder_crisis"]["type_prior"]
    jsonschema.validate(doc, schema)
    bad_look = copy.deepcopy(doc)
    bad_look["ladder_crisis"]["type_prior"]["from_readiness"]["observe"]["surge"] = "often"
    bad_map = copy.deepcopy(doc)
    bad_map["ladder_crisis"]["type_prior"]["from_readiness"]["map"]["defcon_1"] = ["tough"]
    no_map = copy.deepcopy(doc)
    del no_map["ladder_crisis"]["type_prior"]["from_readiness"]["map"]
    for bad in (bad_look, bad_map, no_map):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_cli_looks_replace_the_scenarios(tmp_path: Path) -> None:
    """`simulate --type-prior-from-assess` gives what the scenario with those looks written in gives."""
    import json

    written = with_looks(tmp_path, "      sequence: [{observe: {surge: false}}]\n"
                                   "      observe: {alert: false}\n      declared: raised alert\n")
    prior = written.compile("ladder").type_prior
    runner = CliRunner()
    got = runner.invoke(app, ["simulate", str(WITH_PRIOR), "--exact", "--out", str(tmp_path / "cli"),
                              "--type-prior-from-assess", "surge=no; alert=no", "--type-prior-declared", "Raised Alert"])
    assert got.exit_code == 0, got.output
    text = " ".join(got.output.split())
    assert f"tough {100 * prior[0]:.1f}%, soft {100 * prior[1]:.1f}%" in text
    ref = runner.invoke(app, ["simulate", str(tmp_path / "other.yaml"), "--exact", "--out", str(tmp_path / "file")])
    assert ref.exit_code == 0, ref.output
    as_json = [json.loads((tmp_path / d / "simulate.json").read_text()) for d in ("cli", "file")]
    assert as_json[0]["endings"] == as_json[1]["endings"]


@pytest.mark.parametrize(("args", "message"), [
    (["--type-prior-from-assess", "surge=maybe"], "expected yes or no"),
    (["--type-prior-from-assess", "bombers=yes"], "unknown indicator 'bombers'"),
    (["--type-prior-from-assess", "surge=no;"], "look 2 is empty"),
    (["--type-prior-declared", "all clear"], "unknown declaration 'all clear'"),
])
def test_cli_bad_looks_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", str(WITH_PRIOR), "--exact", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output


def test_cli_looks_need_a_type_prior_in_the_scenario() -> None:
    result = CliRunner().invoke(app, ["simulate", str(FILES / "typed-tiny.yaml"), "--type-prior-from-assess",
                                      "surge=no"])
    assert result.exit_code == 2 and "has no" in result.output and "type_prior" in result.output
