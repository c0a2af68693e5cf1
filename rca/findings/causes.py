"""Rank candidate root causes for an incident from its signatures and the pack's cause rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from rca.findings.incidents import Incident, link_identity
from rca.knowledge.pack import CauseRule, Pack
from rca.inputs.numpy_arrays import arrow
from rca.table.redact import clip
from rca.table.packed import PackedLines
from rca.table.rows import take_rows
from rca.findings.signatures import BODYLESS, Cluster
from rca.inputs.timestamps import NO_TIME, NO_TIME_TEXT, time_text


@dataclass
class Cause:
    rank: int
    component: str
    kind: str
    summary: str
    confidence: float
    clusters: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    # Links whose secret parts the export replaced with placeholders: evidence, not a link to follow.
    redacted_urls: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    advice: str | None = None
    weight: float = 0.0


def _matches(rule: CauseRule, c: Cluster, pack: Pack) -> bool:
    m = rule.match
    if "has_link" in m and bool(m["has_link"]) != c.has_link:
        return False
    if "min_status" in m and (c.status is None or c.status < m["min_status"]):
        return False
    if "max_status" in m and (c.status is None or c.status > m["max_status"]):
        return False
    if m.get("jwt_prefix") and "forged-jwt" not in c.flags:
        return False
    if m.get("slow") and "slow" not in c.flags:
        return False
    if m.get("body_lost") and not c.body_lost:
        return False
    if m.get("endpoint") and c.endpoint != m["endpoint"]:
        return False
    if rule.message is None:
        return True
    return bool(rule.message.search(c.template) or any(rule.message.search(e) for e in c.examples))


def _rule_for(c: Cluster, pack: Pack) -> CauseRule | None:
    return next((rule for rule in pack.causes if _matches(rule, c, pack)), None)


def cause_for(c: Cluster, pack: Pack) -> tuple[str, str, str, float, str | None]:
    """(component, kind, summary, confidence, advice) for one signature."""
    rule = _rule_for(c, pack)
    if rule is not None and rule.component:
        return rule.component, rule.kind, rule.summary, rule.confidence, rule.advice
    if rule is not None:  # a rule for any component: the signature's own, named in the summary
        summary = rule.summary.format(component=c.component, message=clip(c.template, 160))
        return c.component, rule.kind, summary, rule.confidence, rule.advice
    g = pack.generic_cause
    if "slow" in c.flags and pack.generic_slow_cause:
        g = pack.generic_slow_cause
    elif not c.has_link and c.template in BODYLESS and pack.generic_bodyless_cause:
        g = pack.generic_bodyless_cause
    summary = g["summary"].format(endpoint=c.endpoint or c.component, status=c.status or "errors",
                                  message=c.template, latency_s=(c.median_latency_ms or 0) / 1000)
    return c.component, g["kind"], summary, float(g["confidence"]), g.get("advice")


@dataclass
class RowViews:
    """Row-aligned columns a cause's evidence is read from: time, original line, link, link key."""

    ts: np.ndarray
    lines: pa.ChunkedArray | PackedLines  # not joined into one array: that would copy every kept line
    links: pa.Array
    link_keys: pa.Array


def row_views(table: pa.Table, decoded: pa.Table, lines: pa.ChunkedArray | PackedLines | None = None) -> RowViews:
    """The views of a table; `lines` when it does not hold its raw lines (held packed)."""
    return RowViews(table.column("ts_ns").combine_chunks().fill_null(0).to_numpy(),
                    table.column("line") if lines is None else lines, decoded.column("link").combine_chunks(),
                    decoded.column("link_key").combine_chunks())


def _first_line(rows: np.ndarray, views: RowViews) -> list[str]:
    """The raw line of the first of `rows`, as a list (empty when there is none)."""
    return take_rows(views.lines, rows[:1]).to_pylist()


