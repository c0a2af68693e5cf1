"""The findings document (`rca.findings/1`) and its terminal rendering."""

from __future__ import annotations

import time
from typing import Any

from rca.ingest import Ingested
from rca.timestamps import NS_PER_S, format_rfc3339_ms

SCHEMA = "rca.findings/1"


def findings_document(ingested: Ingested) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated_at": format_rfc3339_ms(time.time_ns()),
        "inputs": [s.to_json() for s in ingested.inputs],
        "incidents": [],
        "clusters": [],
        "urls": [],
    }


def _span(first: int | None, last: int | None) -> str:
    if first is None or last is None:
        return "no timestamps"
    minutes = (last - first) / NS_PER_S / 60
    return f"{format_rfc3339_ms(first)} .. {format_rfc3339_ms(last)} ({minutes:.1f} min)"


def render_text(ingested: Ingested) -> str:
    """What was ingested, per input: format, counts, time range, truncation, labels."""
    out: list[str] = []
    total = ingested.records
    out.append(f"Ingested {total} records from {len(ingested.inputs)} input(s).")
    for s in ingested.inputs:
        out.append("")
        out.append(f"{s.path}  [{s.format}]")
        if s.format == "unreadable":
            out += [f"  ! {w}" for w in s.warnings]
            continue
        counts = f"  records {s.records}, rejected {s.rejected}, duplicates {s.duplicates}"
        out.append(counts)
        out.append(f"  time     {_span(s.first_ns, s.last_ns)}" + (f", {s.order} order" if s.order else ""))
        if s.truncated:
            out.append(f"  TRUNCATED: the {s.truncated_end} end is missing")
        if s.labels:
            shown = ", ".join(
                f"{k}={'|'.join(v)}" for k, v in list(s.labels.items())[:12]
            )
            more = len(s.labels) - 12
            out.append(f"  labels   {shown}" + (f" (+{more} more keys)" if more > 0 else ""))
        for note in s.notes:
            out.append(f"  note     {note}")
        for w in s.warnings:
            out.append(f"  ! {w}")
    return "\n".join(out) + "\n"
