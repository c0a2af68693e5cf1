"""Grafana exports: Explore "Download logs" (TXT, JSON, CSV), Inspect → Data CSV and DataFrame JSON."""

from __future__ import annotations

import csv
import io

import orjson
import regex

from rca.inputs.readers import Context, ReadResult, fail, load_document, split_lines
from rca.inputs.records import RecordBuilder
from rca.inputs.timestamps import TimestampError, parse_any, parse_epoch
from rca.lazy import LazyRegex

_TXT_ROW = LazyRegex(r"^(?P<ms>\d{13})\t(?:(?P<iso>\d{4}-\d\d-\d\dT[\d:.]+Z?)\t)?(?P<line>.*)$", regex.DOTALL)
_HEADER = LazyRegex(r"^(?P<label>[A-Za-z][A-Za-z ]*|): (?P<value>.*)$")
_LIMIT = LazyRegex(r"(?P<n>\d+)\s*(?P<reached>reached)?(?:.*?cover[s]?\s+(?P<pct>[\d.]+)%)?")


def starts_txt_row(raw: bytes) -> bool:
    """Whether a line of a Grafana TXT download starts a row (as `read_txt` reads it): the
    lines that do not continue the row before them."""
    return _TXT_ROW.match(raw.decode("utf-8", errors="replace")) is not None


def read_txt(data: bytes, ctx: Context) -> ReadResult:
    """`<meta>: <json>` header lines, a blank line, then `<epoch ms>\\t[<ISO>\\t]<line>` rows.

    Common labels apply to every row; `Line limit: "N reached…"` marks the export truncated.
    Lines that do not start a row continue the previous entry (multi-line messages).
    """
    lines = split_lines(data)
    builder = RecordBuilder()
    labels: dict[str, str] = {}
    warnings: list[str] = []
    declared_limit: int | None = None
    reached = False
    pos = 0
    while pos < len(lines):
        text = lines[pos].decode("utf-8", errors="replace")
        if _TXT_ROW.match(text):
            break
        pos += 1
        if not text.strip():
            continue
        m = _HEADER.match(text)
        if not m:
            continue
        label, value = m["label"], m["value"]
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            parsed = value
        if label == "Common labels" and isinstance(parsed, dict):
            labels = {str(k): str(v) for k, v in parsed.items()}
        elif label == "Line limit":
            lm = _LIMIT.search(str(parsed))
            if lm:
                declared_limit = int(lm["n"])
                reached = bool(lm["reached"])
                if reached and lm["pct"]:
                    warnings.append(f"Grafana says the rows cover {lm['pct']}% of the selected time range")
        elif label == "":
            warnings.append(f"Grafana reported an error with this export: {parsed}")
    rejected = 0
    pending: list[object] | None = None
    record = 0
    for raw in lines[pos:]:
        text = raw.decode("utf-8", errors="replace")
        m = _TXT_ROW.match(text)
        if m is None:
            if pending is not None:
                pending[2] = f"{pending[2]}\n{text}"
            elif text.strip():
                rejected += 1
            continue
        if pending is not None:
            builder.add(pending[0], "ms", pending[2], pending[1], labels=labels)
        pending = [int(m["ms"]) * 1_000_000, record, m["line"]]
        record += 1
    if pending is not None:
        builder.add(pending[0], "ms", pending[2], pending[1], labels=labels)
    if len(builder) == 0 and rejected == 0:
        raise fail(ctx, "Grafana TXT export with a header but no log rows")
    result = ReadResult(builder.to_table(ctx.path), rejected=rejected, warnings=warnings,
                        declared_limit=declared_limit)
    if reached:
        result.truncated_end = "older"
        result.truncation_reason = f"Grafana's line limit of {declared_limit} was reached"
    return result


def read_json(data: bytes, ctx: Context) -> ReadResult:
    """An array of `{line, timestamp (ns string), date?, fields{…}}` in display order."""
    doc, rejected, warnings = load_document(data, ctx)
    if not isinstance(doc, list):
        raise fail(ctx, "not a Grafana logs JSON download (expected an array of rows)")
    builder = RecordBuilder()
    for index, row in enumerate(doc):
        if not isinstance(row, dict) or not isinstance(row.get("line"), str):
            rejected += 1
            continue
        stamp = row.get("timestamp", row.get("date"))
        try:
            ns, precision = parse_any(stamp)
        except TimestampError:
            rejected += 1
            continue
        fields = row.get("fields")
        builder.add(ns, precision, row["line"], index,
                    labels=fields if isinstance(fields, dict) else None)
    return ReadResult(builder.to_table(ctx.path), rejected=rejected, warnings=warnings)


