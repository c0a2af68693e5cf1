"""A JSON log line behind a plain-text prefix — a time and level an app's console logger or
a file appender writes (`2025-12-02T17:35:12.123Z ERROR http: {…}`), syslog's
`Dec  2 17:35:12 host node[1234]: {…}`, logcli's default output with another
`--output-timestamp-format` (`Tue, 02 Dec 2025 17:35:12 +0000 {type="http"} {…}`) — is that
JSON line: its status, message and the link the service answered are read from it, and a
report URL a client pasted into its request body is never the link to follow."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from fixtures import generate
from rca import analyze
from rca.knowledge.pack import default_pack
from rca.table.decode import decode_line

PROBE = "https://pizza-factory.cs329.click/api/support/0123456789abcdef0123456789abcdef/report/decoy123"
LINK = generate.CHAOS_FAIL[0].url
FAILED_ORDER = json.dumps({"authorized": True, "path": "/api/order", "method": "POST", "statusCode": 500,
                           "reqBody": json.dumps({"items": [], "note": "see " + PROBE}),
                           "resBody": json.dumps({"message": "Failed to fulfill order at factory",
                                                  "followLinkToEndChaos": LINK})})
PREFIXES = {
    "console logger": "2025-12-02T17:35:12.123Z ERROR http: ",
    "syslog": "Dec  2 17:35:12 ip-172-31-9-14 node[1234]: ",
    "logcli rfc1123z": 'Tue, 02 Dec 2025 17:35:12 +0000 {level="error", type="http"} ',
}


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_a_prefixed_json_line_is_decoded_as_the_json_line(prefix):
    pack = default_pack()
    plain = decode_line(FAILED_ORDER, pack)
    prefixed = decode_line(prefix + FAILED_ORDER, pack)
    assert (prefixed.status, prefixed.method, prefixed.endpoint, prefixed.message, prefixed.link) == \
        (plain.status, plain.method, plain.endpoint, plain.message, LINK)


def test_logfmt_ending_in_a_json_value_keeps_its_pairs():
    d = decode_line('level=error status=500 msg="order failed" body={"message":"chaos monkey"}', default_pack())
    assert d.status == 500


def _console_export(tmp_path) -> str:
    """The chaos-fail traffic as a console logger writes it, plus refused franchise creations
    whose request body holds a pasted report URL."""
    events = generate.simulate(chaos=generate.CHAOS_FAIL)
    t0 = events[0].ts_ns + 60 * generate.S
    probe = json.dumps({"authorized": True, "path": "/api/franchise", "method": "POST", "statusCode": 400,
                        "reqBody": json.dumps({"name": "x", "note": "see " + PROBE}),
                        "resBody": json.dumps(json.dumps({"message": "missing admins"}))})
    labels = {"component": generate.SERVICE, "level": "warn", "type": "http"}
    events += [generate.Event(t0 + i * 5 * generate.S, labels, probe) for i in range(4)]
    lines = []
    for e in sorted(events, key=lambda e: e.ts_ns):
        when = datetime.fromtimestamp(e.ts_ns / 1e9, timezone.utc).isoformat(timespec="milliseconds")
        lines.append(f"{when.replace('+00:00', 'Z')} {e.labels['level'].upper()} {e.labels['type']}: {e.line}\n")
    path = tmp_path / "jwt-pizza-service.log"
    path.write_text("".join(lines))
    return str(path)


def test_a_console_log_of_json_lines_finds_the_chaos_link_and_failed_orders(tmp_path):
    findings = analyze([_console_export(tmp_path)])
    links = [url for i in findings.incidents for cause in i.causes for url in cause.urls]
    assert links and all("/report/k3q9z7mf" in url for url in links)
    assert any(i.incident.failed_requests > 0 for i in findings.incidents)


def test_a_message_before_a_json_context_object_stays_the_message():
    d = decode_line('2025-12-02T17:35:12.123Z ERROR Order failed at the factory {"orderId":412}', default_pack())
    assert "Order failed at the factory" in (d.message or "")
