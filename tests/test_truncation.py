"""Exports cut by a line limit are marked truncated, naming the end that is missing."""

from __future__ import annotations

from fixtures import generate
from rca import ingest


def test_grafana_line_limit_reached_header(tmp_path):
    events = generate.simulate(minutes=20)
    path = tmp_path / "explore.txt"
    path.write_bytes(generate.grafana_txt(events, limit=500))
    summary = ingest([str(path)]).inputs[0]
    assert summary.truncated and summary.truncated_end == "older"
    assert any("line limit of 500 was reached" in w for w in summary.warnings)


def test_default_limit_count_in_newest_first_export(tmp_path):
    events = generate.simulate(minutes=20)[:1000]
    path = tmp_path / "q.json"
    path.write_bytes(generate.loki_query(events, newest_first=True))
    summary = ingest([str(path)]).inputs[0]
    assert summary.truncated and summary.truncated_end == "older"
    assert any("before 2025-12-02T17:" in w and "probably missing" in w for w in summary.warnings)


def test_logcli_default_limit_of_thirty(tmp_path):
    events = generate.simulate(minutes=2)[:30]
    path = tmp_path / "q.jsonl"
    path.write_bytes(generate.logcli_jsonl(events, newest_first=True))
    assert ingest([str(path)]).inputs[0].truncated


def test_count_off_the_limits_is_not_truncated(tmp_path):
    events = generate.simulate(minutes=2)[:31]
    path = tmp_path / "q.jsonl"
    path.write_bytes(generate.logcli_jsonl(events))
    assert not ingest([str(path)]).inputs[0].truncated


def test_grafana_limit_not_reached_is_not_truncated(tmp_path):
    events = generate.simulate(minutes=5)
    path = tmp_path / "explore.txt"
    path.write_bytes(generate.grafana_txt(events))
    assert not ingest([str(path)]).inputs[0].truncated


def test_truncated_flag_in_json_output(rca):
    run = rca("analyze", "fixtures/truncated/loki-query-1000.json", "--format", "json")
    import json

    doc = json.loads(run.stdout)
    assert run.code == 0
    assert doc["inputs"][0]["truncated"] is True
