"""An incident needs evidence. One failed user request with no burst and no remediation link
is not an incident (it is listed as an isolated failure, never dropped); a single failure
that carries a new remediation link is kept, as a finding with low confidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from importlib import resources

from fixtures import generate
from fixtures.generate import Chaos, Event
from rca.findings.pipeline import analyze
from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal

START = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
S = 1_000_000_000


def _failed_order(ts_ns: int, message: str, order: int) -> Event:
    """A failed user request the service answers 500 with a stack (a bad menu id)."""
    body = json.dumps({"message": message, "stack": f"Error: {message}\n    at DB.getID (database.js:{order}:13)"})
    line = {"authorized": True, "path": "/api/order", "method": "POST", "statusCode": 500,
            "reqBody": json.dumps({"franchiseId": 1, "storeId": 1, "items": [{"menuId": order, "price": 1}]}),
            "resBody": json.dumps(body)}
    return Event(ts_ns, {"component": generate.SERVICE, "level": "error", "type": "http"}, json.dumps(line))


def _analyze(tmp_path, events):
    path = tmp_path / "export.jsonl"
    path.write_bytes(generate.logcli_jsonl(sorted(events, key=lambda e: e.ts_ns)))
    return analyze([str(path)])


@pytest.fixture(scope="module")
def one_off(tmp_path_factory):
    events = generate.simulate(start=START, minutes=60, seed=12)
    at = int(START.timestamp()) * S + 37 * 60 * S + 123_000_000
    return _analyze(tmp_path_factory.mktemp("one-off"), [*events, _failed_order(at, "No ID found", 99)])


def test_a_single_failed_request_without_a_link_is_not_an_incident(one_off):
    assert one_off.incidents == []


def test_a_single_failed_request_is_listed_as_an_isolated_failure(one_off):
    isolated = [c for c in one_off.clusters if c.isolated]
    assert [(c.template, c.count) for c in isolated] == [("No ID found", 1)]
    assert "Isolated failures" in terminal(one_off) and "No ID found" in terminal(one_off)
    assert "Isolated failures" in markdown(one_off)


def test_an_isolated_failure_is_noted_in_json_within_the_schema(one_off):
    doc = findings_json(one_off)
    notes = {c["template"]: c.get("note") for c in doc["clusters"]}
    assert notes["No ID found"].startswith("isolated:")
    schema = json.loads(resources.files("rca.outputs.schemas").joinpath("findings-1.schema.json").read_text())
    jsonschema.validate(doc, schema)


def test_two_failed_requests_of_a_new_signature_are_a_thin_incident(tmp_path):
    events = generate.simulate(start=START, minutes=60, seed=13)
    base = int(START.timestamp()) * S + 40 * 60 * S
    f = _analyze(tmp_path, [*events, *(_failed_order(base + k * 20 * S, "No ID found", 90 + k) for k in range(2))])
    assert len(f.incidents) == 1 and f.incidents[0].incident.affected_requests == 2
    assert f.incidents[0].causes[0].advice == "only a few affected requests: widen the export's time range"


def test_one_off_failures_of_different_signatures_close_together_are_not_an_incident(tmp_path):
    """Three users' unrelated bad luck minutes apart: no signature failed twice, none burst,
    none carries a link. Each is an isolated failure, not an incident made of the three."""
    events = generate.simulate(start=START, minutes=60, seed=15)
    base = int(START.timestamp()) * S + 30 * 60 * S
    messages = ["No ID found", "unknown franchise", "store closed"]
    f = _analyze(tmp_path, [*events, *(_failed_order(base + k * 4 * 60 * S, m, 90 + k) for k, m in enumerate(messages))])
    assert f.incidents == []
    assert sorted(c.template for c in f.clusters if c.isolated) == sorted(messages)


@pytest.fixture(scope="module")
def single_linked(tmp_path_factory):
    """Chaos began just before the export ends: one failed order carries the report link."""
    chaos = Chaos("fail", 40 * 60, 90 * 60, fix_code="q7w2e9rt")
    events = generate.simulate(start=START, minutes=60, chaos=[chaos], seed=14)
    linked = sorted(e.ts_ns for e in events if chaos.fix_code in e.line and e.labels["type"] == "http")
    keep = [e for e in events if e.ts_ns < linked[0] + S]
    return _analyze(tmp_path_factory.mktemp("single-linked"), keep), chaos


def test_a_single_failure_with_a_new_link_is_a_low_confidence_finding(single_linked):
    f, chaos = single_linked
    assert len(f.incidents) == 1
    found = f.incidents[0]
    assert found.incident.affected_requests == 1
    top = found.causes[0]
    assert top.urls == [chaos.url]
    assert top.confidence < 0.5
    assert "single affected request" in top.advice


@pytest.fixture(scope="module")
def one_off_during_chaos(tmp_path_factory):
    """The chaos-fail traffic, plus one unrelated failed order two minutes into the chaos."""
    events = generate.simulate(start=START, chaos=generate.CHAOS_FAIL)
    at = int(START.timestamp()) * S + int(generate.CHAOS_FAIL[0].start_s + 120) * S + 123_000_000
    return (_analyze(tmp_path_factory.mktemp("chaos"), events),
            _analyze(tmp_path_factory.mktemp("one-off-chaos"), [*events, _failed_order(at, "No ID found", 99)]))


def test_a_single_failure_inside_an_incident_window_is_not_a_candidate_cause(one_off_during_chaos):
    _, with_one_off = one_off_during_chaos
    [incident] = with_one_off.incidents
    assert not any("No ID found" in cause.summary for cause in incident.causes)


def test_a_single_failure_inside_an_incident_window_is_not_counted_as_affected(one_off_during_chaos):
    without, with_one_off = one_off_during_chaos
    assert [i.incident.affected_requests for i in with_one_off.incidents] == \
        [i.incident.affected_requests for i in without.incidents]


def test_a_single_failure_inside_an_incident_window_is_an_isolated_failure(one_off_during_chaos):
    _, with_one_off = one_off_during_chaos
    assert [(c.template, c.count) for c in with_one_off.clusters if c.isolated] == [("No ID found", 1)]
