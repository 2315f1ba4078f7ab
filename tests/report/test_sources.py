"""Every number of every built-in scenario says where it comes from, and the report lists it."""

from __future__ import annotations

import re

import pytest

import escalab
from escalab.report.run import scenario_record
from escalab.scenario import library, load_scale

CITATION = re.compile(r"^assumption: \S|\(\d{4}\)|\d{4}\b|domain notes")


@pytest.mark.parametrize("name", library.builtin_names("scenario"))
def test_builtin_parameters_and_indicators_cite_or_assume(name: str) -> None:
    s = escalab.load(name)
    for pname, p in s.parameters.items():
        assert CITATION.search(p.source), (name, pname, p.source)
    for actor, ind in s.spec.indicators.items():
        assert CITATION.search(ind.source), (name, actor)
        for sign, sg in ind.signs.items():
            assert CITATION.search(sg.source), (name, actor, sign)


@pytest.mark.parametrize("name", library.builtin_names("readiness_scale"))
def test_builtin_scales_have_sources(name: str) -> None:
    assert load_scale(name).sources


def test_the_report_lists_every_source() -> None:
    s = escalab.load("escalate-to-deescalate")
    rec = scenario_record(s)
    assert [p["source"] for p in rec["parameters"]] == [" ".join(p.source.split()) for p in s.parameters.values()]
    whats = [w for w, _ in rec["indicator_sources"]]
    assert "russia: sign ssbn_surge" in whats and "russia: prior, persistence, declarations" in whats
    assert {d for d, _ in rec["document_sources"]} >= {"kahn-game-30 (ladder)", "defcon (readiness scale)"}


def test_a_parameter_without_source_is_shown_as_such() -> None:
    s = escalab.loads("""
escalab: 1
id: bare
title: Bare
parameters: {v: {default: 1}}
actors: {a: {name: A}, b: {name: B}}
sequential:
  root: start
  nodes: {start: {actor: a, moves: {stay: {outcome: quiet}, go: {outcome: loud}}}}
  outcomes: {quiet: {payoffs: {a: 0, b: 0}}, loud: {payoffs: {a: v, b: -v}}}
""")
    from escalab.report.html_report import sources_html
    assert "no source given" in sources_html({"scenario": scenario_record(s)})
