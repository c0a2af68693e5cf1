"""The alert Detection proposes fires on the failures, not on the requests that succeeded."""

from __future__ import annotations

import json

from rca.findings.pipeline import analyze

S = 1_000_000_000
T0 = 1_764_693_000 * S  # 2025-12-02 16:30 UTC


def _winston_line(method: str, path: str, status: int, i: int) -> str:
    """express-winston's request line: the status only in its message and meta."""
    level = "error" if status >= 500 else "warn" if status >= 400 else "info"
    return json.dumps({"level": level, "message": f"HTTP {method} {path} {status}",
                       "meta": {"req": {"url": path, "method": method, "headers": {"x-request-id": f"{i:016x}"}},
                                "res": {"statusCode": status}, "responseTime": 40 + i % 200}})


def _export(tmp_path) -> str:
    rows = []
    for i, t in enumerate(range(0, 3600, 5)):
        rows.append((t, _winston_line("GET", "/api/order/menu", 200, i)))
    for i, t in enumerate(range(2, 3600, 25)):
        rows.append((t, _winston_line("PUT", "/api/auth", 404, 1000 + i)))
    for i, t in enumerate(range(4, 3600, 50)):
        failing = 1800 <= t < 2700
        rows.append((t, _winston_line("POST", "/api/order", 500 if failing else 200, 2000 + i)))
    labels = {"job": "jwt-pizza-service", "service_name": "jwt-pizza-service"}
    path = tmp_path / "winston.jsonl"
    path.write_text("".join(json.dumps({"labels": labels, "line": line, "timestamp": str(T0 + t * S)}) + "\n"
                            for t, line in sorted(rows)))
    return str(path)


def test_an_alert_on_a_request_line_names_the_failing_status_not_only_the_method(tmp_path):
    path = _export(tmp_path)
    findings = analyze([path])
    [incident] = findings.incidents
    token = incident.alert.split('|= "')[1].split('"')[0]
    successes = [json.loads(r)["line"] for r in open(path) if '"statusCode\\": 200' in r]
    assert successes and not any(token in line for line in successes)
