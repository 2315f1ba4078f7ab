"""JSON read as strictly as escalab reads YAML: bounded nesting, no duplicate keys, every problem located.

``json.loads`` recurses once per level, so a line of 100,000 brackets ends in a RecursionError,
and it keeps the last of two equal keys without a word -- in a transcript or a results.json that
is a game or a number silently replaced. One linear pass over the text's structure (strings are
skipped whole, so brackets and colons inside them do not count) finds the depth and the keys with
their positions before ``json.loads`` is given the text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import Problem, ScenarioError
from .source import MAX_DEPTH, PathT, format_path

# a string (possessive, so an unterminated one ends at the end of the text in one step, never
# quadratic), and whether a colon follows it (then it is a key); or a structural character
_TOKEN = re.compile(r'"(?:[^"\\]|\\[\s\S])*+"?(\s*:)?|[\[\]{},]')
_LONG_NUMBER = re.compile(r"\d{4000,}")


def _position(text: str, pos: int, first_line: int) -> tuple[int, int]:
    return first_line + text.count("\n", 0, pos), pos - text.rfind("\n", 0, pos)


def _structure_problem(text: str) -> tuple[str, PathT, int, bool] | None:
    """The first depth problem, else the first duplicate key: (message, path, position, is_depth)."""
    stack: list[set[str] | None] = []          # the keys of each open object (None: an array)
    path: list[str | int] = []
    duplicate = None
    for m in _TOKEN.finditer(text):
        tok = m.group()
        c = tok[0]
        if c == '"':
            if m.group(1) is None or not stack or stack[-1] is None:
                continue
            raw = tok[:m.start(1) - m.start()]
            try:
                key = json.loads(raw) if "\\" in raw else raw[1:-1]
            except ValueError:
                continue                       # a bad escape: json.loads says where
            if path:
                path[-1] = key
            if key in stack[-1]:  # type: ignore[operator]
                duplicate = duplicate or (f"duplicate key '{key[:60]}' (the first one would be silently "
                                          "overwritten)", tuple(path), m.start(), False)
            stack[-1].add(key)  # type: ignore[union-attr]
        elif c in "[{":
            stack.append(set() if c == "{" else None)
            path.append("" if c == "{" else 0)
            if len(stack) > MAX_DEPTH:
                return f"the document is nested more than {MAX_DEPTH} levels deep", tuple(path[:3]), m.start(), True
        elif c == ",":
            if stack and stack[-1] is None:
                path[-1] = int(path[-1]) + 1
        elif stack:
            stack.pop()
            path.pop()
    return duplicate


def loads(text: str, file: str, first_line: int = 1) -> Any:
    """The value of a JSON text, or a ScenarioError at the file, line, column and key of the problem
    (``first_line``: the line of the file the text starts on, for one line of a JSONL file)."""
    found = _structure_problem(text)
    if found is not None and found[3]:
        message, path, pos, _ = found
        raise ScenarioError([Problem(message, format_path(path), file, *_position(text, pos, first_line))])
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([Problem(f"not valid JSON: {exc.msg}", "", file, first_line + exc.lineno - 1,
                                     exc.colno)]) from None
    except (ValueError, RecursionError) as exc:
        # Python refuses integers over 4,300 digits (a ValueError without a position)
        long = _LONG_NUMBER.search(text)
        where = _position(text, long.start(), first_line) if long else (None, None)
        reason = "a number has too many digits" if long else str(exc)[:200]
        raise ScenarioError([Problem(f"not valid JSON: {reason}", "", file, *where)]) from None
    if found is not None:
        message, path, pos, _ = found
        raise ScenarioError([Problem(message, format_path(path), file, *_position(text, pos, first_line))])
    return value
