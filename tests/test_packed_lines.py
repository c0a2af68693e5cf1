"""Raw lines held packed in pieces read as the same column held whole would be."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rca.table.packed import PackedLines, holding, pack_column, unpack_column
from rca.table.rows import take_rows

LINES = [f'{{"path":"/api/order/{i}","statusCode":{500 if i % 3 else 200},"traceId":"{i:016x}"}}' for i in range(250)]
SIZES = [100, 0, 70, 80]  # pieces of the column in turn, one of them empty


def _packed(order: np.ndarray | None = None, keep_bytes: int = 0) -> PackedLines:
    bounds = np.cumsum([0, *SIZES])
    pieces = [pack_column(pa.array(LINES[lo:hi], pa.large_string())) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return PackedLines(pieces, SIZES, order, keep_bytes)


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


def _counting_unpacks(monkeypatch) -> list:
    import rca.table.packed as packed

    unpacked = []
    real = packed.unpack_column
    monkeypatch.setattr(packed, "unpack_column", lambda buffer: unpacked.append(buffer) or real(buffer))
    return unpacked


def _read_every_piece_again_and_again(lines: PackedLines, order: np.ndarray | None) -> None:
    """An incident's readers, then a search of every line for a token, then the next incident's."""
    for rows in ([3, 120, 7], [249, 0], [171, 5], [3, 120, 7]):
        assert take_rows(lines, np.array(rows)).equals(_whole(order).take(pa.array(rows)))
        expected = pc.match_substring(_whole(order), '"statusCode":500').to_numpy(zero_copy_only=False)
        assert np.array_equal(holding(lines, '"statusCode":500'), expected)


def test_packed_lines_that_fit_their_budget_are_each_unpacked_once_however_often_they_are_read(monkeypatch):
    unpacked = _counting_unpacks(monkeypatch)
    for order in ORDERS:
        unpacked.clear()
        _read_every_piece_again_and_again(_packed(order, keep_bytes=1 << 20), order)
        assert len(unpacked) == len(SIZES)


def test_packed_lines_beyond_their_budget_keep_only_the_pieces_it_holds(monkeypatch):
    unpacked = _counting_unpacks(monkeypatch)
    one_piece = unpack_column(_packed().pieces[0]).nbytes  # the largest
    lines = _packed(keep_bytes=2 * one_piece)
    _read_every_piece_again_and_again(lines, None)
    assert len(unpacked) > len(SIZES)
    assert len(lines._recent) >= 2 and (len(lines._recent) == 2 or lines._held <= 2 * one_piece)


def test_packed_lines_unpacked_ahead_on_a_thread_read_as_those_unpacked_on_demand(monkeypatch):
    unpacked = _counting_unpacks(monkeypatch)
    for order in ORDERS:
        unpacked.clear()
        lines = _packed(order, keep_bytes=1 << 20)
        lines.unpack_ahead()
        _read_every_piece_again_and_again(lines, order)
        assert len(unpacked) == len(SIZES)


def test_packed_lines_unpacked_ahead_stop_at_their_budget(monkeypatch):
    lines = _packed(keep_bytes=1)
    lines.unpack_ahead()
    lines._caught_up()
    assert len(lines._recent) == 2  # as many as are always kept, whatever their size
    _read_every_piece_again_and_again(lines, None)


# Lines as a varied export's kept rows are: most do not hold the token, some hold it once or
# more, a few run it across their end into the next line; nulls and empty lines between.
_PIECES = st.sampled_from(["ab", "ba", "a", "b", "é", "\"x\":5", "aab", ""])
_LINE = st.one_of(st.none(), st.lists(_PIECES, max_size=6).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=40), st.sampled_from(["ab", "aab", "ba", "é", "a", "aa", "\"x\":5", "bab", "zz"]),
       st.booleans(), st.integers(0, 5), st.integers(0, 5))
@example(["xba", "bab"], "bab", False, 0, 0)  # a match across the lines' end overlaps the second line's own
def test_lines_holding_a_token_are_what_arrow_s_substring_search_finds(lines, token, wide, cut_start, cut_end):
    array = pa.array(lines, pa.large_string() if wide else pa.string())
    array = array.slice(min(cut_start, len(array)), max(0, len(array) - cut_start - cut_end))  # offsets not at 0
    expected = pc.match_substring(array, token).fill_null(False).to_numpy(zero_copy_only=False)
    assert np.array_equal(holding(array, token), expected)
    assert np.array_equal(holding(pa.chunked_array([array, array]), token), np.concatenate([expected, expected]))


def test_a_token_held_by_a_rare_line_is_found_in_that_line_only():
    lines = pa.array([f"line {i} ok" for i in range(5000)] + ["the token here"] + ["ok"] * 10)
    assert np.flatnonzero(holding(lines, "token")).tolist() == [5000]


def test_a_token_most_lines_hold_is_found_in_each_line_that_holds_it():
    lines = pa.array([f'{{"statusCode":{500 if i % 5 else 200}}}' for i in range(2000)])
    assert np.array_equal(holding(lines, '"statusCode":500'), np.arange(2000) % 5 != 0)