_KNOWN_COLUMNS = {"Date", "Time", "Line", "tsNs", "id", "labels", "labelTypes", "body",
                  "timestamp", "attributes", "severity"}


# Python's csv module refuses a field over 128 KiB; a long line is read and then cut to the
# line-length cap with a warning, as in every other format.
_FIELD_LIMIT = (1 << 31) - 1


def csv_dialect(data: bytes) -> tuple[str, int]:
    """The delimiter of a Grafana CSV (from its `sep=` line, else the commonest of `,` `;`
    tab in the header) and the length of the `sep=` line before the header (0: none)."""
    if data.startswith(b"sep="):
        first, newline, _ = data.partition(b"\n")
        return (first[4:5].decode("utf-8", errors="replace") or ","), len(first) + len(newline)
    head = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return max([",", ";", "\t"], key=head.count), 0


def _csv_rows(data: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    delimiter, skip = csv_dialect(data)
    text = data[skip:].decode("utf-8", errors="replace")
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        return [], [], []
    return [h.strip() for h in rows[0]], rows[1:], []


def read_csv(data: bytes, ctx: Context) -> ReadResult:
    """Explore download CSV (`Date,Time,Line,tsNs,id,<label columns…>`) and Inspect → Data CSV
    (`labels,Time,Line,tsNs,labelTypes,id`, labels as JSON text)."""
    header, rows, warnings = _csv_rows(data)
    if not header:
        raise fail(ctx, "empty CSV")
    col = {name: i for i, name in enumerate(header)}
    line_col = col.get("Line", col.get("body"))
    if line_col is None:
        raise fail(ctx, "CSV has no Line column: not a Grafana logs export")
    label_cols = [i for i, name in enumerate(header) if name not in _KNOWN_COLUMNS]
    builder = RecordBuilder()
    rejected = 0
    lost_labels = 0
    for index, row in enumerate(rows):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header) or line_col >= len(row):
            rejected += 1
            continue
        ns = precision = None
        for name in ("tsNs", "Date", "Time", "timestamp"):
            i = col.get(name)
            if i is None or not row[i].strip():
                continue
            try:
                ns, precision = parse_any(row[i])
                break
            except TimestampError:
                continue
        if ns is None:
            rejected += 1
            continue
        labels: dict[str, str] = {}
        metadata: dict[str, str] = {}
        parsed: dict[str, str] = {}
        for i in label_cols:
            if row[i] != "":
                labels[header[i]] = row[i]
        label_cell = col.get("labels", col.get("attributes"))
        if label_cell is not None and row[label_cell]:
            cell = row[label_cell]
            if cell.startswith("[object"):
                lost_labels += 1
            else:
                try:
                    obj = orjson.loads(cell)
                except orjson.JSONDecodeError:
                    obj = None
                if isinstance(obj, dict):
                    types: dict = {}
                    if "labelTypes" in col and row[col["labelTypes"]]:
                        try:
                            types = orjson.loads(row[col["labelTypes"]]) or {}
                        except orjson.JSONDecodeError:
                            types = {}
                    for k, v in obj.items():
                        kind = types.get(k) if isinstance(types, dict) else None
                        target = metadata if kind == "S" else parsed if kind == "P" else labels
                        target[str(k)] = v if isinstance(v, str) else str(v)
        builder.add(ns, precision, row[line_col], index, labels=labels, metadata=metadata, parsed=parsed)
    counts = {"lost_labels": lost_labels, "rejected": rejected, "rows": len(rows)}
    return ReadResult(builder.to_table(ctx.path), rejected=rejected, warnings=warnings + csv_warnings(counts),
                      counts=counts)


def csv_warnings(counts: dict[str, int]) -> list[str]:
    """The warnings of a Grafana CSV read that counted `counts` (summed over pieces too)."""
    warnings = []
    if counts["lost_labels"]:
        warnings.append(f"labels of {counts['lost_labels']} rows were exported as [object Object] and cannot be recovered")
    if counts["rejected"]:
        warnings.append(f"{counts['rejected']} CSV rows had the wrong number of columns or no readable time")
    return warnings


def _frames(doc: object) -> list[dict]:
    if isinstance(doc, dict):
        if isinstance(doc.get("frames"), list):
            return [f for f in doc["frames"] if isinstance(f, dict)]
        if isinstance(doc.get("results"), dict):
            out: list[dict] = []
            for res in doc["results"].values():
                if isinstance(res, dict):
                    out += _frames(res)
            return out
        if isinstance(doc.get("series"), list):
            return [f for f in doc["series"] if isinstance(f, dict)]
        if "schema" in doc or "fields" in doc:
            return [doc]
        return []
    if isinstance(doc, list):
        return [f for f in doc if isinstance(f, dict)]
    return []


