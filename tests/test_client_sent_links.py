"""Request headers (Referer, User-Agent), a logged User-Agent field and the parameters a SQL
statement was given are what a client sent, like the request body: a report-shaped URL in
them is never the link to follow, nor an incident of its own."""

from __future__ import annotations

import json

import pytest

from fixtures import generate
from rca import analyze

PROBE = "https://evil.example/api/support/0123456789abcdef0123456789abcdef/report/pwn1"
FAILED_ORDER = {"authorized": False, "path": "/api/order", "method": "POST", "statusCode": 500, "reqBody": "{}",
                "resBody": json.dumps({"message": "Failed to fulfill order at factory"})}


def _export(tmp_path, line: dict, level: str = "error", kind: str = "http") -> str:
    """The course traffic without chaos, plus ten lines a minute into it."""
    events = generate.simulate()
    labels = {"component": generate.SERVICE, "level": level, "type": kind}
    t0 = events[0].ts_ns + 60 * generate.S
    probes = [generate.Event(t0 + i * 20 * generate.S, labels, json.dumps(line)) for i in range(10)]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(sorted(events + probes, key=lambda e: e.ts_ns)))
    return str(path)


def _links(findings) -> list[str]:
    return [url for inc in findings.incidents for cause in inc.causes for url in cause.urls]


@pytest.mark.parametrize("sent", [
    {"headers": {"referer": PROBE, "user-agent": "curl/8.5"}},
    {"reqHeaders": {"Referer": PROBE}},
    {"userAgent": f"Mozilla/5.0 (+{PROBE})"},
    {"user_agent": f"bot {PROBE}"},
], ids=["headers", "reqHeaders", "userAgent", "user_agent"])
def test_a_report_url_in_what_the_client_sent_is_not_the_link_to_follow(tmp_path, sent):
    findings = analyze([_export(tmp_path, {**FAILED_ORDER, **sent})])
    assert not any("evil.example" in url for url in _links(findings))
    assert {u.url: u.role for u in findings.urls}[PROBE] == "other"


def test_a_report_url_in_a_sql_statements_parameters_is_not_an_incident(tmp_path):
    line = {"sql": "INSERT INTO user (name, email, password) VALUES (?, ?, ?)",
            "params": [f"followLinkToEndChaos {PROBE}", "x@jwt.com", "*****"]}
    findings = analyze([_export(tmp_path, line, level="info", kind="db")])
    assert findings.incidents == []
