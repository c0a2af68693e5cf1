"""A logcli JSONL export read as byte ranges: each range, cut at line ends, becomes a
canonical table of its own, in file order, so that a large export is analysed a piece at a
time (on one machine or on many) and never held whole.

A range Arrow cannot read column by column (a broken line, a field the fast path does not
know) is reported as such; the caller then reads the whole input the ordinary way, which
salvages and counts what it can.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from rca.inputs.records import LabelSets, struct_labels, table_from_columns
from rca.inputs.spool import at
from rca.inputs.timestamps import iso_array_to_ns

CHUNK_BYTES = 64 << 20
_SCHEMA = pa.schema([("timestamp", pa.string()), ("line", pa.string())])
_BLOCK = 1 << 24


@dataclass(frozen=True)
class Chunk:
    """Bytes [start, end) of a file, before cutting at line ends."""

    path: str
    index: int
    start: int
    end: int
    # Cut from the plan's last round to taper it (`tapered`): beyond the plan's equal ranges.
    extra: bool = False


@dataclass
class ChunkTable:
    """One range's records in file order, and a digest of its bytes (the export's identity
    is made of these). With `label_sets`, those are the records' labels, not the table's
    labels column, which is left empty."""

    table: pa.Table | None
    digest: str
    size: int
    label_sets: LabelSets | None = None


def plan(path: str, chunk_bytes: int = CHUNK_BYTES, workers: int = 1) -> list[Chunk]:
    """Ranges of at most `chunk_bytes`; with `workers`, as many ranges of equal size as makes
    a multiple of them, but for the last round, which tapers (`tapered`), so that workers
    mapping them side by side finish together."""
    size = os.path.getsize(at(path))
    chunk_bytes = max(1, chunk_bytes)
    if workers <= 1:
        starts = list(range(0, max(size, 1), chunk_bytes))
    else:
        count = -(-max(size, 1) // chunk_bytes)
        count = -(-count // workers) * workers
        starts = tapered(size, max(1, -(-size // count)), count, workers)
    return [Chunk(path, i, s, e, extra=workers > 1 and i >= count)
            for i, (s, e) in enumerate(zip(starts, [*starts[1:], size], strict=True))]


# The last round of equal ranges is mapped as three rounds: each worker's share of it cut
# in a half, a third and a sixth.
TAPER = (3, 2, 1)


def tapered(size: int, step: int, count: int, workers: int) -> list[int]:
    """Where `count` ranges of `step` bytes covering `size` start, the last `workers` of
    them cut into rounds that shrink (`TAPER`). A range's time varies with what its lines
    hold (by up to a third across the 1M-line varied export's equal ranges): with equal
    ranges the worker that draws the last one maps it alone while the other core idles, for
    up to a range's time (~0.4 s idle at 1M lines); now each worker's last range is a sixth of
    one. Never larger than `step`: the map's peak memory is two ranges' working sets."""
    base = min(size, (count - workers) * step)
    starts = list(range(0, base, step))
    weights = [w for w in TAPER for _ in range(workers)]
    whole = sum(weights)
    done = 0
    for weight in weights:
        starts.append(base + (size - base) * done // whole)
        done += weight
    return sorted(set(starts)) if size else [0]


def line_start(fh, offset: int, size: int, accept: Callable[[bytes], bool] | None = None) -> int:
    """The first line start at or after `offset` (of a line `accept` allows to start a
    range, when given: an NDJSON record, not its continuation text)."""
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    fh.seek(offset - 1)
    fh.readline()
    while True:
        pos = fh.tell()
        if pos >= size:
            return size
        if accept is None or accept(fh.readline().rstrip(b"\r\n")):
            return pos


def read_chunk(chunk: Chunk, hashed: bool = True) -> ChunkTable:
    """The records whose lines start inside the chunk's range (and, `hashed`, their bytes' digest)."""
    with open(at(chunk.path), "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        start, end = line_start(fh, chunk.start, size), line_start(fh, chunk.end, size)
    data = _range_bytes(at(chunk.path), start, max(0, end - start))
    digest = hashlib.sha256(data).hexdigest() if hashed else ""
    if not data.size or _blank(data):
        return ChunkTable(table_from_columns(pa.array([], pa.int64()), "ns", pa.array([], pa.string()),
                                             chunk.path), digest, data.size)
    table, sets = labelled_columnar(data, chunk.path)
    return ChunkTable(table, digest, data.size, sets)


def _range_bytes(path: str, start: int, length: int) -> pa.Buffer:
    """Bytes of the file, read straight into Arrow's memory rather than into a Python bytes
    object: the pool reuses the last range's pages, where a fresh bytes object faults in
    new ones (about half the CPU of reading and hashing a range). Not memory-mapped: a file
    truncated while mapped (a log rotated by copy and truncate) would kill the process."""
    buffer = pa.allocate_buffer(length)
    with open(path, "rb") as fh:
        fh.seek(start)
        view, got = memoryview(buffer).cast("B"), 0
        while got < length and (n := fh.readinto(view[got:])):
            got += n
    return buffer if got == length else buffer.slice(0, got)


_SPACE = np.frombuffer(b" \t\n\r\x0b\x0c", dtype=np.uint8)


def _blank(data: pa.Buffer) -> bool:
    """Whether the bytes are all whitespace (almost never: the first bytes tell)."""
    if not bytes(memoryview(data)[:4096]).isspace():
        return False
    return bool(np.isin(np.frombuffer(data, dtype=np.uint8), _SPACE).all())


def labelled_columnar(data: bytes | pa.Buffer, path: str) -> tuple[pa.Table | None, LabelSets | None]:
    """The records of logcli JSONL bytes (None: not readable column by column), and their
    labels as label sets (None: none, or too varied). When there are sets, they are the rows'
    labels: the table's labels column is empty."""
    try:
        raw = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=_BLOCK),
                           parse_options=pj.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="infer"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None, None
    if set(raw.column_names) - {"timestamp", "line", "labels"} or raw.num_rows == 0:
        return None, None
    if raw.column("line").null_count or raw.column("timestamp").null_count:
        return None, None
    if "labels" in raw.column_names and not pa.types.is_struct(raw.column("labels").type):
        return None, None
    try:
        for name in ("line", "labels"):
            if name in raw.column_names:
                for part in raw.column(name).chunks:
                    part.validate(full=True)  # Arrow does not check UTF-8 while parsing
    except pa.ArrowInvalid:
        return None, None
    ts, failures = iso_array_to_ns(raw.column("timestamp"))
    if failures:
        return None, None
    ts_np = ts.to_numpy()
    precision = pc.if_else(pa.array(ts_np % 1_000_000_000 == 0), "s", "ns")
    # Every row's map would copy its label set's: the map keeps the sets, and gives the rows it
    # keeps their maps (`LabelSets.maps`); the table's own labels column is then left empty.
    labels, sets = struct_labels(raw.column("labels"), per_row=False) if "labels" in raw.column_names else (None, None)
    return table_from_columns(ts, precision, raw.column("line"), path, labels=labels,
                              record=pa.array(np.arange(raw.num_rows, dtype=np.int64))), sets
