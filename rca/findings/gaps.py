"""The median gap between ascending times, without an array of every gap.

`np.median(np.diff(ts))` holds a gap per row (80 MB at 10M lines) and a partitioned copy
of it: the reduce's peak on long exports. Long runs of times are instead searched a slice
at a time for the two middle gaps (a radix select: count the gaps per range, keep the
range holding the one wanted, until few enough are left to take), then averaged as numpy
averages them, so the value is the same to the bit.
"""

from __future__ import annotations

import numpy as np

from rca.findings.ascending import AscendingTimes

SLICE = 1 << 20  # gaps made at a time
_RANGES = 64      # ranges a pass counts in


def median_gap(ts: np.ndarray | AscendingTimes, slice_rows: int = SLICE) -> float:
    """`float(np.median(np.diff(ts)))` of ascending integer times (two or more), plain or
    held compressed (`AscendingTimes`: searched a slice at a time whatever its length)."""
    if isinstance(ts, np.ndarray) and ts.size <= 4 * slice_rows:  # short: numpy's own, as fast and small enough
        return float(np.median(np.diff(ts)))
    n = ts.size - 1
    middle = _middle_gaps(ts, sorted({(n - 1) // 2, n // 2}), slice_rows)
    return float(np.mean(np.array(middle, dtype=ts.dtype)))


def _gaps(ts: np.ndarray, lo: int, hi: int, slice_rows: int):
    """Each slice's gaps that lie in [lo, hi)."""
    if isinstance(ts, AscendingTimes):
        for gaps in ts.steps():
            yield gaps[(gaps >= lo) & (gaps < hi)]
        return
    for start in range(0, ts.size - 1, slice_rows):
        gaps = np.diff(ts[start:start + slice_rows + 1])
        yield gaps[(gaps >= lo) & (gaps < hi)]


def _middle_gaps(ts: np.ndarray, ranks: list[int], slice_rows: int) -> list[int]:
    """The gaps of these adjacent ranks (from 0, smallest first). The first pass counts
    the gaps per power of two, the next ones per equal share of the range left; the two
    middle gaps share that range but when they straddle a bound (then each is found alone)."""
    lo, hi = 0, int(ts[-1] - ts[0]) + 1
    edges = np.array([1 << b for b in range(hi.bit_length())], dtype=np.int64)
    width = 0  # the first pass goes by `edges`
    while True:
        counts = np.zeros(_RANGES if width else edges.size + 1, dtype=np.int64)
        for gaps in _gaps(ts, lo, hi, slice_rows):
            at = (gaps - lo) // width if width else np.searchsorted(edges, gaps, side="right")
            counts += np.bincount(at, minlength=counts.size)
        bounds = [lo + i * width for i in range(_RANGES)] + [hi] if width else [lo, *edges.tolist(), hi]
        cumulative = np.cumsum(counts)
        at = [int(np.searchsorted(cumulative, k, side="right")) for k in ranks]
        if at[0] != at[-1]:
            return [_middle_gaps(ts, [k], slice_rows)[0] for k in ranks]
        below = int(counts[:at[0]].sum())
        ranks = [k - below for k in ranks]
        lo, hi = bounds[at[0]], min(hi, bounds[at[0] + 1])
        if hi - lo == 1:
            return [lo] * len(ranks)
        if counts[at[0]] <= slice_rows:
            held = np.partition(np.concatenate(list(_gaps(ts, lo, hi, slice_rows))), ranks)
            return [int(held[k]) for k in ranks]
        width = -(-(hi - lo) // _RANGES)
