"""The canonical log table every reader produces, and the merge that combines inputs.

One row per log record:

| column      | type                 | meaning                                           |
|-------------|----------------------|---------------------------------------------------|
| ts_ns       | int64 (nullable)     | nanoseconds since the epoch, UTC; null if unknown |
| precision   | string               | how far ordering can be trusted: ns/us/ms/s/min   |
| labels      | map<string,string>   | stream (indexed) labels                           |
| metadata    | map<string,string>   | Loki structured metadata                          |
| parsed      | map<string,string>   | parsed labels or fields a reader lifted out       |
| line        | string               | the original log line, unmodified                 |
| source      | string               | the file it came from ("-" for stdin)             |
| record      | int64                | the record's index within that file               |

Map entries are sorted by key so that equal label sets compare equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from rca.inputs.numpy_arrays import arrow

STRING_MAP = pa.map_(pa.string(), pa.string())

SCHEMA = pa.schema(
    [
        ("ts_ns", pa.int64()),
        ("precision", pa.string()),
        ("labels", STRING_MAP),
        ("metadata", STRING_MAP),
        ("parsed", STRING_MAP),
        ("line", pa.large_string()),
        ("source", pa.string()),
        ("record", pa.int64()),
    ]
)


def _entries(mapping: Mapping[str, object] | None) -> list[tuple[str, str]]:
    if not mapping:
        return []
    return sorted((str(k), v if isinstance(v, str) else _stringify(v)) for k, v in mapping.items())


def _stringify(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@dataclass
class RecordBuilder:
    """Collects records one at a time for readers whose format needs a Python loop."""

    ts_ns: list[int | None] = field(default_factory=list)
    precision: list[str | None] = field(default_factory=list)
    labels: list[list[tuple[str, str]]] = field(default_factory=list)
    metadata: list[list[tuple[str, str]]] = field(default_factory=list)
    parsed: list[list[tuple[str, str]]] = field(default_factory=list)
    line: list[str] = field(default_factory=list)
    record: list[int] = field(default_factory=list)

    def add(
        self,
        ts_ns: int | None,
        precision: str | None,
        line: str,
        record: int,
        labels: Mapping[str, object] | None = None,
        metadata: Mapping[str, object] | None = None,
        parsed: Mapping[str, object] | None = None,
    ) -> None:
        self.ts_ns.append(ts_ns)
        self.precision.append(precision if ts_ns is not None else None)
        self.labels.append(_entries(labels))
        self.metadata.append(_entries(metadata))
        self.parsed.append(_entries(parsed))
        self.line.append(line)
        self.record.append(record)

    def __len__(self) -> int:
        return len(self.line)

    def to_table(self, source: str) -> pa.Table:
        n = len(self.line)
        return pa.table(
            {
                "ts_ns": pa.array(self.ts_ns, pa.int64()),
                "precision": pa.array(self.precision, pa.string()),
                "labels": pa.array(self.labels, STRING_MAP),
                "metadata": pa.array(self.metadata, STRING_MAP),
                "parsed": pa.array(self.parsed, STRING_MAP),
                "line": pa.array(self.line, pa.large_string()),
                "source": pa.repeat(pa.scalar(source, pa.string()), n),
                "record": pa.array(self.record, pa.int64()),
            },
            schema=SCHEMA,
        )


def empty_maps(n: int) -> pa.Array:
    offsets = arrow(np.zeros(n + 1, dtype=np.int32))
    return pa.MapArray.from_arrays(offsets, pa.array([], pa.string()), pa.array([], pa.string()))


@dataclass
class LabelSets:
    """A label column as its few distinct label sets and each row's set: what is worked out
    from labels (their counts, a component or category they name) is worked out once per set."""

    sets: pa.Array  # one sorted string map per distinct set
    of_row: np.ndarray  # each row's set

    def maps(self, rows: np.ndarray | None = None) -> pa.Array:
        """Each row's map (of the given rows only, when `rows` are given)."""
        return self.sets.take(arrow(self.of_row if rows is None else self.of_row[rows]))


def struct_to_map(struct: pa.Array | pa.ChunkedArray, order: np.ndarray | None = None) -> pa.Array:
    """Turn a struct column (JSON objects whose keys vary row to row) into a sorted string map.
    With `order`, the result comes out in that row order (one take instead of two)."""
    return struct_labels(struct, order)[0]


