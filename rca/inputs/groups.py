"""Rows grouped by key with Arrow's hash kernels and numpy, not `Table.group_by`.

`group_by` runs on Arrow's query engine, whose import (pyarrow.acero, pyarrow.dataset, the
filesystems, ssl) costs a small export a tenth of its run; the few groupings rca does on
every export (label pairs, URLs) need only each row's group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.inputs.numpy_arrays import arrow


@dataclass
class Groups:
    keys: list[pa.Array]  # the distinct key tuples, one array per key column
    of_row: np.ndarray  # each row's group (an index into the keys)

    def counts(self) -> np.ndarray:
        return np.bincount(self.of_row, minlength=len(self.keys[0]))

    def members(self, values: np.ndarray) -> list[np.ndarray]:
        """`values` (one per row) split by group, in row order within each group."""
        if not len(self.of_row):
            return []
        order = np.argsort(self.of_row, kind="stable")
        starts = np.searchsorted(self.of_row[order], np.arange(len(self.keys[0])))
        return np.split(values[order], starts[1:])


def group_rows(*columns: pa.Array | pa.ChunkedArray) -> Groups:
    """The rows of equal-length `columns` grouped by their values (null is a value, as in
    `group_by`); groups are in no particular order."""
    arrays = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    code = np.zeros(len(arrays[0]), dtype=np.int64)
    first = np.zeros(0, dtype=np.int64)
    for array in arrays:
        encoded = pc.dictionary_encode(array, null_encoding="encode")
        size = max(len(encoded.dictionary), 1)
        code = code * size + encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        first, code = _unique(code)
    take = arrow(first, pa.int64())
    return Groups([a.take(take) for a in arrays], code)


def _unique(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What `np.unique(code, return_index=True, return_inverse=True)` gives but the values:
    each distinct code's first row (in order of code) and each row's rank among the codes.
    Found by hashing, not by sorting every row: rows are many, distinct codes few."""
    if not code.size:
        return code, code
    encoded = pc.dictionary_encode(arrow(code))
    values = encoded.dictionary.to_numpy()
    seen = encoded.indices.to_numpy().astype(np.int64)  # numbered in order of first appearance
    highest = np.maximum.accumulate(seen)
    appears = np.flatnonzero(np.concatenate(([True], highest[1:] > highest[:-1])))
    order = np.argsort(values)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return appears[order], rank[seen]
