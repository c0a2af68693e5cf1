"""Per-minute series the chart draws: failures per minute by signature, requests per
minute, p95 latency per minute.

Computed from every row's traffic when the findings are made, so the findings keep a few
numbers per minute instead of four arrays the length of the export, and a streamed analysis
can let every row's latency go before the signatures are found.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from rca.findings.traffic import NS_MIN, Traffic

_SLICE = 1 << 20  # rows counted at a time: no temporaries the size of the export


@dataclass
class MinuteSeries:
    """Counts per minute from `start_ns` (minute-aligned) on; `bins` 0 when no row has a time."""

    start_ns: int = 0
    bins: int = 0
    requests: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Counted rows of each signature per minute, by cluster index (only signatures with some).
    by_cluster: Mapping[int, np.ndarray] = field(default_factory=dict)
    # p95 latency in seconds per minute (NaN: no latency that minute); None when no request had one.
    p95_s: np.ndarray | None = None


def request_minutes(traffic: Traffic) -> MinuteSeries:
    """Requests and p95 latency per minute of the rows with a time (`ts` > 0)."""
    ts, is_http = traffic.ts, traffic.is_http
    first, last = None, None
    for lo in range(0, ts.size, _SLICE):
        part = ts[lo:lo + _SLICE]
        part = part[part > 0]
        if part.size:
            low, high = int(part.min()), int(part.max())
            first = low if first is None else min(first, low)
            last = high if last is None else max(last, high)
    if first is None:
        return MinuteSeries()
    start = first // NS_MIN * NS_MIN
    bins = int((last - start) // NS_MIN) + 1
    requests = np.zeros(bins, dtype=np.int64)
    for lo in range(0, ts.size, _SLICE):
        part = ts[lo:lo + _SLICE]
        requests += np.bincount(_minutes(part[(part > 0) & is_http[lo:lo + _SLICE]], start, bins), minlength=bins)
    return MinuteSeries(start, bins, requests, {}, _p95_series(traffic, start, bins))


def with_signatures(series: MinuteSeries, traffic: Traffic, cluster_rows: list[np.ndarray]) -> MinuteSeries:
    """`series` with each signature's counted rows per minute (`cluster_rows`: positions in
    the traffic). A row is counted when it is a request with a time, or in an export with no
    request, any row of a signature with a time (then they are the requests panel too)."""
    if series.bins == 0:
        return series
    any_request = bool(traffic.is_http.any())
    rows = np.concatenate([np.asarray(r, dtype=np.int64) for r in cluster_rows]) if cluster_rows \
        else np.zeros(0, np.int64)
    owner = np.repeat(np.arange(len(cluster_rows)), [len(r) for r in cluster_rows])
    ts = traffic.ts[rows]
    keep = (ts > 0) & traffic.is_http[rows] if any_request else ts > 0
    minute = _minutes(ts[keep], series.start_ns, series.bins)
    series.by_cluster = ClusterMinutes(series.bins, owner[keep], minute)
    if not any_request:
        series.requests += np.bincount(minute, minlength=series.bins)
    return series


class ClusterMinutes(Mapping[int, np.ndarray]):
    """Each signature's counted rows per minute, by cluster index, counted when asked for:
    a varied export has ~1,200 signatures over ~13,000 minutes (130 MB as arrays made up
    front), and a report draws a few of them. Holds each counted row's minute, grouped by
    signature (`owner` ascends)."""

    def __init__(self, bins: int, owner: np.ndarray, minute: np.ndarray) -> None:
        self.bins, self.minute = bins, minute
        held, starts = np.unique(owner, return_index=True)
        ends = [*starts[1:].tolist(), owner.size][:starts.size]  # (none when no row is counted)
        self._slices = {int(i): (int(lo), hi) for i, lo, hi in zip(held.tolist(), starts.tolist(), ends, strict=True)}

    def __getitem__(self, cluster: int) -> np.ndarray:
        lo, hi = self._slices[cluster]
        return np.bincount(self.minute[lo:hi], minlength=self.bins)

    def __iter__(self) -> Iterator[int]:
        return iter(self._slices)

    def __len__(self) -> int:
        return len(self._slices)


def _minutes(ts: np.ndarray, start: int, bins: int) -> np.ndarray:
    return np.clip(((ts - start) // NS_MIN).astype(int), 0, bins - 1)


def _p95_series(traffic: Traffic, start: int, bins: int) -> np.ndarray | None:
    """p95 of the requests' known latencies per minute, in seconds (None: none known). Rows
    whose times ascend (a time-ordered export) are taken in slices cut between minutes, so
    the sort holds a slice's latencies, not the export's; each minute's p95 is the same."""
    latency, ts = traffic.latency_ms, traffic.ts
    out, any_known = np.full(bins, np.nan), False
    for lo, hi in _minute_slices(ts):
        known = traffic.is_http[lo:hi] & (ts[lo:hi] > 0) & np.isfinite(latency[lo:hi])
        if not known.any():
            continue
        any_known = True
        minute = _minutes(ts[lo:hi][known], start, bins)
        first, last = int(minute.min()), int(minute.max())
        out[first:last + 1] = p95_per_minute(latency[lo:hi][known] / 1000, minute - first, last - first + 1)
    return out if any_known else None


