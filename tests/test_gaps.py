"""The median gap of a long run of times equals numpy's median of every gap, to the bit."""

from __future__ import annotations

import numpy as np
import pytest

from rca.findings.gaps import median_gap


def _times(rng, n: int, kind: str) -> np.ndarray:
    if kind == "milliseconds":  # ms-precision times: many equal gaps
        steps = rng.integers(0, 400, n) * 1_000_000
    elif kind == "nanoseconds":
        steps = rng.integers(0, 10**9, n)
    elif kind == "one gap":
        steps = np.full(n, 7)
    else:  # a few huge pauses among short gaps
        steps = np.where(rng.random(n) < 0.01, rng.integers(10**15, 10**16, n), rng.integers(0, 50, n))
    return 1_700_000_000 * 10**9 + np.cumsum(steps)


@pytest.mark.parametrize("kind", ["milliseconds", "nanoseconds", "one gap", "pauses"])
@pytest.mark.parametrize("n", [4_001, 4_002, 9_999, 10_000])
def test_median_gap_of_a_long_run_is_numpys(kind, n):
    ts = _times(np.random.default_rng(n), n, kind)
    assert median_gap(ts, slice_rows=100) == float(np.median(np.diff(ts)))


def test_a_short_run_is_numpys_own_median():
    ts = np.array([0, 5, 6, 20], dtype=np.int64)
    assert median_gap(ts, slice_rows=100) == 5.0


def test_two_middle_gaps_far_apart_are_each_found():
    steps = np.array([3] * 5_000 + [1_000] * 5_000, dtype=np.int64)  # 10,000 gaps: the middle two differ
    ts = np.concatenate([[0], np.cumsum(np.random.default_rng(0).permutation(steps))])
    assert median_gap(ts, slice_rows=100) == float(np.median(np.diff(ts))) == 501.5
