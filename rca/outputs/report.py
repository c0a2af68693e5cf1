"""Render findings: the incident report's sections as Markdown, the `rca.findings/1` JSON
document (the terminal summary is rca.outputs.terminal). Written artifacts are redacted unless asked otherwise."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import regex
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rca.findings.pipeline import Findings, IncidentFindings
from rca.errors import UsageError
from rca.outputs.escape import md_code, md_fence, md_text, md_url
from rca.findings.redacted import shown
from rca.inputs.timestamps import NO_TIME, NO_TIME_TEXT, NS_PER_S, format_rfc3339_ms

SCHEMA = "rca.findings/1"
REDACTED_LINK = "link redacted in the export (not a link to follow; find it unredacted in the service's logs)"
SECTIONS = ["Summary", "Detection", "Impact", "Timeline", "Response", "Root cause", "Resolution",
            "Prevention", "Action items"]


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name such as America/Denver)") from None


def when(ns: int | None, tz: ZoneInfo | None = None) -> str:
    if ns is None:
        return "unknown"
    if ns == NO_TIME:
        return NO_TIME_TEXT
    text = format_rfc3339_ms(ns) or "unknown"
    if tz is not None:
        local = datetime.fromtimestamp(ns / NS_PER_S, tz=UTC).astimezone(tz)
        text += f" ({local.strftime('%Y-%m-%d %H:%M:%S %Z')})"
    return text


FILTERED = "unknown (export filtered to errors; total requests unknown)"


def affected_of(f: Findings, inc) -> str:
    """"N of M requests", or N with why M is unknown when the export holds only errors."""
    if f.filtered:
        return f"{inc.affected_requests} requests (export filtered to errors; total requests unknown)"
    return f"{inc.affected_requests} of {inc.total_requests} requests"


_STAMP = regex.compile(r"\b(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z(?! \()")


def localise(text: str, tz: ZoneInfo | None) -> str:
    """Every UTC time rca wrote into a sentence, with its local time beside it (--tz)."""
    if tz is None:
        return text

    def local(m: regex.Match[str]) -> str:
        y, mo, d, h, mi, sec, ms = (int(g) for g in m.groups())
        ns = int(datetime(y, mo, d, h, mi, sec, tzinfo=UTC).timestamp()) * NS_PER_S + ms * 1_000_000
        return when(ns, tz)

    return _STAMP.sub(local, text)


def duration(ns: int) -> str:
    seconds = max(0, ns) / NS_PER_S
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# ---------------------------------------------------------------------------------- JSON


def findings_json(f: Findings, reveal: bool = False) -> dict[str, Any]:
    f = shown(f, reveal)
    ids = {i: c.id for i, c in enumerate(f.clusters)}
    doc = {
        "schema": SCHEMA,
        "generated_at": format_rfc3339_ms(time.time_ns()),
        "inputs": [s.to_json() for s in f.ingested.inputs],
        "incidents": [_incident_json(f, i, ids) for i in f.incidents],
        "clusters": [{
            "id": c.id, "signature": c.signature, "template": c.template, "count": c.count,
            "first": format_rfc3339_ms(c.first_ns), "last": format_rfc3339_ms(c.last_ns),
            "routine": c.routine, "statuses": c.statuses, "examples": c.examples, "urls": c.links,
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


def incident_sections(f: Findings, i: IncidentFindings, tz: ZoneInfo | None = None) -> tuple[str, dict[str, str]]:
    return split_sections(_incident_md(f, i, tz))


def _incident_json(f: Findings, i: IncidentFindings, ids: dict[int, str]) -> dict[str, Any]:
    inc = i.incident
    title, sections = incident_sections(f, i)
    return {
        "id": i.id,
        "start": format_rfc3339_ms(inc.start_ns),
        "end": format_rfc3339_ms(inc.end_ns),
        "duration_s": None if inc.start_ns == NO_TIME else round((inc.end_ns - inc.start_ns) / NS_PER_S, 3),
        "recovery": format_rfc3339_ms(inc.recovery_ns),
        "resolution": {"time": format_rfc3339_ms(inc.resolution[0]), "action": inc.resolution[1]} if inc.resolution else None,
        "impact": {"affected_requests": inc.affected_requests, "failed_requests": inc.failed_requests,
                   "affected_users": inc.affected_users,
                   "total_requests": None if f.filtered else inc.total_requests},
        "root_causes": [{
            "rank": c.rank, "component": c.component, "kind": c.kind, "summary": c.summary,
            "confidence": c.confidence, "clusters": c.clusters, "urls": c.urls, "evidence": c.evidence,
            "redacted_urls": c.redacted_urls,
        } for c in i.causes],
        "timeline": [{"time": format_rfc3339_ms(t), "event": e} for t, e in i.timeline],
        "title": title,
        "sections": sections,
        "components": sorted({c.component for c in i.causes}),
        "contributors": [{"field": c.field, "value": c.value, "in_window": c.in_window, "baseline": c.baseline,
                          "score": c.score} for c in i.contributors],
    }


# ------------------------------------------------------------------------------ Markdown


def markdown(f: Findings, tz: ZoneInfo | None = None, reveal: bool = False, chart: str | None = None) -> str:
    f = shown(f, reveal)
    if not f.incidents:
        text = _no_incident_md(f, tz)
        if chart:
            text += f"\n![Requests per minute by signature]({_md_path(chart)})\n"
    else:
        text = "\n---\n\n".join(_incident_md(f, i, tz, chart) for i in f.incidents)
    return text


def _md_path(path: str) -> str:
    """A relative file path as a Markdown link target: percent-encoded, never a scheme."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/._-~")


