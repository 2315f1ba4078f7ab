"""Loading documents: built-in names or files, ``extends`` merging, references, validation.

The order is fixed: parse (with locations) -> merge ``extends`` -> shape (pydantic) ->
resolve references to ladders and readiness scales -> meaning (semantics). Each step raises a
:class:`ScenarioError` naming the file, line, column and field path.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ..errors import Problem, ScenarioError
from . import library, shape
from .scenario import Scenario
from .schema import DOCUMENT_KINDS, LadderSpec, ReadinessScaleSpec, ScenarioSpec
from .semantics import check_ladder, check_scale, check_scenario
from .size import check_budgets
from .source import Document, PathT, parse_text, read_file

KIND_WORDS = {"scenario": "scenario", "ladder": "ladder", "readiness_scale": "readiness scale"}


def open_document(kind: str, ref: str | Path, base_dir: Path | None = None,
                  referrer: tuple[Document, PathT] | None = None) -> Document:
    """Find and parse the document a reference names (a built-in name or a file path)."""
    ref_text = str(ref)
    try:
        path = ref if isinstance(ref, Path) else library.resolve(kind, ref_text, base_dir)
        found = path is not None and (path.is_file() or ((isinstance(ref, Path) or library.is_file_reference(ref_text)) and path.exists()))
    except (OSError, ValueError):  # e.g. a NUL character or a name too long for the file system
        path, found = Path(ref_text), False
    if not found:
        if library.is_file_reference(ref_text) or isinstance(ref, Path):
            message = f"file not found: {path}"
        else:
            names = ", ".join(library.builtin_names(kind)) or "none"
            message = f"unknown built-in {KIND_WORDS[kind]} '{ref_text}' (built-in: {names}; or give a .yaml file path)"
        if referrer is not None:
            raise referrer[0].error(message, referrer[1])
        raise ScenarioError([Problem(message, "", ref_text)])
    return read_file(path)


def _merge(base: Document, child: Document) -> Document:
    """Overlay ``child`` on ``base``: mappings merge key by key, anything else replaces.

    A parameter given as a bare number in the child overrides only the base default, so
    ``parameters: {p_resolute: 0.8}`` is all an overriding file needs.
    """
    data = copy.deepcopy(base.data)
    locations = dict(base.locations)

    def overlay(target: dict[str, Any], source: dict[str, Any], path: PathT) -> None:
        for key, value in source.items():
            sub = path + (key,)
            if path == ("parameters",) and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and isinstance(target.get(key), dict):
                target[key] = {**target[key], "default": value}
                locations[sub + ("default",)] = child.locations.get(sub, child.locate(sub))
                continue
            if path == ("parameters",) and isinstance(value, (int, float)) and not isinstance(value, bool):
                known = ", ".join(target) or "none"
                raise child.error(f"a bare number overrides the default of an inherited parameter, but the base "
                                  f"scenario has no parameter '{key}' (its parameters: {known}); to add one, "
                                  f"write {key}: {{default: {value}}}", sub)
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                overlay(target[key], value, sub)
            else:
                target[key] = copy.deepcopy(value)
                for p, loc in child.locations.items():
                    if p[:len(sub)] == sub:
                        locations[p] = loc
            locations.setdefault(sub, child.locate(sub))
            locations[sub] = child.locations.get(sub, locations[sub])

    overlay(data, child.data, ())
    locations[()] = child.locations.get((), (child.file, 1, 1))
    keys = {**base.key_locations, **child.key_locations}
    return Document(data, child.file, locations, child.base_dir, keys)


def scenario_document(ref: str | Path, base_dir: Path | None = None,
                      _chain: tuple[str, ...] = (), _referrer: tuple[Document, PathT] | None = None) -> Document:
    doc = open_document("scenario", ref, base_dir, _referrer)
    return _with_base(doc, _chain)


def _chain_key(doc: Document) -> str:
    try:
        return str(Path(doc.file).resolve())
    except (OSError, RuntimeError):
        return str(doc.file)


def _with_base(doc: Document, _chain: tuple[str, ...] = ()) -> Document:
    """Merge the document ``doc`` extends (recursively) under it; detect cycles of ``extends``."""
    if not isinstance(doc.data, dict):
        return doc
    parent = doc.data.get("extends")
    if parent is None:
        return doc
    if not isinstance(parent, str) or not parent.strip():
        raise doc.error(f"expected the name or path of a scenario to extend, got {parent!r}", ("extends",))
    key = _chain_key(doc)
    if key in _chain:
        names = [Path(k).name for k in _chain + (key,)]
        raise doc.error(f"'extends' forms a cycle: {' -> '.join(names)}", ("extends",))
    if len(_chain) >= MAX_EXTENDS_DEPTH:
        raise doc.error(f"'extends' chains more than {MAX_EXTENDS_DEPTH} files", ("extends",))
    base = scenario_document(parent, doc.base_dir, _chain + (key,), (doc, ("extends",)))
    merged = _merge(base, doc)
    merged.data["extends"] = parent
    return merged


MAX_EXTENDS_DEPTH = 20


def _resolve_ladder(ref: str | LadderSpec, doc: Document, path: PathT) -> LadderSpec:
    if isinstance(ref, LadderSpec):
        problems = check_ladder(ref, doc, path)
        if problems:
            raise ScenarioError(problems)
        return ref
    return load_ladder(ref, doc.base_dir, (doc, path))


def _resolve_scale(ref: str | ReadinessScaleSpec, doc: Document, path: PathT) -> ReadinessScaleSpec:
    if isinstance(ref, ReadinessScaleSpec):
        problems = check_scale(ref, doc, path)
        if problems:
            raise ScenarioError(problems)
        return ref
    return load_scale(ref, doc.base_dir, (doc, path))


def _require_kind(doc: Document, kind: str) -> None:
    found = doc.data.get("kind", "scenario") if isinstance(doc.data, dict) else None
    if found != kind:
        raise doc.error(f"expected a {KIND_WORDS[kind]} document (kind: {kind}), got kind: {found}", ("kind",))


def _load_component(kind: str, model: type, check: Any, ref: str | Path, base_dir: Path | None,
                    referrer: tuple[Document, PathT] | None) -> Any:
    doc = open_document(kind, ref, base_dir, referrer)
    _require_kind(doc, kind)
    spec = shape.validate(model, doc)
    problems = check(spec, doc, ())
    if problems:
        raise ScenarioError(problems)
    return spec


def load_ladder(ref: str | Path, base_dir: Path | None = None,
                referrer: tuple[Document, PathT] | None = None) -> LadderSpec:
    return _load_component("ladder", LadderSpec, check_ladder, ref, base_dir, referrer)


def load_scale(ref: str | Path, base_dir: Path | None = None,
               referrer: tuple[Document, PathT] | None = None) -> ReadinessScaleSpec:
    return _load_component("readiness_scale", ReadinessScaleSpec, check_scale, ref, base_dir, referrer)


def scenario_from_document(doc: Document) -> Scenario:
    _require_kind(doc, "scenario")
    spec: ScenarioSpec = shape.validate(ScenarioSpec, doc)
    problems: list[Problem] = []
    ladder = crisis_ladder = None
    scales: dict[str, ReadinessScaleSpec] = {}
    try:
        if spec.ladder is not None:
            ladder = _resolve_ladder(spec.ladder, doc, ("ladder",))
        crisis_ladder = ladder
        if spec.ladder_crisis is not None and spec.ladder_crisis.ladder is not None:
            crisis_ladder = _resolve_ladder(spec.ladder_crisis.ladder, doc, ("ladder_crisis", "ladder"))
    except ScenarioError as exc:
        problems.extend(exc.problems)
    for actor_id, actor in spec.actors.items():
        if actor.readiness is not None:
            try:
                scales[actor_id] = _resolve_scale(actor.readiness, doc, ("actors", actor_id, "readiness"))
            except ScenarioError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    checker = check_scenario(spec, doc, ladder, crisis_ladder, scales)
    if checker.problems:
        raise ScenarioError(checker.problems)
    over_budget = check_budgets(spec, doc.problem)   # before anything is expanded (docs/limits.md)
    if over_budget:
        raise ScenarioError(over_budget)
    return Scenario(spec=spec, source=doc.file, ladder=ladder, crisis_ladder=crisis_ladder, scales=scales,
                    values={name: p.default for name, p in spec.parameters.items()}, exprs=checker.exprs)


def load(ref: str | Path) -> Scenario:
    """Load a scenario by built-in name or file path, fully validated."""
    return scenario_from_document(scenario_document(ref))


def loads(text: str, name: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Load a scenario from YAML/JSON text (``extends`` paths resolve against ``base_dir``)."""
    doc = parse_text(text, name, base_dir)
    return scenario_from_document(_with_base(doc))


