"""Propose a LogQL alert that fires on this incident and stays quiet on the routine failures."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.knowledge.pack import Pack
from rca.findings.signatures import Cluster
from rca.table.packed import PackedLines, holding
from rca.table.rows import take_rows
from rca.compiled import compiled
from rca.table.decode import REQUEST_LINE

_STREAM_KEYS = ("component", "source", "service_name", "job", "app", "service")


@dataclass
class AlertContext:
    """What every incident's proposal shares: the lines, and the routine lines to spare."""

    table: pa.Table
    clusters: list[Cluster]
    pack: Pack
    # The table's raw lines, or given when held packed; never joined: on a large export,
    # hundreds of MB.
    lines: pa.ChunkedArray | PackedLines | None = None
    routine: np.ndarray = field(init=False)  # rows of routine signatures
    labels: pa.ChunkedArray = field(init=False)
    routine_ts: np.ndarray = field(init=False)
    ts: np.ndarray = field(init=False)
    in_routine: dict[str, bool] = field(default_factory=dict)
    # Sorted times of the lines holding a token: incidents' rules share a few tokens.
    token_times: dict[str, np.ndarray] = field(default_factory=dict)
    token_rows: dict[str, np.ndarray] = field(default_factory=dict)
    # Each signature's request line, by its index (one signature is in many incidents).
    request_lines: dict[int, tuple[str, int] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lines is None:
            self.lines = self.table.column("line")
        self.labels = self.table.column("labels")
        rows = [c.rows for c in self.clusters if c.routine]
        self.routine = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        self.ts = self.table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
        self.routine_ts = self.ts[self.routine]

    def holding(self, token: str) -> np.ndarray:
        """Which lines hold `token` (a few tokens are asked about, each more than once)."""
        if token not in self.token_rows:
            self.token_rows[token] = holding(self.lines, token)
        return self.token_rows[token]

    def routine_holding(self, token: str) -> np.ndarray:
        """Which routine rows hold `token`, in `routine` order (the lines are not copied)."""
        return self.holding(token)[self.routine] if self.routine.size else np.zeros(0, dtype=bool)

    def spares_routine(self, token: str) -> bool:
        if token not in self.in_routine:
            self.in_routine[token] = not self.routine_holding(token).any()
        return self.in_routine[token]

    def times_of(self, token: str) -> np.ndarray:
        """Sorted times of the lines holding `token`."""
        if token not in self.token_times:
            self.token_times[token] = np.sort(self.ts[self.holding(token)])
        return self.token_times[token]

    def selector(self, rows: np.ndarray) -> str:
        labels = take_rows(self.labels, rows[:20]).to_pylist()
        common: dict[str, str] | None = None
        for entries in labels:
            pairs = {k: v for k, v in entries if k in _STREAM_KEYS}
            common = pairs if common is None else {k: v for k, v in common.items() if pairs.get(k) == v}
        if not common:
            return '{job=~".+"}'
        key, value = sorted(common.items())[0]
        return f'{{{key}="{_logql_string(value)}"}}'


WINDOW_NS = 5 * 60 * 1_000_000_000


def _busiest_window(ts: np.ndarray) -> int:
    """The most events in any 5-minute window."""
    if ts.size == 0:
        return 0
    ts = np.sort(ts)
    return int(np.max(np.searchsorted(ts, ts + WINDOW_NS, side="left") - np.arange(ts.size)))


def _logql_string(token: str) -> str:
    return token.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def propose_alert(ctx: AlertContext, incident_clusters: list[int], rows: np.ndarray,
                  ts: np.ndarray | None = None) -> str | None:
    """A `count_over_time` rule that fires on this incident and not on the routine failures:
    a line filter no routine line matches, or else one whose 5-minute count during the
    incident exceeds anything the routine failures reach."""
    affected = take_rows(ctx.lines, rows)
    candidates = list(ctx.pack.alert_tokens)
    for ci in incident_clusters:
        cluster = ctx.clusters[ci]
        if ci not in ctx.request_lines:
            ctx.request_lines[ci] = _request_line(cluster)
        request = ctx.request_lines[ci]
        if request is not None:
            # A request line's template masks its status: the words before it ("HTTP POST")
            # are in every request of the route, the successful ones too.
            text, status = request
            candidates.extend([text] if status >= 400 else [])
        elif cluster.template:
            candidates.append(cluster.template.split("<*>")[0].strip())
    for token in candidates:
        if len(token) < 5 or '"' in token or "\\" in token:
            continue
        hits = pc.sum(pc.match_substring(affected, token)).as_py() or 0
        if hits < max(1, 0.8 * len(affected)) or not ctx.spares_routine(token):
            continue
        return f'sum(count_over_time({ctx.selector(rows)} |= "{token}" [5m])) > 0'
    if ts is None:
        return None
    # The incident's own signatures outside its window are baseline too (a burst on top of
    # a steady trickle of the same failure).
    members = np.concatenate([ctx.clusters[ci].rows for ci in incident_clusters])
    baseline = np.setdiff1d(members, rows)
    statuses = {ctx.clusters[ci].status for ci in incident_clusters if ctx.clusters[ci].status}
    for status in sorted(statuses):
        for token in (f'"statusCode":{status}', f'"status":{status}'):
            mask = pc.match_substring(affected, token).to_numpy(zero_copy_only=False)
            if mask.sum() < max(1, 0.8 * len(affected)):
                continue
            routine_mask = ctx.routine_holding(token)
            baseline_mask = ctx.holding(token)[baseline]
            quiet_ts = np.concatenate([ctx.routine_ts[routine_mask] if routine_mask.size else np.zeros(0, np.int64),
                                       ts[baseline][baseline_mask] if baseline_mask.size else np.zeros(0, np.int64)])
            routine_peak = _busiest_window(quiet_ts)
            if _busiest_window(ts[rows][mask]) > routine_peak:
                return (f'sum(count_over_time({ctx.selector(rows)} |= "{_logql_string(token)}" [5m])) '
                        f'> {routine_peak}')
    return None


def _request_line(cluster: Cluster) -> tuple[str, int] | None:
    """The request line the signature's examples write (`POST /api/order 500`) and its status:
    with a failing status, a filter no successful request of the route matches."""
    for example in cluster.examples:
        m = REQUEST_LINE.search(example)
        if m:
            return m[0], int(m[3])
    return None


_RULE = compiled(r'\|= "((?:[^"\\]|\\.)*)" \[5m\]\)\) > (\d+)$')


def first_firing(ctx: AlertContext, rule: str, not_before: int) -> int | None:
    """When rca's own proposed rule would first have fired on these logs, from `not_before`
    on: the first line after which its 5-minute count exceeds the threshold."""
    m = _RULE.search(rule)
    if not m:
        return None
    token = m.group(1).replace('\\"', '"').replace("\\\\", "\\")
    threshold = int(m.group(2))
    hits = ctx.times_of(token)
    if hits.size == 0:
        return None
    in_window = np.arange(hits.size) - np.searchsorted(hits, hits - WINDOW_NS, side="right") + 1
    firing = np.flatnonzero((in_window > threshold) & (hits >= not_before - WINDOW_NS))
    return int(max(hits[firing[0]], not_before)) if firing.size else None
