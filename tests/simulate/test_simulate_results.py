"""Monte Carlo rates: standard errors and 95% Wilson intervals against closed forms."""

from __future__ import annotations

import math

import pytest

from escalab.simulate import Rate

Z = 1.959963984540054          # the 97.5% normal quantile


@pytest.mark.parametrize("n", [10, 100, 60_000])
def test_wilson_interval_at_zero_and_one(n: int) -> None:
    """At p = 0 the Wilson interval is [0, z^2 / (n + z^2)], at p = 1 it is [n / (n + z^2), 1]: not the
    empty normal interval [0, 0] that the standard error (0) would give."""
    lo, hi = Rate(0.0, n).ci
    assert lo == 0.0 and hi == pytest.approx(Z * Z / (n + Z * Z), rel=1e-12)
    lo, hi = Rate(1.0, n).ci
    assert hi == 1.0 and lo == pytest.approx(n / (n + Z * Z), rel=1e-12)
    assert Rate(0.0, n).se == 0.0 and Rate(1.0, n).se == 0.0


def test_wilson_interval_by_hand() -> None:
    # 30 successes in 100: centre (30 + z^2/2) / (100 + z^2), half-width z sqrt(30 * 70 / 100 + z^2 / 4) / (100 + z^2)
    lo, hi = Rate(0.3, 100).ci
    centre = (30 + Z * Z / 2) / (100 + Z * Z)
    half = Z * math.sqrt(30 * 70 / 100 + Z * Z / 4) / (100 + Z * Z)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert (lo, hi) == pytest.approx((0.2189, 0.3958), abs=5e-5)     # the usual table value
    assert Rate(0.3, 100).se == pytest.approx(math.sqrt(0.3 * 0.7 / 100))


def test_exact_rates_carry_no_interval() -> None:
    r = Rate(0.25)
    assert r.se == 0.0 and r.ci == (0.25, 0.25) and r.to_dict() == {"p": 0.25}
