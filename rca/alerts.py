"""Propose a LogQL alert that fires on this incident and stays quiet on the routine failures."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.knowledge import Pack
from rca.signatures import Cluster


def _selector(table: pa.Table, rows: np.ndarray) -> str:
    labels = table.column("labels").combine_chunks().take(pa.array(rows[:200])).to_pylist()
    common = None
    for entries in labels:
        pairs = {k: v for k, v in entries if k in ("component", "source", "service_name", "job", "app", "service")}
        common = pairs if common is None else {k: v for k, v in common.items() if pairs.get(k) == v}
    if not common:
        return '{job=~".+"}'
    key, value = sorted(common.items())[0]
    return f'{{{key}="{value}"}}'


def propose_alert(table: pa.Table, clusters: list[Cluster], incident_clusters: list[int], rows: np.ndarray,
                  pack: Pack, request_rows: np.ndarray | None = None) -> str | None:
    """A `count_over_time` rule on a line filter found in the affected requests' lines and in
    no routine line."""
    lines = table.column("line").combine_chunks()
    if request_rows is not None and request_rows.size:
        rows = request_rows
    affected = lines.take(pa.array(rows))
    routine_rows = np.concatenate([c.rows for c in clusters if c.routine] or [np.zeros(0, dtype=np.int64)])
    routine = lines.take(pa.array(routine_rows)) if routine_rows.size else pa.array([], pa.large_string())
    candidates = list(pack.alert_tokens)
    for ci in incident_clusters:
        c = clusters[ci]
        candidates += [c.template.split("<*>")[0].strip()] if c.template else []
    for token in candidates:
        if len(token) < 5 or '"' in token or "\\" in token:
            continue
        in_affected = pc.sum(pc.match_substring(affected, token)).as_py() or 0
        if in_affected < max(1, 0.8 * len(affected)):
            continue
        if routine_rows.size and (pc.sum(pc.match_substring(routine, token)).as_py() or 0):
            continue
        selector = _selector(table, rows)
        return f'sum(count_over_time({selector} |= "{token}" [5m])) > 0'
    return None
