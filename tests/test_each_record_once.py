"""Each record counts once: the same path given twice, or the same entry (time and line) in
two exports whose label sets or time precision differ; the input summary says how many
duplicates were dropped."""

from __future__ import annotations

import pytest

from fixtures import generate
from fixtures.generate import Chaos, Event
from rca import ingest
from rca.findings.pipeline import analyze
from rca.outputs.terminal import terminal

CHAOS = Chaos("fail", 300, 540)


@pytest.fixture(scope="module")
def chaos_events():
    return generate.simulate(chaos=[CHAOS])


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_same_path_twice_is_read_once(tmp_path, chaos_events):
    path = _write(tmp_path, "export.json", generate.loki_query(chaos_events))
    once, twice = analyze([path]), analyze([path, path])
    assert twice.ingested.records == once.ingested.records == len(chaos_events)
    assert twice.incidents[0].incident.affected_requests == once.incidents[0].incident.affected_requests


def test_the_same_path_twice_is_summarised_as_all_duplicates(tmp_path, chaos_events):
    path = _write(tmp_path, "export.json", generate.loki_query(chaos_events))
    result = ingest([path, path])
    assert [(s.records, s.duplicates) for s in result.inputs] == [(len(chaos_events), 0),
                                                                    (len(chaos_events), len(chaos_events))]
    assert f"{len(chaos_events)} duplicates dropped" in terminal(analyze([path, path]), width=400)


def test_an_entry_with_and_without_common_labels_counts_once(tmp_path, chaos_events):
    download = _write(tmp_path, "download.txt", generate.grafana_txt(chaos_events))
    pasted = [Event(e.ts_ns, {}, e.line) for e in chaos_events]
    bare = _write(tmp_path, "pasted.jsonl", generate.logcli_jsonl(pasted))
    result = ingest([download, bare])
    assert result.records == len(chaos_events)
    assert [s.duplicates for s in result.inputs] == [0, len(chaos_events)]


def test_an_entry_at_millisecond_and_nanosecond_precision_counts_once(tmp_path, chaos_events):
    precise = [Event(e.ts_ns + 123_456, e.labels, e.line) for e in chaos_events]
    api = _write(tmp_path, "api.json", generate.loki_query(precise))
    download = _write(tmp_path, "download.txt", generate.grafana_txt(precise))
    result = ingest([api, download])
    assert result.records == len(chaos_events)
    assert sum(s.duplicates for s in result.inputs) == len(chaos_events)


def test_different_lines_at_the_same_time_in_two_inputs_are_both_kept(tmp_path, chaos_events):
    t = chaos_events[0].ts_ns
    a = _write(tmp_path, "a.jsonl", generate.logcli_jsonl([Event(t, {"app": "a"}, '{"msg":"one"}')]))
    b = _write(tmp_path, "b.jsonl", generate.logcli_jsonl([Event(t, {"app": "b"}, '{"msg":"two"}')]))
    assert ingest([a, b]).records == 2
