"""The on-call's terminal answer: for each incident the top cause, the link to follow and
the window first; then what else was set aside, then the inputs read. Rendered with rich:
colour only on a terminal (never with NO_COLOR / --no-color), lines wrapped to its width,
the link never broken so it can be copied whole."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from rca.findings.pipeline import Findings, IncidentFindings
from rca.findings.signatures import ISOLATED
from rca.inputs.exports import InputSummary
from rca.inputs.timestamps import NO_TIME
from rca.outputs.report import REDACTED_LINK, affected_of, failed_text, localise
from rca.findings.redacted import shown
from rca.outputs.escape import web_url
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


KEY_WIDTH = 8


def _rows(con: Any, rows: list[tuple[str, Any]], indent: int = 2) -> None:
    """`key  value` rows; a long value wraps under itself, not under the key."""
    from rich.padding import Padding
    from rich.table import Table

    if not rows:
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, width=KEY_WIDTH)
    grid.add_column()
    for key, value in rows:
        grid.add_row(key, value)
    con.print(Padding(grid, (0, 0, 0, indent)))


def _link(con: Any, key: str, link: str, style: str) -> None:
    """The link on one line however long: the terminal folds it, copying gets it whole."""
    from rich.text import Text

    line = Text(" " * 2 + key.ljust(KEY_WIDTH + 2), style="bold")
    line.append(_safe(link), style=style)
    con.print(line, soft_wrap=True)


def _incident(con: Any, f: Findings, i: IncidentFindings, tz: ZoneInfo | None, masked: set[str]) -> None:
    from rich.text import Text

    inc = i.incident
    con.print(Text(f"INCIDENT {i.id}  {window(inc.start_ns, inc.end_ns, tz)}", style="bold red"))
    top = i.causes[0] if i.causes else None
    if top:
        _rows(con, [("cause", Text(f"{_safe(top.summary)} (confidence {top.confidence:.2f})"))])
        for link in filter(web_url, top.urls):  # only an http(s) URL is ever the link to follow
            _link(con, "follow", link, "bold cyan underline")
            if link in masked:
                _rows(con, [("", Text(MASKED_LINK, style="yellow"))])
        for link in top.redacted_urls:
            _rows(con, [("link", Text(f"{REDACTED_LINK}: {_safe(link)}", style="yellow"))])
    rows: list[tuple[str, Any]] = []
    if inc.start_ns == NO_TIME:
        when = stamp(NO_TIME)
    else:
        when = f"{stamp(inc.start_ns, tz)} → {stamp(inc.end_ns, tz)} ({duration(inc.end_ns - inc.start_ns)})"
    if inc.recovery_ns is not None:
        when += f"; first clean success {stamp(inc.recovery_ns, tz)}"
    if inc.onset_unbounded:
        when += "; no success before it in these logs: it may have begun earlier"
    rows.append(("window", when))
    users = f", users {inc.affected_users}" if inc.affected_users is not None else ""
    rows.append(("impact", f"{affected_of(f, inc)} affected, {failed_text(inc)}{users}"))
    if inc.resolution:
        rows.append(("resolved", Text(f"{stamp(inc.resolution[0], tz)}: {_safe(localise(inc.resolution[1], tz))}")))
    for a in inc.attempts:
        if inc.resolution is None or a.ts_ns != inc.resolution[0]:
            rows.append(("attempt", Text(f"{stamp(a.ts_ns, tz)}: {_safe(a.summary())}")))
    if top:
        rows += [("rate", Text(_safe(localise(e.removeprefix("rate change: "), tz)))) for e in top.evidence
                 if e.startswith("rate change:")]
    if top and top.advice:
        rows.append(("note", Text(_safe(top.advice))))
    for n, c in enumerate(i.contributors[:3]):
        rows.append(("changed" if n == 0 else "", Text(_safe(c.describe()))))
    sigs = [f.clusters[k] for k in inc.clusters if 0 <= k < len(f.clusters)]
    if sigs:
        rows.append(("lines", Text("; ".join(f"{c.id} ({c.count})" for c in sigs) + f" — rca show … --signature ID "
                                   f"or --incident {i.id}", style="dim")))
    _rows(con, rows)
    for c in i.causes[1:3]:
        _rows(con, [(f"#{c.rank}", Text(f"{_safe(c.component)} / {_safe(c.kind)} (confidence {c.confidence:.2f}): "
                                        f"{_safe(c.summary)}", style="dim"))])
        for link in filter(web_url, c.urls):
            _link(con, "link", link, "dim")


def _input(con: Any, s: InputSummary, tz: ZoneInfo | None) -> None:
    from rich.text import Text

    if s.format == "unreadable":
        _rows(con, [("input", Text(f"{_safe(s.path)} [unreadable]: {_safe('; '.join(s.warnings))}", style="yellow"))])
        return
    rows: list[tuple[str, Any]] = [
        ("input", Text(f"{_safe(s.path)} [{s.format}]")),
        ("", f"records {s.records}, rejected {s.rejected}, duplicates {s.duplicates}"),
        ("", f"{stamp(s.first_ns, tz)} .. {stamp(s.last_ns, tz)}" if s.first_ns is not None else stamp(NO_TIME))]
    if s.labels:
        rows.append(("labels", Text(labels_line(s.labels), style="dim")))
    if s.truncated:
        rows.append(("!", Text(f"truncated: the {s.truncated_end} end is missing", style="yellow")))
    _rows(con, rows)


MASKED_LINK = "a secret in this link is masked; rerun with --reveal-secrets to see the link to follow"


def _masked_links(raw: Findings, safe: Findings) -> set[str]:
    """The links to follow that redaction changed: the terminal says how to see them whole."""
    if safe is raw:
        return set()
    return {safe_url for raw_inc, safe_inc in zip(raw.incidents, safe.incidents, strict=True)
            for raw_cause, safe_cause in zip(raw_inc.causes, safe_inc.causes, strict=True)
            for raw_url, safe_url in zip(raw_cause.urls, safe_cause.urls, strict=True) if raw_url != safe_url}


def _more_rows(rest: list, kind: str) -> list[tuple[str, Any]]:
    """The signatures past the listed ones, one row per reason with how many signatures and
    lines, and where every one is listed: a screen of scanner paths hides the answer."""
    from rich.text import Text

    if not rest:
        return []
    by_reason: dict[str, list[int]] = {}
    for c in rest:
        tally = by_reason.setdefault(_safe(c.routine_reason or kind), [0, 0])
        tally[0] += 1
        tally[1] += c.count
    rows = [(f"{lines:>{KEY_WIDTH}}", Text(f"{sigs} more {kind} signature{'s' if sigs > 1 else ''}  ({reason})", style="dim"))
            for reason, (sigs, lines) in sorted(by_reason.items(), key=lambda kv: (-kv[1][1], kv[0]))]
    rows.append(("", Text("every signature: rca analyze … -f md or -f json", style="dim")))
    return rows


def terminal(f: Findings, tz: ZoneInfo | None = None, width: int = 100, colour: bool = False,
             reveal: bool = False, public: Findings | None = None) -> str:
    """The terminal summary as text (ANSI styled when `colour`), wrapped at `width`. Secrets
    are masked unless `reveal`, in the links to follow too (a screen is shared and recorded
    like any artifact): a link masked that way says how to see it whole. `public`:
    `shown(f, reveal)` when the caller has it already (the redaction pass is not cheap)."""
    from rich.console import Console
    from rich.text import Text

    raw, f = f, shown(f, reveal) if public is None else public
    masked = _masked_links(raw, f)
    buf = io.StringIO()
    con = Console(file=buf, width=width, color_system="standard" if colour else None, no_color=not colour,
                  force_terminal=colour, highlight=False, markup=False, emoji=False)
    if not f.incidents:
        con.print(Text("No incident: nothing new or bursting.", style="bold green"))
    for n, i in enumerate(f.incidents):
        if n:
            con.print()
        _incident(con, f, i, tz, masked)
    routine = [c for c in f.clusters if c.routine]
    if routine:
        con.print()
        con.print(Text("Routine failures set aside (not the cause):", style="bold"))
        _rows(con, [(f"{c.count:>{KEY_WIDTH}}", Text(f"{c.id}  {_safe(c.signature)}  ({_safe(c.routine_reason)})", style="dim"))
                    for c in routine[:SET_ASIDE_ROWS]] + _more_rows(routine[SET_ASIDE_ROWS:], "routine"))
    isolated = [c for c in f.clusters if c.isolated]
    if isolated:
        con.print()
        con.print(Text(f"Isolated failures ({ISOLATED}):", style="bold"))
        _rows(con, [(f"{c.count:>{KEY_WIDTH}}", Text(f"{c.id}  {_safe(c.signature)}", style="dim"))
                    for c in isolated[:SET_ASIDE_ROWS]] + _more_rows(isolated[SET_ASIDE_ROWS:], "isolated"))
    con.print()
    dropped = sum(s.duplicates for s in f.ingested.inputs)
    con.print(Text(f"Read {f.ingested.records} records from {len(f.ingested.inputs)} input(s)"
                   + (f" ({dropped} duplicates dropped)" if dropped else "")
                   + f": {len(f.clusters)} signatures, {len(f.incidents)} incident(s)", style="bold"))
    notes = [localise(f.ingested.window_note, tz)] if f.ingested.window_note else []
    if f.filtered:
        notes.append(f"export filtered to errors ({f.filtered}): total requests unknown")
    _rows(con, [("!", Text(_safe(n), style="yellow")) for n in notes])
    for s in f.ingested.inputs:
        _input(con, s, tz)
    return "\n".join(line.rstrip() for line in buf.getvalue().split("\n"))
