"""Render `rca patterns` results as text, JSON or CSV, templates and examples redacted first
(one pass, the catalogue every output uses) unless the user asks to reveal."""

from __future__ import annotations

import csv
import dataclasses
import io

import orjson
import pyarrow as pa

from rca.outputs.escape import term_text
from rca.table.patterns import Pattern, PatternReport, template_id
from rca.table.redact import clip, redact
from rca.inputs.timestamps import format_rfc3339_ms


def _shown(report: PatternReport, min_count: int, reveal: bool) -> list[Pattern]:
    kept = [p for p in report.patterns if p.count >= min_count]
    if reveal:
        return kept
    return [dataclasses.replace(p, template=redact(p.template), example=redact(p.example)) for p in kept]


def as_text(report: PatternReport, min_count: int = 1, top: int = 50, reveal: bool = False) -> str:
    shown = _shown(report, min_count, reveal)[:top]
    out = [f"{len(report.patterns)} templates over {report.total} lines"
           + (f" (showing {len(shown)})" if len(shown) < len(report.patterns) else "")]
    for p in shown:
        share = 100 * p.count / report.total if report.total else 0
        out.append(f"\n{p.count:>8}  {share:5.1f}%  {p.id}  {term_text(p.template)}")
        out.append(f"          first {format_rfc3339_ms(p.first_ns) or '-'}  last {format_rfc3339_ms(p.last_ns) or '-'}")
        out.append(f"          e.g. {term_text(clip(p.example, 200))}")
    return "\n".join(out) + "\n"


def as_json(report: PatternReport, min_count: int = 1, reveal: bool = False) -> str:
    doc = {
        "schema": "rca.table.patterns/1",
        "lines": report.total,
        "templates": [{
            "id": p.id, "template": p.template, "count": p.count,
            "first": format_rfc3339_ms(p.first_ns), "last": format_rfc3339_ms(p.last_ns),
            "examples": [p.example],
        } for p in _shown(report, min_count, reveal)],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def as_csv(report: PatternReport, table: pa.Table, reveal: bool = False) -> str:
    """One row per input line in input order: `line,template_id,template` (line 1-based)."""
    sources = table.column("source").to_pylist()
    records = table.column("record").to_pylist()
    order = sorted(range(len(records)), key=lambda i: (sources[i], records[i]))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["line", "template_id", "template"])
    cache: dict[str, tuple[str, str]] = {}  # template → (its id, as shown): once per distinct template
    for i in order:
        t = report.row_templates[i]
        if t not in cache:
            cache[t] = (template_id(t), t if reveal else redact(t))
        writer.writerow([records[i] + 1, *cache[t]])
    return buf.getvalue()
