"""Latencies inferred from anchors are the same whether the rows are taken at once or a slice
at a time (a streamed reduce takes every row of a long export in slices)."""

from __future__ import annotations

import numpy as np

from rca.findings import signatures
from rca.findings.signatures import latency_from_anchors
from rca.knowledge.pack import default_pack

MS = 1_000_000


def test_a_wanting_row_gets_the_gap_since_the_latest_anchor_and_none_past_the_longest():
    pack = default_pack()
    longest = pack.latency_anchor.get("max_ms", 120000)
    ts = np.array([0, 100, 250, (longest + 500) * 1], dtype=np.int64) * MS
    want = np.array([False, True, True, True])
    got = latency_from_anchors(ts, np.array([0, 200 * MS]), want, np.full(4, np.nan), pack)
    assert np.isnan(got[0]) and got[1] == 100 and got[2] == 50 and np.isnan(got[3])


def test_latencies_inferred_in_slices_equal_those_inferred_at_once(monkeypatch):
    pack = default_pack()
    rng = np.random.default_rng(7)
    ts = np.sort(rng.integers(0, 600_000, 5000)).astype(np.int64) * MS
    anchors = np.sort(rng.choice(ts, 400))
    want = rng.random(ts.size) < 0.5
    logged = np.where(rng.random(ts.size) < 0.5, np.nan, rng.exponential(100, ts.size))
    whole = latency_from_anchors(ts, anchors, want, logged, pack)
    monkeypatch.setattr(signatures, "_SLICE", 61)
    assert np.array_equal(latency_from_anchors(ts, anchors, want, logged, pack), whole, equal_nan=True)
    newest_first = logged[::-1].copy()[::-1]  # a reversed view, as a newest-first export's reduce passes
    latency_from_anchors(ts, anchors, want, newest_first, pack, in_place=True)
    assert np.array_equal(newest_first, whole, equal_nan=True)
