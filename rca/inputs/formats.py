"""The registry of export formats rca reads: name, one-line description, reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rca.inputs.readers import Context, ReadResult, cloud, grafana, logcli, loggers, loki


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    read: Callable[[bytes, Context], ReadResult]
    # How the format orders records by default: used to tell which end a line limit cut.
    default_order: str = "backward"


FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("loki-query", "Loki /loki/api/v1/query_range or /query response (streams; 2- or 3-element values)", loki.read_query),
        Format("loki-push", "Loki push payload or tail messages: one document, an array, or concatenated", loki.read_push, "forward"),
        Format("logcli-jsonl", "logcli query --output jsonl ({labels, line, timestamp} per line), part files too", logcli.read_jsonl),
        Format("logcli-text", "logcli query default output (<time> {labels} <line>, any --output-timestamp-format), part files too", logcli.read_default),
        Format("grafana-txt", "Grafana Explore 'Download logs' TXT (Common labels / Line limit header)", grafana.read_txt),
        Format("grafana-json", "Grafana Explore 'Download logs' JSON ([{line, timestamp, date, fields}])", grafana.read_json),
        Format("grafana-csv", "Grafana Explore 'Download logs' CSV (Date, Time, Line, tsNs, id, labels...)", grafana.read_csv),
        Format("grafana-inspect-csv", "Grafana Inspect -> Data 'Download CSV' (labels, Time, Line, tsNs, labelTypes, id)", grafana.read_csv),
        Format("grafana-frames", "Grafana DataFrame JSON (query inspector, /api/ds/query results, panel data)", grafana.read_frames),
        Format("ndjson", "NDJSON or a JSON array from app loggers (pino, winston, bunyan, structlog, zap, ECS...)", loggers.read_ndjson, "forward"),
        Format("cloudwatch", "AWS CloudWatch Logs filter-log-events / get-log-events / Insights JSON", cloud.read_cloudwatch, "forward"),
        Format("elasticsearch", "Elasticsearch / OpenSearch / Kibana search hits (response or NDJSON dump)", cloud.read_elasticsearch, "forward"),
        Format("text", "plain text lines (logcli --output raw, app log files); a leading ISO, Go log or nginx (2026/12/02 17:10:00), syslog or Apache time, a logfmt ts=, or a CRI prefix read", loggers.read_text, "forward"),
    ]
}
