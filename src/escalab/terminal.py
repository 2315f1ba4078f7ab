"""User text made safe to print on a terminal.

Names, titles and values come from files written by strangers. Printed raw, an escape sequence in
an actor's name can clear the screen, retitle the window or hide the text before it; a bidi override
can make a line read differently from what it says. Everything that prints user text (CLI messages,
report tables) passes it through :func:`shown`, which writes control characters as visible escapes.

Usable by every layer (like ``errors``): it imports nothing from escalab.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["hide_url_credentials", "safe_console", "shown"]

# C0 controls but tab/newline, DEL, C1 controls, and the Unicode bidi embedding/override/isolate marks
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object, *, one_line: bool = False) -> str:
    """``text`` with control characters and escape sequences written as ``\\x1b``-style escapes.

    ``one_line`` also escapes newlines and tabs (for table cells and names, where a newline could
    forge a line of output).
    """
    s = str(text)
    return (_CONTROL_ONE_LINE if one_line else _CONTROL).sub(_escape, s)


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")


def hide_url_credentials(text: object) -> str:
    """``text`` with the credentials of any URL in it (``https://user:pass@host``) written as ``***``."""
    return _URL_CREDENTIALS.sub(r"\1***@", str(text))


def safe_console(**kwargs: Any) -> "Console":
    """A rich Console that writes user text through :func:`shown`.

    Tables, trees and panels take user text in many places; escaping at the one point where rich
    turns segments into output covers all of them. Rich's own control segments (cursor moves of a
    progress bar) and its styles are left alone; only the text of ordinary segments is escaped.
    """
    from rich.console import Console
    from rich.segment import Segment

    class _SafeConsole(Console):
        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            return super()._render_buffer(
                seg if seg.control else Segment(shown(seg.text), seg.style, seg.control) for seg in buffer)

    kwargs.setdefault("emoji", False)      # a file named 'z:smile:.yaml' prints as typed, not as an emoji
    return _SafeConsole(**kwargs)
