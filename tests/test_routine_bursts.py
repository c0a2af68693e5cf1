"""A routine failure's trickle is set aside, but a burst of the same failure is not routine:
the traffic script's oversize order fails at the factory without a link every few minutes,
and a run of link-less factory failures many times that rate is what a factory outage
without chaos looks like. The pack says which noise rules this holds for (bursts_matter)."""

from __future__ import annotations

import json

import pytest

from fixtures import generate
from rca import analyze
from rca.findings.pipeline import analyze as analyze_in_ranges
from tests.same_findings import assert_same_findings


def _export(tmp_path, failures: int, logcli: bool = False) -> tuple[str, int, int]:
    """The course traffic with `failures` link-less factory failures of empty orders, 4 s
    apart, twenty minutes in; the first and last failure's times."""
    events = generate.simulate(chaos=[])
    labels = {"component": generate.SERVICE, "level": "error", "type": "http"}
    t0 = events[0].ts_ns + 20 * 60 * generate.S
    extra = [generate.Event(t0 + i * 4 * generate.S, labels, json.dumps({
        "authorized": True, "path": "/api/order", "method": "POST", "statusCode": 500,
        "reqBody": json.dumps({"franchiseId": 1, "storeId": 1, "items": [], "n": i}),
        "resBody": json.dumps({"message": "Failed to fulfill order at factory"})})) for i in range(failures)]
    ordered = sorted(events + extra, key=lambda e: e.ts_ns)
    path = tmp_path / ("export.jsonl" if logcli else "export.json")
    path.write_bytes(generate.logcli_jsonl(ordered) if logcli else generate.loki_query(ordered))
    return str(path), t0, t0 + (failures - 1) * 4 * generate.S


@pytest.mark.parametrize("failures", [8, 40])
def test_a_burst_of_link_less_factory_failures_is_an_incident_with_its_own_window(tmp_path, failures):
    path, first, last = _export(tmp_path, failures)
    incidents = analyze([path]).incidents
    assert [(i.incident.start_ns, i.incident.end_ns) for i in incidents] == [(first, last)]
    assert "Failed to fulfill order at factory" in incidents[0].causes[0].summary


def test_a_streamed_export_finds_the_same_burst(tmp_path):
    path, first, last = _export(tmp_path, 8, logcli=True)
    streamed = analyze_in_ranges([path], chunk_bytes=20_000)
    assert [(i.incident.start_ns, i.incident.end_ns) for i in streamed.incidents] == [(first, last)]
    assert_same_findings(analyze_in_ranges([path]), streamed)


def test_the_oversize_orders_trickle_alone_stays_routine(tmp_path):
    events = generate.simulate(chaos=[])
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    findings = analyze([str(path)])
    assert findings.incidents == []
    assert any(c.routine and "oversize" in (c.routine_reason or "") for c in findings.clusters)
