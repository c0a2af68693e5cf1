"""Each signature's median latency is the median of its rows' known latencies."""

from __future__ import annotations

import numpy as np

from rca.findings.signatures import _median_latencies

NAN = float("nan")


def test_each_cluster_gets_the_median_of_its_own_known_latencies():
    owner = np.array([0, 0, 0, 1, 1, 1, 1])
    lat = np.array([30.0, NAN, 10.0, 4.0, 1.0, 3.0, 2.0])
    assert _median_latencies(lat, owner, np.array([0, 3])) == [20.0, 2.5]


def test_a_cluster_without_a_known_latency_has_none():
    assert _median_latencies(np.array([NAN, NAN, 5.0]), np.array([0, 0, 1]), np.array([0, 2])) == [None, 5.0]


def test_the_medians_equal_numpys_for_every_cluster():
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 12, 40)
    owner = np.repeat(np.arange(sizes.size), sizes)
    lat = np.where(rng.random(owner.size) < 0.3, NAN, rng.random(owner.size) * 900)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    expected = []
    for lo, hi in zip(starts, [*starts[1:], owner.size]):
        known = lat[lo:hi][~np.isnan(lat[lo:hi])]
        expected.append(float(np.median(known)) if known.size else None)
    assert _median_latencies(lat, owner, starts) == expected
