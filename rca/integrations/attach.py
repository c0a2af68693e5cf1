"""Attach findings to where the team records the incident: the Markdown report file, the
Grafana IRM incident timeline, and a Grafana annotation over the incident window."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rca.errors import RcaError, UsageError
from rca.integrations.grafana import Grafana, GrafanaError
from rca.table.redact import redact, redact_obj, remember_secret
from rca.outputs.escape import md_text, web_url
from rca.outputs.reportfile import HumanEditError, attach_to_report
from rca.inputs.timestamps import NO_TIME_TEXT, TimestampError, parse_iso

SCHEMA = "rca.findings/1"


@dataclass
class Outcome:
    target: str
    ok: bool
    message: str
    details: list[str] = field(default_factory=list)
    exit_code: int = 1


def _is_findings(path: str) -> dict[str, Any] | None:
    if path == "-" or not Path(path).is_file():
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(200)
        if b"rca.findings/1" not in head and b'"schema"' not in head:
            return None
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("schema") == SCHEMA else None


def load_findings(sources: list[str], input_format: str | None, reveal: bool) -> dict[str, Any]:
    """A findings document: read from a findings JSON, or analysed from log exports."""
    docs = [_is_findings(s) for s in sources]
    if all(d is not None for d in docs):
        for source, doc in zip(sources, docs, strict=True):
            _check_findings(source, doc)  # type: ignore[arg-type]
        merged = dict(docs[0])  # type: ignore[arg-type]
        for d in docs[1:]:
            merged["incidents"] = merged.get("incidents", []) + d.get("incidents", [])  # type: ignore[union-attr]
        if any("sections" not in i for i in merged.get("incidents", [])):
            raise UsageError("this findings JSON has no report sections; re-run rca analyze -f json with this rca")
        return merged if reveal else redact_obj(merged)  # type: ignore[return-value]
    if any(d is not None for d in docs):
        raise UsageError("give either findings JSON files or log exports, not both")
    from rca.findings.pipeline import analyze
    from rca.outputs.report import findings_json

    return findings_json(analyze(sources, input_format=input_format), reveal=reveal)


def _check_findings(source: str, doc: dict[str, Any]) -> None:
    """A findings JSON a person edited by hand, or cut short, is named with its first field
    that is not as rca writes it (the findings schema, and each report section a text),
    rather than met later as an internal error."""
    import jsonschema
    from importlib.resources import files

    schema = json.loads(files("rca.outputs").joinpath("schemas/findings-1.schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(doc),
                    key=lambda e: [str(part) for part in e.absolute_path])
    problem = None
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or "the document"
        problem = f"{where}: {' '.join(errors[0].message.split())[:120]}"
    else:
        for n, incident in enumerate(doc.get("incidents") or []):
            sections = incident.get("sections")
            if sections is not None and not (isinstance(sections, dict) and all(
                    isinstance(k, str) and isinstance(v, str) for k, v in sections.items())):
                problem = f"incidents/{n}/sections: not section names and their texts"
                break
    if problem:
        raise UsageError(redact(f"{source}: not findings JSON rca can attach ({problem}); "
                                "re-run rca analyze -f json"))


def pick_incident(doc: dict[str, Any], index: int) -> tuple[dict[str, Any], str | None]:
    incidents = doc.get("incidents") or []
    if not incidents:
        raise RcaError("the findings hold no incident: nothing to attach")
    if not 0 <= index < len(incidents):
        raise UsageError(f"--incident-index {index} is out of range: the findings hold {len(incidents)} incidents")
    note = None
    if len(incidents) > 1:
        note = (f"the findings hold {len(incidents)} incidents; attaching incident {index} ({incidents[index]['id']},"
                f" {incidents[index]['start']}); choose another with --incident-index")
    return incidents[index], note


def _ms(text: str) -> int:
    try:
        return parse_iso(text)[0] // 1_000_000
    except TimestampError:
        raise RcaError(f"bad time in findings: {text!r}") from None


def _safe(text: str, reveal: bool) -> str:
    return text if reveal else redact(text)


def marker(incident: dict[str, Any], key: str) -> str:
    return f"[rca:{incident['id']}:{key}]"


def _window(incident: dict[str, Any]) -> str:
    start, end = incident.get("start"), incident.get("end")
    return NO_TIME_TEXT if start is None else f"{start} .. {end}"


def notes_for(incident: dict[str, Any], reveal: bool) -> list[tuple[str, str, str | None]]:
    """(marker, body, eventTime or None) for the incident's timeline, oldest first. IRM renders a
    note as Markdown and attaches every URL in it to the incident as context, so text that
    may quote the logs is escaped (`https\\://` is no URL); only the vetted link to follow
    is written as a link. Secrets are masked before escaping: escaped, a token's `_` is `\\_`
    and it no longer looks like one."""
    notes = []
    causes = incident.get("root_causes") or []
    if causes:
        top = causes[0]
        body = (f"Root cause (rca, confidence {top['confidence']:.2f}): {md_text(_safe(top['summary'], reveal))}\n"
                f"Window {_window(incident)}; "
                f"{incident['impact']['affected_requests']} affected requests.")
        for url in filter(web_url, top.get("urls") or []):
            body += f"\nRemediation link: {url}"
        key = marker(incident, "root-cause")
        notes.append((key, _safe(body, reveal) + f"\n\n{key}", incident["start"]))
    for event in incident.get("timeline") or []:
        digest = hashlib.sha256(f"{event['time']} {event['event']}".encode()).hexdigest()[:10]
        key = marker(incident, f"tl-{digest}")
        notes.append((key, md_text(_safe(event["event"], reveal)) + f"\n\n{key}", event["time"]))
    return notes


def annotation_for(incident: dict[str, Any], dashboard_uid: str | None, reveal: bool) -> dict[str, Any]:
    causes = incident.get("root_causes") or []
    top = causes[0] if causes else None
    tags = ["rca", f"rca-incident:{incident['id']}"]
    if top:
        tags.append(top["component"])
        tags += top.get("clusters", [])[:5]
    text = f"rca: {md_text(_safe(top['summary'], reveal))}" if top else "rca: incident window"  # log text: no link, no HTML
    links = [u for u in (top.get("urls") or []) if web_url(u)] if top else []
    if links:
        text += f" Link: {links[0]}"
    body: dict[str, Any] = {"time": _ms(incident["start"]), "timeEnd": _ms(incident["end"]),
                            "tags": list(dict.fromkeys(tags)), "text": _safe(text, reveal)}
    if dashboard_uid:
        body["dashboardUID"] = dashboard_uid
    return body


def read_token(token_file: Path | None) -> str | None:
    token = _token(token_file)
    remember_secret(token)  # masked wherever it shows up again, e.g. echoed in a server's error
    return token


def _token(token_file: Path | None) -> str | None:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"{token_file}: cannot read the token file ({exc.strerror})") from None
        if not token:
            raise UsageError(f"{token_file}: the token file is empty")
        return token
    return os.environ.get("GRAFANA_TOKEN") or None


def attach_report(incident: dict[str, Any], path: Path, force: bool, dry_run: bool, reveal: bool) -> Outcome:
    drafts = {name: _safe(text, reveal) for name, text in incident["sections"].items()}
    try:
        result = attach_to_report(path, incident.get("title") or f"Incident: {incident['start']}", drafts,
                                  force=force, dry_run=dry_run)
    except HumanEditError as exc:
        return Outcome(f"report {path}", False, str(exc), exit_code=exc.exit_code)
    except RcaError as exc:
        return Outcome(f"report {path}", False, str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}",
                       exit_code=exc.exit_code)
    except OSError as exc:
        return Outcome(f"report {path}", False, f"{path}: cannot write ({exc.strerror or exc})", exit_code=2)
    if dry_run:
        return Outcome(f"report {path}", True, "would change the file" if result.diff else "no change",
                       [result.diff] if result.diff else [])
    what = "created" if result.created else ("updated: " + ", ".join(result.changed) if result.changed else "unchanged")
    residue = [f"    the report still holds the template's {', '.join(result.residue)}: "
               "delete it before you publish the report\n"] if result.residue else []
    return Outcome(f"report {path}", True, what, residue)


def attach_incident(grafana: Grafana, incident: dict[str, Any], incident_id: str | None, create: bool,
                    reveal: bool) -> Outcome:
    try:
        if incident_id is None:
            title_marker = f"rca {incident['id']}"
            incident_id = grafana.find_incident(title_marker)
            if incident_id is None:
                if not create:
                    raise UsageError("give --incident-id, or --create-incident for a retrospective incident")
                title = f"{incident.get('title') or 'Incident'} ({title_marker})"
                incident_id = grafana.create_retrospective(title, incident["start"], incident["end"])
        # A dry run's would-be new incident has no notes to look up.
        existing = "" if incident_id == "(dry-run)" else "\n".join(grafana.activity_bodies(incident_id))
        posted = skipped = 0
        for key, body, when in notes_for(incident, reveal):
            if key in existing:
                skipped += 1
                continue
            grafana.add_note(incident_id, body, when)
            posted += 1
    except (GrafanaError, UsageError) as exc:
        return Outcome("grafana incident", False, str(exc))
    done = "would be posted" if grafana.dry_run else "posted"
    return Outcome("grafana incident", True,
                   f"incident {incident_id}: {posted} notes {done}, {skipped} already there")


def attach_annotation(grafana: Grafana, incident: dict[str, Any], dashboard_uid: str | None, reveal: bool) -> Outcome:
    if incident.get("start") is None or incident.get("end") is None:
        return Outcome("grafana annotation", False,
                       "the incident has no times in the export (pasted records?): no window to annotate")
    try:
        tag = f"rca-incident:{incident['id']}"
        if grafana.find_annotations(tag):
            return Outcome("grafana annotation", True, "already there")
        annotation_id = grafana.add_annotation(annotation_for(incident, dashboard_uid, reveal))
    except GrafanaError as exc:
        return Outcome("grafana annotation", False, str(exc))
    if grafana.dry_run:
        return Outcome("grafana annotation", True, "a region annotation would be added")
    return Outcome("grafana annotation", True, f"region annotation {annotation_id} added")
