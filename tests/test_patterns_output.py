"""`rca patterns` output: --top, per-minute volumes (sparkline, JSON series), first/last, and
the CSV written a chunk at a time."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from rca.outputs import patterns_output
from rca.outputs.patterns_output import as_csv, sparkline
from rca.table.patterns import MINUTE_NS, patterns_of


def _export(tmp_path, minutes: int = 30):
    """A JSON-lines export: a steady heartbeat every minute and a burst of timeouts in minutes 10–12."""
    start = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    lines = []
    for m in range(minutes):
        t = start + timedelta(minutes=m)
        lines.append({"time": t.isoformat(), "level": "info", "msg": f"heartbeat seq={m}"})
        if 10 <= m <= 12:
            for k in range(5):
                lines.append({"time": (t + timedelta(seconds=k)).isoformat(), "level": "error",
                              "msg": f"upstream timeout after {300 + k}ms"})
    path = tmp_path / "svc.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def test_top_limits_the_text_view(rca, tmp_path):
    path = tmp_path / "app.log"
    events = ["cache warmed", "index rebuilt for shard", "queue drained", "backup verified ok", "certificate renewed"]
    path.write_text("".join(f"{e}\n" * (k + 2) for k, e in enumerate(events)))
    run = rca("patterns", str(path), "--top", "2")
    assert run.code == 0, run.stderr
    assert "(showing 2)" in run.stdout
    assert run.stdout.count("e.g.") == 2


def test_json_gives_each_template_a_per_minute_series_that_adds_up(rca, tmp_path):
    run = rca("patterns", str(_export(tmp_path)), "-f", "json")
    assert run.code == 0, run.stderr
    templates = {t["template"]: t for t in json.loads(run.stdout)["templates"]}
    burst = next(t for name, t in templates.items() if "timeout" in name)
    assert [n for _, n in burst["per_minute"]] == [5, 5, 5]
    assert burst["per_minute"][0][0] == "2025-03-04T09:10:00.000Z"
    assert burst["first"] == "2025-03-04T09:10:00.000Z" and burst["last"] == "2025-03-04T09:12:04.000Z"
    for t in templates.values():
        assert sum(n for _, n in t["per_minute"]) == t["count"]


def test_text_view_draws_a_sparkline_on_the_exports_time_axis(rca, tmp_path):
    run = rca("patterns", str(_export(tmp_path)))
    assert run.code == 0, run.stderr
    bars = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("|")]
    assert len(bars) == 2
    burst = next(b for b in bars if b.count(" ") > 10)
    assert burst.startswith("|" + " " * 10 + "███" + " " * 17 + "|")


def test_sparkline_folds_long_exports_into_at_most_forty_slots():
    span = (0, 599 * MINUTE_NS)
    line = sparkline([(m * MINUTE_NS, 1) for m in range(600)], span)
    assert len(line) == 40 and set(line) == {"█"}


def test_lines_without_timestamps_have_no_series(tmp_path):
    table = pa.table({"line": pa.array(["boot ok", "boot ok"], pa.large_string()),
                      "ts_ns": pa.array([None, None], pa.int64()),
                      "source": ["a", "a"], "record": pa.array([0, 1], pa.int64())})
    report = patterns_of(table)
    assert report.patterns[0].per_minute == []


def test_csv_is_yielded_in_chunks_in_input_order(monkeypatch):
    monkeypatch.setattr(patterns_output, "CSV_CHUNK_ROWS", 7)
    n = 50
    table = pa.table({"line": pa.array([f"job {i} done" if i % 2 else "idle" for i in range(n)], pa.large_string()),
                      "ts_ns": pa.array([None] * n, pa.int64()),
                      "source": ["b"] * 25 + ["a"] * 25, "record": pa.array([*range(25), *range(25)], pa.int64())})
    chunks = list(as_csv(patterns_of(table), table))
    assert len(chunks) == 1 + -(-n // 7)
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert rows[0] == ["line", "template_id", "template"]
    assert [int(r[0]) for r in rows[1:]] == [*range(1, 26), *range(1, 26)]
    assert Counter(r[2] for r in rows[1:]) == Counter({"job <*> done": 25, "idle": 25})


def test_csv_to_a_file_is_the_same_as_to_stdout(rca, tmp_path):
    source = _export(tmp_path)
    out = tmp_path / "rows.csv"
    to_file = rca("patterns", str(source), "-f", "csv", "-o", str(out))
    to_stdout = rca("patterns", str(source), "-f", "csv")
    assert to_file.code == 0 and to_stdout.code == 0, to_file.stderr
    assert out.read_text() == to_stdout.stdout
    assert len(to_stdout.stdout.splitlines()) == 30 + 15 + 1
