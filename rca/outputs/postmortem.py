"""The incident report (a postmortem draft people paste as is), rendered from a Jinja2
template shipped in the package (`templates/postmortem.md.j2`, rendered by its Python twin
rca.outputs.builtin_template, which needs no Jinja) or the team's own (`--template FILE`).
The context holds rca's values; log text reaches the Markdown only through the template's
escaping filters."""

from __future__ import annotations

import functools

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rca.compiled import compiled
from rca.errors import UsageError
from rca.findings.pipeline import Findings, IncidentFindings
from rca.findings.signatures import ISOLATED
from rca.inputs.timestamps import NO_TIME, NO_TIME_TEXT, format_rfc3339_ms
from rca.outputs.escape import md_code, md_fence, md_path, md_text, md_url
from rca.outputs.report import FILTERED, REDACTED_LINK, affected_of, failed_text, localise
from rca.outputs.explore import Explore, incident_link, signature_link
from rca.outputs.times import clock, day, duration, stamp, window

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

TEMPLATE = Path(__file__).parent / "templates" / "postmortem.md.j2"

# How the templates are compiled: the environment's settings and, in the name of the compiled
# templates kept between runs (_compiled_templates), a digest of them.
_SYNTAX = {"autoescape": False, "trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


@functools.lru_cache(maxsize=8)
def _environment(loader_path: Path) -> Any:
    """One sandbox per template folder, kept: it caches the compiled template, which a
    report of many incidents (one section each) would otherwise compile again every time."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(loader_path.parent)), **_SYNTAX,
                               undefined=jinja2.StrictUndefined, bytecode_cache=_compiled_templates())
    env.filters.update(md=md_text, code=md_code, fence=md_fence, url=md_url, path=md_path)
    return env


def _compiled_templates() -> Any:
    """Templates compiled by earlier runs, so a team's own template (`--template`) is not
    compiled again on every small analysis (a twentieth of its time): Jinja's bytecode cache in rca's cache folder
    "templates" (rca.cache). Each entry is checked against the template's text and named for
    Jinja's version and `_SYNTAX`. None when that folder is unusable; a cache that cannot be
    written only costs the compile."""
    import hashlib

    import jinja2

    from rca.cache import folder

    class Cache(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    directory = folder("templates")
    if directory is None:
        return None
    key = hashlib.sha1(repr((jinja2.__version__, sorted(_SYNTAX.items()))).encode()).hexdigest()[:12]
    return Cache(directory=directory, pattern=f"__rca_{key}_%s.cache")


def input_name(path: str) -> str:
    """The file's name as the user knows it, not the absolute path of the machine that ran rca."""
    return "standard input" if path == "-" else Path(path).name or path


def headline(f: Findings, i: IncidentFindings) -> str:
    """What went wrong in a few words: the top cause's summary up to its first colon or stop."""
    top = i.causes[0] if i.causes else None
    if top is None:
        where = ", ".join(i.incident.endpoints) or "the service"
        return f"Requests failed on {where}"
    head = compiled(r":\s|\.\s|\.$").split(top.summary.strip(), maxsplit=1)[0].strip()
    head = compiled(r"^(?i:the)\s+").sub("", head)
    head = head if len(head) <= 90 else head[:88].rsplit(" ", 1)[0] + " …"
    return head[:1].upper() + head[1:]


def title(f: Findings, tz: ZoneInfo | None) -> str:
    if not f.incidents:
        first = min((s.first_ns for s in f.ingested.inputs if s.first_ns), default=None)
        return "No incident found" + (f" — {day(first, tz)}" if first else "")
    heads = list(dict.fromkeys(headline(f, i) for i in f.incidents))
    days = sorted({day(i.incident.start_ns, tz) for i in f.incidents if i.incident.start_ns != NO_TIME})
    when = NO_TIME_TEXT if not days else days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
    if len(f.incidents) == 1:
        return f"{heads[0]} — {when}"
    return f"{len(f.incidents)} incidents: {'; '.join(heads)} — {when}"


def _inputs_line(f: Findings, tz: ZoneInfo | None) -> str:
    parts = []
    for s in f.ingested.inputs:
        trunc = f", truncated: the {s.truncated_end} end is missing" if s.truncated else ""
        dups = f", {s.duplicates} duplicates dropped" if s.duplicates else ""
        span = f"{stamp(s.first_ns, tz)} to {stamp(s.last_ns, tz)}" if s.first_ns is not None else NO_TIME_TEXT
        parts.append(f"{md_code(input_name(s.path))} ({md_text(s.format)}, {s.records} records{dups}, {span}{trunc})")
    clipped = f" ({md_text(localise(f.ingested.window_note, tz))})" if f.ingested.window_note else ""
    return "; ".join(parts) + clipped


def _prevention(f: Findings, i: IncidentFindings) -> list[str]:
    if f.history is None:
        return ["_No incident history was given (rca analyze --store), so earlier incidents with the same root "
                "cause are not known._"]
    earlier = f.history.get(i.id) or []
    top = i.causes[0] if i.causes else None
    cause = md_text(f"{top.component} / {top.kind}") if top else "this root cause"
    if not earlier:
        return [f"No earlier incident in the history has the same root cause ({cause})."]
    lines = [f"The same root cause ({cause}) caused {len(earlier)} earlier incident(s):", ""]
    lines += [f"- {md_text(e['incident_id'])} ({format_rfc3339_ms(e['start_ns'])}, {md_code(e['outage'])}): "
              f"{e['affected_requests']} affected requests, {e['duration_s']:.0f} s" for e in earlier]
    lines += ["", "It keeps recurring: the mitigation used then did not remove the cause."]
    return lines


def _actions(f: Findings, i: IncidentFindings) -> list[dict[str, str]]:
    top = i.causes[0] if i.causes else None
    items = []
    if i.alert:
        items.append({"item": "Add the alert rule from Detection so this failure pages on its own signal", "priority": "P1"})
    else:
        items.append({"item": "Add an alert on the error ratio of the affected endpoints", "priority": "P1"})
    if top and top.advice:
        items.append({"item": f"Logging: {top.advice}", "priority": "P2"})
    if any(s.truncated for s in f.ingested.inputs):
        items.append({"item": "Re-export the logs without a line limit: part of the time range is missing",
                      "priority": "P2"})
    items.append({"item": "Complete the Response section with who noticed, when, and what they did", "priority": "P3"})
    return items


def _incident(f: Findings, i: IncidentFindings, tz: ZoneInfo | None, common: dict[str, Any]) -> dict[str, Any]:
    """One incident's values; `common`: what the report's incidents share (`shared`)."""
    inc = i.incident
    top = i.causes[0] if i.causes else None
    cause = None
    if top:
        cause = {"summary": top.summary, "clause": top.summary.rstrip(". "), "confidence": f"{top.confidence:.2f}", "links": list(top.urls),
                 "evidence": [localise(e, tz) for e in top.evidence if not e.startswith("example:")], "advice": top.advice,
                 "redacted_links": list(top.redacted_urls)}
    fires = i.alert_fires_ns
    timed = inc.start_ns != NO_TIME
    return {
        "id": i.id, "headline": headline(f, i), "window": window(inc.start_ns, inc.end_ns, tz),
        "affected": inc.affected_requests, "failed": failed_text(inc),
        "affected_text": affected_of(f, inc), "total": FILTERED if f.filtered else inc.total_requests,
        "endpoints": ", ".join(inc.endpoints) or "the service",
        "users": inc.affected_users if inc.affected_users is not None else "unknown (no user field in the affected lines)",
        "duration": "unknown" if inc.start_ns == NO_TIME else duration(inc.end_ns - inc.start_ns),
        "first_affected": clock(inc.start_ns, tz), "last_affected": clock(inc.end_ns, tz),
        "recovery": clock(inc.recovery_ns, tz) if inc.recovery_ns is not None else None,
        "onset_unbounded": inc.onset_unbounded,
        # No clean success after the last failure and no logged resolution: still failing when
        # the export ends, as far as these logs tell.
        "recovery_unseen": timed and inc.recovery_ns is None and inc.resolution is None,
        "alert": i.alert, "alert_fires": clock(fires, tz) if fires is not None else "no time in these logs",
        "time_to_detect": duration(fires - inc.start_ns) if fires is not None and timed else "an unknown time",
        "cause": cause,
        "other_causes": [{"rank": c.rank, "component": c.component, "kind": c.kind, "summary": c.summary,
                          "confidence": f"{c.confidence:.2f}"} for c in i.causes[1:]],
        "routine_inside": _routine_inside(i, common["routine"], common["routine_at"]),
        "timeline": [{"time": stamp(t, tz), "event": localise(e, tz)} for t, e in _timeline(i)],
        "contributors": [c.describe() for c in i.contributors],
        "attempts": [{"time": stamp(a.ts_ns, tz), "summary": a.summary()} for a in inc.attempts
                     if inc.resolution is None or a.ts_ns != inc.resolution[0]],
        "resolution": {"time": clock(inc.resolution[0], tz), "action": inc.resolution[1]} if inc.resolution else None,
        "prevention": _prevention(f, i),
        "actions": _actions(f, i),
    }


def _routine_inside(i: IncidentFindings, routine: list[dict[str, Any]], at: dict[str, list[int]]) -> list[dict[str, Any]]:
    """The report's routine signatures (in its order) with rows in the incident's window,
    found from the few the window holds (`at`: where each id stands in `routine`), not by
    walking every routine signature for every incident (a varied export's scanners make a
    thousand)."""
    inside = sorted(k for sig, n in i.routine_in_window.items() if n for k in at.get(sig, ()))
    return [{"signature": routine[k]["signature"], "count": i.routine_in_window[routine[k]["id"]]} for k in inside]


def _explore(explore: Explore | None, f: Findings, i: IncidentFindings) -> dict[str, Any] | None:
    if explore is None:
        return None
    sigs = [f.clusters[k] for k in i.incident.clusters if 0 <= k < len(f.clusters)]
    return {"window": incident_link(explore, f, i),
            "signatures": [{"id": c.id, "url": signature_link(explore, f, c)} for c in sigs]}


def _timeline(i: IncidentFindings) -> list[tuple[int, str]]:
    events = list(i.timeline)
    if i.alert_fires_ns is not None:
        events.append((i.alert_fires_ns, "the alert proposed in Detection would have fired"))
    return sorted(events, key=lambda e: e[0])


def shared(f: Findings, tz: ZoneInfo | None = None, chart: str | None = None) -> dict[str, Any]:
    """What every incident's section shows alike (inputs, routine and isolated signatures),
    worked out once per report: an export can hold a thousand routine signatures, and the
    JSON renders each incident alone."""
    routine = [c for c in f.clusters if c.routine]
    routine_at: dict[str, list[int]] = {}
    for k, c in enumerate(routine):
        routine_at.setdefault(c.id, []).append(k)
    return {
        "zone": getattr(tz, "key", None),
        "inputs": [input_name(s.path) for s in f.ingested.inputs],
        "inputs_line": _inputs_line(f, tz),
        "chart": chart,
        "routine": [{"id": c.id, "signature": c.signature, "template": c.template, "count": c.count,
                     "reason": c.routine_reason} for c in routine],
        "routine_at": routine_at,  # where each routine signature id stands in "routine"
        # The routine templates and reasons as Markdown, "; "-separated, each once (scanners
        # make a signature per path probed, all "unknown endpoint"): the Root cause section's
        # "Not the cause" list, the same for every incident.
        "routine_ruled_out": "; ".join(dict.fromkeys(f"{md_text(c.template)} ({md_text(c.routine_reason)})"
                                                     for c in routine)),
        "routine_total": sum(c.count for c in routine),
        "isolated": [{"signature": c.signature, "count": c.count} for c in f.clusters if c.isolated],
        "isolated_note": ISOLATED,
        "redacted_link_note": REDACTED_LINK,
    }


def context(f: Findings, tz: ZoneInfo | None = None, chart: str | None = None,
            incidents: list[IncidentFindings] | None = None, explore: Explore | None = None,
            common: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template may use (`common`: `shared(f, tz, chart)`, when already worked out)."""
    chosen = f.incidents if incidents is None else incidents
    common = shared(f, tz, chart) if common is None else common
    shown = Findings.__new__(Findings)
    shown.__dict__.update(f.__dict__, incidents=chosen)
    return {
        "title": title(shown, tz),
        **common,
        "incidents": [{**_incident(f, i, tz, common), "explore": _explore(explore, f, i)} for i in chosen],
    }


def render(f: Findings, tz: ZoneInfo | None = None, chart: str | None = None, template: Path | None = None,
           incidents: list[IncidentFindings] | None = None, explore: Explore | None = None,
           common: dict[str, Any] | None = None) -> str:
    """The report's Markdown (not yet redacted): the built-in template's through its Python
    twin (rca.outputs.builtin_template), a team's own `template` through Jinja."""
    values = context(f, tz, chart, incidents, explore, common)
    if template is None:
        from rca.outputs.builtin_template import render as builtin

        return _folded(builtin(values))
    import jinja2

    try:
        text = _environment(template).get_template(template.name).render(**values)
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(f"--template {template}: line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound:
        why = "not a regular file" if template.exists() else "no such file"  # e.g. a folder, /dev/null
        raise UsageError(f"--template {template}: {why}") from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, TypeError) as exc:
        raise UsageError(f"--template {template}: {exc}") from None
    return _folded(text)


def _folded(text: str) -> str:
    """At most one blank line in a row, none at either end, one newline after the last line."""
    return compiled(r"\n{3,}").sub("\n\n", text).strip("\n") + "\n"



def each_incident(f: Findings, tz: ZoneInfo | None = None, explore: Explore | None = None) -> list[str]:
    """Each incident's report alone (the JSON's sections), in the findings' order; what they
    share is worked out once."""
    common = shared(f, tz)
    return [render(f, tz, incidents=[i], explore=explore, common=common) for i in f.incidents]
