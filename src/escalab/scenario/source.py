"""Reading YAML/JSON documents while remembering where every value stood.

pydantic reports a field path such as ``('actors', 'us', 'types')``; a person editing the file
needs ``crisis.yaml:14:7``. We compose the YAML ourselves and keep a map from each path to the
line and column of its value (or of its key, for a missing or unknown key), and reject duplicate
keys, which plain ``yaml.safe_load`` would silently overwrite.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import limits
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


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _TagError(yaml.MarkedYAMLError):
    """An explicit tag (``!!python/object``, ``!!binary``, ``!!set``, ``!local``) on any node."""


class _Loader(yaml.SafeLoader):
    """A safe loader that refuses explicit tags and counts aliases while composing.

    Tags are refused outright rather than left to the safe constructor, because the safe loader
    still builds ``!!binary``, ``!!set`` and ``!!timestamp`` values escalab never asked for, and a
    tag a file relies on would otherwise pass ``validate`` silently.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self.aliases = 0

    def get_event(self) -> yaml.Event:
        return self.check(super().get_event())

    def check(self, event: yaml.Event) -> yaml.Event:
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _TagError(None, None, f"YAML tags such as '{_cut(shown)}' are not allowed in escalab "
                            "documents (write the plain value)", event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > limits.YAML_ALIASES.value():
                raise _TagError(None, None, limits.YAML_ALIASES.refusal(self.aliases), event.start_mark)
        return event


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml when it is there (pure-Python PyYAML takes about 10 s per MB).

    The C composer does not call back into Python, so the tag and alias rules of :class:`_Loader`
    are applied to the C parser's event stream first; both passes are linear in the text.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return yaml.compose(text, Loader=_Loader)
    checker = _Loader.__new__(_Loader)
    checker.aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            _Loader.check(checker, event)
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except _TagError:
        raise
    except yaml.YAMLError:
        # not valid YAML: the pure-Python parser words the problem as users of escalab know it
        return yaml.compose(text, Loader=_Loader)


def _cut(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


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
        self.count += 1
        if self.count > limits.YAML_NODES.value():
            # counted while expanding, so aliases and merges that multiply a small file stop here
            raise _Located(limits.YAML_NODES.refusal(self.count), node, path)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if len(path) > MAX_DEPTH:
                raise _Located(f"the document is nested more than {MAX_DEPTH} levels deep", node, path[:3])
            if id(node) in self.active:
                raise _Located("an alias refers to the collection that contains it (a recursive structure)", node,
                               path)
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
            # ``<<: *base`` (or a list of bases): merged keys come first and an explicit key overrides
            # them (not a duplicate); of several bases the first one giving a key wins
            merged: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                    for src in sources:
                        if not isinstance(src, yaml.MappingNode):
                            raise _Located("a merge key '<<' takes a mapping or a list of mappings", src, path)
                        built = self.build(src, path)
                        for k, v in built.items():
                            merged.setdefault(k, v)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
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
                if isinstance(key, bool):  # YAML 1.1 reads `yes:`/`no:`/`on:` as booleans; the author meant a name
                    key = key_node.value
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
            return {**merged, **out} if merged else out
        return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]


MAX_DEPTH = 50


class _Located(Exception):
    def __init__(self, message: str, node: yaml.Node, path: PathT = ()):
        super().__init__(message)
        self.message = message
        self.node = node
        self.path = path


def _fmt(path: PathT) -> str:
    return format_path(path)


FLOW_DEPTH = 1_000
_BRACKET = re.compile(r"[\[\]{}]")


def _flow_depth_problem(text: str, file: str) -> ScenarioError | None:
    """Brackets nested past FLOW_DEPTH, found before libyaml sees them: its parser takes time quadratic
    in the nesting (3 s at 20,000 levels, minutes at 100,000). Counted without regard to quotes, so the
    bound sits far above MAX_DEPTH: only a thousand unclosed brackets inside strings could be miscounted."""
    if sum(text.count(c) for c in "[{") <= FLOW_DEPTH:
        return None
    depth = 0
    for m in _BRACKET.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > FLOW_DEPTH:
            pos = m.start()
            return ScenarioError([Problem(f"the document is nested more than {MAX_DEPTH} levels deep", "", file,
                                          text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos))])
    return None


def parse_text(text: str, file: str, base_dir: Path | None = None) -> Document:
    """Parse YAML (JSON is a subset) into a located document, or raise ScenarioError."""
    too_deep = _flow_depth_problem(text, file)
    if too_deep is not None:
        raise too_deep
    try:
        node = _compose(text)
    except _TagError as exc:
        mark = exc.problem_mark
        raise ScenarioError([Problem(str(exc.problem), "", file, mark.line + 1 if mark else None,
                                     mark.column + 1 if mark else None)]) from None
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


def special_kind(mode: int) -> str | None:
    """What a file of this ``st_mode`` is when it is not a regular file (None when it is one)."""
    if stat.S_ISREG(mode):
        return None
    return "a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else \
        "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
        "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def read_bounded(path: Path, limit: limits.Limit = limits.FILE_BYTES) -> bytes:
    """The bytes of a regular file no bigger than ``limit``; OSError or LimitError otherwise.

    Opened without blocking and checked on the open descriptor, so a FIFO cannot hang us, a
    device such as /dev/zero cannot be read forever and a directory gets a true message; then at
    most limit + 1 bytes are read, in case the file grows while we read it.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "is a folder, not a file", str(path))
        kind = special_kind(info.st_mode)
        if kind is not None:
            raise OSError(22, f"is {kind}, not a regular file", str(path))
        limit.check(info.st_size, str(path))
        chunks, left = [], limit.value() + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        limit.check(len(data), str(path))
        return data
    finally:
        os.close(fd)


def read_text(path: Path, limit: limits.Limit = limits.FILE_BYTES) -> str:
    """The UTF-8 text of a user's file, bounded as :func:`read_bounded`; a ScenarioError naming the
    file otherwise (every file escalab reads from a user comes through here)."""
    try:
        return read_bounded(path, limit).decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("file not found", "", str(path))]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start:,})", "",
                                     str(path))]) from None
    except limits.LimitError as exc:
        raise ScenarioError([Problem(str(exc).removeprefix(f"{path}: "), "", str(path))]) from None
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read: {exc.strerror}", "", str(path))]) from None


def read_file(path: Path) -> Document:
    return parse_text(read_text(path), str(path), path.parent)
