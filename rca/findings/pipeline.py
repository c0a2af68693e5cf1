"""The main job as a library call: ingest → decode → signatures → incidents → causes.

    from rca.findings.pipeline import analyze
    findings = analyze(["logs.json"])
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from rca.findings.alerts import AlertContext, first_firing, propose_alert
from rca.findings.causes import Cause, rank_causes, row_views
from rca.table.decode import RESOLVED, decode
from rca.findings.incidents import Incident, find_incidents, refused_identities
from rca.inputs.exports import Ingested, ingest
from rca.inputs.freeing import give_back
from rca.inputs.progress import report
from rca.inputs.sniff import read_whole_anyway
from rca.knowledge.pack import Pack, default_pack
from rca.inputs.numpy_arrays import arrow
from rca.table.redact import clip
from rca.findings.contributors import FIELDS as CONTRIBUTING, Contributor, contributors
from rca.findings.minutes import MinuteSeries, request_minutes, with_signatures
from rca.findings.signatures import Cluster, build_clusters, infer_latency, mark_known_noise, mark_routine
from rca.inputs.timestamps import format_rfc3339_ms
from rca.findings.traffic import Traffic, traffic_of
from rca.findings.scope import filtered_to_errors
from rca.findings.urls import UrlCounts, UrlInfo, collect_urls


# From this many rows on, every row's numbers are held compressed while the signatures are
# found: ~12 bytes a row, 120 MB at 10M lines, at the reduce's peak.
SQUEEZE_ROWS = 1 << 21


@dataclass
class IncidentFindings:
    incident: Incident
    id: str
    causes: list[Cause]
    timeline: list[tuple[int, str]]
    alert: str | None
    routine_in_window: dict[str, int] = field(default_factory=dict)  # routine signatures with rows in the window
    # Field values over-represented in the window against the rest (rca.findings.contributors).
    contributors: list[Contributor] = field(default_factory=list)
    # When the proposed alert would have fired on these logs (None: no rule, or it would not).
    alert_fires_ns: int | None = None


@dataclass
class Findings:
    ingested: Ingested
    clusters: list[Cluster]
    incidents: list[IncidentFindings]
    urls: list[UrlInfo]
    pack: Pack
    total_requests: int = 0
    # Earlier incidents with the same root cause, by incident id, when a history was given.
    history: dict[str, list[dict[str, Any]]] | None = None
    # The chart's per-minute series (rca.findings.minutes), computed from every row once.
    minutes: MinuteSeries | None = None
    # Why the export holds only errors (so total requests are unknown), or None.
    filtered: str | None = None
    # Set on the copy rca.findings.redacted made: every string in it is already masked.
    redacted: bool = False


def analyze(inputs: list[str] | Ingested, input_format: str | None = None, pack: Pack | None = None,
            chunk_bytes: int | None = None, mapper: Any = None, identity: bool = True) -> Findings:
    """Findings of exports. A large logcli JSONL export (or any with `chunk_bytes` or a
    `mapper`, e.g. Dask's) is analysed map → reduce in pieces (`rca.findings.stream`), its
    content hashed for its identity unless `identity` is False (only the history needs it)."""
    pack = pack or default_pack()
    read_whole: list[tuple[str, str]] = []
    if not isinstance(inputs, Ingested):
        paths = [str(inputs)] if isinstance(inputs, (str, os.PathLike)) else [str(p) for p in inputs]
        if mapper is not None or chunk_bytes is not None or not read_whole_anyway(paths):
            from rca.findings.stream import analyze_streamed

            streamed = analyze_streamed(paths, input_format, pack, chunk_bytes, mapper, identity, read_whole)
            if streamed is not None:
                return streamed
    ingested = inputs if isinstance(inputs, Ingested) else ingest(inputs, input_format=input_format)
    for path, why in read_whole:  # it was meant to stream
        for summary in ingested.inputs:
            if summary.path == path:
                summary.warnings.append(why)
    table = ingested.table
    report("decoding")
    decoded = decode(table, pack)
    latency = infer_latency(table, decoded, pack)
    report("finding incidents")
    return findings_from(ingested, decoded, latency, pack, traffic_of(table, decoded, latency, pack))


def findings_from(ingested: Ingested, decoded: pa.Table, latency: pa.Array, pack: Pack, traffic: Traffic,
                  positions: np.ndarray | None = None, urls_elsewhere: UrlCounts | None = None) -> Findings:
    """Findings from the rows that matter, decoded, with final latencies, and every row's
    traffic. `ingested.table` holds every row, or (streamed) only the rows that may be
    anomalous, at `positions` in the traffic; `urls_elsewhere` counts the URLs of the rest."""
    table, lines = ingested.table, ingested.lines()
    held = traffic.rows >= SQUEEZE_ROWS and traffic.latency_ms is None  # (a streamed export's: latencies let go)
    if held:
        traffic.squeeze()
    clusters, row_cluster = build_clusters(table, decoded, pack, latency, lines)
    if held:
        give_back()  # what finding the signatures freed, before every row's numbers come back
        traffic.unsqueeze()
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    span = traffic.span()
    if span is not None:
        mark_routine(clusters, pack, span[0], span[1], ts, traffic.exposure())
    else:
        mark_known_noise(clusters, pack)
    incidents = find_incidents(table, decoded, clusters, row_cluster, traffic, pack)
    by_cluster = np.argsort(row_cluster, kind="stable")
    bounds = np.searchsorted(row_cluster[by_cluster], np.arange(len(clusters) + 1))
    cluster_rows = [by_cluster[bounds[i]:bounds[i + 1]] for i in range(len(clusters))]
    if positions is not None:
        cluster_rows = [positions[rows] for rows in cluster_rows]
    minutes = traffic.minutes.result() if isinstance(traffic.minutes, Future) else traffic.minutes
    minutes = with_signatures(minutes or request_minutes(traffic), traffic, cluster_rows)
    total_requests = traffic.requests
    traffic.let_go()  # every row's numbers: the rest reads only the rows in `table`
    if held:
        give_back()
    del by_cluster, cluster_rows
    is_http = decoded.column("category").combine_chunks().to_numpy(zero_copy_only=False) == "http"
    alerts = AlertContext(table, clusters, pack, lines)
    views = row_views(table, decoded, lines)
    refused = refused_identities(incidents, pack)
    routine_in_window = _routine_in_window(clusters, ts)
    results = []
    for inc, incident_id in zip(incidents, incident_ids(incidents)):
        causes = rank_causes(inc, clusters, pack, row_cluster, views, refused)
        requests = inc.rows[is_http[inc.rows]]
        counted = requests if requests.size else inc.rows
        alert = propose_alert(alerts, inc.clusters, counted, ts)
        results.append(IncidentFindings(
            incident=inc,
            id=incident_id,
            causes=causes,
            timeline=_timeline(inc, decoded, ts, counted),
            alert=alert,
            routine_in_window=routine_in_window(inc),
            alert_fires_ns=first_firing(alerts, alert, inc.start_ns) if alert else None,
        ))
    # Compared among the rows that fall in a signature: a streamed analysis keeps exactly
    # those, so the whole and the streamed export rank the same contributors.
    in_signature = arrow(np.flatnonzero(row_cluster >= 0))
    signatures = pa.array([c.signature for c in clusters], pa.string()).take(
        arrow(row_cluster[row_cluster >= 0])) if clusters else pa.array([], pa.string())
    found = contributors(table.select(["labels"]).take(in_signature),
                         decoded.select(list(CONTRIBUTING)).take(in_signature), signatures,
                         ts[row_cluster >= 0], [(_first_row_ns(r.incident), r.incident.end_ns) for r in results])
    for r, top in zip(results, found, strict=True):
        r.contributors = top
    urls = collect_urls(table, decoded, row_cluster, [c.id for c in clusters], pack, urls_elsewhere, refused)
    return Findings(ingested, clusters, results, urls, pack, total_requests=total_requests, minutes=minutes,
                    filtered=filtered_to_errors(ingested.inputs, pack))


def incident_ids(incidents: list[Incident]) -> list[str]:
    """One id per incident, named for its start second; incidents that start in the same second
    (two links in one window) get -2, -3 so `rca show --incident ID` names exactly one."""
    ids: list[str] = []
    for inc in incidents:
        stamp = format_rfc3339_ms(inc.start_ns)
        base = f"inc-{stamp[:19].replace(':', '').replace('-', '')}" if stamp else f"inc-untimed-{inc.index + 1}"
        n, candidate = 1, base
        while candidate in ids:
            n += 1
            candidate = f"{base}-{n}"
        ids.append(candidate)
    return ids


def _routine_in_window(clusters: list[Cluster], ts: np.ndarray):
    """A function of an incident: how many rows of each routine signature fall in its
    window, for the signatures that have any there (a varied export's scanners make a
    routine signature per path probed, most of them nowhere near an incident). The routine
    rows are sorted by time once; each incident counts its slice."""
    routine = [c for c in clusters if c.routine]
    times = np.concatenate([ts[c.rows] for c in routine]) if routine else np.zeros(0, np.int64)
    owner = np.repeat(np.arange(len(routine)), [c.rows.size for c in routine])
    order = np.argsort(times, kind="stable")
    times, owner = times[order], owner[order]
    ids = [c.id for c in routine]

    def counts(inc: Incident) -> dict[str, int]:
        lo, hi = np.searchsorted(times, inc.start_ns, "left"), np.searchsorted(times, inc.end_ns, "right")
        found = np.bincount(owner[lo:hi], minlength=len(routine))
        return {ids[k]: int(found[k]) for k in np.flatnonzero(found)}

    return counts


ONSET_UNBOUNDED = "the logs do not bound the onset, which may be earlier"


def _first_row_ns(inc: Incident) -> int:
    """Where an incident's own rows begin: the factory's answer carrying the link comes a few
    milliseconds before the first affected response, and is the incident's, not its baseline's."""
    return min(inc.start_ns, inc.first_link_ns) if inc.first_link_ns is not None else inc.start_ns


def _describe_row(row: int, decoded: pa.Table) -> str:
    d = {k: decoded.column(k)[row].as_py() for k in ("category", "endpoint", "status", "message", "link_key")}
    what = f"{d['endpoint'] or d['category']} answered {d['status'] if d['status'] is not None else '-'}"
    if d["message"]:
        what += f" \"{clip(d['message'], 80)}\""
    if d["link_key"]:
        what += f" with {d['link_key']}"
    return what


def _timeline(inc: Incident, decoded: pa.Table, ts: np.ndarray, counted: np.ndarray) -> list[tuple[int, str]]:
    """Log-derived events; the first and last affected request are the rows that bound the
    incident window, so every output prints the same instant for them."""
    events: list[tuple[int, str]] = []
    if inc.last_ok_before_ns is not None:
        events.append((inc.last_ok_before_ns, "last clean successful request before the incident (bounds the onset)"))
    elif inc.onset_unbounded:
        events.append((inc.start_ns, f"no clean successful request before this one in these logs: {ONSET_UNBOUNDED}"))
    first = int(counted[np.argmin(ts[counted])])
    events.append((int(ts[first]), f"first affected request: {_describe_row(first, decoded)}"))
    if inc.first_link_ns is not None:
        events.append((inc.first_link_ns, "the remediation link first appears in the logs"))
    for start, end in inc.gaps:
        minutes = (end - start) / 60e9
        events.append((start, f"no requests logged for {minutes:.1f} min (until {format_rfc3339_ms(end)}): onset/end within it are uncertain"))
    for attempt in inc.attempts:
        is_fix = inc.resolution is not None and inc.resolution[0] == attempt.ts_ns and attempt.outcome == RESOLVED
        events.append((attempt.ts_ns, f"resolution: {attempt.describe()}" if is_fix
                       else f"resolution attempt: {attempt.summary()}"))
    last = int(counted[np.argmax(ts[counted])])
    events.append((int(ts[last]), f"last affected request: {_describe_row(last, decoded)}"))
    if inc.recovery_ns is not None:
        events.append((inc.recovery_ns, "first clean successful request after the incident (recovery)"))
    else:
        events.append((inc.end_ns, "no clean success after the last affected request in this export"))
    events.sort(key=lambda e: e[0])
    return events
