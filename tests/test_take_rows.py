"""Rows taken from a chunked column chunk by chunk are the rows Arrow's take gives."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rca.table.rows import take_rows


def _lines() -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(["a0", "a1", None]), pa.array([], pa.string()), pa.array(["c0", "c1"])])


def test_rows_from_several_chunks_come_back_in_the_order_asked():
    assert take_rows(_lines(), np.array([4, 0, 3, 1, 4])).to_pylist() == ["c1", "a0", "c0", "a1", "c1"]


def test_the_rows_equal_arrows_take_including_missing_values():
    rows = np.array([2, 3, 0])
    assert take_rows(_lines(), rows).equals(_lines().take(pa.array(rows)).combine_chunks())


def test_no_rows_give_an_empty_column_of_the_same_type():
    taken = take_rows(_lines(), np.zeros(0, dtype=np.int64))
    assert len(taken) == 0 and taken.type == pa.string()
