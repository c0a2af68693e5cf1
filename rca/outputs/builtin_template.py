"""The built-in report template (`templates/postmortem.md.j2`) written out in Python.

Every JSON analysis renders each incident's report for its sections, and importing Jinja with
its sandbox and loading the compiled template cost ~50 ms of a 1 MB export's ~0.6 s. This
renders the same context (`postmortem.context`) into the same text, character for character,
as Jinja renders the template with the report's settings (trim_blocks, lstrip_blocks, the same
filters); tests/test_builtin_template.py holds the two to that. The template stays the one
people copy for `--template`, which Jinja renders.
"""

from __future__ import annotations

from typing import Any

from rca.outputs.escape import md_code, md_fence, md_path, md_text, md_url


def render(ctx: dict[str, Any]) -> str:
    """The template's text for `ctx`, before `postmortem.render` folds its blank lines."""
    out = [f"# {md_text(ctx['title'])}\n"]
    incidents = ctx["incidents"]
    if not incidents:
        _no_incident(ctx, out)
    for index, inc in enumerate(incidents, 1):
        _incident(ctx, inc, index, out)
    return "".join(out)


def _no_incident(ctx: dict[str, Any], out: list[str]) -> None:
    out.append(f"\n## Summary\n\nrca found no new or bursting failure in {ctx['inputs_line']}.\n")
    if ctx["routine"]:
        out.append("\nRoutine failures seen at a steady rate (not an incident):\n\n")
        out += [f"- {md_code(r['signature'])}: {r['count']} times ({md_text(r['reason'])})\n" for r in ctx["routine"]]
    if ctx["chart"]:
        out.append(f"\n![Requests per minute by signature]({md_path(ctx['chart'])})\n")
    if ctx["isolated"]:
        out.append(f"\nIsolated failures ({md_text(ctx['isolated_note'])}):\n\n")
        out += [f"- {md_code(r['signature'])}: {r['count']} time{'s' if r['count'] != 1 else ''}\n"
                for r in ctx["isolated"]]


