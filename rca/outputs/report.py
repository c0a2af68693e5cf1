"""Render findings: the incident report's sections as Markdown, the `rca.findings/1` JSON
document (the terminal summary is rca.outputs.terminal). Written artifacts are redacted unless asked otherwise."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import regex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rca.findings.pipeline import Findings, IncidentFindings
from rca.findings.signatures import ISOLATED
from rca.errors import UsageError
from rca.outputs.explore import incident_link, signature_link
from rca.findings.redacted import shown
from rca.inputs.timestamps import NO_TIME, NS_PER_S, format_rfc3339_ms
from rca.outputs.times import stamp
from rca.compiled import compiled

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

SCHEMA = "rca.findings/1"
REDACTED_LINK = "link redacted in the export (not a link to follow; find it unredacted in the service's logs)"
SECTIONS = ["Summary", "Detection", "Impact", "Timeline", "Response", "Root cause", "Resolution",
            "Prevention", "Action items"]


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # ~4 ms (it reads sysconfig), for --tz alone

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name such as America/Denver)") from None


FILTERED = "unknown (export filtered to errors; total requests unknown)"


def affected_of(f: Findings, inc) -> str:
    """"N of M requests", or N with why M is unknown when the export holds only errors."""
    if f.filtered:
        return f"{inc.affected_requests} requests (export filtered to errors; total requests unknown)"
    return f"{inc.affected_requests} of {inc.total_requests} requests"


def failed_text(inc) -> str:
    """"N failed", and how many affected lines logged no status: a failure line of an error
    log says something went wrong, not that a request was answered with a failure."""
    text = f"{inc.failed_requests} failed"
    if inc.no_status_requests:
        text += f", {inc.no_status_requests} with no status logged"
    return text


_STAMP = compiled(r"\b(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z(?! \()")


def localise(text: str, tz: ZoneInfo | None) -> str:
    """Every UTC time rca wrote into a sentence, with its local time beside it (--tz)."""
    if tz is None:
        return text

    def local(m: regex.Match[str]) -> str:
        y, mo, d, h, mi, sec, ms = (int(g) for g in m.groups())
        ns = int(datetime(y, mo, d, h, mi, sec, tzinfo=UTC).timestamp()) * NS_PER_S + ms * 1_000_000
        return stamp(ns, tz)

    return _STAMP.sub(local, text)


# ---------------------------------------------------------------------------------- JSON


def findings_json(f: Findings, reveal: bool = False, explore: Any = None) -> dict[str, Any]:
    """The rca.findings/1 document; with `explore` (rca.outputs.explore.Explore) each incident
    and signature carries a Grafana Explore link."""
    from rca.outputs.postmortem import each_incident

    f = shown(f, reveal)
    ids = {i: c.id for i, c in enumerate(f.clusters)}
    doc = {
        "schema": SCHEMA,
        "generated_at": format_rfc3339_ms(time.time_ns()),
        "inputs": [s.to_json() for s in f.ingested.inputs],
        "incidents": [_incident_json(f, i, ids, explore, text)
                      for i, text in zip(f.incidents, each_incident(f, explore=explore), strict=True)],
        "clusters": [{
            "id": c.id, "signature": c.signature, "template": c.template, "count": c.count,
            "first": format_rfc3339_ms(c.first_ns), "last": format_rfc3339_ms(c.last_ns),
            "routine": c.routine, "statuses": c.statuses, "examples": c.examples, "urls": c.links,
            **({"note": f"isolated: {ISOLATED}"} if c.isolated else {}),
            **({"explore_url": signature_link(explore, f, c)} if explore else {}),
        } for c in f.clusters],
        "urls": [{
            "url": u.url, "role": u.role, "count": u.count, "first": format_rfc3339_ms(u.first_ns),
            "last": format_rfc3339_ms(u.last_ns), "clusters": u.clusters, "refused": u.refused,
            "redacted": u.redacted,
        } for u in f.urls],
    }
    return doc


def split_sections(markdown_text: str) -> tuple[str, dict[str, str]]:
    """A rendered incident report → (title line, {section name: body})."""
    title = ""
    sections: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in markdown_text.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(body).strip("\n")
            current, body = line[3:].strip(), []
        elif current is not None:
            body.append(line)
    if current is not None:
        sections[current] = "\n".join(body).strip("\n")
    return title, sections


def _incident_json(f: Findings, i: IncidentFindings, ids: dict[int, str], explore: Any, report: str) -> dict[str, Any]:
    """One incident's JSON; `report`: its Markdown report alone, split into its sections here."""
    inc = i.incident
    title, sections = split_sections(report)
    return {
        "id": i.id,
        "start": format_rfc3339_ms(inc.start_ns),
        "end": format_rfc3339_ms(inc.end_ns),
        "duration_s": None if inc.start_ns == NO_TIME else round((inc.end_ns - inc.start_ns) / NS_PER_S, 3),
        "recovery": format_rfc3339_ms(inc.recovery_ns),
        "resolution": {"time": format_rfc3339_ms(inc.resolution[0]), "action": inc.resolution[1]} if inc.resolution else None,
        "impact": {"affected_requests": inc.affected_requests, "failed_requests": inc.failed_requests,
                   "no_status_requests": inc.no_status_requests,
                   "affected_users": inc.affected_users,
                   "total_requests": None if f.filtered else inc.total_requests},
        "root_causes": [{
            "rank": c.rank, "component": c.component, "kind": c.kind, "summary": c.summary,
            "confidence": c.confidence, "clusters": c.clusters, "urls": c.urls, "evidence": c.evidence,
            "redacted_urls": c.redacted_urls,
        } for c in i.causes],
        "timeline": [{"time": format_rfc3339_ms(t), "event": e} for t, e in i.timeline],
        "alert": {"logql": i.alert, "would_fire": format_rfc3339_ms(i.alert_fires_ns),
                  "time_to_detect_s": round((i.alert_fires_ns - inc.start_ns) / NS_PER_S, 3)
                  if i.alert_fires_ns is not None else None} if i.alert else None,
        "title": title,
        "sections": sections,
        "components": sorted({c.component for c in i.causes}),
        "contributors": [{"field": c.field, "value": c.value, "in_window": c.in_window, "baseline": c.baseline,
                          "score": c.score} for c in i.contributors],
        **({"explore_url": incident_link(explore, f, i)} if explore else {}),
    }


# ------------------------------------------------------------------------------ Markdown


def markdown(f: Findings, tz: ZoneInfo | None = None, reveal: bool = False, chart: str | None = None,
             template: Path | None = None, explore: Any = None) -> str:
    """The incident report: one title, a section per incident (rca.outputs.postmortem), rendered
    from the findings after the one redaction pass."""
    from rca.outputs.postmortem import render

    return render(shown(f, reveal), tz, chart, template, explore=explore)
