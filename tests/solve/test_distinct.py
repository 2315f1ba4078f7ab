"""``distinct`` replaces ``np.unique`` on a sweep's per-point keys: it must give exactly what
``np.unique(values, return_index=True, return_inverse=True)`` gives, values, first indices,
positions and dtypes, whether it finds the values by comparison or falls back to sorting."""

from __future__ import annotations

import numpy as np
import pytest

from escalab.solve.distinct import FEW, distinct


@pytest.mark.parametrize("kinds", [1, 2, 3, FEW, FEW + 1, 300])
@pytest.mark.parametrize("dtype", [np.int8, np.int64])
def test_distinct_is_np_unique(kinds: int, dtype: type) -> None:
    rng = np.random.default_rng(kinds)
    pool = np.array([-7, 0, 3, 5, 9, 11, 40, 41, 100, -100])[:kinds] if kinds <= 10 else np.arange(-150, 150)
    values = rng.choice(pool, size=5000).astype(dtype if kinds <= 10 else np.int64)
    assert np.unique(values).size == kinds
    got = distinct(values)
    want = np.unique(values, return_index=True, return_inverse=True)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        assert np.array_equal(g, w)


def test_distinct_of_nothing_and_of_one() -> None:
    for values in (np.array([], dtype=np.int64), np.array([4], dtype=np.int64)):
        for g, w in zip(distinct(values), np.unique(values, return_index=True, return_inverse=True)):
            assert np.array_equal(g, w) and g.dtype == w.dtype
