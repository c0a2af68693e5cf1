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
