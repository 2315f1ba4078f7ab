"""escalab: an open laboratory for nuclear-crisis escalation.

>>> import escalab
>>> s = escalab.load("escalate-to-deescalate")
>>> s.compile().info.has_chance
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import EscalabError, ExpressionError, ModelError, ScenarioError, UsageError
from .scenario import compilers

if TYPE_CHECKING:
    from . import model
    from .scenario import Scenario, load, loads

# Imported on first use, not here: ``escalab --help`` must not pay for pydantic, NumPy and the
# model layer (issue 11). The model package fills the compiler registry when Scenario.compile()
# first asks for a compiler.
compilers.provided_by(lambda: importlib.import_module(".model", __name__))
_LAZY = {"Scenario": ".scenario", "load": ".scenario", "loads": ".scenario"}


def __getattr__(name: str) -> Any:
    if name == "model":
        return importlib.import_module(".model", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:   # notebooks complete the names before their first use
    return sorted(set(globals()) | set(_LAZY) | {"model"})


__version__ = "0.1.0"
DEFAULT_SCENARIO = "escalate-to-deescalate"

__all__ = ["DEFAULT_SCENARIO", "EscalabError", "ExpressionError", "ModelError", "Scenario", "ScenarioError",
           "UsageError", "load", "loads", "model"]
