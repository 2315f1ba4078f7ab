"""Where the model layer plugs its compilers in.

The data layer must not import the model layer (layers point one way), yet users expect
``scenario.compile()``. The model package registers its compilers here when it is imported
(``import escalab`` does that, before any user code can ask), and :class:`Scenario` looks them up by form.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ModelError

_COMPILERS: dict[str, Callable[..., Any]] = {}


def register(form: str, fn: Callable[..., Any]) -> None:
    _COMPILERS[form] = fn


def get(form: str) -> Callable[..., Any]:
    try:
        return _COMPILERS[form]
    except KeyError:
        raise ModelError(f"no compiler for form '{form}' (known: {', '.join(sorted(_COMPILERS))})") from None
