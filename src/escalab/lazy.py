"""Package attributes imported on first use (PEP 562), for ``escalab`` and ``escalab.scenario``.

``escalab --help`` and ``escalab list`` must not pay for pydantic, NumPy or the model layer (issue
11), yet ``escalab.load`` and ``escalab.scenario.Scenario`` are the names users type. A package
lists where each name lives; the name is imported, and kept, the first time it is looked up.

Usable by every layer (like ``errors``): it imports nothing of escalab.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, namespace: dict[str, Any], where: Mapping[str, str]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where[name]`` is the module (relative to the
    package) holding ``name``, or ``"module:"`` for the module itself."""

    def get(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, colon, _ = where[name].partition(":")
        found = importlib.import_module(module, package)
        value = found if colon else getattr(found, name)
        namespace[name] = value
        return value

    def names() -> list[str]:   # notebooks complete the names before their first use
        return sorted(set(namespace) | set(where))

    return get, names
