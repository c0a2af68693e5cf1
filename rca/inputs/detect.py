"""Recognise an export's format from its first bytes (after decompression and decoding)."""

from __future__ import annotations

import orjson
import regex

from rca.inputs.month_stamps import STAMP
from rca.inputs.timestamps import year_first_date
from rca.lazy import LazyRegex

HEAD = 64 * 1024

_TXT_ROW = LazyRegex(rb"^\d{13}\t", regex.MULTILINE)
_TXT_HEADER = LazyRegex(rb"^(?:Common labels|Line limit|Total bytes processed|[A-Za-z ]+): ", regex.MULTILINE)
# logcli's default lines: a time in any --output-timestamp-format layout, then the labels.
_LOGCLI_LABELS = LazyRegex(
    rb"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)|" + STAMP.encode() + rb")"
    rb" (?:\{\}|\{[A-Za-z_][A-Za-z0-9_]*=\")",
    regex.MULTILINE,
)
# A text line opening with a bracketed field that holds no JSON punctuation, then more text
# (`[Sun Dec 04 04:47:44 2005] [error] …`): never a JSON document, which would end there.
_BRACKETED = LazyRegex(rb'^\[[^\[\]{}"]*\][ \t]*[^\s,\]}]')
_LOKI_ERROR = LazyRegex(
    rb"^(?:parse error|max entries limit|too many|query timed out|.{0,200}exceeded|"
    rb"log queries are not supported|failed to parse|unauthorized|no org id)", regex.IGNORECASE
)


# The keys of an error answer saved as the export: Grafana's (message, traceID, messageId,
# statusCode) and a Prometheus-style API's (status "error", errorType, error). Each form needs
# its marker key (traceID, errorType): a log record may well be `{"status":"error","error":…}`.
_ERROR_KEYS = frozenset({"message", "messageId", "traceID", "statusCode", "status", "error", "errorType", "warnings"})
# A header row with a `Line` cell, between any of the delimiters Grafana (or a spreadsheet
# that saved its download again) uses: `,`, `;` or a tab.
_CSV_LINE_CELL = LazyRegex(rb'(?:^|[,;\t])"?Line"?(?:[,;\t]|\r?$)')
# logcli's own stderr (a query's URL, `Common labels: {…}`), dated by Go's log or not, which
# `2>&1` puts before the records it prints.
LOGCLI_STDERR = LazyRegex(
    rb"^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?(?:https?://\S+/loki/api/\S+|Common labels: \{.*\}"
    rb"|Ignoring labels key: .*|Print only labels key: .*)$"
)
_HTML_PAGE = LazyRegex(rb"^(?:<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])", regex.IGNORECASE)


def _error_document(obj: dict) -> str | None:
    """What an error answer saved instead of logs says (None when `obj` is not one)."""
    if not set(obj) <= _ERROR_KEYS:
        return None
    if "traceID" in obj and isinstance(obj.get("message"), str):
        return f"Grafana: {obj['message']}"[:300]
    if obj.get("status") == "error" and "errorType" in obj and isinstance(obj.get("error"), str):
        return obj["error"][:300]
    return None


def _first_lines(data: bytes, n: int, limit: int = 1 << 24) -> list[bytes]:
    """The first n non-blank lines, read past the sniffing window when a line is long."""
    lines: list[bytes] = []
    pos = 0
    while len(lines) < n and pos < min(len(data), limit):
        end = data.find(b"\n", pos, limit)
        end = min(len(data), limit) if end < 0 else end
        line = data[pos:end].strip()
        if line:
            lines.append(line)
        pos = end + 1
    return lines


def _json_keys_line(line: bytes) -> dict | None:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def detect(data: bytes) -> tuple[str | None, str]:
    """Return (format name or None, the reason) for decoded UTF-8 bytes."""
    head = data[:HEAD]
    body = head.lstrip()
    if not body:
        return None, "empty"
    if LOGCLI_STDERR.match(body.split(b"\n", 1)[0].rstrip(b"\r")) and _logcli_jsonl_after_stderr(body):
        return "logcli-jsonl", "logcli JSON lines after logcli's stderr (query URL, common labels)"
    if body[:1] in (b"{", b"["):
        lines = _first_lines(data, 3)
        if lines and all(_BRACKETED.match(line) for line in lines):
            return "text", "plain text lines opening with a bracketed field ([time] [level] …)"
        first = _json_keys_line(lines[0]) if lines else None
        second = _json_keys_line(lines[1]) if len(lines) > 1 else None
        if first is not None and (second is not None or len(lines) == 1):
            # NDJSON (or a single one-line document).
            keys = set(first)
            if len(lines) == 1 and (error := _error_document(first)) is not None:
                return "loki-error", error
            if "resultType" in (first.get("data") or {}) or "resultType" in keys:
                return "loki-query", "a Loki API response per line"
            if {"line", "timestamp"} <= keys <= {"labels", "line", "timestamp"}:
                return "logcli-jsonl", "JSON lines with labels/line/timestamp"
            if "streams" in keys:
                return "loki-push", "push payloads or tail messages per line"
            if "_source" in keys or ("hits" in keys and isinstance(first.get("hits"), dict)):
                return "elasticsearch", "Elasticsearch hits"
            if ("events" in keys and isinstance(first.get("events"), list)) or "logEvents" in keys:
                return "cloudwatch", "CloudWatch events"
            if "results" in keys and isinstance(first.get("results"), list) and "status" in keys and "statistics" in keys:
                return "cloudwatch", "CloudWatch Logs Insights results"
            if {"frames", "results", "series", "schema"} & keys and len(lines) == 1:
                return "grafana-frames", "Grafana data frames"
            if len(lines) > 1 or body[:1] == b"{":
                return "ndjson", "JSON objects, one per line"
        return _detect_document(head)
    if _TXT_ROW.search(head) and (body[:1].isdigit() or _TXT_HEADER.match(body)):
        return "grafana-txt", "Grafana TXT rows (epoch ms, tab)"
    if _LOGCLI_LABELS.search(head):
        return "logcli-text", "logcli default lines (time, labels)"
    first_line = body.split(b"\n", 1)[0]
    if first_line.startswith(b"sep=") or b'"Line"' in first_line or _CSV_LINE_CELL.search(first_line):
        if first_line.lstrip(b'"').startswith(b"labels") or b"labelTypes" in first_line:
            return "grafana-inspect-csv", "Grafana Inspect data CSV header"
        return "grafana-csv", "Grafana logs CSV header"
    if _LOKI_ERROR.match(body):
        return "loki-error", body.split(b"\n", 1)[0].decode("utf-8", "replace")[:300]
    if _HTML_PAGE.match(body):
        return "loki-error", "an HTML page (a login, proxy or error page)"
    return "text", "plain text"


