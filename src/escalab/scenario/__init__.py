"""The data layer: the scenario language, its validation, and the built-in library."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names
from . import library

if TYPE_CHECKING:
    from .expressions import Expr, parse
    from .loader import load, load_ladder, load_scale, loads, validate_file, validate_text
    from .scenario import Scenario
    from .schema import BANDS, SCHEMA_VERSION, LadderSpec, ReadinessScaleSpec, ScenarioSpec

# Imported on first use: pydantic, NumPy and the schema cost more than ``escalab list`` or
# ``--help`` may (issue 11); the modules below import them at their top.
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    "Expr": ".expressions", "parse": ".expressions", "load": ".loader", "load_ladder": ".loader",
    "load_scale": ".loader", "loads": ".loader", "validate_file": ".loader", "validate_text": ".loader",
    "Scenario": ".scenario", "BANDS": ".schema", "SCHEMA_VERSION": ".schema", "LadderSpec": ".schema",
    "ReadinessScaleSpec": ".schema", "ScenarioSpec": ".schema"})


__all__ = ["BANDS", "SCHEMA_VERSION", "Expr", "library", "LadderSpec", "ReadinessScaleSpec", "Scenario", "ScenarioSpec",
           "load", "load_ladder", "load_scale", "loads", "parse", "validate_file", "validate_text"]
