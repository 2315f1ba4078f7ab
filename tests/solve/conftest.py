"""Fixtures for the solve tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import escalab
from escalab.model import ExtensiveGame


@pytest.fixture(scope="session")
def default_scenario() -> escalab.Scenario:
    return escalab.load(escalab.DEFAULT_SCENARIO)


@pytest.fixture(scope="session")
def exact_game() -> Callable[..., ExtensiveGame]:
    """A built-in scenario compiled with rational arithmetic, optionally at other parameter values."""
    def make(name: str, **params: Any) -> ExtensiveGame:
        s = escalab.load(name)
        if params:
            s = s.with_params(params)
        return s.compile("sequential", exact=True)
    return make
