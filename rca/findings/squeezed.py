"""Per-row arrays held compressed while nothing reads them.

A streamed analysis holds a few numbers for every line: each mapped piece's until the
reduce (~6 bytes a line narrowed, under 2 squeezed: times a few ms apart, few endpoints),
then the traffic's while the signatures are found from the kept rows alone (~12 bytes a
line). On a long export these were what grew with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


_BLOCK = 1 << 20  # values compressed at a time: no temporaries the size of the array


@dataclass
class Squeezed:
    """An array zstd-compressed a block at a time (ascending values as steps from the one
    before: exact, as numpy's integers wrap the same way both ways)."""

    blocks: list[bytes]
    dtype: np.dtype
    size: int
    delta: bool = False

    _CODEC = pa.Codec("zstd", 1)

    @classmethod
    def of(cls, values: np.ndarray, delta: bool = False) -> Squeezed:
        blocks, before = [], values.dtype.type(0)
        for lo in range(0, values.size, _BLOCK):
            part = values[lo:lo + _BLOCK]
            held = np.diff(part, prepend=before) if delta else np.ascontiguousarray(part)
            before = part[-1]
            blocks.append(cls._CODEC.compress(held, asbytes=True))
        return cls(blocks, values.dtype, int(values.size), delta)

    @property
    def nbytes(self) -> int:
        return sum(len(block) for block in self.blocks)

    def array(self) -> np.ndarray:
        out = np.empty(self.size, dtype=self.dtype)
        for lo, block in zip(range(0, self.size, _BLOCK), self.blocks, strict=True):
            part = out[lo:lo + _BLOCK]
            raw = np.frombuffer(self._CODEC.decompress(block, part.nbytes, asbytes=True), dtype=self.dtype)
            if self.delta:
                np.cumsum(raw, dtype=self.dtype, out=part)
                part += out[lo - 1] if lo else 0
            else:
                part[:] = raw
        return out
