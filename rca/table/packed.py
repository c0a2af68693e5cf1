"""Raw lines held zstd-compressed in pieces, read a piece at a time.

A streamed export keeps whole only the rows that may be anomalous, a few per cent of its
lines, but their raw lines still grow with the export (~24 MB per million lines, most of
what the findings hold at 10 million). Packed, they take about a tenth of that; the few
readers ask for a few rows (examples, an incident's lines) or search every line for a
token, and each piece is unpacked only while it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.inputs.ahead import on_a_thread

_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")
_RECENT = 2  # pieces kept unpacked after a read, whatever their size
# A token found in more than one row in this many is left to Arrow's search, which stops at
# a row's first match: quicker then than a search of the bytes that lists every match.
_COMMON = 8


def pack_column(values: pa.ChunkedArray | pa.Array) -> pa.Buffer:
    """One column as an Arrow IPC stream with zstd-compressed buffers."""
    table = pa.table({"line": values})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue()


def unpack_column(buffer: pa.Buffer) -> pa.ChunkedArray:
    return pa.ipc.open_stream(buffer).read_all().column(0)


def take_from_parts(starts: np.ndarray, rows: np.ndarray, take_part: Callable[[int, pa.Array], pa.Array]) -> pa.Array:
    """Rows (non-empty) of a column held in consecutive parts beginning at `starts`, in the
    order asked, each part read once (`take_part(i, indices)`: those rows of part i, one array)."""
    owner = np.searchsorted(starts, rows, side="right") - 1
    by_part = np.argsort(owner, kind="stable")
    grouped, owners = rows[by_part], owner[by_part]
    cuts = np.flatnonzero(np.diff(owners)) + 1
    taken = pa.concat_arrays([take_part(int(owners[lo]), pa.array(grouped[lo:hi] - starts[owners[lo]]))
                              for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), rows.size], strict=True)])
    if np.array_equal(by_part, np.arange(by_part.size)):
        return taken
    back = np.empty_like(by_part)
    back[by_part] = np.arange(by_part.size)
    return taken.take(pa.array(back))


class PackedLines:
    """A string column of `len(order)` rows: row i is row `order[i]` of the pieces joined
    in turn (`order` None: row i is row i)."""

    def __init__(self, pieces: list[pa.Buffer], sizes: list[int], order: np.ndarray | None = None,
                 keep_bytes: int = 0) -> None:
        self.pieces = pieces
        self.starts = np.cumsum([0, *sizes]).astype(np.int64)
        self.type = pa.ipc.open_stream(pieces[0]).schema.field(0).type if pieces else pa.large_string()
        self.order = order
        # The pieces read last, unpacked, least recent first: an incident's readers ask for
        # rows of the same few pieces one after another (its examples, its lines, each
        # cause's examples), and every piece is searched for each alert token.
        self._recent: dict[int, pa.ChunkedArray] = {}
        # More than `_RECENT` are kept while all they hold takes at most `keep_bytes`.
        self.keep_bytes = keep_bytes
        self._held = 0  # bytes of the pieces in `_recent`
        self._ahead: Future | None = None

    def _piece(self, index: int) -> pa.ChunkedArray:
        self._caught_up()
        if index in self._recent:
            self._recent[index] = self._recent.pop(index)  # now the most recent
        else:
            self._hold(index, unpack_column(self.pieces[index]))
        return self._recent[index]

    def _hold(self, index: int, column: pa.ChunkedArray) -> None:
        """Keep `column` (piece `index`) as the most recent, letting the least recent go while
        more than `_RECENT` pieces are held and they take more than `keep_bytes`."""
        self._recent[index] = column
        self._held += column.nbytes
        while len(self._recent) > _RECENT and self._held > self.keep_bytes:
            self._held -= self._recent.pop(next(iter(self._recent))).nbytes

    def _caught_up(self) -> None:
        """Wait for `unpack_ahead`'s thread, if one runs: until then it alone holds pieces."""
        if self._ahead is not None:
            self._ahead, ahead = None, self._ahead
            ahead.result()

    def __getstate__(self) -> dict:
        self._caught_up()
        return self.__dict__

    def unpack_ahead(self) -> None:
        """Unpack the pieces, in turn, while they fit in `keep_bytes`, on a thread of their
        own (zstd and Arrow's reader release the GIL) while the caller goes on; the first
        read waits for it."""
        def ahead() -> None:
            for index in range(len(self.pieces)):
                if index not in self._recent:
                    column = unpack_column(self.pieces[index])
                    if self._held + column.nbytes > self.keep_bytes and len(self._recent) >= _RECENT:
                        return
                    self._hold(index, column)

        self._ahead = on_a_thread(ahead)

    def __len__(self) -> int:
        return int(self.starts[-1]) if self.order is None else int(self.order.size)

    def _physical(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self.order is None else self.order[rows]

    def take(self, rows: np.ndarray) -> pa.Array:
        """The lines at `rows`, in that order, unpacking only the pieces that hold them."""
        physical = self._physical(rows)
        if physical.size == 0:
            return pa.array([], self.type)
        return take_from_parts(self.starts, physical, lambda i, indices: self._piece(i).take(indices).combine_chunks())

    def holding(self, token: str) -> np.ndarray:
        """Which rows hold `token` (a bool per row), one piece unpacked at a time."""
        masks = [_holding(self._piece(i), token) for i in range(len(self.pieces))]
        found = np.concatenate(masks) if masks else np.zeros(0, dtype=bool)
        return found if self.order is None else found[self.order]

    def unpacked(self) -> pa.ChunkedArray:
        """Every line, unpacked (for the rare reader of them all)."""
        chunks = [chunk for piece in self.pieces for chunk in unpack_column(piece).chunks]
        whole = pa.chunked_array(chunks, self.type)
        return whole if self.order is None else whole.take(pa.array(self.order))


def holding(lines: pa.ChunkedArray | pa.Array | PackedLines, token: str) -> np.ndarray:
    """Which of `lines` hold `token`, whether they are held packed or not."""
    if isinstance(lines, PackedLines):
        return lines.holding(token)
    return _holding(lines, token)


def _holding(lines: pa.ChunkedArray | pa.Array, token: str) -> np.ndarray:
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    masks = [_chunk_holding(chunk, token) for chunk in chunks]
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _chunk_holding(lines: pa.Array, token: str) -> np.ndarray:
    """Which of `lines` hold `token`, as `pc.match_substring` says: the lines' bytes searched
    at once where they lie, with the GIL released, and each match placed in its row by the
    offsets. Arrow searches line by line, at a quarter of the speed on lines that do not hold
    the token, which most do not (the reduce asks this of every line it kept)."""
    n = len(lines)
    wide = pa.types.is_large_string(lines.type)
    if not token or n == 0 or not (wide or pa.types.is_string(lines.type)) or lines.buffers()[2] is None:
        return _arrow_holding(lines, token)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64 if wide else np.int32)[lines.offset:lines.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    pattern = regex.compile(regex.escape(token.encode("utf-8")))
    found: list[int] = []
    limit = max(64, n // _COMMON)
    # Overlapped: a match running from one line into the next must not hide one inside the next.
    for match in pattern.finditer(memoryview(lines.buffers()[2])[start:end], overlapped=True, concurrent=True):
        found.append(match.start())
        if len(found) > limit:
            return _arrow_holding(lines, token)
    at = np.array(found, dtype=np.int64) + start
    row = np.searchsorted(offsets, at, side="right") - 1
    mask = np.zeros(n, dtype=bool)
    mask[row[at + len(token.encode("utf-8")) <= offsets[row + 1]]] = True
    if lines.null_count:
        mask &= lines.is_valid().to_numpy(zero_copy_only=False)
    return mask


def _arrow_holding(lines: pa.Array, token: str) -> np.ndarray:
    return pc.match_substring(lines, token).fill_null(False).to_numpy(zero_copy_only=False)
