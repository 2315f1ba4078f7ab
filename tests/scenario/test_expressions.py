"""The expression language: what it computes, exactly, and everything it refuses."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from escalab.errors import ExpressionError
from escalab.scenario.expressions import FUNCTIONS, parse


def ev(src: str, exact: bool = False, **env: object) -> object:
    return parse(src).evaluate(env, exact)


@pytest.mark.parametrize("src, value", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("2 ** 3 ** 2", 512), ("-2 ** 2", -4), ("2 ^ 3", 8),
    ("10 / 4", 2.5), ("7 - 2 - 1", 4), ("+3", 3), ("-(-3)", 3), ("2 * -3", -6),
])
def test_arithmetic_and_precedence(src: str, value: float) -> None:
    assert ev(src) == value


def test_caret_is_a_power_with_the_precedence_of_double_star() -> None:
    assert ev("x ^ 2", x=3) == 9
    assert ev("1 + x ^ 2", x=3) == 10
    assert ev("1 - x^2", x=2) == -3
    assert ev("2 ^ 3 ^ 2") == ev("2 ** 3 ** 2") == 512
    assert parse("x ^ 2").source == "x ^ 2"  # the author's text is kept


@pytest.mark.parametrize("src, value", [
    ("1 < 2", True), ("2 <= 1", False), ("3 == 3", True), ("3 != 3", False), ("1 < 2 < 3", True),
    ("1 < 3 < 2", False), ("1 < 2 and 2 < 1", False), ("1 < 2 or 2 < 1", True), ("not 1 < 2", False),
    ("5 if 1 < 2 else 6", 5), ("5 if 2 < 1 else 6", 6),
])
def test_comparisons_boolean_and_conditional(src: str, value: object) -> None:
    assert ev(src) == value


@pytest.mark.parametrize("src, value", [
    ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("abs(-4)", 4), ("sqrt(16)", 4.0), ("exp(0)", 1.0),
    ("log(1)", 0.0), ("clip(5, 0, 2)", 2), ("clip(-5, 0, 2)", 0), ("where(1 > 0, 7, 8)", 7),
])
def test_functions(src: str, value: float) -> None:
    assert ev(src) == value


def test_names_are_collected_and_bound() -> None:
    e = parse("stake - c_first_use * 2")
    assert e.names == {"stake", "c_first_use"}
    assert not e.is_constant and parse("3").is_constant
    assert e.evaluate({"stake": 10, "c_first_use": 2}) == 6
    with pytest.raises(ExpressionError, match="unknown name"):
        e.evaluate({"stake": 10})


def test_exact_mode_uses_fractions() -> None:
    e = parse("0.1 + 0.2")
    assert e.evaluate({}, exact=True) == Fraction(3, 10)
    assert isinstance(e.evaluate({}, exact=True), Fraction)
    assert e.evaluate({}) != 0.3  # the float answer is the familiar 0.30000000000000004
    assert ev("1 / 3", exact=True) == Fraction(1, 3)
    assert ev("1 - p", exact=True, p=Fraction(3, 10)) == Fraction(7, 10)
    assert ev("2 ** -2", exact=True) == Fraction(1, 4)
    assert ev("1e-3", exact=True) == Fraction(1, 1000)


def test_numbers_parse_directly() -> None:
    assert parse(3).evaluate({}) == 3
    assert parse(0.25).evaluate({}, exact=True) == Fraction(1, 4)
    with pytest.raises(ExpressionError, match="finite"):
        parse(float("inf"))
    with pytest.raises(ExpressionError):
        parse(True)
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError, match="empty"):
        parse("   ")


def test_numpy_arrays_broadcast() -> None:
    p = np.linspace(0, 1, 5)
    c = np.array([[1.0], [2.0]])
    out = ev("p * c - 1", p=p, c=c)
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out[1], 2 * p - 1)
    np.testing.assert_allclose(ev("max(p, 0.5)", p=p), np.maximum(p, 0.5))
    np.testing.assert_allclose(ev("min(p, 0.5, 0.7)", p=p), np.minimum(p, 0.5))
    np.testing.assert_allclose(ev("where(p > 0.5, 1, 0)", p=p), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(ev("1 if p > 0.5 else 0", p=p), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(ev("clip(p, 0.25, 0.75)", p=p), np.clip(p, 0.25, 0.75))
    np.testing.assert_allclose(ev("p > 0.2 and p < 0.8", p=p), [False, True, True, True, False])
    np.testing.assert_allclose(ev("not p > 0.5", p=p), [True, True, True, False, False])
    np.testing.assert_allclose(ev("sqrt(p) + exp(p) + log(p + 1) + abs(-p)", p=p),
                               np.sqrt(p) + np.exp(p) + np.log(p + 1) + p)


@pytest.mark.parametrize("src, fragment", [
    ("x.real", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('ls')", "attribute access"),
    ("__builtins__", "'__'"),
    ("open('f')", "unknown function 'open'"),
    ("x[0]", "indexing"),
    ("[1, 2]", "a list"),
    ("(1, 2)", "a tuple"),
    ("{1: 2}", "a mapping"),
    ("{1}", "a set"),
    ("[i for i in x]", "comprehension"),
    ("(i for i in x)", "generator"),
    ("f'{x}'", "f-string"),
    ("'text'", "only numbers"),
    ("True", "only numbers"),
    ("None", "only numbers"),
    ("1j", "only numbers"),
    ("(y := 2)", "':='"),
    ("x // 2", "'//'"),
    ("x % 2", "'%'"),
    ("x @ y", "'@'"),
    ("x << 1", "'<<'"),
    ("x | y", "'|'"),
    ("x & y", "'&'"),
    ("~x", "'~'"),
    ("x is y", "'is'"),
    ("x in y", "'in'"),
    ("max(x, key=1)", "positional"),
    ("clip(1, 2)", "takes 3"),
    ("min()", "at least 1"),
    ("1 +", "cannot parse"),
    ("x = 1", "cannot parse"),
    ("import os", "cannot parse"),
    ("1e400", "too large"),
    ("+".join(["1"] * 1500), "too long"),
])
def test_rejected_constructs(src: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(src)
    assert fragment in info.value.message


def test_error_column_points_into_the_expression() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("1 + floor(x)")
    assert info.value.column == 5


@pytest.mark.parametrize("src, env, fragment", [
    ("1 / x", {"x": 0}, "division by zero"),
    ("x ** -1", {"x": 0}, "division by zero"),
    ("sqrt(x)", {"x": -1}, "cannot evaluate"),
    ("log(x)", {"x": 0}, "cannot evaluate"),
    ("x ** 0.5", {"x": -4}, "not a real number"),
    ("9 ** 9 ** 9", {}, "too large"),
    ("exp(x)", {"x": 10000}, "too large"),
    ("3 ** 647", {}, "too large"),  # an exact integer beyond the largest float
])
def test_evaluation_errors_are_expression_errors(src: str, env: dict, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(src).evaluate(env)
    assert fragment in info.value.message


def test_huge_exact_powers_do_not_hang() -> None:
    # an exact power past the size limit is computed in floating point and overflows cleanly
    with pytest.raises(ExpressionError, match="too large"):
        parse("x ** 100000").evaluate({"x": 10}, exact=True)
    assert parse("x ** 100000").evaluate({"x": 1}, exact=True) == 1


def test_whitelist_is_documented_set() -> None:
    assert set(FUNCTIONS) == {"min", "max", "abs", "exp", "log", "sqrt", "clip", "where"}