def _inputs_line(f: Findings, tz: ZoneInfo | None = None) -> str:
    parts = []
    for s in f.ingested.inputs:
        trunc = f", truncated: the {s.truncated_end} end is missing" if s.truncated else ""
        dups = f", {s.duplicates} duplicates dropped" if s.duplicates else ""
        span = f"{when(s.first_ns, tz)} to {when(s.last_ns, tz)}" if s.first_ns is not None else NO_TIME_TEXT
        parts.append(f"{md_code(s.path)} ({md_text(s.format)}, {s.records} records{dups}, {span}{trunc})")
    clipped = f" ({md_text(localise(f.ingested.window_note, tz))})" if f.ingested.window_note else ""
    return "; ".join(parts) + clipped


def _routine_lines(f: Findings, counts: dict[str, int] | None = None) -> list[str]:
    out = []
    for c in f.clusters:
        if c.routine:
            inside = f", {counts.get(c.id, 0)} inside the incident window" if counts is not None else ""
            out.append(f"- {md_code(c.signature)}: {c.count} times ({md_text(c.routine_reason)}){inside}")
    return out


def _no_incident_md(f: Findings, tz: ZoneInfo | None) -> str:
    lines = ["# No incident found", "", "## Summary", "",
             f"rca found no new or bursting failure in {_inputs_line(f, tz)}."]
    routine = _routine_lines(f)
    if routine:
        lines += ["", "Routine failures seen at a steady rate (not an incident):", "", *routine]
    return "\n".join(lines) + "\n"