def _document_kind(doc: Document) -> str:
    kind = doc.data.get("kind", "scenario")
    if not isinstance(kind, str) or kind not in DOCUMENT_KINDS:
        raise doc.error(f"expected kind to be one of: {', '.join(DOCUMENT_KINDS)}; got {kind!r}", ("kind",))
    return kind


def _validate_document(doc: Document) -> Scenario | LadderSpec | ReadinessScaleSpec:
    kind = _document_kind(doc)
    if kind == "ladder":
        ladder = shape.validate(LadderSpec, doc)
        problems = check_ladder(ladder, doc, ())
        if problems:
            raise ScenarioError(problems)
        return ladder
    if kind == "readiness_scale":
        scale = shape.validate(ReadinessScaleSpec, doc)
        problems = check_scale(scale, doc, ())
        if problems:
            raise ScenarioError(problems)
        return scale
    return scenario_from_document(_with_base(doc))


def validate_file(path: str | Path) -> Scenario | LadderSpec | ReadinessScaleSpec:
    """Validate any escalab document, whatever its kind."""
    return _validate_document(read_file(Path(path)))


def validate_text(text: str, name: str = "<string>",
                  base_dir: Path | None = None) -> Scenario | LadderSpec | ReadinessScaleSpec:
    """Validate any escalab document given as text (references resolve against ``base_dir``)."""
    return _validate_document(parse_text(text, name, base_dir))
