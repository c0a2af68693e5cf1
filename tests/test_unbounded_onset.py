"""An export that begins while the incident is already failing (Loki's backward limit cut
the oldest lines, or --since clipped them) does not bound its onset: every output says the
incident may have begun earlier instead of passing the first line off as its start."""

from __future__ import annotations

from fixtures import generate
from fixtures.generate import S, Chaos
from rca.findings.pipeline import analyze
from rca.outputs.report import markdown
from rca.outputs.terminal import terminal


def _findings(tmp_path, cut_s: float):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)])
    t0 = events[0].ts_ns
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query([e for e in events if e.ts_ns >= t0 + cut_s * S]))
    return analyze([str(path)])


def test_an_export_that_begins_mid_incident_says_the_onset_may_be_earlier(tmp_path):
    f = _findings(tmp_path, 400)
    assert len(f.incidents) == 1
    assert any("do not bound the onset" in event for _, event in f.incidents[0].timeline)
    summary = markdown(f).split("## Summary\n")[1].split("\n## ")[0]
    assert "the incident may have begun earlier" in summary
    assert "may have begun earlier" in terminal(f)


def test_an_incident_after_a_success_claims_no_unknown_onset(tmp_path):
    f = _findings(tmp_path, 0)
    assert len(f.incidents) == 1
    assert "may have begun earlier" not in markdown(f) + terminal(f)
