"""The distinct values of a grid's per-point integer keys, without sorting the grid.

A sweep chunk holds thousands of points but its outcome keys take a handful of values, and
``np.unique`` sorts all of them (a seventh of a sweep's time went there). Comparing against each
value found is a few linear passes, which is what these arrays call for; when they turn out to
hold many values, the sort is used after all.
"""

from __future__ import annotations

import numpy as np

FEW = 8     # distinct values found by comparison passes before falling back to a sort


def distinct(values: np.ndarray, few: int = FEW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(values, return_index=True, return_inverse=True)`` for a 1-D integer array:
    the sorted distinct values, the index of each one's first occurrence, and each element's
    position among them."""
    values = np.asarray(values).reshape(-1)
    if values.size == 0 or few < 1:
        return np.unique(values, return_index=True, return_inverse=True)
    unassigned = np.ones(values.size, dtype=bool)
    first: list[int] = []
    while True:
        i = int(np.argmax(unassigned))              # the first element no value has claimed yet
        if not unassigned[i]:
            break
        if len(first) == few:
            return np.unique(values, return_index=True, return_inverse=True)
        unassigned &= values != values[i]
        first.append(i)
    order = np.argsort(values[first], kind="stable")
    uniq = values[first][order]
    inverse = np.zeros(values.size, dtype=np.intp)
    for u in uniq[:-1]:
        inverse += values > u                       # position = how many distinct values lie below
    return uniq, np.asarray(first, dtype=np.intp)[order], inverse

__all__ = ["FEW", "distinct"]
