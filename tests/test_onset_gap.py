"""A traffic script that stopped before the chaos began hides the onset: the silence between
the last success and the first failure is reported as a gap, so the report does not pass
the first failure off as the start of the outage."""

from __future__ import annotations

from fixtures import generate
from fixtures.generate import S, Chaos
from rca.findings.pipeline import analyze


def test_silence_before_the_first_failure_is_reported_as_a_gap(tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)])
    t0 = events[0].ts_ns
    stopped = [e for e in events if not (t0 + 200 * S <= e.ts_ns <= t0 + 330 * S)]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(stopped))
    found = analyze([str(path)]).incidents
    assert len(found) == 1
    first_failure = found[0].incident.start_ns
    assert [(a, b) for a, b in found[0].incident.gaps if b <= first_failure]
    gap_notes = [t for t, event in found[0].timeline if "no requests logged" in event]
    assert gap_notes and min(gap_notes) < first_failure
