"""Exports from other log stores: AWS CloudWatch Logs and Elasticsearch / OpenSearch / Kibana."""

from __future__ import annotations

import orjson

from rca.inputs.readers import Context, ReadResult, fail, iter_documents, load_document
from rca.inputs.readers.loggers import object_fields
from rca.inputs.records import RecordBuilder
from rca.inputs.timestamps import TimestampError, parse_any


def read_cloudwatch(data: bytes, ctx: Context) -> ReadResult:
    """`aws logs filter-log-events` / `get-log-events` JSON, Logs Insights results and
    subscription payloads. A leftover `nextToken` means later events were not exported."""
    doc, rejected, warnings = load_document(data, ctx)
    if not isinstance(doc, dict):
        raise fail(ctx, "not a CloudWatch Logs export (expected a JSON object)")
    builder = RecordBuilder()
    result = ReadResult(builder.to_table(ctx.path))
    group = doc.get("logGroup")
    if isinstance(doc.get("events"), list) or isinstance(doc.get("logEvents"), list):
        events = doc.get("events", doc.get("logEvents"))
        for index, ev in enumerate(events):
            if not isinstance(ev, dict) or not isinstance(ev.get("message"), str):
                rejected += 1
                continue
            try:
                ns, precision = parse_any(ev.get("timestamp"))
            except TimestampError:
                rejected += 1
                continue
            labels = {}
            stream = ev.get("logStreamName", doc.get("logStream"))
            if stream:
                labels["logStream"] = str(stream)
            if group:
                labels["logGroup"] = str(group)
            builder.add(ns, precision, ev["message"].rstrip("\n"), index, labels=labels)
    elif isinstance(doc.get("results"), list):
        for index, row in enumerate(doc["results"]):
            cells = {c.get("field"): c.get("value") for c in row if isinstance(c, dict)} if isinstance(row, list) else {}
            message = cells.get("@message")
            try:
                ns, precision = parse_any(cells.get("@timestamp"))
            except TimestampError:
                rejected += 1
                continue
            if not isinstance(message, str):
                rejected += 1
                continue
            labels = {"logStream": cells["@logStream"]} if cells.get("@logStream") else {}
            builder.add(ns, precision, message.rstrip("\n"), index, labels=labels)
        status = doc.get("status")
        stats = doc.get("statistics") or {}
        matched = stats.get("recordsMatched") if isinstance(stats, dict) else None
        if (status and status != "Complete") or (isinstance(matched, (int, float)) and matched > len(doc["results"])):
            result.truncated_end = "unknown"
            result.truncation_reason = (
                f"Logs Insights status {status}, {matched} records matched but {len(doc['results'])} exported"
            )
    else:
        raise fail(ctx, "not a CloudWatch Logs export (no events or results)")
    if doc.get("messageType") == "CONTROL_MESSAGE":
        raise fail(ctx, "a CloudWatch CONTROL_MESSAGE holds no log events")
    if doc.get("nextToken") or doc.get("NextToken"):
        result.truncated_end = "newer"
        result.truncation_reason = "the export still has a nextToken: later pages were not fetched"
    result.table = builder.to_table(ctx.path)
    result.rejected = rejected
    result.warnings = warnings
    return result


def _flatten(obj: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, f"{key}."))
        elif isinstance(v, list):
            out[key] = orjson.dumps(v).decode()
        elif v is not None:
            out[key] = v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
    return out


_LABEL_FIELDS = ("service.name", "host.name", "kubernetes.pod.name", "kubernetes.namespace",
                 "container.name", "log.file.path", "_index")


def _add_hit(hit: dict, index: int, builder: RecordBuilder) -> bool:
    source = hit.get("_source")
    if not isinstance(source, dict):
        fields = hit.get("fields")
        if isinstance(fields, dict):
            source = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in fields.items()}
        else:
            return False
    ns, precision, parsed, _ = object_fields(source)
    message = source.get("message")
    line = message if isinstance(message, str) else orjson.dumps(source).decode()
    flat = _flatten(source)
    flat["_index"] = str(hit.get("_index", ""))
    labels = {k: flat[k] for k in _LABEL_FIELDS if flat.get(k)}
    parsed.update({k: v for k, v in flat.items() if k not in labels and k != "message"})
    builder.add(ns, precision, line, index, labels=labels, parsed=parsed)
    return True


def read_elasticsearch(data: bytes, ctx: Context) -> ReadResult:
    """Search API responses (`hits.hits[]._source`) and NDJSON dumps of hits."""
    builder = RecordBuilder()
    rejected = 0
    warnings: list[str] = []
    result = ReadResult(builder.to_table(ctx.path))
    stripped = data[:4096].lstrip()
    try:
        doc = orjson.loads(data) if stripped.startswith(b"{") else None
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("hits"), dict):
        hits = doc["hits"].get("hits") or []
        for index, hit in enumerate(hits):
            if not (isinstance(hit, dict) and _add_hit(hit, index, builder)):
                rejected += 1
        total = doc["hits"].get("total")
        value = total.get("value") if isinstance(total, dict) else total
        relation = total.get("relation") if isinstance(total, dict) else "eq"
        if (isinstance(value, int) and value > len(hits)) or relation == "gte":
            result.truncated_end = "unknown"
            result.truncation_reason = f"the search matched {value}{'+' if relation == 'gte' else ''} hits but {len(hits)} were exported"
        if doc.get("timed_out") or ((doc.get("_shards") or {}).get("failed") or 0) > 0:
            warnings.append("the search timed out or some shards failed: results are partial")
    else:
        index = 0
        for hit, _ in iter_documents(data):
            if isinstance(hit, dict) and _add_hit(hit, index, builder):
                pass
            else:
                rejected += 1
            index += 1
        if len(builder) == 0:
            raise fail(ctx, "no Elasticsearch hits found")
    untimed = sum(1 for t in builder.ts_ns if t is None)
    if untimed:
        warnings.append(f"{untimed} hits have no @timestamp; they keep file order at the end")
    result.table = builder.to_table(ctx.path)
    result.rejected = rejected
    result.warnings = warnings
    return result
