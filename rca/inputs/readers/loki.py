"""Loki HTTP API exports: query / query_range responses, push payloads and tail messages."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


from rca.errors import InputError
from rca.inputs.readers import (
    Context,
    ReadResult,
    fail,
    iter_documents,
    load_document,
    parse_label_string,
)
from rca.inputs.records import STRING_MAP, RecordBuilder, concat, table_from_columns
from rca.inputs.timestamps import TimestampError, parse_any

METRIC_TYPES = {"matrix", "vector", "scalar"}


def metric_refusal(result_type: str) -> str:
    return (
        f"this is a Loki metric query result (resultType={result_type}): it holds numeric samples,"
        " not log lines; re-export with a log query (a stream selector and filters, without"
        " rate()/count_over_time()/sum by)"
    )


def _entry_fields(entry: object) -> tuple[object, object, dict, dict] | None:
    """Split one `values` entry into (ts, line, structured metadata, parsed labels)."""
    if not isinstance(entry, (list, tuple)) or len(entry) < 2:
        return None
    ts, line = entry[0], entry[1]
    meta: dict = {}
    parsed: dict = {}
    if len(entry) >= 3 and isinstance(entry[2], dict):
        extra = entry[2]
        if "structuredMetadata" in extra or "parsed" in extra:
            meta = extra.get("structuredMetadata") or {}
            parsed = extra.get("parsed") or {}
        else:
            meta = extra  # push payloads carry flat metadata
    if not isinstance(line, str) or not isinstance(meta, dict) or not isinstance(parsed, dict):
        return None
    return ts, line, meta, parsed


def _stream_table(labels: dict, values: list, first_record: int, path: str) -> pa.Table | None:
    """Columnar path for the common stream: `[ns string, line]` pairs. None if irregular."""
    try:
        pairs = pa.array(values, pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pairs.null_count or pc.min(pc.list_value_length(pairs)).as_py() != 2 or \
            pc.max(pc.list_value_length(pairs)).as_py() != 2:
        return None
    stamps, lines = pc.list_element(pairs, 0), pc.list_element(pairs, 1)
    if lines.null_count or stamps.null_count or not pc.all(pc.equal(pc.utf8_length(stamps), 19)).as_py():
        return None
    try:
        ts = stamps.cast(pa.int64())
    except pa.ArrowInvalid:
        return None
    ms_only = pc.all(pc.equal(pc.utf8_slice_codeunits(stamps, 13), "000000")).as_py()
    n = len(values)
    label_map = pa.array([sorted((str(k), str(v)) for k, v in labels.items())] * 1, STRING_MAP)
    return table_from_columns(
        ts, "ms" if ms_only else "ns", lines, path,
        labels=label_map.take(pa.array(np.zeros(n, dtype=np.int32))),
        record=pa.array(np.arange(first_record, first_record + n, dtype=np.int64)),
    )


def _assemble(tables: list[pa.Table], builder: RecordBuilder, path: str) -> pa.Table:
    """Columnar streams plus record-by-record leftovers, back in file order."""
    if not len(builder):
        return concat(tables) if tables else builder.to_table(path)
    table = concat([*tables, builder.to_table(path)])
    return table.sort_by("record") if tables else table


def add_streams(
    streams: Iterable[object], builder: RecordBuilder, counter: list[int], rejected: list[int],
    tables: list[pa.Table] | None = None, path: str = "",
) -> None:
    """Append every entry of v1 (`stream`/`values`) or legacy (`labels`/`entries`) streams.

    Regular streams become whole tables in `tables` when given; the rest go record by record.
    """
    for stream in streams:
        if not isinstance(stream, dict):
            rejected[0] += 1
            continue
        labels = stream.get("stream")
        if labels is None and isinstance(stream.get("labels"), str):
            labels = parse_label_string(stream["labels"])
        if labels is not None and not isinstance(labels, dict):
            labels = None
        values = stream.get("values")
        if values is None and isinstance(stream.get("entries"), list):
            values = [
                [e.get("ts", e.get("timestamp")), e.get("line"), e.get("structuredMetadata") or {}]
                if isinstance(e, dict) else None
                for e in stream["entries"]
            ]
        if not isinstance(values, list):
            if values is not None:
                rejected[0] += 1
            continue
        if tables is not None and values and (labels is None or all(isinstance(v, str) for v in labels.values())):
            table = _stream_table(labels or {}, values, counter[0], path)
            if table is not None:
                tables.append(table)
                counter[0] += len(values)
                continue
        for entry in values:
            if entry is None:
                continue  # Loki's own decoder skips null entries
            fields = _entry_fields(entry)
            index = counter[0]
            counter[0] += 1
            if fields is None:
                rejected[0] += 1
                continue
            ts, line, meta, parsed = fields
            try:
                ns, precision = parse_any(ts)
            except TimestampError:
                rejected[0] += 1
                continue
            builder.add(ns, precision, line, index, labels=labels, metadata=meta, parsed=parsed)


def read_query(data: bytes, ctx: Context) -> ReadResult:
    """`/loki/api/v1/query_range` and `/query` responses; several appended responses too."""
    stripped = data[:4096].lstrip()
    docs: list[object]
    rejected = [0]
    warnings: list[str] = []
    if stripped.startswith(b"{"):
        try:
            doc, rej, warns = load_document(data, ctx)
            docs = [doc]
            rejected[0] += rej
            warnings += warns
        except InputError:
            docs = []
            for doc, _ in iter_documents(data):
                if doc is None:
                    rejected[0] += 1
                else:
                    docs.append(doc)
            if not docs:
                raise
    else:
        raise fail(ctx, "not a Loki query response (expected a JSON object)")
    builder = RecordBuilder()
    tables: list[pa.Table] = []
    counter = [0]
    for doc in docs:
        if not isinstance(doc, dict):
            rejected[0] += 1
            continue
        if doc.get("status") not in (None, "success"):
            raise fail(ctx, f"Loki answered status={doc.get('status')!r}: {doc.get('error', '')}".strip())
        payload = doc.get("data", doc)
        if not isinstance(payload, dict):
            raise fail(ctx, "not a Loki query response (no data object)")
        result_type = payload.get("resultType")
        if result_type in METRIC_TYPES:
            raise fail(ctx, metric_refusal(str(result_type)))
        result = payload.get("result", payload.get("streams"))
        if not isinstance(result, list):
            raise fail(ctx, "not a Loki query response (no result list)")
        if any(isinstance(s, dict) and "metric" in s for s in result[:5]):
            raise fail(ctx, metric_refusal("matrix"))
        add_streams(result, builder, counter, rejected, tables, ctx.path)
        for w in doc.get("warnings") or []:
            warnings.append(f"Loki warning: {w}")
    table = _assemble(tables, builder, ctx.path)
    return ReadResult(table, rejected=rejected[0], warnings=warnings)


def read_push(data: bytes, ctx: Context) -> ReadResult:
    """Push payloads (`{"streams":[…]}`): one, an array of them, concatenated, or NDJSON.

    Tail websocket messages share the shape; their `dropped_entries` become a warning.
    """
    builder = RecordBuilder()
    tables: list[pa.Table] = []
    counter = [0]
    rejected = [0]
    warnings: list[str] = []
    dropped = 0
    stripped = data[:4096].lstrip()
    docs: list[object] = []
    single_ok = False
    if stripped.startswith((b"{", b"[")):
        try:
            parsed = orjson.loads(data)
            docs = parsed if isinstance(parsed, list) else [parsed]
            single_ok = True
        except orjson.JSONDecodeError:
            single_ok = False
    if not single_ok:
        for doc, _ in iter_documents(data):
            if doc is None:
                rejected[0] += 1
            elif isinstance(doc, list):
                docs.extend(doc)
            else:
                docs.append(doc)
        if not docs:
            raise fail(ctx, "no Loki push payload found (expected {\"streams\": [...]})")
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("streams"), list):
            rejected[0] += 1
            continue
        add_streams(doc["streams"], builder, counter, rejected, tables, ctx.path)
        for d in doc.get("dropped_entries") or []:
            dropped += 1 if isinstance(d, dict) else 0
    if dropped:
        warnings.append(f"Loki tail dropped {dropped} entries before they were saved: the export has gaps")
    table = _assemble(tables, builder, ctx.path)
    return ReadResult(table, rejected=rejected[0], warnings=warnings)


