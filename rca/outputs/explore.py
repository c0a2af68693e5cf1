"""Grafana Explore links that open an incident's window and each signature's LogQL query.

Built only from rca's own values: the Grafana URL and datasource uid the user gave, times,
status codes, and stream labels that pass a strict allow-list (names and values of plain
letters, digits, `_ . -`). Nothing else from a log line gets into a link."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from rca.compiled import compiled
from rca.errors import UsageError
from rca.findings.pipeline import Findings, IncidentFindings
from rca.findings.signatures import Cluster
from rca.inputs.timestamps import NO_TIME

_SAFE_NAME = compiled(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SAFE_VALUE = compiled(r"^[A-Za-z0-9_.-]{1,63}$")
_STREAM_KEYS = ("component", "service_name", "app", "job", "service", "source", "namespace")
MARGIN_MS = 60_000


@dataclass(frozen=True)
class Explore:
    base: str
    datasource: str

    @classmethod
    def from_options(cls, url: str | None, datasource: str | None) -> Explore | None:
        if not url and not datasource:
            return None
        if not url or not datasource:
            raise UsageError("Grafana Explore links need both --grafana-url and --datasource")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc or parts.query:
            raise UsageError(f"--grafana-url {url!r}: give the Grafana base URL, http(s)://host[/path]")
        if not _SAFE_VALUE.match(datasource):
            raise UsageError(f"--datasource {datasource!r}: a datasource uid is letters, digits, '_', '.', '-'")
        return cls(url.rstrip("/"), datasource)

    def link(self, expr: str, start_ns: int | None, end_ns: int | None) -> str:
        """The query over the window; without known times (a pasted record) the link carries
        no range, so Explore opens at its default instead of at the epoch."""
        pane = {"datasource": self.datasource,
                "queries": [{"refId": "A", "expr": expr, "queryType": "range",
                             "datasource": {"type": "loki", "uid": self.datasource}}]}
        if start_ns not in (None, NO_TIME) and end_ns not in (None, NO_TIME):
            pane["range"] = {"from": str(start_ns // 1_000_000 - MARGIN_MS), "to": str(end_ns // 1_000_000 + MARGIN_MS)}
        panes = quote(json.dumps({"rca": pane}, separators=(",", ":")), safe="")
        return f"{self.base}/explore?schemaVersion=1&orgId=1&panes={panes}"


def selector(f: Findings, rows: object) -> str:
    """A stream selector from the rows' labels that pass the allow-list, else every stream."""
    import pyarrow as pa

    labels = f.ingested.table.column("labels").combine_chunks().take(pa.array(list(rows)[:50], pa.int64())).to_pylist()
    common: dict[str, str] | None = None
    for entries in labels:
        pairs = {k: v for k, v in (entries or []) if k in _STREAM_KEYS and _SAFE_NAME.match(k) and _SAFE_VALUE.match(v)}
        common = pairs if common is None else {k: v for k, v in common.items() if pairs.get(k) == v}
    if not common:
        return '{job=~".+"}'
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(common.items())[:2]) + "}"


def signature_query(f: Findings, c: Cluster) -> str:
    """The signature's lines in LogQL: its streams, its status code as a number."""
    expr = selector(f, c.rows)
    if c.status is not None and 100 <= int(c.status) <= 599:
        expr += f' |~ `"status(Code)?":\\s*"?{int(c.status)}\\b`'
    return expr


def incident_link(ex: Explore, f: Findings, i: IncidentFindings) -> str:
    return ex.link(selector(f, i.incident.rows), i.incident.start_ns, i.incident.end_ns)


def signature_link(ex: Explore, f: Findings, c: Cluster) -> str:
    return ex.link(signature_query(f, c), c.first_ns, c.last_ns)
