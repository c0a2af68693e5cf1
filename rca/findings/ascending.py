"""Ascending times held compressed a block at a time, searched without widening them all.

Incidents ask the sorted times of every request, and of every clean success, where a
window starts and ends (binary searches), the time at a place, and a window's times. On a
long export these arrays were at the reduce's peak (8 bytes a request each, next to every
row's numbers). Held as steps (`Squeezed`), times a few ms apart take a byte or two each,
and a search widens only the block it lands in.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from rca.findings.squeezed import Squeezed
from rca.inputs.numpy_arrays import distinct

BLOCK = 1 << 20      # rows selected, and times held, a block at a time
HELD_FROM = 1 << 21  # from this many rows on: fewer are small, and a plain array is faster
_WIDENED = 2         # blocks kept widened at a time


class AscendingTimes:
    """Ascending integer times as compressed blocks; answers `np.searchsorted`, `len`,
    `size`, an index or a slice exactly as the plain array would."""

    def __init__(self, blocks: list[Squeezed], dtype: np.dtype) -> None:
        self._blocks = blocks
        self.dtype = np.dtype(dtype)
        sizes = np.array([b.size for b in blocks], dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.size = int(self._starts[-1])
        self._cached: dict[int, np.ndarray] = {}
        self._firsts = np.array([self._block(i)[0] for i in range(len(blocks))], dtype=self.dtype)

    @classmethod
    def of(cls, times: np.ndarray, block: int = BLOCK) -> AscendingTimes:
        return cls([Squeezed.of(times[lo:lo + block], delta=True) for lo in range(0, times.size, block)], times.dtype)

    def __len__(self) -> int:
        return self.size

    def _block(self, i: int) -> np.ndarray:
        """Block `i` widened; the last few widened are kept (searches go back and forth
        between a window's ends)."""
        cached = self._cached.pop(i, None)
        if cached is None:
            cached = self._blocks[i].array()
            while len(self._cached) >= _WIDENED:
                del self._cached[next(iter(self._cached))]
        self._cached[i] = cached
        return cached

    def steps(self):
        """The steps between consecutive times, a block at a time: what `np.diff` gives."""
        last = None
        for i in range(len(self._blocks)):
            block = self._block(i)
            yield np.diff(block) if last is None else np.diff(block, prepend=last)
            last = block[-1:]

    def searchsorted(self, v, side: str = "left", sorter=None):
        """As `np.searchsorted` on the plain array: the places before which `v` would go.
        Only the last block whose first time is below `v` (or not above it, `side` "right")
        can hold the place: the times of earlier blocks are all below, of later ones above."""
        if sorter is not None:
            raise TypeError("sorted times need no sorter")
        values = np.asarray(v)
        flat = np.atleast_1d(values).ravel()
        out = np.zeros(flat.size, dtype=np.intp)
        at = np.searchsorted(self._firsts, flat, side=side) - 1
        for i in distinct(at[at >= 0]).tolist():
            mine = at == i
            out[mine] = self._starts[i] + np.searchsorted(self._block(i), flat[mine], side=side)
        return out[0] if values.ndim == 0 else out.reshape(values.shape)

    def __getitem__(self, at):
        if isinstance(at, slice):
            lo, hi, step = at.indices(self.size)
            if step != 1:
                raise IndexError("only contiguous slices of sorted times")
            if hi <= lo:
                return np.zeros(0, dtype=self.dtype)
            first, last = (int(np.searchsorted(self._starts, k, side="right")) - 1 for k in (lo, hi - 1))
            held = np.concatenate([self._block(i) for i in range(first, last + 1)]) if last > first \
                else self._block(first)
            return held[lo - self._starts[first]:hi - self._starts[first]].copy()
        i = operator.index(at)
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(f"index {at} out of {self.size} times")
        block = int(np.searchsorted(self._starts, i, side="right")) - 1
        return self._block(block)[i - self._starts[block]]


def sorted_selection(values: np.ndarray, keep: Callable[[int, int], np.ndarray], block: int | None = None,
                     held_from: int | None = None) -> np.ndarray | AscendingTimes:
    """`np.sort(values[mask])`, where `keep(lo, hi)` is the mask of rows lo to hi: a plain
    array below `held_from` rows; else held compressed, selected a block at a time while
    the selection ascends (rows in time order), so that no copy of every time is made."""
    block, held_from = block or BLOCK, held_from or HELD_FROM
    if values.size < held_from:
        times = values[keep(0, values.size)]
        times.sort()  # in place: the selection is already a copy
        return times
    blocks: list[Squeezed] = []
    last = None
    for lo in range(0, values.size, block):
        part = values[lo:lo + block][keep(lo, min(lo + block, values.size))]
        if part.size == 0:
            continue
        if (part[1:] < part[:-1]).any() or (last is not None and part[0] < last):
            times = values[keep(0, values.size)]  # not in time order: selected and sorted whole
            times.sort()
            return AscendingTimes.of(times, block)
        last = part[-1]
        blocks.append(Squeezed.of(part, delta=True))
    return AscendingTimes(blocks, values.dtype)
