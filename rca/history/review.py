"""Render batch results and the incident history: text, Markdown, JSON, CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from rca.history.store import Recurrence, incident_key, recurrences
from rca.outputs.escape import csv_cell, json_document, md_text, md_url, term_text
from rca.inputs.timestamps import format_rfc3339_ms


def _first_seen_in(results: list[dict[str, Any]]) -> dict[int, str]:
    """For each incident (by object id) that an earlier export of the batch already showed (the
    same outage given twice, say a logcli pull and a Grafana download), that export's name."""
    seen: dict[tuple, str] = {}
    again: dict[int, str] = {}
    for r in results:
        for inc in r["incidents"]:
            key = incident_key(inc)
            if key in seen:
                again[id(inc)] = seen[key]
            else:
                seen[key] = r["outage"]
    return again


def _outage_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    again = _first_seen_in(results)
    rows = []
    for r in results:
        if r["error"]:
            rows.append({"outage": r["outage"], "start": None, "end": None, "duration_s": None, "component": None,
                         "kind": None, "affected_requests": None, "remediation": None, "signatures": "",
                         "note": f"unreadable: {r['error']}"})
        elif not r["incidents"]:
            rows.append({"outage": r["outage"], "start": None, "end": None, "duration_s": None, "component": None,
                         "kind": None, "affected_requests": 0, "remediation": None, "signatures": "",
                         "note": "no incident"})
        for inc in r["incidents"]:
            rows.append({"outage": r["outage"], "start": format_rfc3339_ms(inc["start_ns"]),
                         "end": format_rfc3339_ms(inc["end_ns"]), "duration_s": inc["duration_s"],
                         "component": inc["component"], "kind": inc["kind"],
                         "affected_requests": inc["affected_requests"], "remediation": inc["remediation"],
                         "signatures": " ".join(inc["signature_ids"]),
                         "note": f"the same incident as in {again[id(inc)]}" if id(inc) in again else ""})
    return rows


def _recurrence_rows(groups: list[Recurrence]) -> list[dict[str, Any]]:
    return [{"component": g.component, "kind": g.kind, "count": g.count,
             "first_seen": format_rfc3339_ms(g.first_ns), "last_seen": format_rfc3339_ms(g.last_ns),
             "mttr_s": round(g.mttr_s, 1), "summary": g.summary,
             "incidents": [f"{i['outage']}:{i['incident_id']}" for i in g.incidents]} for g in groups]


def render(results: list[dict[str, Any]], fmt: str) -> str:
    again = _first_seen_in(results)  # an outage given twice recurs no more than once
    incidents = [i for r in results for i in r["incidents"] if id(i) not in again]
    groups = [g for g in recurrences(incidents) if g.count > 1]
    return _render(_outage_rows(results), _recurrence_rows(groups), fmt, "outages")


def render_history(incidents: list[dict[str, Any]], fmt: str) -> str:
    rows = [{"outage": i["outage"], "start": format_rfc3339_ms(i["start_ns"]), "end": format_rfc3339_ms(i["end_ns"]),
             "duration_s": i["duration_s"], "component": i["component"], "kind": i["kind"],
             "affected_requests": i["affected_requests"], "remediation": i["remediation"],
             "signatures": " ".join(i["signature_ids"] or []), "note": ""} for i in incidents]
    groups = [g for g in recurrences(incidents) if g.count > 1]
    return _render(rows, _recurrence_rows(groups), fmt, "incidents")


def _render(rows: list[dict[str, Any]], groups: list[dict[str, Any]], fmt: str, what: str) -> str:
    if fmt == "json":
        return json_document({"schema": "rca.history.review/1", what: rows, "recurring_causes": groups})
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["outage"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)
        return buf.getvalue()
    if fmt == "md":
        out = ["| outage | window | duration | top cause | affected | remediation | signatures |",
               "|---|---|---|---|---|---|---|"]
        for r in rows:
            m = {k: md_text(v) if isinstance(v, str) else v for k, v in r.items()}
            window = (f"{m['start']} – {m['end']}" + (f" ({m['note']})" if r["note"] else "")) if r["start"] else m["note"]
            cause = f"{m['component']} / {m['kind']}" if r["component"] else ""
            dur = f"{r['duration_s']:.0f} s" if r["duration_s"] is not None else ""
            link = md_url(r["remediation"]) if r["remediation"] else ""  # the link to follow stays a link
            out.append(f"| {m['outage']} | {window} | {dur} | {cause} | {r['affected_requests'] or ''} | "
                       f"{link} | {m['signatures']} |")
        out += ["", "## Recurring causes", ""]
        out += [f"- **{md_text(g['component'])} / {md_text(g['kind'])}**: {g['count']} incidents, first {g['first_seen']},"
                f" last {g['last_seen']}, mean time to recovery {g['mttr_s']:.0f} s — {md_text(g['summary'])}"
                for g in groups] \
            or ["No cause recurred."]
        return "\n".join(out) + "\n"
    out = [f"{len(rows)} {what}"]
    rows = [{k: term_text(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    groups = [{k: term_text(v) if isinstance(v, str) else v for k, v in g.items()} for g in groups]
    for r in rows:
        if r["start"] is None:
            out.append(f"  {r['outage']}: {r['note']}")
            continue
        out.append(f"  {r['outage']}: {r['start']} .. {r['end']} ({r['duration_s']:.0f} s) "
                   f"{r['component']} / {r['kind']}, {r['affected_requests']} affected"
                   + (f", link {r['remediation']}" if r["remediation"] else "")
                   + (f" ({r['note']})" if r["note"] else ""))
    out.append("")
    out.append("Recurring causes:" if groups else "No cause recurred.")
    for g in groups:
        out.append(f"  {g['count']}x {g['component']} / {g['kind']}: first {g['first_seen']}, last {g['last_seen']},"
                   f" MTTR {g['mttr_s']:.0f} s")
        out.append(f"     {g['summary']}")
    return "\n".join(out) + "\n"
