"""Where the model layer plugs its compilers in.

The data layer must not import the model layer (layers point one way), yet users expect
``scenario.compile()``. The model package registers its compilers here when it is imported, and
:class:`Scenario` looks them up by form. ``import escalab`` does not import the model (a CLI that
only lists or validates must not pay for it); it names here how to, and the first look-up does.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ..errors import ModelError

_COMPILERS: dict[str, Callable[..., Any]] = {}
_PROVIDERS: list[Callable[[], object]] = []
_LOCK = threading.Lock()


def register(form: str, fn: Callable[..., Any]) -> None:
    _COMPILERS[form] = fn


def provided_by(importer: Callable[[], object]) -> None:
    """``importer`` registers compilers when called; it is called once, when a form is first missing."""
    _PROVIDERS.append(importer)


def get(form: str) -> Callable[..., Any]:
    if form not in _COMPILERS and _PROVIDERS:
        with _LOCK:   # tournament threads compile at once: none may find the registry half filled
            while form not in _COMPILERS and _PROVIDERS:
                _PROVIDERS[0]()
                _PROVIDERS.pop(0)
    try:
        return _COMPILERS[form]
    except KeyError:
        raise ModelError(f"no compiler for form '{form}' (known: {', '.join(sorted(_COMPILERS))})") from None
