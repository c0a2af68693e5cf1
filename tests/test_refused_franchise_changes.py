"""Traffic scripts and peer penetration tests ask to create franchises and stores as users
who may not (isaaclewis5001's and frozenfrank's scripts POST /api/franchise every 15 s): the
service refuses with 403 "unable to create a franchise". Refusing a request it must refuse is
the service working, so these are routine failures, never an incident, in a trickle or a run."""

from __future__ import annotations

import json

import pytest

from fixtures import generate
from rca import analyze


def _refusal(t_ns: int, what: str, n: int) -> generate.Event:
    labels = {"component": generate.SERVICE, "level": "warn", "type": "http"}
    method, path = ("DELETE", f"/api/franchise/{n}") if what.startswith("delete") else ("POST", "/api/franchise")
    return generate.Event(t_ns, labels, json.dumps({
        "authorized": True, "path": path, "method": method, "statusCode": 403,
        "reqBody": json.dumps({"name": f"pizzaPocket{n}", "admins": [{"email": "f@jwt.com"}]}),
        "resBody": json.dumps(json.dumps({"message": f"unable to {what}"}))}))


def _export(tmp_path, refusals: list[generate.Event], chaos=()) -> str:
    events = sorted(generate.simulate(chaos=list(chaos)) + refusals, key=lambda e: e.ts_ns)
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return str(path)


@pytest.mark.parametrize("what", ["create a franchise", "delete a franchise", "create a store"])
def test_a_run_of_refused_franchise_changes_on_a_healthy_export_is_no_incident(tmp_path, what):
    t0 = generate.simulate()[0].ts_ns + 4 * 60 * generate.S
    export = _export(tmp_path, [_refusal(t0 + i * 15 * generate.S, what, i) for i in range(6)])
    findings = analyze([export])
    assert findings.incidents == []
    assert any(c.routine and c.status == 403 for c in findings.clusters)


def test_refused_franchise_changes_during_chaos_are_not_counted_as_affected(tmp_path):
    chaos = generate.CHAOS_FAIL
    t0 = generate.simulate()[0].ts_ns + (chaos[0].start_s + 30) * generate.S
    refusals = [_refusal(int(t0 + i * 15 * generate.S), "create a franchise", i) for i in range(6)]
    with_refusals = analyze([_export(tmp_path, refusals, chaos)]).incidents
    without = analyze([_export(tmp_path, [], chaos)]).incidents
    assert [i.incident.affected_requests for i in with_refusals] == [i.incident.affected_requests for i in without]
