"""The chart reads at a glance: failures on their own panel, p95 latency, shading that
leaves bar colours alone, labels that never overlap, times in --tz, a hover title per bar."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from rca.findings.pipeline import analyze
from rca.findings.minutes import p95_per_minute
from rca.outputs.chart import (LABEL_GAP, MAX_BARS, MUTED, NAMED_ROUTINE, OK_COLOUR, STRONG, bar_minutes, coarsen,
                              label_rows, render, worst_minute)
from tests.scanners import scanner_export

FIXTURE = "fixtures/chaos-fail/loki-query.json"


def _svg(tz=None) -> str:
    return render(analyze([FIXTURE]), "svg", tz).decode()


@given(st.lists(st.floats(0, 1), max_size=12))
def test_mark_labels_on_one_row_never_overlap(positions):
    positions = sorted(positions)
    rows = label_rows(positions)
    for row in set(rows):
        xs = [x for x, r in zip(positions, rows, strict=True) if r == row]
        assert all(b - a >= LABEL_GAP for a, b in zip(xs, xs[1:], strict=False))


def test_end_and_recovery_thirty_seconds_apart_get_rows_of_their_own():
    assert label_rows([0.40, 0.71, 0.745]) == [0, 0, 1]


def test_latency_panel_is_the_95th_percentile_per_minute():
    values = np.arange(1, 101, dtype=float)
    minute = np.zeros(100, dtype=int)
    minute[-1] = 2  # one slow outlier alone in minute 2
    p95 = p95_per_minute(values, minute, 3)
    assert round(p95[0], 2) == round(float(np.percentile(values[:-1], 95)), 2)
    assert np.isnan(p95[1]) and p95[2] == 100


def test_failures_have_their_own_panel_and_latency_is_p95():
    svg = _svg()
    assert svg.index("<!-- failing / min -->") < svg.index("<!-- requests / min -->") < svg.index("<!-- p95 latency (s) -->")
    assert "slowest" not in svg


def test_every_non_empty_bar_has_a_hover_title_and_keeps_its_legend_colour():
    svg = _svg()
    bars = regex.findall(r'<g id="rca-bar-\d+"><title>([^<]*)</title>\s*<path[^>]*style="([^"]*)"', svg)
    assert len(bars) > 12
    colours = {style for _, style in bars}
    legend = {f"fill: {c}" for c in [*STRONG, *MUTED, OK_COLOUR]}
    assert colours <= legend, "a bar is drawn in a colour the legend does not show"
    assert all("opacity" not in style for style in colours)
    assert any("× sig-" in title for title, _ in bars) and any("× requests" in title for title, _ in bars)


def test_time_axis_and_hover_titles_follow_the_zone():
    utc, local = _svg(), _svg(ZoneInfo("America/Denver"))
    assert "17:30 UTC: " in utc and "10:30 MST: " in local
    assert "(America/Denver)" in local and "(UTC)" in utc


def test_long_exports_sum_minutes_into_at_most_max_bars():
    assert bar_minutes(90) == 1 and bar_minutes(MAX_BARS) == 1
    assert bar_minutes(MAX_BARS + 1) == 5 and bar_minutes(14 * 1440) == 30
    counts = np.arange(12)
    assert coarsen(counts, 5).tolist() == [10, 35, 21]
    p95 = np.array([0.1, np.nan, 0.3, np.nan, np.nan, np.nan])
    assert worst_minute(p95, 3).tolist()[0] == 0.3 and np.isnan(worst_minute(p95, 3)[1])


def test_many_routine_signatures_are_drawn_as_a_few_and_one_more_series(tmp_path):
    findings = analyze([str(scanner_export(tmp_path))])
    assert sum(c.routine for c in findings.clusters) > NAMED_ROUTINE + 1
    svg = render(findings, "svg").decode()
    more = sum(c.routine for c in findings.clusters) - NAMED_ROUTINE
    assert f"routine: {more} more routine signatures" in svg
    titles = regex.findall(r'<g id="rca-bar-\d+"><title>([^<]*)</title>', svg)
    assert all(": 0 ×" not in t for t in titles), "an empty bar was drawn"
    assert len(titles) <= (NAMED_ROUTINE + 2) * MAX_BARS
    assert "failing / 15 min" in svg  # three days of minutes (4,320) make 288 bars of 15


def test_p95_per_minute_equals_numpys_percentile_of_each_minute():
    rng = np.random.default_rng(7)
    minute = rng.integers(0, 50, 4000)
    values = np.round(rng.lognormal(-1.5, 1.0, 4000), 3)  # ties, as rounded latencies have
    values[:40] = 0.2  # one minute's worth of one value
    p95 = p95_per_minute(values, minute, 60)
    for b in range(60):
        in_bin = values[minute == b]
        if in_bin.size:
            assert p95[b] == np.percentile(in_bin, 95), b
        else:
            assert np.isnan(p95[b])
    assert p95_per_minute(np.array([0.3]), np.array([2]), 3)[2] == 0.3


@pytest.mark.parametrize("spread", [1.0, 1e300], ids=["latencies", "values one float key cannot order"])
def test_p95_per_minute_is_exact_whatever_the_values_span(spread):
    rng = np.random.default_rng(11)
    minute = rng.integers(0, 30, 3000)
    values = rng.choice([0.0, 1e-9, 1.0, 1.0 + 2**-52, 1.5, spread], 3000)  # neighbours one ulp apart
    p95 = p95_per_minute(values, minute, 30)
    assert all(p95[b] == np.percentile(values[minute == b], 95) for b in range(30))
