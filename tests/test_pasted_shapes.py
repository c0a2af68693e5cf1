"""Every shape people paste is an export: a pretty-printed JSON object (as copied from
Grafana's log details), several of them, or a JSON array of records. Links whose secret
parts were replaced by placeholders are "link redacted in the export", never a link to follow."""

from __future__ import annotations

import json

import pytest

from fixtures import generate
from fixtures.generate import API_KEY, Chaos
from rca.findings.pipeline import analyze
from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal

CHAOS = Chaos("fail", 300, 540)


def _records(events):
    """The service's log objects with their time and labels folded in, as loggers write them."""
    out = []
    for e in events:
        body = json.loads(e.line)
        if isinstance(body, dict):
            out.append({"timestamp": generate._iso_ms(e.ts_ns), **e.labels, **body})
    return out


@pytest.fixture(scope="module")
def records():
    return _records(generate.simulate(chaos=[CHAOS]))


def _failing(records):
    return [r for r in records if r.get("statusCode") == 500 and "followLinkToEndChaos" in r.get("resBody", "")]


def test_a_single_pretty_printed_json_object_is_one_record(tmp_path, records):
    path = tmp_path / "details.json"
    path.write_text(json.dumps(_failing(records)[0], indent=2))
    f = analyze([str(path)])
    assert f.ingested.records == 1
    assert f.incidents[0].causes[0].urls == [CHAOS.url]


def test_pretty_printed_objects_one_after_another_are_records(tmp_path, records):
    failing = _failing(records)[:3]
    path = tmp_path / "details.json"
    path.write_text("\n".join(json.dumps(r, indent=4) for r in failing))
    f = analyze([str(path)])
    assert f.ingested.records == 3
    assert f.incidents[0].incident.affected_requests == 3


def test_a_pretty_printed_json_array_of_records_is_an_export(tmp_path, records):
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, indent=2))
    f = analyze([str(path)])
    assert f.ingested.records == len(records)
    assert f.incidents[0].incident.affected_requests == len(_failing(records))


REDACTED = {
    "dots": "https://cs329.cs.byu.edu/api/report?apiKey=...&fixCode=...",
    "angle-brackets": "https://pizza-factory.cs329.click/api/support/<redacted>/report/<redacted>",
    "stars": "https://pizza-factory.cs329.click/api/support/****/report/****",
    "xxx": "https://pizza-factory.cs329.click/api/support/xxx/report/xxx",
    "key-only": "https://pizza-factory.cs329.click/api/support/[REDACTED]/report/k3q9z7mf",
}


@pytest.mark.parametrize("placeholder", list(REDACTED.values()), ids=list(REDACTED))
def test_a_redacted_link_is_reported_as_redacted_never_to_follow(tmp_path, placeholder):
    events = [generate.Event(e.ts_ns, e.labels, e.line.replace(CHAOS.url, placeholder))
              for e in generate.simulate(chaos=[CHAOS])]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    f = analyze([str(path)])
    assert len(f.incidents) == 1
    top = f.incidents[0].causes[0]
    assert top.urls == []
    assert top.redacted_urls == [placeholder]
    text = terminal(f, width=400)
    assert not any(line.split()[:1] == ["follow"] for line in text.splitlines())
    assert "link redacted in the export" in text


def test_a_redacted_link_is_named_so_in_markdown_and_json(tmp_path):
    placeholder = REDACTED["dots"]
    events = [generate.Event(e.ts_ns, e.labels, e.line.replace(CHAOS.url, placeholder))
              for e in generate.simulate(chaos=[CHAOS])]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    f = analyze([str(path)])
    assert "link redacted in the export" in markdown(f).split("## Root cause")[1].split("## Resolution")[0]
    doc = findings_json(f)
    assert [u["redacted"] for u in doc["urls"] if u["role"] == "remediation"] == [True]
    assert API_KEY not in json.dumps(doc)
