"""numpy arrays handed to Arrow on their own buffers.

`pa.array(ndarray)` asks whether the array is a numpy masked array, and that question imports
numpy.ma (~15-25 ms, a twentieth of a small analysis) the first time anything asks it. rca
never makes masked arrays: a plain numeric or boolean array becomes an Arrow array over the
same memory (booleans packed into bits, as Arrow holds them), as `pa.array` would make it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def arrow(values: np.ndarray, as_type: pa.DataType | None = None, mask: np.ndarray | None = None) -> pa.Array:
    """`pa.array(values, as_type, mask=mask)` for a one-dimensional numeric or boolean numpy
    array in the machine's byte order; anything else goes to `pa.array` itself."""
    if (type(values) is not np.ndarray or values.ndim != 1 or values.dtype.kind not in "biuf"
            or not values.dtype.isnative):
        return pa.array(values, as_type, mask=mask)
    n = len(values)
    if values.dtype.kind == "b":
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        kind = pa.bool_()
    else:
        values = np.ascontiguousarray(values)
        data = pa.py_buffer(values)
        kind = pa.from_numpy_dtype(values.dtype)
    validity, nulls = None, 0
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != values.shape:
            raise ValueError("the mask is not the length of the values")
        nulls = int(np.count_nonzero(mask))
        if nulls:
            validity = pa.py_buffer(np.packbits(~mask, bitorder="little"))
    built = pa.Array.from_buffers(kind, n, [validity, data], null_count=nulls)
    return built if as_type is None or as_type == kind else built.cast(as_type)


def distinct(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` for integers (sorted distinct values), which numpy answers only
    after asking whether they are a masked array (importing numpy.ma, as above)."""
    ordered = np.sort(np.asarray(values).ravel())
    keep = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
