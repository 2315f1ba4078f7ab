"""Options shared by several commands, and parsing of ``--set name=value``."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import DEFAULT_SCENARIO
from ..errors import UsageError

if TYPE_CHECKING:
    from ..scenario import Scenario

ScenarioArg = Annotated[str, typer.Argument(help="A built-in scenario name (see 'escalab list') or a .yaml file.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", "-s", help="Override a parameter: name=value (repeatable).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Directory for output files.")]


def parse_number(text: str, what: str) -> float | int | Fraction:
    """A number from the command line; ``8/11`` stays the exact rational, so the exact solvers
    see the very threshold the user typed (a float would land an ulp to one side of it)."""
    t = text.strip()
    try:
        if "/" in t:
            f = Fraction(t)
            if not math.isfinite(float(f)):
                raise OverflowError(t)
            return int(f) if f.denominator == 1 else f
        v = float(t)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise UsageError(f"{what}: expected a number, got '{text}'") from None
    if not math.isfinite(v):
        raise UsageError(f"{what}: expected a finite number, got '{text}'")
    return int(v) if v.is_integer() and "." not in t and "e" not in t.lower() else v


def parse_sets(items: list[str] | None) -> dict[str, float | int | Fraction]:
    out: dict[str, float | int | Fraction] = {}
    for item in items or []:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"--set expects name=value, got '{item}'")
        out[name.strip()] = parse_number(value, f"--set {name.strip()}")
    return out


def load_with_sets(ref: str | None, sets: list[str] | None) -> Scenario:
    from ..scenario import load      # here: --help and list must not import the scenario language
    scenario = load(ref or DEFAULT_SCENARIO)
    values = parse_sets(sets)
    return scenario.with_params(values) if values else scenario