def _incident_md(f: Findings, i: IncidentFindings, tz: ZoneInfo | None, chart: str | None = None) -> str:
    inc = i.incident
    top = i.causes[0] if i.causes else None
    untimed = inc.start_ns == NO_TIME
    title = NO_TIME_TEXT if untimed else \
        datetime.fromtimestamp(inc.start_ns / NS_PER_S, tz=UTC).strftime("%Y-%m-%d %H-%M-%S")
    span = "unknown" if untimed else duration(inc.end_ns - inc.start_ns)
    out = [f"# Incident: {title}", "", "## Summary", ""]
    when_text = ("Times are not in the export;" if untimed
                 else f"From {when(inc.start_ns, tz)} to {when(inc.end_ns, tz)} ({span}),")
    summary = (f"{when_text} {affected_of(f, inc)} were affected"
               f" ({inc.failed_requests} failed) on {md_text(', '.join(inc.endpoints)) or 'the service'}.")
    if top:
        summary += f" {md_text(top.summary.rstrip('.'))} (confidence {top.confidence:.2f})."
    if inc.recovery_ns is not None:
        summary += f" Requests succeeded again from {when(inc.recovery_ns, tz)}."
    out += [summary, "", "## Detection", ""]
    out.append(f"Found by rca in {_inputs_line(f, tz)}.")
    routine = [c for c in f.clusters if c.routine]
    if routine:
        out.append(f"The export also holds {sum(c.count for c in routine)} routine failures "
                   f"({len(routine)} signatures) at a steady rate; an alert on all errors fires on them "
                   "all the time, which is how a real incident gets ignored.")
    if i.alert:
        out += ["", "An alert that would have fired on this incident and not on the routine failures:", "",
                md_fence(i.alert, "logql")]
    out += ["", "## Impact", ""]
    users = inc.affected_users if inc.affected_users is not None else "unknown (no user field in the affected lines)"
    out += [f"- Affected requests: {inc.affected_requests} (failed: {inc.failed_requests})",
            f"- Requests in the window: {FILTERED if f.filtered else inc.total_requests}",
            f"- Affected users: {users}",
            f"- Duration: {span} (first to last affected request)"]
    routine_in = [f"{md_code(c.signature)}: {i.routine_in_window.get(c.id, 0)}" for c in routine if i.routine_in_window.get(c.id)]
    if routine_in:
        out.append(f"- Routine failures inside the window, not counted above: {'; '.join(routine_in)}")
    out += ["", "## Timeline", "", "All times UTC" + (" (local time in brackets)." if tz else "."), ""]
    out += [f"- **{when(t, tz)}** — {md_text(localise(event, tz))}" for t, event in i.timeline]
    if chart:
        out += ["", f"![Requests per minute by signature, incident window shaded]({_md_path(chart)})"]
    out += ["", "## Response", "", "_Draft for the responders to complete: who was paged or noticed, when, "
            "and what they did. The logs do not show this._", "", "## Root cause", ""]
    if top:
        out.append(md_text(top.summary))
        out.append("")
        out += [f"- {md_text(localise(e, tz))}" for e in top.evidence if not e.startswith("example:")]
        for link in top.urls:
            out.append(f"- Remediation link: {md_url(link)}")
        for link in top.redacted_urls:
            out.append(f"- Remediation link: {REDACTED_LINK} ({md_code(link)})")
        if top.advice:
            out.append(f"- Caveat: {md_text(top.advice)}")
        others = i.causes[1:]
        if others:
            out += ["", "Other candidates:", ""]
            out += [f"{c.rank}. {md_text(c.component)} / {md_text(c.kind)} (confidence {c.confidence:.2f}): "
                    f"{md_text(c.summary)}" for c in others]
        if i.contributors:
            out += ["", "What changed in the window (log lines with each value inside it and outside it; "
                    "score = -log10 p of its over-representation):", ""]
            out += [f"- {md_text(c.describe())}" for c in i.contributors]
        if routine:
            out += ["", "Not the cause: " + "; ".join(f"{md_text(c.template)} ({md_text(c.routine_reason)})" for c in routine)
                    + " — these recur before, during and after the window."]
    out += ["", "## Resolution", ""]
    tries = [a for a in inc.attempts if inc.resolution is None or a.ts_ns != inc.resolution[0]]
    if inc.resolution:
        out.append(f"At {when(inc.resolution[0], tz)}: {md_text(inc.resolution[1])}.")
    elif top and top.urls:
        out.append(f"The logs tell you to follow the remediation link ({md_url(top.urls[0])}). The visit itself is not "
                   "in these logs; it falls between the last affected request and the first clean success.")
    else:
        out.append("The logs do not show what ended the incident.")
    if inc.recovery_ns is not None:
        out.append(f"Last affected request {when(inc.end_ns, tz)}; first clean success {when(inc.recovery_ns, tz)}.")
    if tries:
        out += ["", "Other attempts to end it:", ""] + [f"- At {when(a.ts_ns, tz)}: {a.summary()}" for a in tries]
    out += ["", "## Prevention", ""]
    out += _prevention(f, i)
    out += ["", "## Action items", ""]
    items = []
    if i.alert:
        items.append("Add the alert rule from Detection so this failure pages on its own signal.")
    if top and top.advice:
        items.append(f"Logging: {md_text(top.advice)}.")
    if any(s.truncated for s in f.ingested.inputs):
        items.append("Re-export the logs without a line limit: part of the time range is missing.")
    items.append("Complete the Response section and assign owners and deadlines to these items.")
    out += [f"- [ ] {item}" for item in items]
    return "\n".join(out) + "\n"


def _prevention(f: Findings, i: IncidentFindings) -> list[str]:
    if f.history is None:
        return ["_No incident history was given (rca analyze --store), so earlier incidents with the same root "
                "cause are not known._"]
    earlier = f.history.get(i.id) or []
    top = i.causes[0] if i.causes else None
    cause = f"{md_text(top.component)} / {md_text(top.kind)}" if top else "this root cause"
    if not earlier:
        return [f"No earlier incident in the history has the same root cause ({cause})."]
    lines = [f"The same root cause ({cause}) caused {len(earlier)} earlier incident(s):", ""]
    for e in earlier:
        lines.append(f"- {md_text(e['incident_id'])} ({format_rfc3339_ms(e['start_ns'])}, {md_code(e['outage'])}): "
                     f"{e['affected_requests']} affected requests, {e['duration_s']:.0f} s")
    lines += ["", "It keeps recurring: the mitigation used then did not remove the cause."]
    return lines
