"""Clip what was read to a time window (`--from/--to/--since` on files), and say so.

Records outside the window are left out of the analysis and counted; records without a
time cannot be placed, so they stay. `--since` on files counts back from the export's
newest record, since an export is usually read after the fact.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow.compute as pc

from rca.errors import UsageError
from rca.inputs.exports import Ingested
from rca.inputs.timestamps import format_rfc3339_ms


def newest(ingested: Ingested) -> int | None:
    return pc.max(ingested.table.column("ts_ns")).as_py()


def check_order(start_ns: int | None, end_ns: int | None) -> None:
    """A reversed range is named as such, not answered with 'no records between'."""
    if start_ns is not None and end_ns is not None and start_ns >= end_ns:
        raise UsageError(f"--from {format_rfc3339_ms(start_ns)} is not before --to {format_rfc3339_ms(end_ns)}: "
                         "the start of the range must come first")


def clip_to(ingested: Ingested, start_ns: int | None, end_ns: int | None) -> Ingested:
    """The records from `start_ns` (inclusive) to `end_ns` (exclusive), with a note."""
    check_order(start_ns, end_ns)
    ts = ingested.table.column("ts_ns")
    inside = pc.fill_null(pc.and_(pc.greater_equal(ts, start_ns if start_ns is not None else -(2**62)),
                                  pc.less(ts, end_ns if end_ns is not None else 2**62)), True)
    table = ingested.table.filter(inside)
    left_out = ingested.table.num_rows - table.num_rows
    span = f"{format_rfc3339_ms(start_ns) or 'the start'} .. {format_rfc3339_ms(end_ns) or 'the end'}"
    if pc.count(table.column("ts_ns")).as_py() == 0:
        first, last = pc.min(ts).as_py(), pc.max(ts).as_py()
        raise UsageError(f"no records between {span}: the export covers "
                         f"{format_rfc3339_ms(first)} .. {format_rfc3339_ms(last)}")
    note = f"analysis clipped to {span}: {left_out} of {ingested.table.num_rows} records outside it left out"
    return replace(ingested, table=table, total=None, window_note=note)