def struct_labels(struct: pa.Array | pa.ChunkedArray, order: np.ndarray | None = None,
                  per_row: bool = True) -> tuple[pa.Array | None, LabelSets | None]:
    """A struct column as a sorted string map, and as its label sets (None: too varied to enumerate).
    Not `per_row`: the map is None when the sets are found (the caller takes rows' maps from them).

    Label sets repeat: a stream's labels are on every one of its lines. So each field is
    dictionary-encoded, each row's combination of codes becomes one number, the few distinct
    combinations are built as maps, and every row takes its combination's map.
    """
    if isinstance(struct, pa.ChunkedArray):
        struct = struct.combine_chunks()
    n = len(struct)
    if not pa.types.is_struct(struct.type) or struct.type.num_fields == 0 or n == 0:
        return empty_maps(n), None
    names = sorted(struct.type.field(i).name for i in range(struct.type.num_fields))
    parent_valid = struct.is_valid()
    combo = np.zeros(n, dtype=np.int64)
    dictionaries = []
    radix = 1
    for name in names:
        child = struct.field(name)
        if not (pa.types.is_string(child.type) or pa.types.is_large_string(child.type)):
            child = _cast_to_string(child)
        if struct.null_count:
            child = pc.if_else(parent_valid, child, pa.scalar(None, child.type))
        encoded = child.dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
        size = len(encoded.dictionary) + 1
        radix *= size
        if radix > 2**62:
            maps = _struct_to_map_rowwise(struct, names)
            return (maps if order is None else maps.take(arrow(order))), None
        combo = combo * size + codes
        dictionaries.append((name, encoded.dictionary.to_pylist(), size))
    encoded_combo = arrow(combo).dictionary_encode()
    inverse = encoded_combo.indices.to_numpy()
    if order is not None:
        inverse = inverse[order]
    maps: list[list[tuple[str, str]]] = []
    for value in encoded_combo.dictionary.to_pylist():
        entries = []
        for name, values, size in reversed(dictionaries):
            value, code = divmod(value, size)
            if code:
                entries.append((name, values[code - 1]))
        maps.append(sorted(entries))
    sets = LabelSets(pa.array(maps, STRING_MAP), inverse)
    return (sets.maps() if per_row else None), sets


def _struct_to_map_rowwise(struct: pa.Array, names: list[str]) -> pa.Array:
    """Fallback for label sets too varied to enumerate: one map per row."""
    rows = struct.to_pylist()
    return pa.array(
        [sorted((k, v if isinstance(v, str) else _stringify(v)) for k, v in (r or {}).items() if v is not None)
         for r in rows],
        STRING_MAP,
    )


def _cast_to_string(arr: pa.Array) -> pa.Array:
    try:
        return arr.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else _stringify(v) for v in arr.to_pylist()], pa.string())


