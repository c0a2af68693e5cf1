"""Loki HTTP API exports: query / query_range responses, push payloads and tail messages."""

from __future__ import annotations

from collections.abc import Iterable


from rca.readers import (
    Context,
    ReadResult,
    fail,
    iter_documents,
    load_document,
    parse_label_string,
)
from rca.table import RecordBuilder
from rca.timestamps import TimestampError, parse_any

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


def add_streams(
    streams: Iterable[object], builder: RecordBuilder, counter: list[int], rejected: list[int]
) -> None:
    """Append every entry of v1 (`stream`/`values`) or legacy (`labels`/`entries`) streams."""
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
    stripped = data.lstrip()
    docs: list[object]
    rejected = [0]
    warnings: list[str] = []
    if stripped.startswith(b"{"):
        try:
            doc, rej, warns = load_document(data, ctx)
            docs = [doc]
            rejected[0] += rej
            warnings += warns
        except Exception:
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
        add_streams(result, builder, counter, rejected)
        for w in doc.get("warnings") or []:
            warnings.append(f"Loki warning: {w}")
    return ReadResult(builder.to_table(ctx.path), rejected=rejected[0], warnings=warnings)


def read_push(data: bytes, ctx: Context) -> ReadResult:
    """Push payloads (`{"streams":[…]}`): one, an array of them, concatenated, or NDJSON.

    Tail websocket messages share the shape; their `dropped_entries` become a warning.
    """
    builder = RecordBuilder()
    counter = [0]
    rejected = [0]
    warnings: list[str] = []
    dropped = 0
    stripped = data.lstrip()
    docs: list[object] = []
    single_ok = False
    if stripped.startswith((b"{", b"[")):
        try:
            import orjson

            parsed = orjson.loads(data)
            docs = parsed if isinstance(parsed, list) else [parsed]
            single_ok = True
        except Exception:
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
        add_streams(doc["streams"], builder, counter, rejected)
        for d in doc.get("dropped_entries") or []:
            dropped += 1 if isinstance(d, dict) else 0
    if dropped:
        warnings.append(f"Loki tail dropped {dropped} entries before they were saved: the export has gaps")
    if isinstance(builder, RecordBuilder) and len(builder) == 0 and rejected[0] == 0 and not docs:
        raise fail(ctx, "no log entries in the push payload")
    return ReadResult(builder.to_table(ctx.path), rejected=rejected[0], warnings=warnings)


