"""Ranges of a sweep's grid taken in any order give the table one pass over the grid gives."""

from __future__ import annotations

import random

import numpy as np
import pytest

from escalab.solve.grid_order import GridCodes, RangeOrder


def _cut(per_point: list[tuple[str, str]], bounds: list[int]) -> list[tuple[int, np.ndarray, list[tuple[str, str]]]]:
    """The grid as a worker would return it: each range's labels numbered by first appearance in the range."""
    ranges = []
    for start, stop in zip(bounds, bounds[1:]):
        own: list[tuple[str, str]] = []
        for key in per_point[start:stop]:
            if key not in own:
                own.append(key)
        ranges.append((start, np.array([own.index(k) for k in per_point[start:stop]], dtype=np.int16), own))
    return ranges


@pytest.mark.parametrize("distinct", [5, 300])
def test_ranges_in_any_order_give_each_point_its_label_numbered_by_first_appearance(distinct: int) -> None:
    rng = random.Random(distinct)
    # few labels early, more turning up later (so that codes widen past int8 midway with 300)
    per_point = [(f"outcome {min(rng.randrange(distinct), i // 7)}", f"path {i % 3 == 0}") for i in range(3000)]
    bounds = sorted({0, 3000, *rng.sample(range(1, 3000), 40)})
    ranges = _cut(per_point, bounds)
    rng.shuffle(ranges)
    grid = GridCodes(0, 3000)
    for start, codes, labels in ranges:
        grid.add(start, codes, labels, gambit_points=1)
    codes = grid.codes()
    first_seen = list(dict.fromkeys(per_point))
    assert grid.order.labels == first_seen
    assert [grid.order.labels[c] for c in codes.tolist()] == per_point
    assert codes.dtype == (np.int8 if len(first_seen) <= 127 else np.int16)
    assert grid.gambit_points == len(ranges)


def test_a_range_is_released_once_every_range_before_it_is_in() -> None:
    order = RangeOrder()
    assert order.add(4, np.array([0, 0]), [("b", "")]) == []
    assert order.waiting == [4]
    released = order.add(0, np.array([0, 1, 1, 0]), [("a", ""), ("b", "")])
    assert [(start, codes.tolist(), remap.tolist()) for start, codes, remap in released] == \
        [(0, [0, 1, 1, 0], [0, 1]), (4, [0, 0], [1])]
    assert order.waiting == [] and order.next == 6


def test_a_range_given_twice_or_outside_the_grid_and_a_grid_left_incomplete_are_refused() -> None:
    grid = GridCodes(10, 6)
    grid.add(10, np.zeros(3, dtype=np.int8), [("a", "")])
    with pytest.raises(ValueError, match="range starting at point 10 overlaps points already given"):
        grid.add(10, np.zeros(3, dtype=np.int8), [("a", "")])
    with pytest.raises(ValueError, match="range of 3 points from 14 is outside points 10-15"):
        grid.add(14, np.zeros(3, dtype=np.int8), [("a", "")])
    grid.add(15, np.zeros(1, dtype=np.int8), [("b", "")])
    with pytest.raises(RuntimeError, match=r"3 of 6 points are in; ranges from \[15\] never connected"):
        grid.codes()
    grid.add(13, np.zeros(2, dtype=np.int8), [("b", "")])
    assert grid.codes().tolist() == [0, 0, 0, 1, 1, 1]
