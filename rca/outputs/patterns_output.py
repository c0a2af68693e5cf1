"""Render `rca patterns` results as text, JSON or CSV (the CSV streamed in chunks), templates
and examples redacted first (one pass, the catalogue every output uses) unless the user asks
to reveal."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.outputs.escape import csv_cell, json_document, term_text
from rca.inputs.timestamps import format_rfc3339_ms
from rca.table.patterns import MINUTE_NS, Pattern, PatternReport, template_id
from rca.table.redact import clip, redact

BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 40
CSV_CHUNK_ROWS = 20_000


def _span(patterns: list[Pattern]) -> tuple[int, int] | None:
    """The first and last minute of the export, so every sparkline shares one time axis."""
    minutes = [m for p in patterns if p.per_minute for m in (p.per_minute[0][0], p.per_minute[-1][0])]
    return (min(minutes), max(minutes)) if minutes else None


def sparkline(points: list[tuple[int, int]], span: tuple[int, int], width: int = SPARK_WIDTH) -> str:
    """Lines per time slot as bars, on the export's whole time axis (a slot is one minute or
    more, so the line is at most `width` wide); a space is a slot with none."""
    minutes = (span[1] - span[0]) // MINUTE_NS + 1
    per_slot = -(-minutes // width)
    slots = [0] * -(-minutes // per_slot)
    for minute, n in points:
        slots[(minute - span[0]) // MINUTE_NS // per_slot] += n
    top = max(slots) or 1
    return "".join(" " if n == 0 else BARS[min(len(BARS) - 1, (n * len(BARS) - 1) // top)] for n in slots)


def _shown(report: PatternReport, min_count: int, reveal: bool) -> list[Pattern]:
    kept = [p for p in report.patterns if p.count >= min_count]
    if reveal:
        return kept
    return [dataclasses.replace(p, template=redact(p.template), example=redact(p.example)) for p in kept]


def as_text(report: PatternReport, min_count: int = 1, top: int = 50, reveal: bool = False) -> str:
    shown = _shown(report, min_count, reveal)[:top]
    out = [f"{len(report.patterns)} templates over {report.total} lines"
           + (f" (showing {len(shown)})" if len(shown) < len(report.patterns) else "")]
    span = _span(report.patterns)
    if span:
        minutes = (span[1] - span[0]) // MINUTE_NS + 1
        per_slot = -(-minutes // SPARK_WIDTH)
        out.append(f"per-minute volume from {format_rfc3339_ms(span[0])}, "
                   f"one bar per {per_slot} minute{'s' if per_slot > 1 else ''}")
    for p in shown:
        share = 100 * p.count / report.total if report.total else 0
        out.append(f"\n{p.count:>8}  {share:5.1f}%  {p.id}  {term_text(p.template)}")
        out.append(f"          first {format_rfc3339_ms(p.first_ns) or '-'}  last {format_rfc3339_ms(p.last_ns) or '-'}")
        if span and p.per_minute:
            out.append(f"          |{sparkline(p.per_minute, span)}|  peak {max(n for _, n in p.per_minute)}/min")
        out.append(f"          e.g. {term_text(clip(p.example, 200))}")
    return "\n".join(out) + "\n"


def as_json(report: PatternReport, min_count: int = 1, reveal: bool = False) -> str:
    minute = functools.lru_cache(maxsize=None)(format_rfc3339_ms)  # templates share their minutes
    doc = {
        "schema": "rca.table.patterns/1",
        "lines": report.total,
        "templates": [{
            "id": p.id, "template": p.template, "count": p.count,
            "first": format_rfc3339_ms(p.first_ns), "last": format_rfc3339_ms(p.last_ns),
            "per_minute": [[minute(m), n] for m, n in p.per_minute],
            "examples": [p.example],
        } for p in _shown(report, min_count, reveal)],
    }
    return json_document(doc)


def _csv_tail(template: str, reveal: bool) -> str:
    """`id,template` of one distinct template: the id of what was mined, the template as shown."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([template_id(template),
                                                   csv_cell(template if reveal else redact(template))])
    return buf.getvalue()


def _input_order(table: pa.Table) -> pa.Array:
    """Row positions in input order (source, then record): one stable numpy argsort of the
    record numbers when there is a single source, which a string sort key would only slow."""
    if pc.count_distinct(table.column("source")).as_py() <= 1:
        records = table.column("record").to_numpy()
        return pa.array(np.argsort(records, kind="stable"))
    return pc.sort_indices(pa.table({"s": table.column("source"), "r": table.column("record")}),
                           sort_keys=[("s", "ascending"), ("r", "ascending")])


def as_csv(report: PatternReport, table: pa.Table, reveal: bool = False) -> Iterator[str]:
    """One row per input line in input order: `line,template_id,template` (line 1-based),
    yielded a chunk of rows at a time so no output-sized string is ever built; each chunk's
    rows are joined by Arrow kernels, not a Python loop."""
    yield "line,template_id,template\n"
    order = _input_order(table)
    numbers = pc.cast(pc.add(table.column("record").combine_chunks().take(order), 1), pa.string())
    encoded = report.row_templates.dictionary_encode()
    tails = pa.array([_csv_tail(t, reveal) for t in encoded.dictionary.to_pylist()], pa.string())
    indices = encoded.indices.take(order)
    for start in range(0, len(order), CSV_CHUNK_ROWS):
        rows = pc.binary_join_element_wise(numbers.slice(start, CSV_CHUNK_ROWS),
                                           tails.take(indices.slice(start, CSV_CHUNK_ROWS)), ",")
        yield pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows), "")[0].as_py()
