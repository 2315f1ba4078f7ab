"""A CSV block is joined from ready-made pieces (axis values, and row endings that fold the last
axes in while they are few): for any grid shape, any folding and any cut into blocks, the rows must
be exactly those Python's csv module writes."""

from __future__ import annotations

import numpy as np
import pytest

from escalab.solve.sweep_files import CsvLayout


@pytest.mark.parametrize("shape", [(7,), (13, 5), (4, 3, 6), (300, 41)])
@pytest.mark.parametrize("endings", [1, 4, 40, 1 << 16])
def test_rows_equal_the_csv_modules_however_the_row_ends_are_prepared(shape: tuple[int, ...], endings: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Row endings fold the last axes in while they are few (``ENDINGS``); every folding gives the
    rows Python's csv module writes, values in their shortest round-trip form."""
    import csv
    import io
    import itertools

    from escalab.solve import sweep_files

    monkeypatch.setattr(sweep_files, "ENDINGS", endings)
    rng = np.random.default_rng(len(shape) * endings)
    values = [np.round(rng.random(n) * 10.0 ** rng.integers(0, 5, n), 4) for n in shape]
    labels, paths = ["a", "b, with a comma", 'c "quoted"'], ["x", "y", "z -> w"]
    layout = CsvLayout.of([f"p{i}" for i in range(len(shape))], values, labels, paths)
    total = int(np.prod(shape))
    codes = rng.integers(0, 3, total)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for code, point in zip(codes, itertools.product(*values)):
        writer.writerow([repr(float(v)).removesuffix(".0") for v in point] + [labels[code], paths[code]])
    got = b"".join(layout.block(codes[s:s + 5], s, min(s + 5, total)) for s in range(0, total, 5))
    assert got.decode() == buf.getvalue()
