"""Every incident has an id of its own, so `rca show --incident ID` names exactly one."""

from types import SimpleNamespace

from rca.findings.pipeline import incident_ids

START = 1_764_696_910_126_000_000  # 2025-12-02T17:35:10.126Z


def test_incidents_starting_in_the_same_second_get_distinct_ids():
    same = [SimpleNamespace(start_ns=START, index=0), SimpleNamespace(start_ns=START + 500_000_000, index=1)]
    assert incident_ids(same) == ["inc-20251202T173510", "inc-20251202T173510-2"]


def test_an_incident_alone_in_its_second_keeps_the_plain_id():
    apart = [SimpleNamespace(start_ns=START, index=0), SimpleNamespace(start_ns=START + 60 * 10**9, index=1)]
    assert incident_ids(apart) == ["inc-20251202T173510", "inc-20251202T173610"]
