"""The data layer: the scenario language, its validation, and the built-in library."""

from .expressions import Expr, parse
from . import library
from .loader import load, load_ladder, load_scale, loads, validate_file, validate_text
from .scenario import Scenario
from .schema import BANDS, SCHEMA_VERSION, LadderSpec, ReadinessScaleSpec, ScenarioSpec

__all__ = ["BANDS", "SCHEMA_VERSION", "Expr", "library", "LadderSpec", "ReadinessScaleSpec", "Scenario", "ScenarioSpec",
           "load", "load_ladder", "load_scale", "loads", "parse", "validate_file", "validate_text"]
