"""Drill down: the raw lines behind one signature or one incident window, redacted and
made safe for a terminal, newest first like logcli (or oldest first)."""

from __future__ import annotations

import numpy as np

from rca.errors import UsageError
from rca.findings.pipeline import Findings
from rca.inputs.timestamps import NO_TIME, NO_TIME_TEXT, format_rfc3339_ms
from rca.table.redact import redact
from rca.outputs.terminal import _safe


def rows_behind(f: Findings, signature: str | None = None, incident: str | None = None) -> tuple[np.ndarray, str]:
    """Row numbers of the lines behind a signature id, or every line inside an incident's
    window; and a phrase naming what they are."""
    if (signature is None) == (incident is None):
        raise UsageError("give one of --signature ID or --incident ID")
    ts = f.ingested.table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    if signature is not None:
        cluster = next((c for c in f.clusters if c.id == signature), None)
        if cluster is None:
            known = ", ".join(c.id for c in f.clusters[:12]) or "none"
            raise UsageError(f"no signature {signature!r} in these inputs (signatures: {known})")
        return np.asarray(cluster.rows, dtype=np.int64), f"signature {signature} ({len(cluster.rows)} lines)"
    found = next((i for i in f.incidents if i.id == incident), None)
    if found is None:
        known = ", ".join(i.id for i in f.incidents) or "none"
        raise UsageError(f"no incident {incident!r} in these inputs (incidents: {known})")
    inc = found.incident
    if inc.start_ns == NO_TIME:  # no window to cut: its own lines
        return np.sort(np.asarray(inc.rows, dtype=np.int64)), f"incident {incident} ({NO_TIME_TEXT})"
    rows = np.flatnonzero((ts >= inc.start_ns) & (ts <= inc.end_ns))
    return rows, f"incident {incident} window {format_rfc3339_ms(inc.start_ns)} .. {format_rfc3339_ms(inc.end_ns)}"


def lines_text(f: Findings, rows: np.ndarray, limit: int | None = 50, oldest_first: bool = False,
               reveal: bool = False) -> tuple[str, int]:
    """`time  line` per row, ordered by time, at most `limit`; and how many there were."""
    from rca.table.rows import take_rows  # pyarrow: loaded only by the commands that show lines

    table = f.ingested.table
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    order = rows[np.argsort(ts[rows], kind="stable")]
    if not oldest_first:
        order = order[::-1]
    shown = order[:limit] if limit else order
    lines = take_rows(f.ingested.lines(), shown).to_pylist()
    out = []
    for row, line in zip(shown.tolist(), lines, strict=True):
        text = _safe(line or "").replace("\\x0a", " ↵ ")
        out.append(f"{format_rfc3339_ms(int(ts[row])) if ts[row] else '-':24}  {text}")
    body = "\n".join(out) + ("\n" if out else "")
    return (body if reveal else redact(body, f.pack)), int(rows.size)