def map_key_strings(maps: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One canonical string per row for a sorted map column ("k=v" joined by \\x1f)."""
    if isinstance(maps, pa.ChunkedArray):
        maps = maps.combine_chunks()
    if len(maps) == 0:
        return pa.array([], pa.string())
    maps = maps.fill_null([]) if maps.null_count else maps
    offsets = maps.offsets
    lo, hi = offsets[0].as_py(), offsets[-1].as_py()
    # .keys and .items ignore a slice's offset: take the entries this slice covers.
    pairs = pc.binary_join_element_wise(
        maps.keys.slice(lo, hi - lo).cast(pa.large_string()), maps.items.slice(lo, hi - lo).cast(pa.large_string()),
        pa.scalar("=", pa.large_string()),
    )
    if lo != 0:
        offsets = pc.subtract(offsets, offsets[0])
    lists = pa.LargeListArray.from_arrays(offsets.cast(pa.int64()), pairs)
    return pc.binary_join(lists, pa.scalar("\x1f", pa.large_string()))


def table_from_columns(
    ts_ns: pa.Array,
    precision: pa.Array | str,
    line: pa.Array | pa.ChunkedArray,
    source: str,
    labels: pa.Array | None = None,
    metadata: pa.Array | None = None,
    parsed: pa.Array | None = None,
    record: pa.Array | None = None,
) -> pa.Table:
    """Assemble a canonical table from ready-made columns (the vectorised readers)."""
    n = len(line)
    if isinstance(precision, str):
        precision = pa.repeat(pa.scalar(precision, pa.string()), n)
        if ts_ns.null_count:
            precision = pc.if_else(ts_ns.is_valid(), precision, pa.scalar(None, pa.string()))
    return pa.table(
        {
            "ts_ns": ts_ns.cast(pa.int64()),
            "precision": precision,
            "labels": labels if labels is not None else empty_maps(n),
            "metadata": metadata if metadata is not None else empty_maps(n),
            "parsed": parsed if parsed is not None else empty_maps(n),
            "line": line.cast(pa.large_string()),
            "source": pa.repeat(pa.scalar(source, pa.string()), n),
            "record": record if record is not None else arrow(np.arange(n, dtype=np.int64)),
        },
        schema=SCHEMA,
    )


def empty_table() -> pa.Table:
    return SCHEMA.empty_table()


def sort_by_time(table: pa.Table) -> pa.Table:
    """Order by time; records without a time keep their place after timed ones.

    Ties keep the inputs' own order (source order, then record index) so that lines sharing
    a timestamp stay in the order the export had them.
    """
    if table.num_rows == 0:
        return table
    ts = table.column("ts_ns").combine_chunks()
    if ts.null_count == 0:
        ts_np = ts.to_numpy()
        steps = np.diff(ts_np)
        if (steps >= 0).all():
            return table
        if (steps <= 0).all():  # newest first: reversing also puts ties back in logging order
            return _take_parallel(table, np.arange(table.num_rows - 1, -1, -1))
    else:
        valid = ts.is_valid().to_numpy(zero_copy_only=False)
        ts_np = np.where(valid, ts.fill_null(0).to_numpy(), np.iinfo(np.int64).max)
    order = np.argsort(ts_np, kind="stable")
    return _take_parallel(table, order)


def _take_parallel(table: pa.Table, order: np.ndarray) -> pa.Table:
    """Reorder every column, the columns in parallel (Arrow's take releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    indices = arrow(order)
    with ThreadPoolExecutor(max_workers=min(4, table.num_columns)) as pool:
        columns = list(pool.map(lambda col: col.take(indices), table.columns))
    return pa.Table.from_arrays(columns, schema=table.schema)


def concat(tables: Iterable[pa.Table]) -> pa.Table:
    tables = list(tables)
    if not tables:
        return empty_table()
    return pa.concat_tables(tables)


_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


def dedupe_across_sources(table: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """Drop records that repeat across different sources; count them per source.

    Key: the time, at the coarsest precision the inputs share (a Grafana TXT download keeps
    milliseconds, the API nanoseconds), and the line. Labels are not part of it: the same
    entry exported with its Common labels and pasted without them is one record. Within one
    file identical records are legitimate, so each key keeps the largest multiplicity any
    single file has, taken from the first such file; copies in other files are counted as
    duplicates of those files.
    """
    sources = pc.unique(table.column("source"))
    if len(sources) < 2 or table.num_rows == 0:
        return table, {}
    precisions = pc.unique(table.column("precision").combine_chunks().drop_null()).to_pylist()
    unit = max((_UNIT_NS.get(p, _UNIT_NS["s"]) for p in precisions), default=1)
    ts = table.column("ts_ns").combine_chunks()
    if unit > 1:
        ts = pc.multiply(pc.divide(ts, unit), unit)  # integer division: floor for times after 1970
    key = pc.cast(ts, pa.large_string()).fill_null("")
    work = pa.table(
        {
            "key": key,
            "line": table.column("line"),
            "src": pc.index_in(table.column("source"), value_set=sources),
            "row": arrow(np.arange(table.num_rows, dtype=np.int64)),
        }
    )
    per_src = work.group_by(["key", "line", "src"], use_threads=False).aggregate([("row", "count")])
    counts = per_src.column("row_count").to_numpy()
    # Rank sources per key: highest count first, then earliest source.
    best = (
        per_src.append_column("neg_count", arrow(-counts))
        .sort_by([("key", "ascending"), ("line", "ascending"), ("neg_count", "ascending"), ("src", "ascending")])
    )
    keep_mask_sorted = np.ones(best.num_rows, dtype=bool)
    k_sorted = pc.binary_join_element_wise(
        best.column("key").cast(pa.large_string()), best.column("line").cast(pa.large_string()),
        pa.scalar("\x1c", pa.large_string()),
    )
    k_np = k_sorted.to_numpy(zero_copy_only=False)
    if len(k_np) > 1:
        keep_mask_sorted[1:] = k_np[1:] != k_np[:-1]
    winners = best.filter(arrow(keep_mask_sorted)).select(["key", "line", "src"])
    winners = winners.append_column("win", arrow(np.ones(winners.num_rows, dtype=bool)))
    joined = work.join(winners, keys=["key", "line", "src"], join_type="left outer", use_threads=False)
    keep_rows = joined.filter(pc.is_valid(joined.column("win"))).column("row").to_numpy()
    drop_rows = joined.filter(pc.is_null(joined.column("win"))).column("src").to_numpy()
    keep_rows = np.sort(keep_rows)
    dups: dict[str, int] = {}
    if drop_rows.size:
        uniq, cnt = np.unique(drop_rows, return_counts=True)
        names = sources.to_pylist()
        dups = {names[int(u)]: int(c) for u, c in zip(uniq, cnt, strict=True)}
    return table.take(arrow(keep_rows)), dups
