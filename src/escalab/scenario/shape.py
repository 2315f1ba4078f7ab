"""Turning pydantic's validation errors into located, readable problems.

pydantic's locations contain union-member tags (``str``, ``function-after[...]``) that mean
nothing to a scenario author, and its "extra fields not permitted" does not say which keys *are*
permitted. Here we map each error back onto the document path, say what was expected, and merge
the several errors one value produces against a union into one line.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ScenarioError
from .source import Document, PathT

_TYPE_WORDS = {
    "int_type": "an integer", "int_parsing": "an integer", "float_type": "a number",
    "string_type": "a string", "dict_type": "a mapping", "list_type": "a list",
    "bool_type": "true or false", "tuple_type": "a list", "model_type": "a mapping",
    "int_from_float": "an integer",
}


def _strip_annotated(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _models_in(tp: Any) -> list[type[BaseModel]]:
    tp = _strip_annotated(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if get_origin(tp) in (Union, types.UnionType):
        out: list[type[BaseModel]] = []
        for arg in get_args(tp):
            out.extend(_models_in(arg))
        return out
    return []


def _child_type(tp: Any, key: str | int) -> Any:
    """The annotation found one step below ``tp`` at ``key`` (for dicts, lists and models)."""
    tp = _strip_annotated(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        for arg in get_args(tp):
            found = _child_type(arg, key)
            if found is not None:
                return found
        return None
    if origin is dict:
        return get_args(tp)[1] if isinstance(key, str) else None
    if origin in (list, tuple):
        args = get_args(tp)
        return args[0] if args and isinstance(key, int) else None
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(key, str):
        field = tp.model_fields.get(key)
        return field.annotation if field else None
    return None


def allowed_keys(root: type[BaseModel], path: PathT) -> list[str]:
    tp: Any = root
    for key in path:
        tp = _child_type(tp, key)
        if tp is None:
            return []
    keys: list[str] = []
    for model in _models_in(tp):
        keys.extend(k for k in model.model_fields if k not in keys)
    return keys


def _describe_literal(root: type[BaseModel], path: PathT) -> str | None:
    tp: Any = root
    for key in path:
        tp = _child_type(tp, key)
        if tp is None:
            return None
    tp = _strip_annotated(tp)
    if get_origin(tp) is Literal:
        return "one of: " + ", ".join(repr(a) for a in get_args(tp))
    return None


def _data_path(data: Any, loc: tuple[Any, ...]) -> PathT:
    """Keep the parts of a pydantic loc that really index into the document."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and not _looks_like_tag(part):
            out.append(part)  # a missing or unknown key: still part of the path
            cur = None
        # otherwise a union tag such as 'str' or 'function-after[...]': skip it
    return tuple(out)


def _looks_like_tag(part: str) -> bool:
    return part in {"str", "int", "float", "bool", "list", "dict", "tuple", "none"} or \
        "[" in part or part[:1].isupper()


def _message(err: dict[str, Any], root: type[BaseModel], path: PathT) -> str:
    etype = err["type"]
    given = err.get("input")
    if etype == "extra_forbidden":
        keys = allowed_keys(root, path[:-1])
        hint = f" (expected one of: {', '.join(keys)})" if keys else ""
        return f"unknown key '{path[-1]}'{hint}"
    if etype == "missing":
        return f"missing required key '{path[-1]}'" if path else "missing required key"
    if etype == "literal_error":
        expected = _describe_literal(root, path) or err["msg"]
        return f"expected {expected}, got {given!r}"
    if etype == "string_pattern_mismatch":
        return f"'{given}' is not a valid identifier (use letters, digits, '_' and '-', starting with a letter)"
    if etype in ("too_short", "too_long"):
        return err["msg"][0].lower() + err["msg"][1:]
    word = _TYPE_WORDS.get(etype)
    if word:
        return f"expected {word}, got {type(given).__name__} {given!r}"
    return f"{err['msg']} (got {given!r})"


def validate(model: type[BaseModel], doc: Document, data: Any = None) -> Any:
    """Validate ``data`` (default: the document's data) against ``model``, raising located errors."""
    data = doc.data if data is None else data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, model, doc, data) from None


def translate(exc: ValidationError, model: type[BaseModel], doc: Document, data: Any,
              prefix: PathT = ()) -> ScenarioError:
    by_path: dict[PathT, list[dict[str, Any]]] = {}
    for err in exc.errors():
        path = _data_path(data, tuple(err["loc"]))
        by_path.setdefault(path, []).append(err)
    problems: list[Problem] = []
    for path, errs in by_path.items():
        messages: list[str] = []
        for err in errs:
            m = _message(err, model, path)
            if m not in messages:
                messages.append(m)
        if len(messages) > 1:
            # one value failing every member of a union: say what each member wanted
            expected = [m.removeprefix("expected ").split(", got")[0] for m in messages if m.startswith("expected")]
            if expected and len(expected) == len(messages):
                given = errs[0].get("input")
                messages = [f"expected {' or '.join(expected)}, got {type(given).__name__} {given!r}"]
        for m in messages:
            problems.append(doc.problem(m, prefix + path))
    return ScenarioError(problems)
