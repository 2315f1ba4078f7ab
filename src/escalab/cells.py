"""User text made safe for a spreadsheet cell (CSV files escalab writes).

Labels, actor names and statements come from strangers (a shared config, a scenario file, a
language model). A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which some spreadsheets skip before reading a formula) is run as a formula when the CSV is opened:
``=HYPERLINK(...)`` leaks data, ``=cmd|...`` ran programs in old Excel. Following OWASP's advice
(CSV injection), such a cell gets a leading ``'``, which spreadsheets show as text; a plain number
(``-0.5``) is left alone. Control characters and escape sequences are written as visible escapes
(:func:`escalab.terminal.shown`), so a cell cannot redraw a terminal that prints the file.

Usable by every layer (like ``errors``): it imports nothing above ``escalab.terminal``.
"""

from __future__ import annotations

from typing import Any

from .terminal import shown

__all__ = ["spreadsheet_cell", "spreadsheet_row"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower().lstrip("+-") not in ("inf", "infinity", "nan")


def spreadsheet_cell(value: Any) -> Any:
    """A cell's value as it may be written: text neutralised, numbers and other values unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _is_number(value):
        value = "'" + value
    return shown(value, one_line=True)


def spreadsheet_row(row: Any) -> Any:
    """:func:`spreadsheet_cell` of every value of a row (a list, or a dict of column to value)."""
    if isinstance(row, dict):
        return {k: spreadsheet_cell(v) for k, v in row.items()}
    return [spreadsheet_cell(v) for v in row]
