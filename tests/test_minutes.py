"""The chart's per-minute series are counted from every row once, and the findings keep
them instead of arrays the length of the export."""

from __future__ import annotations

import dataclasses

import numpy as np

from fixtures import generate
from fixtures.generate import Chaos
from rca.findings import minutes
from rca.findings.minutes import request_minutes, with_signatures
from rca.findings.pipeline import analyze
from rca.findings.traffic import NS_MIN, Traffic

T0 = 1_764_600_000 * 1_000_000_000 // NS_MIN * NS_MIN  # a whole minute, in nanoseconds
S = 1_000_000_000


def _traffic(ts: list[int], is_http: list[bool], latency: list[float]) -> Traffic:
    ts_a = np.array(ts, dtype=np.int64)
    n = ts_a.size
    return Traffic(ts_a, ts_a > 0, np.array(is_http), np.ones(n, bool), np.array(latency, dtype=float),
                   np.zeros(n, np.int16), ["/api/order"])


def test_requests_and_p95_latency_are_counted_per_minute_from_the_first_timed_minute():
    traffic = _traffic([0, T0 + 5 * S, T0 + 20 * S, T0 + 61 * S, T0 + 190 * S, T0 + 200 * S],
                       [True, True, True, False, True, True], [9000, 100, 300, 50, np.nan, 700])
    series = request_minutes(traffic)
    assert (series.start_ns, series.bins) == (T0, 4)
    assert series.requests.tolist() == [2, 0, 0, 2]  # the untimed row and the non-request are not counted
    assert series.p95_s[0] == np.percentile([0.1, 0.3], 95)
    assert np.isnan(series.p95_s[1]) and series.p95_s[3] == 0.7


def test_signature_rows_count_only_when_they_are_requests_with_a_time():
    traffic = _traffic([T0, T0 + 70 * S, T0 + 80 * S, 0], [True, False, True, True], [1, 1, 1, 1])
    series = with_signatures(request_minutes(traffic), traffic, [np.array([0, 1, 2, 3]), np.array([1])])
    assert series.by_cluster[0].tolist() == [1, 1]
    assert 1 not in series.by_cluster  # its only row is no request: no bars for it


def test_signatures_without_a_counted_row_have_no_bars():
    traffic = _traffic([T0, 0], [False, True], [1, 1])
    series = with_signatures(request_minutes(traffic), traffic, [np.array([0]), np.array([1])])
    assert series.bins == 1 and dict(series.by_cluster) == {}


def test_an_export_without_requests_charts_every_signature_row_as_its_requests():
    traffic = _traffic([T0, T0 + 70 * S, T0 + 80 * S], [False, False, False], [np.nan] * 3)
    series = with_signatures(request_minutes(traffic), traffic, [np.array([0, 2]), np.array([1])])
    assert series.by_cluster[0].tolist() == [1, 1] and series.by_cluster[1].tolist() == [0, 1]
    assert series.requests.tolist() == [1, 2]
    assert series.p95_s is None


def _arrays(value, seen=None) -> list[np.ndarray]:
    """Every numpy array reachable from the findings but their ingested table."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v, seen)]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v, seen)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [a for f in dataclasses.fields(value) if f.name not in ("ingested", "pack")
                for a in _arrays(getattr(value, f.name), seen)]
    return []


def test_streamed_findings_keep_no_array_the_length_of_the_export(tmp_path):
    path = tmp_path / "export.jsonl"
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=12, seed=5)
    path.write_bytes(generate.logcli_jsonl(events))
    found = analyze([str(path)], chunk_bytes=20_000)
    assert found.incidents and found.minutes.bins >= 12
    records = found.ingested.records
    assert max(a.size for a in _arrays(found)) < records / 4


def test_p95_per_minute_is_the_same_when_a_long_time_ordered_export_is_taken_in_slices(monkeypatch):
    rng = np.random.default_rng(5)
    ts = T0 + np.sort(rng.integers(0, 90 * NS_MIN, 20_000))
    latency = np.where(rng.random(ts.size) < 0.3, np.nan, rng.exponential(250, ts.size))
    traffic = _traffic(ts.tolist(), (rng.random(ts.size) < 0.8).tolist(), latency.tolist())
    whole = request_minutes(traffic)
    monkeypatch.setattr(minutes, "_SLICE", 997)
    assert len(minutes._minute_slices(traffic.ts)) > 10
    sliced = request_minutes(traffic)
    assert np.array_equal(sliced.p95_s, whole.p95_s, equal_nan=True)
    assert np.array_equal(sliced.requests, whole.requests)


def test_rows_out_of_time_order_are_taken_at_once(monkeypatch):
    monkeypatch.setattr(minutes, "_SLICE", 2)
    ts = np.array([T0 + 3 * NS_MIN, T0 + NS_MIN, T0 + 2 * NS_MIN] * 3, dtype=np.int64)
    assert minutes._minute_slices(ts) == [(0, 9)]
    assert len(minutes._minute_slices(np.sort(ts))) == 3
