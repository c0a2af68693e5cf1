"""A table column as one array, without a copy when it already is one.

`ChunkedArray.combine_chunks` copies even a single chunk; on the raw lines of a large
export that copy is hundreds of MB each time a findings step reads them.
"""

from __future__ import annotations

import pyarrow as pa


def whole(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column
