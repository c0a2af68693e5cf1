"""Sorted times held compressed answer every question exactly as the plain array does."""

from __future__ import annotations

import numpy as np
import pytest

from rca.findings import ascending
from rca.findings.ascending import AscendingTimes, sorted_selection
from rca.findings.gaps import median_gap
from rca.findings.pipeline import analyze
from tests.same_findings import assert_same_findings
from tests.test_stream import SCENARIOS, _export


def _times(seed: int, n: int = 5_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.choice([0, 0, 1_000_000, 3_000_000, 7, 60_000_000_000], size=n)  # ties across blocks too
    return 1_700_000_000_000_000_000 + np.cumsum(steps).astype(np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_searches_find_the_plain_arrays_places(seed):
    times = _times(seed)
    held = AscendingTimes.of(times, block=97)
    probes = np.concatenate([times[::37], times[::53] + 1, times[::41] - 1, [0, times[-1] + 5, times[0]]])
    for side in ("left", "right"):
        assert np.array_equal(np.searchsorted(held, probes, side=side), np.searchsorted(times, probes, side=side))
        for probe in probes[:50].tolist():
            assert np.searchsorted(held, probe, side=side) == np.searchsorted(times, probe, side=side)


@pytest.mark.parametrize("seed", range(3))
def test_indices_and_slices_give_the_plain_arrays_times(seed):
    times = _times(seed)
    held = AscendingTimes.of(times, block=97)
    assert (held.size, len(held)) == (times.size, times.size)
    for i in [0, 1, 96, 97, 98, 500, times.size - 1, -1, -98]:
        assert held[i] == times[i]
    for lo, hi in [(0, 0), (0, 10), (90, 200), (96, 97), (97, 194), (4_000, 99_999), (-5, None), (10, 5)]:
        assert np.array_equal(held[lo:hi], times[lo:hi])
    with pytest.raises(IndexError):
        held[times.size]


@pytest.mark.parametrize("seed", range(3))
def test_the_median_gap_of_held_times_is_the_plain_arrays(seed):
    times = _times(seed, 20_000)
    assert median_gap(AscendingTimes.of(times, block=1_000), slice_rows=300) == float(np.median(np.diff(times)))


def test_a_selection_in_time_order_is_held_a_block_at_a_time():
    times = np.sort(_times(7))
    keep = np.random.default_rng(7).random(times.size) < 0.4
    held = sorted_selection(times, lambda lo, hi: keep[lo:hi], block=64, held_from=100)
    assert isinstance(held, AscendingTimes)
    assert np.array_equal(held[:], np.sort(times[keep]))


def test_a_selection_out_of_time_order_is_sorted_whole():
    times = _times(8)[::-1].copy()
    keep = np.random.default_rng(8).random(times.size) < 0.4
    held = sorted_selection(times, lambda lo, hi: keep[lo:hi], block=64, held_from=100)
    assert np.array_equal(held[:], np.sort(times[keep]))


def test_a_short_selection_stays_a_plain_array():
    times = _times(9)
    selected = sorted_selection(times, lambda lo, hi: times[lo:hi] % 2 == 0)
    assert isinstance(selected, np.ndarray)
    assert np.array_equal(selected, np.sort(times[times % 2 == 0]))


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("chunk_bytes", [None, 20_000], ids=["whole", "streamed"])
def test_findings_are_the_same_when_request_times_are_held_compressed(tmp_path, monkeypatch, name, chunk_bytes):
    path = _export(tmp_path, name, newest_first=False)
    plain = analyze([path], chunk_bytes=chunk_bytes)
    monkeypatch.setattr(ascending, "HELD_FROM", 1)
    monkeypatch.setattr(ascending, "BLOCK", 50)  # many blocks, windows across them
    assert_same_findings(plain, analyze([path], chunk_bytes=chunk_bytes))