def _minute_slices(ts: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of about `_SLICE` rows, no minute split between two, when `ts` ascends
    (every row timed); else one range of every row."""
    if ts.size <= _SLICE or ts[0] <= 0:
        return [(0, ts.size)]
    for lo in range(0, ts.size - 1, _SLICE):
        hi = min(lo + _SLICE, ts.size - 1)
        if not np.all(ts[lo + 1:hi + 1] >= ts[lo:hi]):
            return [(0, ts.size)]
    cuts = [0]
    for lo in range(_SLICE, ts.size, _SLICE):
        cut = int(np.searchsorted(ts, ts[lo] // NS_MIN * NS_MIN, side="left"))
        if cut > cuts[-1]:
            cuts.append(cut)
    return list(zip(cuts, [*cuts[1:], ts.size], strict=True))


def p95_per_minute(values: np.ndarray, minute: np.ndarray, bins: int) -> np.ndarray:
    """The 95th percentile of `values` in each minute bin (NaN where a bin has none), equal to
    `np.percentile(bin_values, 95)` bit for bit (its linear method, the same float steps), for
    every bin at once: a long export has tens of thousands of minutes, and one percentile call
    each took 1.8 s of a 1M-line analysis."""
    out = np.full(bins, np.nan)
    if values.size == 0:
        return out
    values, minute = _by_minute_then_value(values, minute)
    bounds = np.searchsorted(minute, np.arange(bins + 1))
    counts = np.diff(bounds)
    held = np.flatnonzero(counts)
    n, first = counts[held], bounds[held]
    q = np.true_divide(95, 100)
    virtual = (n - 1) * q  # numpy's virtual index for its linear method
    previous = np.floor(virtual)
    gamma = virtual - previous
    low = previous.astype(np.int64)
    high = low + 1
    past_end, before_start = virtual >= n - 1, virtual < 0
    low[past_end] = high[past_end] = n[past_end] - 1
    low[before_start] = high[before_start] = 0
    a, b = values[first + low], values[first + high]
    diff = b - a
    lerp = a + diff * gamma
    upper = gamma >= 0.5
    lerp[upper] = (b - diff * (1 - gamma))[upper]
    out[held] = lerp
    return out


def _by_minute_then_value(values: np.ndarray, minute: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`values` and `minute` ordered by minute, then value, as `np.lexsort` orders them. One
    sort of a float key (minute * a span wider than the values' + value) does it in a third of
    lexsort's two passes where that key orders the pairs exactly, which one look at the result
    tells (else lexsort): equal values are the same float but for 0.0 and -0.0, so no sign."""
    if not np.signbit(values).any():
        low = values.min()
        order = np.argsort(minute * (2 * (values.max() - low) + 1) + (values - low))
        by_key, minutes = values[order], minute[order]
        same = minutes[1:] == minutes[:-1]
        if np.all(minutes[1:] >= minutes[:-1]) and np.all(by_key[1:][same] >= by_key[:-1][same]):
            return by_key, minutes
    order = np.lexsort((values, minute))
    return values[order], minute[order]
