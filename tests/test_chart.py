"""The chart reads at a glance: failures on their own panel, p95 latency, shading that
leaves bar colours alone, labels that never overlap, times in --tz, a hover title per bar."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import regex
from hypothesis import given
from hypothesis import strategies as st

from rca.findings.pipeline import analyze
from rca.findings.minutes import p95_per_minute
from rca.outputs.chart import LABEL_GAP, MUTED, OK_COLOUR, STRONG, label_rows, render

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
