"""Raw lines held packed in pieces read as the same column held whole would be."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.table.packed import PackedLines, holding, pack_column
from rca.table.rows import take_rows

LINES = [f'{{"path":"/api/order/{i}","statusCode":{500 if i % 3 else 200},"traceId":"{i:016x}"}}' for i in range(250)]
SIZES = [100, 0, 70, 80]  # pieces of the column in turn, one of them empty


def _packed(order: np.ndarray | None = None) -> PackedLines:
    bounds = np.cumsum([0, *SIZES])
    pieces = [pack_column(pa.array(LINES[lo:hi], pa.large_string())) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return PackedLines(pieces, SIZES, order)


def _whole(order: np.ndarray | None = None) -> pa.Array:
    whole = pa.array(LINES, pa.large_string())
    return whole if order is None else whole.take(pa.array(order))


ORDERS = [None, np.arange(len(LINES) - 1, -1, -1), np.random.default_rng(1).permutation(len(LINES))]


def test_rows_taken_from_packed_lines_are_the_rows_of_the_whole_column_in_the_order_asked():
    rows = np.array([249, 0, 120, 5, 5, 171, 99, 100, 169, 170])
    for order in ORDERS:
        assert take_rows(_packed(order), rows).equals(_whole(order).take(pa.array(rows)))


def test_no_rows_taken_from_packed_lines_is_an_empty_column_of_their_type():
    taken = take_rows(_packed(), np.zeros(0, np.int64))
    assert len(taken) == 0 and taken.type == pa.large_string()


def test_packed_lines_holding_a_token_are_the_whole_column_s_matches_in_its_order():
    for order in ORDERS:
        for token in ('"statusCode":500', "/api/order/17", "never there"):
            expected = pc.match_substring(_whole(order), token).to_numpy(zero_copy_only=False)
            assert np.array_equal(holding(_packed(order), token), expected)
            assert np.array_equal(holding(_whole(order), token), expected)


def test_packed_lines_unpacked_are_the_whole_column():
    for order in ORDERS:
        assert len(_packed(order)) == len(LINES)
        assert _packed(order).unpacked().combine_chunks().equals(_whole(order))


def test_rows_read_again_and_again_come_from_the_pieces_just_unpacked_without_unpacking_them_again(monkeypatch):
    import rca.table.packed as packed

    lines, unpacked = _packed(), []
    real = packed.unpack_column
    monkeypatch.setattr(packed, "unpack_column", lambda buffer: unpacked.append(buffer) or real(buffer))
    for _ in range(5):  # an incident's readers: its lines, then each cause's examples
        assert take_rows(lines, np.array([3, 120, 7])).equals(_whole().take(pa.array([3, 120, 7])))
    assert len(unpacked) == 2
