"""The responders' own requests — GETs of the report link and the factory's answers — are
attempts to end an incident, shown in its timeline with their outcome; never an incident,
never affected requests, and a refused link is never the link to follow."""

from __future__ import annotations

from fixtures import generate
from fixtures.generate import Chaos
from rca.findings.pipeline import analyze
from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal

S = 1_000_000_000
RESOLVED = "Problem resolved. Pizza is back on the menu!"


def _run(tmp_path, chaos, extra, minutes=14):
    events = generate.simulate(chaos=[chaos], minutes=minutes)
    t0 = events[0].ts_ns
    events = sorted(events + [make(t0) for make in extra], key=lambda e: e.ts_ns)
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return events, analyze([str(path)])


def _mistyped(chaos: Chaos) -> str:
    return chaos.url.replace(chaos.fix_code, "zz" + chaos.fix_code[2:])


def _followed(text: str, link: str) -> bool:
    """Whether the terminal offers `link` as the link to follow."""
    return any(line.split()[:1] == ["follow"] and link in line for line in text.splitlines())


def _chaos_rows(events, chaos):
    return [e for e in events if e.labels["type"] == "http" and chaos.fix_code in e.line]


def test_a_mistyped_fix_code_after_the_fix_is_not_a_second_incident(tmp_path):
    chaos = Chaos("fail", 300, 540, resolved_by_log=True)
    bad = _mistyped(chaos)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 600 * S, bad, 400, "Problem unresolved")])
    assert len(f.incidents) == 1
    assert [a.outcome for a in f.incidents[0].incident.attempts] == ["resolved", "rejected"]


def test_responder_requests_are_not_affected_requests(tmp_path):
    chaos = Chaos("fail", 300, 540, resolved_by_log=True)
    bad = _mistyped(chaos)
    events, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 400 * S, bad, 400, "Problem unresolved")])
    inc = f.incidents[0].incident
    assert inc.affected_requests == len(_chaos_rows(events, chaos))
    assert all(not c.template.startswith("Problem") for c in f.clusters)


def test_a_refused_link_is_never_offered_as_the_link_to_follow(tmp_path):
    chaos = Chaos("fail", 300, 540)
    bad = _mistyped(chaos)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 420 * S, bad, 400, "Problem unresolved")])
    assert f.incidents[0].causes[0].urls == [chaos.url]
    refused = [u for u in f.urls if u.refused]
    assert [u.url for u in refused] == [bad]
    assert not _followed(terminal(f, width=400), bad)


def test_the_incidents_own_link_refused_and_never_accepted_is_not_offered(tmp_path):
    chaos = Chaos("fail", 300, 540)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 560 * S, chaos.url, 400, "Problem unresolved")])
    assert len(f.incidents) == 1
    assert f.incidents[0].causes[0].urls == []
    text = terminal(f, width=400)
    assert not _followed(text, chaos.url)
    assert "rejected: this link does not end the incident" in text


def test_resolution_attempts_are_timeline_events_with_their_outcome(tmp_path):
    chaos = Chaos("fail", 300, 540, resolved_by_log=True)
    bad = _mistyped(chaos)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 420 * S, bad, 400, "Problem unresolved")])
    events = [e for _, e in f.incidents[0].timeline]
    assert any(e.startswith("resolution attempt:") and "400 \"Problem unresolved\"" in e and "rejected" in e
               for e in events)
    assert any(e.startswith("resolution:") and RESOLVED in e for e in events)
    assert "Problem unresolved" in markdown(f).split("## Resolution")[1]


def test_no_chaos_running_answer_is_an_attempt_not_the_resolution(tmp_path):
    chaos = Chaos("fail", 300, 540)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 600 * S, chaos.url, 200,
                                                                      "No chaos currently executing")])
    inc = f.incidents[0].incident
    assert inc.resolution is None
    assert [a.outcome for a in inc.attempts] == ["no chaos running"]
    assert f.incidents[0].causes[0].urls == [chaos.url]


def test_a_request_to_the_link_with_no_logged_answer_is_still_an_attempt(tmp_path):
    chaos = Chaos("fail", 300, 540)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 541 * S, chaos.url, 200, None)])
    assert len(f.incidents) == 1
    assert [a.outcome for a in f.incidents[0].incident.attempts] == ["answer not logged"]


def test_refused_links_are_marked_in_the_json(tmp_path):
    chaos = Chaos("fail", 300, 540)
    bad = _mistyped(chaos)
    _, f = _run(tmp_path, chaos, [lambda t0: generate.support_request(t0 + 420 * S, bad, 400, "Problem unresolved")])
    doc = findings_json(f, reveal=True)
    assert {u["url"]: u["refused"] for u in doc["urls"] if u["role"] == "remediation"} == {chaos.url: False, bad: True}
