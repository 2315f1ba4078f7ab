"""escalab: an open laboratory for nuclear-crisis escalation.

>>> import escalab
>>> s = escalab.load("escalate-to-deescalate")
>>> s.compile().info.has_chance
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import EscalabError, ExpressionError, ModelError, ScenarioError, UsageError
from .lazy import lazy_names
from .scenario import compilers

if TYPE_CHECKING:
    from . import model
    from .scenario import Scenario, load, loads

# Imported on first use, not here: ``escalab --help`` must not pay for pydantic, NumPy and the
# model layer (issue 11). The model package fills the compiler registry when Scenario.compile()
# first asks for a compiler.
compilers.provided_by(lambda: importlib.import_module(".model", __name__))
__getattr__, __dir__ = lazy_names(__name__, globals(), {"Scenario": ".scenario", "load": ".scenario",
                                                        "loads": ".scenario", "model": ".model:"})


__version__ = "0.1.0"
DEFAULT_SCENARIO = "escalate-to-deescalate"

__all__ = ["DEFAULT_SCENARIO", "EscalabError", "ExpressionError", "ModelError", "Scenario", "ScenarioError",
           "UsageError", "load", "loads", "model"]
