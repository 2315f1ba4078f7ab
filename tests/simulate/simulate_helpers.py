"""Helpers shared by the simulate tests: compiled crises are built once per test session."""

from __future__ import annotations

import math

import escalab
from escalab.scenario import library
from escalab.simulate import Crisis

_CRISES: dict[tuple[str, bool], Crisis] = {}


def ladder_scenarios() -> list[str]:
    """Every built-in scenario with a ladder crisis."""
    return [n for n in library.builtin_names("scenario") if escalab.load(n).spec.ladder_crisis is not None]


def crisis(name: str, accidents: bool = True) -> Crisis:
    key = (name, accidents)
    if key not in _CRISES:
        _CRISES[key] = Crisis.of(escalab.load(name), accidents=accidents)
    return _CRISES[key]


def within(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    """Is count/n within ``sigmas`` binomial standard errors of p?"""
    return abs(count / n - p) <= sigmas * math.sqrt(p * (1 - p) / n) + 1e-12
