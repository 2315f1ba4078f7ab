"""Fixtures for the simulate tests."""

from __future__ import annotations

import pytest
from simulate_helpers import crisis

import escalab
from escalab.simulate import Crisis


@pytest.fixture(scope="session")
def default_crisis() -> Crisis:
    return crisis(escalab.DEFAULT_SCENARIO)


@pytest.fixture(scope="session")
def kahn_crisis() -> Crisis:
    return crisis("kahn-game")
