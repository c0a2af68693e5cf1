"""A logger or shipper that wraps the service's JSON line in a string field of its own —
Docker's json-file (`{"log": "<line>\\n", "stream", "time"}`) or winston's
`logger.info(JSON.stringify(entry))` (`{"level", "message": "<line>", "timestamp"}`) — holds
the same requests as the line itself: the same incident, the same counts, the link the
service answered and never the one a client sent in its request body."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from fixtures import generate
from rca import analyze

PROBE = "https://pizza-factory.cs329.click/api/support/0123456789abcdef0123456789abcdef/report/decoy123"


def _events() -> list[generate.Event]:
    """The course traffic under chaos, plus four refused franchise creations whose request
    body holds a pasted report URL."""
    events = generate.simulate(chaos=generate.CHAOS_FAIL)
    labels = {"component": generate.SERVICE, "level": "warn", "type": "http"}
    t0 = events[0].ts_ns + 60 * generate.S
    line = json.dumps({"authorized": True, "path": "/api/franchise", "method": "POST", "statusCode": 403,
                       "reqBody": json.dumps({"name": "pizzaPocket", "note": "see " + PROBE}),
                       "resBody": json.dumps(json.dumps({"message": "unable to create a franchise"}))})
    probes = [generate.Event(t0 + i * 20 * generate.S, labels, line) for i in range(4)]
    return sorted(events + probes, key=lambda e: e.ts_ns)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns // generate.S, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns % generate.S:09d}Z"


def _docker(events: list[generate.Event]) -> bytes:
    return "".join(json.dumps({"log": e.line + "\n", "stream": "stdout", "time": _iso(e.ts_ns)}) + "\n"
                   for e in events).encode()


def _winston(events: list[generate.Event]) -> bytes:
    return "".join(json.dumps({"level": e.labels["level"], "message": e.line, "timestamp": _iso(e.ts_ns)}) + "\n"
                   for e in events).encode()


def _summary(findings) -> list[tuple]:
    return [(i.incident.start_ns, i.incident.end_ns, i.incident.failed_requests,
             sorted(url for cause in i.causes for url in cause.urls)) for i in findings.incidents]


def _analyze(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return analyze([str(path)])


def test_a_docker_json_file_log_holds_the_same_incident_as_the_service_lines(tmp_path):
    events = _events()
    wrapped = _analyze(tmp_path, "service-json.log", _docker(events))
    plain = _analyze(tmp_path, "export.json", generate.loki_query(events))
    assert _summary(wrapped) == _summary(plain)
    assert any(failed > 0 and links for _, _, failed, links in _summary(wrapped))


def test_a_stringified_winston_message_holds_the_same_incident_as_the_service_lines(tmp_path):
    events = _events()
    wrapped = _analyze(tmp_path, "winston.ndjson", _winston(events))
    plain = _analyze(tmp_path, "export.json", generate.loki_query(events))
    assert _summary(wrapped) == _summary(plain)


def test_a_report_url_in_a_wrapped_request_body_is_never_a_link_to_follow(tmp_path):
    findings = _analyze(tmp_path, "service-json.log", _docker(_events()))
    links = [url for i in findings.incidents for cause in i.causes for url in cause.urls]
    assert links and not any("decoy123" in url for url in links)
