"""The on-call's terminal answer: for each incident the top cause, the link to follow and
the window first; then what else was set aside, then the inputs read. Laid out as rich lays
it out (rca.outputs.screen): colour only on a terminal (never with NO_COLOR / --no-color),
lines wrapped to its width, the link never broken so it can be copied whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rca.findings.pipeline import Findings, IncidentFindings
from rca.findings.signatures import ISOLATED
from rca.inputs.exports import InputSummary
from rca.inputs.timestamps import NO_TIME
from rca.outputs.report import REDACTED_LINK, affected_of, failed_text, localise
from rca.findings.redacted import shown
from rca.outputs.escape import web_url
from rca.outputs.screen import KEY_WIDTH, Screen
from rca.outputs.times import duration, stamp, window
from rca.table.redact import clip

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

LABEL_VALUES = 4      # values shown per label key
LABEL_VALUE_CHARS = 40  # longer values (request bodies copied into labels) are summarised
LABEL_KEYS = 8
SET_ASIDE_ROWS = 12  # routine or isolated signatures listed one per row; the rest summed by reason


def _safe(text: object) -> str:
    """Log text for a terminal: control characters (escape sequences) shown, not obeyed, each
    written as Python would (`\\x1b`, `\\u202e`), so a reader can tell where it ends."""
    return "".join(ch if ch.isprintable() or ch == " " else _escaped(ord(ch)) for ch in str(text))


def _escaped(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _body_like(value: str) -> bool:
    return len(value) > LABEL_VALUE_CHARS or any(ch in value for ch in '{"\n')


def labels_line(labels: dict[str, list[str]]) -> str:
    """`key=v1|v2` per label; a label holding request bodies or other long text (loggers that
    copy every field into labels) is summarised by one short example instead of dumped."""
    shown = []
    for key, values in list(labels.items())[:LABEL_KEYS]:
        if any(_body_like(v) for v in values):
            example = min(values, key=len)
            example = example if len(example) <= 24 else example[:24] + "…"
            text = f"<{len(values)}{'+' if len(values) >= 5 else ''} long values, e.g. {example}>"
        else:
            text = "|".join(values[:LABEL_VALUES]) + (f"|+{len(values) - LABEL_VALUES} more"
                                                     if len(values) > LABEL_VALUES else "")
        shown.append(f"{clip(key, LABEL_VALUE_CHARS)}={text}")
    hidden = len(labels) - LABEL_KEYS
    if hidden > 0:
        shown.append(f"+{hidden} more labels")
    return _safe(", ".join(shown))


Row = tuple[str, str, str]  # key, value, the value's style


def _link(con: Screen, key: str, link: str, style: str) -> None:
    """The link on one line however long: the terminal folds it, copying gets it whole."""
    con.unwrapped((" " * 2 + key.ljust(KEY_WIDTH + 2), "bold"), (_safe(link), style))


def _incident(con: Screen, f: Findings, i: IncidentFindings, tz: ZoneInfo | None, masked: set[str]) -> None:
    inc = i.incident
    con.print(f"INCIDENT {i.id}  {window(inc.start_ns, inc.end_ns, tz)}", "bold red")
    top = i.causes[0] if i.causes else None
    if top:
        con.rows([("cause", f"{_safe(top.summary)} (confidence {top.confidence:.2f})", "")])
        for link in filter(web_url, top.urls):  # only an http(s) URL is ever the link to follow
            _link(con, "follow", link, "bold cyan underline")
            if link in masked:
                con.rows([("", MASKED_LINK, "yellow")])
        for link in top.redacted_urls:
            con.rows([("link", f"{REDACTED_LINK}: {_safe(link)}", "yellow")])
    rows: list[Row] = []
    if inc.start_ns == NO_TIME:
        when = stamp(NO_TIME)
    else:
        when = f"{stamp(inc.start_ns, tz)} → {stamp(inc.end_ns, tz)} ({duration(inc.end_ns - inc.start_ns)})"
    if inc.recovery_ns is not None:
        when += f"; first clean success {stamp(inc.recovery_ns, tz)}"
    if inc.onset_unbounded:
        when += "; no success before it in these logs: it may have begun earlier"
    rows.append(("window", when, ""))
    users = f", users {inc.affected_users}" if inc.affected_users is not None else ""
    rows.append(("impact", f"{affected_of(f, inc)} affected, {failed_text(inc)}{users}", ""))
    if inc.resolution:
        rows.append(("resolved", f"{stamp(inc.resolution[0], tz)}: {_safe(localise(inc.resolution[1], tz))}", ""))
    for a in inc.attempts:
        if inc.resolution is None or a.ts_ns != inc.resolution[0]:
            rows.append(("attempt", f"{stamp(a.ts_ns, tz)}: {_safe(a.summary())}", ""))
    if top:
        rows += [("rate", _safe(localise(e.removeprefix("rate change: "), tz)), "") for e in top.evidence
                 if e.startswith("rate change:")]
    if top and top.advice:
        rows.append(("note", _safe(top.advice), ""))
    for n, c in enumerate(i.contributors[:3]):
        rows.append(("changed" if n == 0 else "", _safe(c.describe()), ""))
    sigs = [f.clusters[k] for k in inc.clusters if 0 <= k < len(f.clusters)]
    if sigs:
        rows.append(("lines", "; ".join(f"{c.id} ({c.count})" for c in sigs) + f" — rca show … --signature ID "
                     f"or --incident {i.id}", "dim"))
    con.rows(rows)
    for c in i.causes[1:3]:
        con.rows([(f"#{c.rank}", f"{_safe(c.component)} / {_safe(c.kind)} (confidence {c.confidence:.2f}): "
                                 f"{_safe(c.summary)}", "dim")])
        for link in filter(web_url, c.urls):
            _link(con, "link", link, "dim")


def _input(con: Screen, s: InputSummary, tz: ZoneInfo | None) -> None:
    if s.format == "unreadable":
        con.rows([("input", f"{_safe(s.path)} [unreadable]: {_safe('; '.join(s.warnings))}", "yellow")])
        return
    rows: list[Row] = [
        ("input", f"{_safe(s.path)} [{s.format}]", ""),
        ("", f"records {s.records}, rejected {s.rejected}, duplicates {s.duplicates}", ""),
        ("", f"{stamp(s.first_ns, tz)} .. {stamp(s.last_ns, tz)}" if s.first_ns is not None else stamp(NO_TIME), "")]
    if s.labels:
        rows.append(("labels", labels_line(s.labels), "dim"))
    if s.truncated:
        rows.append(("!", f"truncated: the {s.truncated_end} end is missing", "yellow"))
    con.rows(rows)


MASKED_LINK = "a secret in this link is masked; rerun with --reveal-secrets to see the link to follow"


def _masked_links(raw: Findings, safe: Findings) -> set[str]:
    """The links to follow that redaction changed: the terminal says how to see them whole."""
    if safe is raw:
        return set()
    return {safe_url for raw_inc, safe_inc in zip(raw.incidents, safe.incidents, strict=True)
            for raw_cause, safe_cause in zip(raw_inc.causes, safe_inc.causes, strict=True)
            for raw_url, safe_url in zip(raw_cause.urls, safe_cause.urls, strict=True) if raw_url != safe_url}


def _more_rows(rest: list, kind: str) -> list[Row]:
    """The signatures past the listed ones, one row per reason with how many signatures and
    lines, and where every one is listed: a screen of scanner paths hides the answer."""
    if not rest:
        return []
    by_reason: dict[str, list[int]] = {}
    for c in rest:
        tally = by_reason.setdefault(_safe(c.routine_reason or kind), [0, 0])
        tally[0] += 1
        tally[1] += c.count
    rows = [(f"{lines:>{KEY_WIDTH}}", f"{sigs} more {kind} signature{'s' if sigs > 1 else ''}  ({reason})", "dim")
            for reason, (sigs, lines) in sorted(by_reason.items(), key=lambda kv: (-kv[1][1], kv[0]))]
    rows.append(("", "every signature: rca analyze … -f md or -f json", "dim"))
    return rows


def terminal(f: Findings, tz: ZoneInfo | None = None, width: int = 100, colour: bool = False,
             reveal: bool = False, public: Findings | None = None) -> str:
    """The terminal summary as text (ANSI styled when `colour`), wrapped at `width`. Secrets
    are masked unless `reveal`, in the links to follow too (a screen is shared and recorded
    like any artifact): a link masked that way says how to see it whole. `public`:
    `shown(f, reveal)` when the caller has it already (the redaction pass is not cheap)."""
    raw, f = f, shown(f, reveal) if public is None else public
    masked = _masked_links(raw, f)
    con = Screen(width, colour)
    if not f.incidents:
        con.print("No incident: nothing new or bursting.", "bold green")
    for n, i in enumerate(f.incidents):
        if n:
            con.print()
        _incident(con, f, i, tz, masked)
    routine = [c for c in f.clusters if c.routine]
    if routine:
        con.print()
        con.print("Routine failures set aside (not the cause):", "bold")
        con.rows([(f"{c.count:>{KEY_WIDTH}}", f"{c.id}  {_safe(c.signature)}  ({_safe(c.routine_reason)})", "dim")
                  for c in routine[:SET_ASIDE_ROWS]] + _more_rows(routine[SET_ASIDE_ROWS:], "routine"))
    isolated = [c for c in f.clusters if c.isolated]
    if isolated:
        con.print()
        con.print(f"Isolated failures ({ISOLATED}):", "bold")
        con.rows([(f"{c.count:>{KEY_WIDTH}}", f"{c.id}  {_safe(c.signature)}", "dim")
                  for c in isolated[:SET_ASIDE_ROWS]] + _more_rows(isolated[SET_ASIDE_ROWS:], "isolated"))
    con.print()
    dropped = sum(s.duplicates for s in f.ingested.inputs)
    con.print(f"Read {f.ingested.records} records from {len(f.ingested.inputs)} input(s)"
              + (f" ({dropped} duplicates dropped)" if dropped else "")
              + f": {len(f.clusters)} signatures, {len(f.incidents)} incident(s)", "bold")
    notes = [localise(f.ingested.window_note, tz)] if f.ingested.window_note else []
    if f.filtered:
        notes.append(f"export filtered to errors ({f.filtered}): total requests unknown")
    con.rows([("!", _safe(n), "yellow") for n in notes])
    for s in f.ingested.inputs:
        _input(con, s, tz)
    return con.text()
