"""Hypothesis: the size computed before expansion is the size the compiler builds, for random node graphs
with shared ``next:`` nodes and private types; extreme numbers never crash parsing or solving."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalab import limits
from escalab.errors import EscalabError, ExpressionError, ScenarioError
from escalab.scenario import loads
from escalab.scenario.expressions import parse
from escalab.scenario.size import expanded_tree_depth, expanded_tree_size
from escalab.solve.sequential import solve_sequential

pytestmark = pytest.mark.timeout(300)
EXTREME = st.sampled_from(["0", "1", "-1", "1e-300", "-1e-300", "1e300", "-1e300", "3.5e-9", "7e12"])


@st.composite
def dag_scenarios(draw) -> str:
    n = draw(st.integers(1, 7))
    typed = draw(st.booleans())
    lines = ["escalab: 1", "id: rnd", "title: random graph", "actors:"]
    if typed:
        lines.append("  a: {name: A, types: {weak: 0.5, strong: 0.5}}")
    else:
        lines.append("  a: {name: A}")
    lines += ["  b: {name: B}", "sequential:", "  root: n0", "  nodes:"]
    for i in range(n):
        moves = []
        for m in range(draw(st.integers(1, 3))):
            later = list(range(i + 1, n))
            if later and draw(st.booleans()):
                moves.append(f"m{m}: {{next: n{draw(st.sampled_from(later))}}}")
            else:
                moves.append(f"m{m}: {{outcome: o{draw(st.integers(0, 2))}}}")
        lines.append(f"    n{i}: {{actor: {draw(st.sampled_from('ab'))}, moves: {{{', '.join(moves)}}}}}")
    lines.append("  outcomes:")
    for k in range(3):
        lines.append(f"    o{k}: {{payoffs: {{a: {draw(EXTREME)}, b: {draw(EXTREME)}}}}}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60)
@given(dag_scenarios())
def test_size_before_expansion_equals_compiled_size(text: str) -> None:
    try:
        s = loads(text, "rnd.yaml")
    except ScenarioError as exc:           # e.g. an unreachable node: a located refusal, never a crash
        assert all(p.file for p in exc.problems)
        return
    game = s.compile("sequential")
    assert expanded_tree_size(s.spec) == game.info.num_nodes
    assert expanded_tree_depth(s.spec) == game.info.max_depth
    with limits.raised(tree_nodes=game.info.num_nodes - 1):
        with pytest.raises(ScenarioError, match="tree-nodes"):
            loads(text, "rnd.yaml")
    try:
        solve_sequential(game)            # extreme payoffs: an answer or a located refusal, never a crash
    except EscalabError:
        pass


@pytest.mark.timeout(60)           # exact arithmetic on 10**(10**30) would never return
@settings(max_examples=200)
@given(mantissa=st.sampled_from(["1", "2.5", "9.99", "0.001"]), sign=st.sampled_from(["", "-", "+"]),
       exponent=st.one_of(st.integers(0, 500), st.integers(10**6, 10**30)))
def test_number_literals_bounded(mantissa: str, sign: str, exponent: int) -> None:
    text = f"x * {mantissa}e{sign}{exponent}"
    try:
        parse(text).evaluate({"x": 1}, exact=True)
    except ExpressionError as exc:
        assert "exponent" in str(exc) or "too large" in str(exc)