def _logcli_jsonl_after_stderr(body: bytes) -> bool:
    """The first line after logcli's stderr lines is a logcli JSONL record."""
    for line in _first_lines(body, 8):
        if not LOGCLI_STDERR.match(line):
            record = _json_keys_line(line)
            return record is not None and {"line", "timestamp"} <= set(record) <= {"labels", "line", "timestamp"}
    return False


def _detect_document(head: bytes) -> tuple[str | None, str]:
    """One JSON document: look at the keys near the start."""
    if regex.search(rb'"resultType"\s*:', head):
        return "loki-query", "resultType key"
    if regex.search(rb'^\{\s*"schema"\s*:\s*"rca\.findings/', head.lstrip()):
        return "rca-findings", "rca's own findings JSON"
    if regex.search(rb'"message"\s*:\s*"', head) and regex.search(rb'"traceID"', head) and head.count(b"{") <= 2:
        return "loki-error", "Grafana proxy error"
    if regex.search(rb'"streams"\s*:\s*\[', head):
        if regex.search(rb'"data"\s*:\s*\{', head):
            return "loki-query", "data.streams"
        return "loki-push", "top-level streams"
    if regex.search(rb'"hits"\s*:\s*\{', head) or regex.search(rb'"_source"\s*:', head):
        return "elasticsearch", "hits"
    if regex.search(rb'"(?:logEvents|events)"\s*:\s*\[', head) and regex.search(rb'"message"', head):
        return "cloudwatch", "events with message"
    if regex.search(rb'"results"\s*:\s*\[\s*\[\s*\{\s*"field"', head):
        return "cloudwatch", "Logs Insights results"
    if regex.search(rb'"(?:frames|schema)"\s*:', head) or regex.search(rb'"state"\s*:\s*"\w+"\s*,\s*"series"', head) \
            or regex.search(rb'"series"\s*:\s*\[', head):
        return "grafana-frames", "data frames"
    if regex.search(rb'"fields"\s*:\s*\[\s*\{\s*"name"', head):
        return "grafana-frames", "data frame fields"
    stripped = head.lstrip()
    if stripped.startswith(b"[") and regex.search(rb'"line"\s*:', head) and regex.search(rb'"timestamp"\s*:\s*"\d', head):
        return "grafana-json", "array of line/timestamp rows"
    if stripped.startswith(b"[") and regex.search(rb'^\[\s*\{\s*"metric"', stripped):
        return "loki-metric", "logcli metric output"
    if regex.search(rb'"gridPos"\s*:', head) and regex.search(rb'"targets"\s*:', head):
        return "grafana-frames", "panel JSON"
    return "ndjson", "JSON records"


_JSON_FORMATS = {"loki-query", "loki-push", "logcli-jsonl", "grafana-json", "grafana-frames", "ndjson",
                 "cloudwatch", "elasticsearch"}
_MD_HEADING = LazyRegex(rb"^#{1,6} \S")
_MD_BLOCK = LazyRegex(rb"^(?:#{1,6} |[-*+] |\d+\. |> |```|\|.*\|$|<!--)")
_LEADING_TIME = LazyRegex(
    rb"^\[?(?:" + year_first_date().encode() + rb"\d\d:\d\d|\d{10,19}\b|[A-Z][a-z]{2} [ \d]\d \d\d:)")


def not_a_log(data: bytes, forced: bool) -> str | None:
    """What a text input looks like when it is not a log, or None: JSON forced through the
    text reader, or a Markdown document (an incident report given as input)."""
    if forced:
        name, _ = detect(data)
        if name in _JSON_FORMATS:
            return f"every line is JSON (looks like {name}), not plain text: try without --input-format"
    lines = _first_lines(data, 400)
    if not lines:
        return None
    headings = sum(1 for line in lines if _MD_HEADING.match(line))
    blocks = sum(1 for line in lines if _MD_BLOCK.match(line))
    timed = sum(1 for line in lines if _LEADING_TIME.match(line))
    if headings >= 2 and blocks >= 0.3 * len(lines) and timed < 0.2 * len(lines):
        return "looks like a Markdown document, not a log export"
    return None