def rank_causes(incident: Incident, clusters: list[Cluster], pack: Pack, row_cluster: np.ndarray,
                views: RowViews, refused: set[str] = frozenset()) -> list[Cause]:
    """Causes for one incident, best first. Counts, times, examples and links come from this
    incident's own rows, never from the signature's other incidents; a link whose identity
    the factory refused (`refused`) is never offered."""
    by_key: dict[tuple[str, str], Cause] = {}
    members = incident.rows
    member_cluster = row_cluster[members]
    kinds_seen = {(cause_for(clusters[ci], pack)[0], cause_for(clusters[ci], pack)[1]) for ci in incident.clusters}
    for ci in incident.clusters:
        c = clusters[ci]
        rows = members[member_cluster == ci]
        take = arrow(rows)
        component, kind, summary, confidence, advice = cause_for(c, pack)
        rule = _rule_for(c, pack)
        # An ambiguous signature (e.g. a link on a 200 from the factory's own line) joins the
        # specific cause another signature of the same incident established.
        refined = next((k for k in (rule.refined_by if rule else ()) if (component, k) in kinds_seen), None)
        if refined is not None:
            existing = next(cl for cl in incident.clusters if cause_for(clusters[cl], pack)[:2] == (component, refined))
            component, kind, summary, confidence, advice = cause_for(clusters[existing], pack)
        cause = by_key.setdefault((component, kind), Cause(0, component, kind, summary, confidence, advice=advice))
        if confidence > cause.confidence:  # the best-evidenced signature words the summary
            cause.summary, cause.advice = summary, advice if advice is not None else cause.advice
        cause.confidence = max(cause.confidence, confidence)
        cause.clusters.append(c.id)
        links = sorted(set(views.links.take(take).drop_null().to_pylist()))
        for u in links:
            if pack.redacted_link.search(u):
                cause.redacted_urls += [u] if u not in cause.redacted_urls else []
            elif u not in cause.urls and link_identity(u, pack) not in refused:
                cause.urls.append(u)
        cause.weight += rows.size * confidence
        times = views.ts[rows]
        times = times[times != NO_TIME]
        span = f"{time_text(int(times.min()))} .. {time_text(int(times.max()))}" if times.size else NO_TIME_TEXT
        status = c.status if c.status is not None else "-"
        keys = sorted(set(views.link_keys.take(take).drop_null().to_pylist()))
        extra = f" with {', '.join(keys)}" if keys else ""
        latency = f", median latency {c.median_latency_ms / 1000:.1f} s" if c.median_latency_ms and "slow" in c.flags else ""
        cause.evidence.append(f"{rows.size} x {c.component} {c.endpoint or ''} {status} \"{c.template}\"{extra}"
                              f"{latency} ({span})".replace("  ", " "))
        cause.evidence += [b.describe() for b in c.bursts if b.start_ns <= incident.end_ns and b.end_ns >= incident.start_ns]
        examples = _first_line(rows, views)
        if examples:
            cause.evidence.append(f"example: {clip(examples[0], 400)}")
    causes = sorted(by_key.values(), key=lambda x: (-x.weight, -x.confidence, x.component))
    total = sum(c.weight for c in causes) or 1.0
    for cause in causes:
        share = cause.weight / total
        # Few affected requests are thin evidence: a single one (kept only because it carries
        # a remediation link, rca.findings.incidents) is a low-confidence finding.
        thin = {1: 0.5, 2: 0.7}.get(incident.affected_requests, 1.0)
        cause.confidence = round(min(0.99, cause.confidence * (0.5 + 0.5 * share) * thin), 2)
        if cause.advice is None and incident.affected_requests == 1:
            cause.advice = "a single affected request: low confidence; widen the export's time range to confirm"
        elif cause.advice is None and incident.affected_requests < 3:
            cause.advice = "only a few affected requests: widen the export's time range"
    # Most likely first: the headline cause is the best-evidenced one (its share of the rows
    # counts in its confidence), not merely the largest; a fallback that says only that
    # responses failed never outranks a cause the pack explains on row count alone.
    causes.sort(key=lambda x: (-x.confidence, -x.weight, x.component))
    for i, cause in enumerate(causes, 1):
        cause.rank = i
    return causes
