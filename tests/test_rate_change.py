"""Bursts that only the rate shows: a logger that lost the response bodies leaves a 500 on
/api/order with nothing else to say, a few times an hour as routine and then dozens of times
in a quarter of an hour. rca tests each signature's rate against its own baseline (a scan
statistic), reports the burst's own bounds with low confidence and says what to log, and
never blames a steady trickle. Exports are generated hours long with distinct lines."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from fixtures import generate
from fixtures.generate import Chaos, Style
from fixtures.rates import RateBurst, simulate_rates
from rca.findings.pipeline import analyze
from rca.findings.rates import binomial_tail, exposure
from rca.outputs.report import markdown
from rca.outputs.terminal import terminal

S = 1_000_000_000
TOLERANCE = 3 * 60 * S  # a baseline row next to a burst cannot be told from it


def _analyze(tmp_path, export):
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(export.events))
    return analyze([str(path)])


def _assert_found(incident, times, export):
    assert abs(incident.start_ns - times[0]) <= TOLERANCE
    assert abs(incident.end_ns - times[-1]) <= TOLERANCE
    # The trickle goes on during the burst and cannot be told apart from it there.
    trickle = sum(times[0] - TOLERANCE <= t <= times[-1] + TOLERANCE for t in export.trickle_times)
    assert len(times) - 2 <= incident.affected_requests <= len(times) + trickle


def test_generated_request_lines_are_all_distinct():
    events = simulate_rates(hours=1, bursts=[RateBurst(30, 10, 2)]).events
    assert len({e.line for e in events}) == len(events)


def test_bodyless_burst_after_hours_of_trickle_is_an_incident_with_the_bursts_bounds(tmp_path):
    export = simulate_rates(hours=6, trickle_per_hour=4, bursts=[RateBurst(240, 15, 2)], noise_per_hour=3)
    f = _analyze(tmp_path, export)
    assert len(f.incidents) == 1
    _assert_found(f.incidents[0].incident, export.burst_times[0], export)


@pytest.mark.parametrize(("hours", "trickle", "burst", "seed"), [
    (3, 2, RateBurst(100, 30, 1.5), 11),
    (12, 8, RateBurst(500, 10, 4), 12),
    (24, 1, RateBurst(1000, 5, 4), 13),
    (6, 12, RateBurst(30, 60, 2), 14),
    (12, 4, RateBurst(700, 10, 0.8), 15),
], ids=["3h-2ph-30min", "12h-8ph-10min-fast", "24h-1ph-5min", "6h-12ph-1h", "12h-4ph-10min-slow"])
def test_held_out_rates_and_lengths_find_the_burst(hours, trickle, burst, seed, tmp_path):
    export = simulate_rates(hours=hours, per_min=10, trickle_per_hour=trickle, bursts=[burst], noise_per_hour=2,
                            seed=seed)
    f = _analyze(tmp_path, export)
    assert len(f.incidents) == 1
    _assert_found(f.incidents[0].incident, export.burst_times[0], export)


@pytest.mark.parametrize(("hours", "trickle", "seed"), [(6, 4, 21), (2, 12, 22), (24, 2, 23), (8, 40, 24)],
                         ids=["6h-4ph", "2h-12ph", "24h-2ph", "8h-40ph"])
def test_steady_trickle_without_a_burst_is_routine(hours, trickle, seed, tmp_path):
    f = _analyze(tmp_path, simulate_rates(hours=hours, per_min=10, trickle_per_hour=trickle,
                                          noise_per_hour=trickle / 2, seed=seed))
    assert f.incidents == []
    assert f.clusters and all(c.routine for c in f.clusters)


def test_trickle_that_stops_with_the_traffic_is_not_a_rate_change(tmp_path):
    export = simulate_rates(hours=6, per_min=10, trickle_per_hour=6, pauses=[(120, 150)], seed=31)
    f = _analyze(tmp_path, export)
    assert f.incidents == []


def test_two_bursts_of_one_signature_are_two_incidents(tmp_path):
    export = simulate_rates(hours=8, per_min=10, trickle_per_hour=3,
                            bursts=[RateBurst(100, 15, 2), RateBurst(380, 20, 1.5)], seed=41)
    f = _analyze(tmp_path, export)
    assert len(f.incidents) == 2
    for found, times in zip(f.incidents, export.burst_times, strict=True):
        _assert_found(found.incident, times, export)


def test_rate_only_cause_has_low_confidence_no_link_and_says_what_to_log(tmp_path):
    export = simulate_rates(hours=6, per_min=10, trickle_per_hour=4, bursts=[RateBurst(200, 15, 2)], seed=51)
    f = _analyze(tmp_path, export)
    top = f.incidents[0].causes[0]
    assert top.confidence < 0.5 and top.urls == []
    assert any(e.startswith("rate change:") for e in top.evidence)
    text = markdown(f)
    assert "rate change:" in text and "| Logging: log" in text
    assert "p = " in terminal(f)


def test_bodyless_burst_on_another_endpoint_gets_the_generic_rate_only_cause(tmp_path):
    burst = RateBurst(200, 15, 2, method="GET", path="/api/franchise", body="{}")
    export = simulate_rates(hours=6, per_min=10, trickle_per_hour=4, bursts=[burst], seed=52)
    f = _analyze(tmp_path, export)
    assert len(f.incidents) == 1
    top = f.incidents[0].causes[0]
    assert top.confidence <= 0.3 and "rate" in top.summary
    assert top.advice and top.advice.startswith("log the response body")


def test_binomial_tail_is_the_exact_sum():
    for k, n, p in [(3, 10, 0.2), (9, 11, 0.3), (0, 5, 0.5), (12, 300, 0.01)]:
        exact = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))
        assert binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-9)
    assert binomial_tail(11, 10, 0.5) == 0.0
    assert np.isfinite(binomial_tail(900, 1000, 0.01))


def test_a_routine_row_beside_a_bodyless_burst_is_not_part_of_it(tmp_path):
    """All orders fail during the chaos, the logger lost the bodies, and an oversize order's
    routine 500 (the same signature) comes about a minute after the last one, once orders
    succeed again: the incident ends at the burst's own last row."""
    start = datetime(2026, 1, 25, 15, 0, tzinfo=UTC)
    chaos = Chaos("fail", 3600, 4540, fix_code="b3edge01")
    events = generate.simulate(start=start, minutes=120, chaos=[chaos], seed=5, style=Style(lost_bodies=True))
    t0 = int(start.timestamp()) * S
    fails = sorted(e.ts_ns for e in events if e.labels["type"] == "http" and '"statusCode":500' in e.line
                   and '"path":"/api/order"' in e.line)
    burst = [t for t in fails if t0 + 3600 * S <= t <= t0 + 4545 * S]
    beside = next(t for t in fails if t > burst[-1])
    assert beside - burst[-1] < 90 * S  # the routine row sits right beside the burst
    path = tmp_path / "export.jsonl"
    path.write_bytes(generate.logcli_jsonl(events))
    f = analyze([str(path)])
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    assert (inc.start_ns, inc.end_ns, inc.affected_requests) == (burst[0], burst[-1], len(burst))


def test_exposure_does_not_depend_on_the_order_of_the_times():
    rng = np.random.default_rng(7)
    minute = 60 * 10**9
    # Two hours of traffic with a 20-minute silence in the middle, at millisecond times.
    ts = np.concatenate([rng.integers(0, 50 * minute, 3000), rng.integers(70 * minute, 120 * minute, 3000)])
    ts = ts // 10**6 * 10**6
    in_order, shuffled = exposure(np.sort(ts)), exposure(rng.permutation(ts))
    assert (in_order.origin_ns, in_order.bin_ns) == (shuffled.origin_ns, shuffled.bin_ns)
    assert np.array_equal(in_order.covered, shuffled.covered)
    assert not in_order.covered[in_order.bins_of(np.array([60 * minute]))].any()
