"""Reading YAML/JSON documents while remembering where every value stood.

pydantic reports a field path such as ``('actors', 'us', 'types')``; a person editing the file
needs ``crisis.yaml:14:7``. We compose the YAML ourselves and keep a map from each path to the
line and column of its value (or of its key, for a missing or unknown key), and reject duplicate
keys, which plain ``yaml.safe_load`` would silently overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ScenarioError

PathT = tuple[str | int, ...]


def format_path(path: PathT) -> str:
    """Render a field path the way a user reads it: ``actors.us.types[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class Document:
    """A parsed document plus the location of every value in it."""

    data: Any
    file: str
    locations: dict[PathT, tuple[str, int, int]] = field(default_factory=dict)
    base_dir: Path | None = None
    key_locations: dict[PathT, tuple[str, int, int]] = field(default_factory=dict)

    def locate(self, path: PathT) -> tuple[str, int | None, int | None]:
        """The file/line/column of ``path``, or of its nearest located ancestor.

        After ``extends`` merging, a value may come from the base document, so the file is
        stored per location rather than once per document.
        """
        p = tuple(path)
        while p:
            if p in self.locations:
                return self.locations[p]
            p = p[:-1]
        return self.locations.get((), (self.file, None, None))

    def problem(self, message: str, path: PathT = (), at_key: bool = False) -> Problem:
        """A problem at ``path``: its value's position, or with ``at_key`` the position of its key."""
        located = self.key_locations.get(tuple(path)) if at_key else None
        file, line, col = located or self.locate(path)
        return Problem(message, format_path(path), file, line, col)

    def error(self, message: str, path: PathT = ()) -> ScenarioError:
        return ScenarioError([self.problem(message, path)])


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.loader = yaml.SafeLoader("")
        self.locations: dict[PathT, tuple[str, int, int]] = {}
        self.key_locations: dict[PathT, tuple[str, int, int]] = {}
        self.problems: list[Problem] = []
        self.active: set[int] = set()
        self.count = 0

    def mark(self, path: PathT, node: yaml.Node) -> None:
        self.locations[path] = (self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: PathT) -> Any:
        self.mark(path, node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if len(path) > MAX_DEPTH:
                raise _Located(f"the document is nested more than {MAX_DEPTH} levels deep", node, path[:3])
            if id(node) in self.active:
                raise _Located("an alias refers to the collection that contains it (a recursive structure)", node,
                               path)
            self.count += 1
            if self.count > MAX_COLLECTIONS:
                raise _Located(f"the document expands to more than {MAX_COLLECTIONS} mappings and lists "
                               "(too many aliases?)", node, path)
            self.active.add(id(node))
            try:
                return self._build_collection(node, path)
            finally:
                self.active.discard(id(node))
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: PathT) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. a date such as 2001-02-30
            raise _Located(f"not valid YAML: cannot read {node.value!r} ({exc})", node, path) from None

    def _build_collection(self, node: yaml.Node, path: PathT) -> Any:
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(Problem("mapping keys must be plain scalars", _fmt(path), self.file,
                                                 key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                    continue
                key = self.scalar(key_node, path)
                if not isinstance(key, (str, int, float, bool)):
                    self.problems.append(Problem("mapping keys must be plain scalars",
                                                 _fmt(path), self.file,
                                                 key_node.start_mark.line + 1,
                                                 key_node.start_mark.column + 1))
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    self.problems.append(Problem(
                        f"duplicate key '{key}' (the first one would be silently overwritten)",
                        _fmt(path + (key,)), self.file,
                        key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                    continue
                self.key_locations[path + (key,)] = (self.file, key_node.start_mark.line + 1,
                                                     key_node.start_mark.column + 1)
                out[key] = self.build(value_node, path + (key,))
            return out
        return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]


MAX_COLLECTIONS = 100_000
MAX_DEPTH = 50


class _Located(Exception):
    def __init__(self, message: str, node: yaml.Node, path: PathT = ()):
        super().__init__(message)
        self.message = message
        self.node = node
        self.path = path


def _fmt(path: PathT) -> str:
    return format_path(path)


def parse_text(text: str, file: str, base_dir: Path | None = None) -> Document:
    """Parse YAML (JSON is a subset) into a located document, or raise ScenarioError."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ScenarioError([Problem("the document is nested too deeply", "", file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise ScenarioError([Problem(f"not valid YAML: {exc.problem or exc}", "", file, line, col)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(f"not valid YAML: {exc}", "", file)]) from None
    if node is None:
        raise ScenarioError([Problem("the document is empty", "", file, 1, 1)])
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise ScenarioError([Problem("the document is nested too deeply", "", file)]) from None
    except _Located as exc:
        mark = exc.node.start_mark
        raise ScenarioError([Problem(exc.message, format_path(exc.path), file,
                                     mark.line + 1, mark.column + 1)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise ScenarioError([Problem(f"not valid YAML: {exc.problem or exc}", "", file, line, col)]) from None
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # ValueError/OverflowError: a scalar PyYAML cannot construct, such as a timestamp out of range
        raise ScenarioError([Problem(f"not valid YAML: {exc}", "", file)]) from None
    if builder.problems:
        raise ScenarioError(builder.problems)
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string"}.get(type(data), type(data).__name__)
        raise ScenarioError([Problem(f"expected a mapping (key: value lines) at the top of the document, got {kind}",
                                     "", file, node.start_mark.line + 1, node.start_mark.column + 1)])
    return Document(data, file, builder.locations, base_dir, builder.key_locations)


def read_file(path: Path) -> Document:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("file not found", "", str(path))]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"not UTF-8 text ({exc.reason})", "", str(path))]) from None
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read: {exc.strerror}", "", str(path))]) from None
    return parse_text(text, str(path), path.parent)
