"""A link inside a request body is what a client sent (a peer's probe, a pasted URL), not
what the service or the factory answered: it is never the link to follow, nor an incident
of its own. Only what was answered carries a remediation link."""

from __future__ import annotations

import json

from fixtures import generate
from rca import analyze

PROBE = "https://evil.example/api/support/0123456789abcdef0123456789abcdef/report/pwn1"


def _order_line(request: dict, response: dict) -> str:
    return json.dumps({"authorized": True, "path": "/api/order", "method": "POST", "statusCode": 500,
                       "reqBody": json.dumps(request), "resBody": json.dumps(response)})


def _export(tmp_path, chaos: list[generate.Chaos], request: dict, response: dict) -> str:
    """The course traffic, plus eight failed orders a minute into it whose request body holds `request`."""
    events = generate.simulate(chaos=chaos)
    labels = {"component": generate.SERVICE, "level": "error", "type": "http"}
    t0 = events[0].ts_ns + 60 * generate.S
    probes = [generate.Event(t0 + i * 4 * generate.S, labels, _order_line(request, response)) for i in range(8)]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(sorted(events + probes, key=lambda e: e.ts_ns)))
    return str(path)


def _links(findings) -> list[str]:
    return [url for inc in findings.incidents for cause in inc.causes for url in cause.urls]


def test_a_link_in_the_request_body_of_failed_orders_is_not_the_link_to_follow(tmp_path):
    export = _export(tmp_path, [], {"items": [], "followLinkToEndChaos": PROBE},
                     {"message": "Failed to fulfill order at factory"})
    findings = analyze([export])
    assert not any("evil.example" in url for url in _links(findings))


def test_a_link_in_the_request_body_during_chaos_is_not_an_incident_of_its_own(tmp_path):
    chaos = generate.CHAOS_FAIL
    export = _export(tmp_path, chaos, {"items": [], "reportUrl": PROBE},
                     {"message": "Failed to fulfill order at factory", "followLinkToEndChaos": chaos[0].url})
    findings = analyze([export])
    assert len(findings.incidents) == 1
    assert all("evil.example" not in url and "/report/k3q9z7mf" in url for url in _links(findings))


def test_failed_requests_whose_path_carries_a_report_url_stay_failures_without_that_link(tmp_path):
    events = generate.simulate()
    labels = {"component": generate.SERVICE, "level": "error", "type": "http"}
    t0 = events[0].ts_ns + 60 * generate.S
    line = json.dumps({"authorized": False, "path": f"/api/order?followLinkToEndChaos={PROBE}", "method": "GET",
                       "statusCode": 500, "reqBody": "{}",
                       "resBody": json.dumps(json.dumps({"message": "Cannot read properties of undefined"}))})
    probes = [generate.Event(t0 + i * 3 * generate.S, labels, line) for i in range(10)]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(sorted(events + probes, key=lambda e: e.ts_ns)))
    findings = analyze([str(path)])
    assert [inc.incident.affected_requests for inc in findings.incidents] == [10]
    assert not any("evil.example" in url for url in _links(findings))


def test_a_report_shaped_url_only_in_requests_is_listed_as_other_not_remediation(tmp_path):
    export = _export(tmp_path, [], {"items": [], "followLinkToEndChaos": PROBE},
                     {"message": "Failed to fulfill order at factory"})
    roles = {u.url: u.role for u in analyze([export]).urls}
    assert roles[PROBE] == "other"