def _frame_columns(frame: dict) -> tuple[list[dict], list[list], list]:
    """Fields and their values for both layouts: schema+data.values, or inline field values."""
    if "schema" in frame:
        fields = (frame.get("schema") or {}).get("fields") or []
        data = frame.get("data") or {}
        values = data.get("values") or []
        nanos = data.get("nanos") or [None] * len(fields)
        nanos = [n if n is not None else (f.get("nanos") if isinstance(f, dict) else None)
                 for n, f in zip(list(nanos) + [None] * (len(fields) - len(nanos)), fields, strict=False)]
        return fields, values, nanos
    fields = frame.get("fields") or []
    return fields, [f.get("values") or [] for f in fields], [f.get("nanos") for f in fields]


def read_frames(data: bytes, ctx: Context) -> ReadResult:
    """Grafana DataFrame JSON: query inspector frames, `/api/ds/query` results, panel data."""
    doc, rejected, warnings = load_document(data, ctx)
    if isinstance(doc, dict) and "gridPos" in doc and "targets" in doc:
        raise fail(ctx, "this is a Grafana panel's JSON (configuration), not its data; use Inspect → Data")
    frames = _frames(doc)
    if not frames:
        raise fail(ctx, "no Grafana data frames found")
    builder = RecordBuilder()
    counter = 0
    log_frames = 0
    queries: list[str] = []
    for frame in frames:
        fields, values, nanos = _frame_columns(frame)
        names = [f.get("name") if isinstance(f, dict) else None for f in fields]
        meta = ((frame.get("schema") or {}).get("meta") or frame.get("meta") or {}) if isinstance(frame, dict) else {}
        if isinstance(meta, dict) and meta.get("dataTopic") == "annotations":
            continue
        line_i = next((i for i, n in enumerate(names) if n in ("Line", "body")), None)
        time_i = next((i for i, n in enumerate(names) if n in ("Time", "timestamp")), None)
        if line_i is None or time_i is None:
            types = {f.get("type") for f in fields if isinstance(f, dict)}
            if "number" in types:
                raise fail(ctx, "these are metric data frames (numbers over time), not log lines;"
                                " re-export a logs query")
            continue
        log_frames += 1
        if isinstance(meta, dict) and isinstance(meta.get("executedQueryString"), str):
            queries.append(meta["executedQueryString"])
        ns_i = names.index("tsNs") if "tsNs" in names else None
        labels_i = next((i for i, n in enumerate(names) if n in ("labels", "attributes")), None)
        types_i = names.index("labelTypes") if "labelTypes" in names else None
        length = len(values[line_i]) if line_i < len(values) else 0
        for row in range(length):
            index = counter
            counter += 1
            try:
                line = values[line_i][row]
                if not isinstance(line, str):
                    raise TypeError
                if ns_i is not None and ns_i < len(values) and values[ns_i][row]:
                    ns, precision = parse_epoch(str(values[ns_i][row]))
                else:
                    ms = values[time_i][row]
                    ns, precision = parse_epoch(int(ms)) if isinstance(ms, (int, float)) else parse_any(ms)
                    extra = nanos[time_i] if time_i < len(nanos) else None
                    if isinstance(extra, list) and row < len(extra) and extra[row]:
                        ns += int(extra[row])
                        precision = "ns"
            except (TypeError, ValueError, IndexError, TimestampError):
                rejected += 1
                continue
            labels: dict = {}
            metadata: dict = {}
            parsed: dict = {}
            if labels_i is not None and labels_i < len(values) and row < len(values[labels_i]):
                cell = values[labels_i][row]
                if isinstance(cell, str):
                    try:
                        cell = orjson.loads(cell)
                    except orjson.JSONDecodeError:
                        cell = {}
                kinds = {}
                if types_i is not None and types_i < len(values) and row < len(values[types_i]):
                    kinds = values[types_i][row] or {}
                if isinstance(cell, dict):
                    for k, v in cell.items():
                        kind = kinds.get(k) if isinstance(kinds, dict) else None
                        target = metadata if kind == "S" else parsed if kind == "P" else labels
                        target[k] = v
            builder.add(ns, precision, line, index, labels=labels, metadata=metadata, parsed=parsed)
    if log_frames == 0:
        raise fail(ctx, "no log frames (with Time and Line fields) in these Grafana data frames")
    return ReadResult(builder.to_table(ctx.path), rejected=rejected, warnings=warnings,
                      query="; ".join(dict.fromkeys(queries)) or None)
