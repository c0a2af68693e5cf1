"""No time, no invented date: records without a time field keep their cause and link and
say "time not in the export", never a 1970 date; logfmt ts=/time=/timestamp= is the time."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from fixtures import generate
from fixtures.generate import Chaos
from rca.findings.pipeline import analyze
from rca.outputs.html import page
from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal

CHAOS = Chaos("fail", 300, 540)


@pytest.fixture(scope="module")
def pasted(tmp_path_factory):
    """A failing order's log record pasted from a report: no time field at all."""
    events = generate.simulate(chaos=[CHAOS])
    line = next(e.line for e in events if e.labels["type"] == "http" and CHAOS.fix_code in e.line)
    path = tmp_path_factory.mktemp("pasted") / "record.json"
    path.write_text(json.dumps(json.loads(line), indent=2))
    return analyze([str(path)])


def test_an_untimed_record_keeps_its_cause_and_link(pasted):
    top = pasted.incidents[0].causes[0]
    assert (top.component, top.urls) == ("pizza-factory", [CHAOS.url])


@pytest.mark.parametrize("render", [terminal, markdown, page, lambda f: json.dumps(findings_json(f))],
                         ids=["terminal", "md", "html", "json"])
def test_an_untimed_record_never_shows_an_epoch_date(pasted, render):
    assert "1970" not in render(pasted)


@pytest.mark.parametrize("render", [terminal, markdown], ids=["terminal", "md"])
def test_an_untimed_incident_says_its_time_is_not_in_the_export(pasted, render):
    assert "time not in the export" in render(pasted)


def test_untimed_json_has_null_times_and_fits_the_schema(pasted):
    doc = findings_json(pasted)
    assert (doc["incidents"][0]["start"], doc["incidents"][0]["end"]) == (None, None)
    schema = json.loads(resources.files("rca.outputs.schemas").joinpath("findings-1.schema.json").read_text())
    jsonschema.validate(doc, schema)


LOGFMT = {
    "ts-rfc3339": 'ts=2025-12-02T17:35:10.126Z',
    "time-quoted": 'time="2025-12-02T17:35:10.126Z"',
    "timestamp-epoch-ms": 'timestamp=1764696910126',
}


@pytest.mark.parametrize("stamp", list(LOGFMT.values()), ids=list(LOGFMT))
def test_logfmt_time_fields_are_the_records_time(tmp_path, stamp):
    path = tmp_path / "app.log"
    path.write_text(f'{stamp} level=error method=POST path=/api/order status=500 msg="Failed to fulfill order at factory"'
                    f" followLinkToEndChaos={CHAOS.url}\n")
    f = analyze([str(path)])
    assert f.incidents[0].id == "inc-20251202T173510"
    assert f.ingested.table.column("ts_ns").to_pylist() == [1764696910126000000]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A timed export of a quiet hour and, beside it, a failing order's record pasted with no time."""
    folder = tmp_path_factory.mktemp("mixed")
    (folder / "quiet.jsonl").write_bytes(generate.logcli_jsonl(generate.simulate(minutes=30, seed=3)))
    events = generate.simulate(chaos=[CHAOS])
    line = next(e.line for e in events if e.labels["type"] == "http" and CHAOS.fix_code in e.line)
    (folder / "record.json").write_text(json.dumps(json.loads(line), indent=2))
    return analyze([str(folder / "quiet.jsonl"), str(folder / "record.json")])


def test_an_untimed_incident_is_neither_shaded_nor_marked_on_the_chart(mixed):
    from rca.outputs import chart

    assert [i.incident.start_ns for i in mixed.incidents] == [0]
    assert chart.windows(mixed) == [] and chart.marks(mixed) == []
    assert chart.render(mixed, "svg").startswith(b"<?xml")


def test_an_untimed_incident_is_stored_in_the_history_without_times(mixed, tmp_path):
    from rca.history import store
    from rca.history.batch import remember

    remember(mixed, ["quiet.jsonl", "record.json"], tmp_path)
    rows = store.load(tmp_path).to_pylist()
    assert [(r["start_ns"], r["end_ns"], r["duration_s"]) for r in rows] == [(None, None, None)]
    assert store.recurrences(rows)[0].first_ns is None


def test_an_untimed_incident_in_the_history_reads_without_a_date(mixed, tmp_path):
    from rca.history import store
    from rca.history.batch import remember
    from rca.history.review import render_history

    remember(mixed, ["quiet.jsonl", "record.json"], tmp_path)
    text = render_history(store.load(tmp_path).to_pylist(), "md")
    assert "1970" not in text


def test_an_untimed_incident_s_explore_link_carries_no_epoch_range(mixed):
    from rca.outputs.explore import Explore, incident_link

    from urllib.parse import parse_qs, urlsplit

    link = incident_link(Explore("https://grafana.example", "loki"), mixed, mixed.incidents[0])
    pane = json.loads(parse_qs(urlsplit(link).query)["panes"][0])["rca"]
    assert "range" not in pane and pane["queries"][0]["expr"]


@pytest.fixture(scope="module")
def pasted_many(tmp_path_factory):
    """The chaos traffic's lines as a JSON array with no time field (copied out of a report
    or a tool that dropped the times): bad logins and scanners around the failing orders."""
    events = generate.simulate(chaos=[CHAOS])
    path = tmp_path_factory.mktemp("pasted-many") / "records.json"
    path.write_text(json.dumps([json.loads(e.line) for e in events if e.labels["type"] == "http"]))
    return analyze([str(path)])


def test_known_noise_in_untimed_records_is_routine(pasted_many):
    assert [c.template for c in pasted_many.clusters if c.template == "unknown user" and not c.routine] == []


def test_known_noise_in_untimed_records_is_never_the_top_cause(pasted_many):
    top = pasted_many.incidents[0].causes[0]
    assert (top.component, top.urls) == ("pizza-factory", [CHAOS.url])


def test_a_few_untimed_failures_in_a_timed_export_are_isolated_not_an_incident(tmp_path):
    """Failures whose time the export lost cannot be shown to burst: among timed traffic they
    are listed as isolated failures, not called an incident of their own."""
    timed = [json.dumps({"time": f"2026-12-02T17:{i // 60:02d}:{i % 60:02d}Z", "msg": f"order {i} ok", "status": 200,
                         "path": "/api/order"}) for i in range(0, 1800, 7)]
    untimed = [json.dumps({"time": "not a time", "msg": f"checkout failed for cart {i}", "status": 500,
                           "path": "/api/checkout"}) for i in range(4)]
    path = tmp_path / "app.ndjson"
    path.write_text("\n".join(timed[:100] + untimed + timed[100:]) + "\n")
    findings = analyze([str(path)])
    assert not findings.incidents
    assert [c.isolated for c in findings.clusters if "checkout failed" in c.template] == [True]
