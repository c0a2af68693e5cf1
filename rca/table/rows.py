"""A few rows of a chunked column, taken chunk by chunk.

Arrow's take on a chunked column joins its chunks first: a copy of every value for each call.
The reduce keeps its rows as chunks (joining them would hold every kept line twice) and asks
for a few rows per incident, so it takes them from the chunks that hold them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rca.inputs.numpy_arrays import arrow
from rca.table.packed import PackedLines, take_from_parts


def take_rows(column: pa.ChunkedArray | pa.Array | PackedLines, rows: np.ndarray) -> pa.Array:
    """`column.take(rows)` as one array, without joining a chunked column's chunks (or
    unpacking more of packed lines than the pieces holding `rows`)."""
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(column, PackedLines):
        return column.take(rows)
    if isinstance(column, pa.Array):
        return column.take(arrow(rows))
    if column.num_chunks == 1:
        return column.chunk(0).take(arrow(rows))
    if rows.size == 0 or column.num_chunks == 0:
        return pa.array([], column.type)
    starts = np.cumsum([0] + [len(chunk) for chunk in column.chunks])
    return take_from_parts(starts, rows, lambda i, indices: column.chunk(i).take(indices))
