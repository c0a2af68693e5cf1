"""A latency inferred from the order's database write (INSERT INTO dinerOrder, then the
response) belongs to `POST /api/order` only. A diner's order history (`GET /api/order`) does
no such write: the time since the last order's insert is not its latency, and a history
page opened half a minute after someone ordered is not a slow order."""

from __future__ import annotations

import json

from rca.findings.pipeline import analyze

T0 = 1764687600000  # 2025-12-02T15:00:00Z, ms


def _line(method, path, status, res, db=None):
    if db:
        return {"component": "jwt-pizza-service", "level": "info", "type": "db"}, json.dumps(db)
    return ({"component": "jwt-pizza-service", "level": "info", "type": "http"},
            json.dumps({"authorized": True, "path": path, "method": method, "statusCode": status,
                        "reqBody": "{}", "resBody": json.dumps(res)}))


def test_order_history_requests_are_not_slow_orders(tmp_path):
    events = []
    for i in range(120):  # an order every 2 minutes, its history viewed 40 and 80 s later
        at = T0 + i * 120_000
        events.append((at, *_line(None, None, None, None, db=f"INSERT INTO dinerOrder (dinerId) VALUES ({i})")))
        events.append((at + 150, *_line("POST", "/api/order", 200, {"order": {"id": i}, "jwt": "eyJ"})))
        events.append((at + 40_000 + i, *_line("GET", "/api/order", 200, {"dinerId": 3, "orders": [{"id": i}], "page": 1})))
        events.append((at + 80_000 + i, *_line("GET", "/api/order", 200, {"dinerId": 4, "orders": [{"id": i}], "page": 1})))
    f = analyze([_loki(tmp_path, events)])
    assert not f.incidents
    assert not [c.signature for c in f.clusters if "slow" in c.signature]


def test_a_burst_of_order_history_views_after_an_order_is_no_incident(tmp_path):
    events = []
    for i in range(60):
        at = T0 + i * 120_000
        events.append((at, *_line(None, None, None, None, db=f"INSERT INTO dinerOrder (dinerId) VALUES ({i})")))
        events.append((at + 150, *_line("POST", "/api/order", 200, {"order": {"id": i}, "jwt": "eyJ"})))
        if i == 30:  # a diner pages through their history half a minute after an order
            events += [(at + 30_000 + k * 1_000, *_line("GET", "/api/order", 200, {"dinerId": 3, "page": k}))
                       for k in range(12)]
    f = analyze([_loki(tmp_path, events)])
    assert not f.incidents


def _loki(tmp_path, events):
    streams = {}
    for at, labels, line in events:
        streams.setdefault(json.dumps(labels, sort_keys=True), []).append([str(at * 1_000_000), line])
    doc = {"status": "success", "data": {"resultType": "streams", "result": [
        {"stream": json.loads(k), "values": v} for k, v in streams.items()]}}
    path = tmp_path / "loki.json"
    path.write_text(json.dumps(doc))
    return str(path)
