"""escalab: an open laboratory for nuclear-crisis escalation.

>>> import escalab
>>> s = escalab.load("escalate-to-deescalate")
>>> s.compile().info.has_chance
True
"""

from . import model  # registers the compilers behind Scenario.compile()
from .errors import EscalabError, ExpressionError, ModelError, ScenarioError, UsageError
from .scenario import Scenario, load, loads

__version__ = "0.1.0"
DEFAULT_SCENARIO = "escalate-to-deescalate"

__all__ = ["DEFAULT_SCENARIO", "EscalabError", "ExpressionError", "ModelError", "Scenario", "ScenarioError",
           "UsageError", "load", "loads", "model"]