def _incident(ctx: dict[str, Any], inc: dict[str, Any], index: int, out: list[str]) -> None:
    several = len(ctx["incidents"]) > 1
    h = "###" if several else "##"
    routine, cause = ctx["routine"], inc["cause"]
    if several:
        out.append(f"\n## Incident {index}: {md_text(inc['headline'])} ({inc['window']})\n")
    out.append(f"\n{h} Summary\n\n{inc['window']}: {inc['affected_text']} were affected ({inc['failed']}) "
               f"on {md_text(inc['endpoints'])}.")
    if cause:
        out.append(f" {md_text(cause['clause'])} (confidence {cause['confidence']}).")
    if inc["recovery"]:
        out.append(f" Requests succeeded again from {inc['recovery']}.")
    if inc["onset_unbounded"]:
        out.append(f" No request to {md_text(inc['endpoints'])} succeeded before the first failure in these logs, "
                   "so they do not bound the onset: the incident may have begun earlier.")
    if inc["recovery_unseen"]:
        out.append(f" No request to {md_text(inc['endpoints'])} succeeded after the last failure in these logs, "
                   "so they do not show it ending: it may have gone on past the end of the export.")

    out.append(f"\n\n{h} Detection\n\nFound by rca in {ctx['inputs_line']}.\n")
    if routine:
        out.append(f"The export also holds {ctx['routine_total']} routine failures ({len(routine)} signatures) at a "
                   "steady rate; an alert on all errors fires on them all the time, which is how a real incident "
                   "gets ignored.\n")
    if inc["alert"]:
        out.append(f"\nTime to detect: the alert below would have fired at {inc['alert_fires']}, "
                   f"{inc['time_to_detect']} after the first affected request at {inc['first_affected']} "
                   "(plus up to one rule evaluation interval).\n\n"
                   "An alert that would have fired on this incident and not on the routine failures:\n\n"
                   f"{md_fence(inc['alert'], 'logql')}\n")
    else:
        out.append("\nNo line filter or 5-minute count in these logs fires on this incident without also firing on "
                   "the routine failures, so rca proposes no alert rule; alert on the error ratio of "
                   f"{md_text(inc['endpoints'])} instead.\n")

    out.append(f"\n{h} Impact\n\n- Affected requests: {inc['affected']} ({inc['failed']})\n"
               f"- Requests in the window: {inc['total']}\n- Affected users: {inc['users']}\n"
               f"- Duration: {inc['duration']} (first to last affected request)\n")
    if inc["routine_inside"]:
        inside = "; ".join(f"{md_code(r['signature'])}: {r['count']}" for r in inc["routine_inside"])
        out.append(f"- Routine failures inside the window, not counted above: {inside}\n")

    zone = f" ({ctx['zone']} in brackets)" if ctx["zone"] else ""
    out.append(f"\n{h} Timeline\n\nAll times UTC{zone}.\n\n")
    out += [f"- **{t['time']}** — {md_text(t['event'])}\n" for t in inc["timeline"]]
    if inc["explore"]:
        links = "".join(f", [{md_text(s['id'])}]({md_url(s['url'])})" for s in inc["explore"]["signatures"])
        out.append(f"\nOpen in Grafana Explore: [the incident window]({md_url(inc['explore']['window'])}){links}.\n")
    if ctx["chart"]:
        out.append(f"\n![Requests per minute by signature, incident window shaded]({md_path(ctx['chart'])})\n")

    out.append(f"\n{h} Response\n\n_Draft for the responders to complete: who was paged or noticed, when, and what "
               f"they did. The logs do not show this._\n\n{h} Root cause\n\n")
    if cause:
        _root_cause(ctx, inc, cause, out)
    else:
        out.append("The logs do not point to a cause rca knows.\n")

    out.append(f"\n{h} Resolution\n\n")
    if inc["resolution"]:
        out.append(f"At {inc['resolution']['time']}: {md_text(inc['resolution']['action'])}.\n")
    elif cause and cause["links"]:
        after = ("The visit itself is not in these logs; it falls between the last affected request and the first "
                 "clean success." if not inc["recovery_unseen"] else
                 "Neither the visit nor a clean success after the last affected request is in these logs: they do "
                 "not show that it ended.")
        out.append(f"The logs tell you to follow the remediation link ({md_url(cause['links'][0])}). {after}\n")
    else:
        out.append("The logs do not show what ended the incident.\n")
    if inc["recovery"]:
        out.append(f"Last affected request {inc['last_affected']}; first clean success {inc['recovery']}.\n")
    if inc["attempts"]:
        out.append("\nOther attempts to end it:\n\n")
        out += [f"- At {a['time']}: {md_text(a['summary'])}\n" for a in inc["attempts"]]

    out.append(f"\n{h} Prevention\n\n")
    out += [f"{line}\n" for line in inc["prevention"]]
    out.append(f"\n{h} Action items\n\nDrafts: give each an owner and a due date, and link where the work is "
               "tracked.\n\n| Item | Owner | Priority | Due |\n|---|---|---|---|\n")
    out += [f"| {md_text(a['item'])} | _unassigned_ | {a['priority']} | _set a date_ |\n" for a in inc["actions"]]


def _root_cause(ctx: dict[str, Any], inc: dict[str, Any], cause: dict[str, Any], out: list[str]) -> None:
    out.append(f"{md_text(cause['summary'])}\n\n")
    out += [f"- {md_text(e)}\n" for e in cause["evidence"]]
    out += [f"- Remediation link: {md_url(link)}\n" for link in cause["links"]]
    out += [f"- Remediation link: {ctx['redacted_link_note']} ({md_code(link)})\n" for link in cause["redacted_links"]]
    if cause["advice"]:
        out.append(f"- Caveat: {md_text(cause['advice'])}\n")
    if inc["other_causes"]:
        out.append("\nOther candidates:\n\n")
        out += [f"{c['rank']}. {md_text(c['component'])} / {md_text(c['kind'])} (confidence {c['confidence']}): "
                f"{md_text(c['summary'])}\n" for c in inc["other_causes"]]
    if inc["contributors"]:
        out.append("\nWhat changed in the window (among the unusual lines, the failures and others rca grouped into "
                   "signatures, not all traffic: how many with each value fall inside the window and outside it; "
                   "score = -log10 p of its over-representation):\n\n")
        out += [f"- {md_text(c)}\n" for c in inc["contributors"]]
    if ctx["routine"]:
        out.append(f"\nNot the cause: {ctx['routine_ruled_out']} — these recur before, during and after the window.\n")
