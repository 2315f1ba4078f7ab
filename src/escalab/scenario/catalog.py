"""What ``escalab list`` shows of the built-in documents, read without the scenario language.

Listing the built-ins through :func:`~escalab.scenario.loader.load` validates some forty documents
(scenarios, their ``extends`` bases and the ladders they name) with pydantic and the meaning
checks, and imports both: most of the start-up budget of issue 11 for three columns of a table.
The built-ins are escalab's own files, fully validated by the test suite, so the listing reads
only the fields it shows, with libyaml. A document this reader cannot take (not YAML, not a
mapping, a field of the wrong type, an ``extends`` that is not a built-in name) goes through the
full loader instead, which says what is wrong. User files never come here: they keep the bounded
loader of :mod:`escalab.scenario.source`.
"""

from __future__ import annotations

from typing import Any

import yaml

from . import library

_FORMS = (("sequential", "sequential"), ("ladder", "ladder_crisis"))   # (form, the field that gives it)
_MAX_EXTENDS = 20
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(kind: str, name: str) -> dict[str, Any] | None:
    path = library.builtin_path(kind, name)
    if path is None:
        return None
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) and data.get("kind", "scenario") == kind else None   # as the loader reads kind


def _top_level(name: str, depth: int = 0) -> dict[str, Any] | None:
    """The top-level fields of a built-in scenario after ``extends``: the nearest document giving a
    field decides whether it is null (the loader merges two mappings into a mapping)."""
    data = _read("scenario", name)
    parent = None if data is None else data.get("extends")
    if data is None or parent is None:
        return data
    if not isinstance(parent, str) or library.is_file_reference(parent) or depth >= _MAX_EXTENDS:
        return None
    base = _top_level(parent, depth + 1)
    return None if base is None else {**base, **data}


def scenario_entry(name: str) -> tuple[str, tuple[str, ...]]:
    """(title, forms) of the built-in scenario ``name``."""
    data = _top_level(name)
    if data is not None and isinstance(data.get("title"), str):
        return data["title"], tuple(form for form, field in _FORMS if data.get(field) is not None)
    from .loader import load
    scenario = load(name)
    return scenario.title, scenario.forms


def ladder_entry(name: str) -> tuple[str, int]:
    """(name, number of rungs) of the built-in ladder ``name``."""
    return _entry("ladder", name, "rungs")


def scale_entry(name: str) -> tuple[str, int]:
    """(name, number of levels) of the built-in readiness scale ``name``."""
    return _entry("readiness_scale", name, "levels")


def _entry(kind: str, name: str, items: str) -> tuple[str, int]:
    data = _read(kind, name)
    if data is not None and isinstance(data.get("name", ""), str) and isinstance(data.get(items), list):
        return data.get("name", ""), len(data[items])
    from .loader import load_ladder, load_scale
    spec = (load_ladder if kind == "ladder" else load_scale)(name)
    return spec.name, len(getattr(spec, items))
