"""rca analyze on generated JWT Pizza exports: each chaos kind, the service's own switch, a
database outage, a healthy day, two windows, a logged resolution, a logger that lost the
bodies, and loggers from other eras. Each checks window (±5 s), affected requests, top cause
and URL against what the simulator actually did."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from fixtures import generate
from fixtures.generate import API_KEY, Chaos, Style
from rca.findings.pipeline import analyze
from rca.outputs.report import findings_json, markdown

S = 1_000_000_000


def _export(tmp_path, events, name="export.json"):
    path = tmp_path / name
    path.write_bytes(generate.loki_query(events))
    return str(path)


def _affected(events, predicate):
    rows = [e for e in events if e.labels["type"] == "http" and predicate(e.line)]
    return rows


def _check_window(incident, rows):
    assert abs(incident.start_ns - rows[0].ts_ns) <= 5 * S
    assert abs(incident.end_ns - rows[-1].ts_ns) <= 5 * S


def _scenario(tmp_path, chaos=(), style=generate.REFERENCE, minutes=12):
    events = generate.simulate(chaos=list(chaos), style=style, minutes=minutes)
    return events, analyze([_export(tmp_path, events)])


def test_factory_fail_chaos(tmp_path):
    chaos = Chaos("fail", 300, 540)
    events, f = _scenario(tmp_path, [chaos])
    rows = _affected(events, lambda line: "followLinkToEndChaos" in line)
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    _check_window(inc, rows)
    assert inc.affected_requests == len(rows)
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("pizza-factory", "failing responses")
    assert top.urls == [chaos.url]
    assert inc.recovery_ns is not None and inc.recovery_ns > inc.end_ns


def test_factory_badjwt_chaos_has_no_errors_but_is_found(tmp_path):
    chaos = Chaos("badjwt", 300, 540)
    events, f = _scenario(tmp_path, [chaos])
    rows = _affected(events, lambda line: "followLinkToEndChaos" in line)
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    _check_window(inc, rows)
    assert inc.affected_requests == len(rows)
    assert inc.failed_requests == 0
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("pizza-factory", "invalid JWTs")
    assert top.urls == [chaos.url]


def test_factory_throttle_chaos_is_latency(tmp_path):
    chaos = Chaos("throttle", 300, 540)
    events, f = _scenario(tmp_path, [chaos])
    rows = _affected(events, lambda line: "followLinkToEndChaos" in line)
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    _check_window(inc, rows)
    assert inc.affected_requests == len(rows)
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("pizza-factory", "latency")
    assert top.urls == [chaos.url]


def test_service_own_chaos_switch_is_not_the_factory(tmp_path):
    events, f = _scenario(tmp_path, [Chaos("service-chaos", 300, 540)])
    rows = _affected(events, lambda line: "Chaos monkey" in line)
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    _check_window(inc, rows)
    assert inc.affected_requests == len(rows)
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("jwt-pizza-service", "chaos switch")
    assert top.urls == []


def test_database_outage(tmp_path):
    events, f = _scenario(tmp_path, [Chaos("db-outage", 300, 540)])
    rows = _affected(events, lambda line: "ECONNREFUSED" in line)
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    _check_window(inc, rows)
    assert inc.affected_requests == len(rows)
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("database", "unreachable")


def test_healthy_day_with_only_routine_failures_has_no_incident(tmp_path):
    events, f = _scenario(tmp_path, [], minutes=20)
    assert f.incidents == []
    routine = {c.template for c in f.clusters if c.routine}
    assert "unknown user" in routine
    assert any("Failed to fulfill order at factory" in t for t in routine)
    assert all(c.routine for c in f.clusters)


def test_two_chaos_windows_with_different_fix_codes_are_two_incidents(tmp_path):
    first, second = Chaos("fail", 120, 300, fix_code="aaaa1111"), Chaos("fail", 600, 780, fix_code="bbbb2222")
    events, f = _scenario(tmp_path, [first, second], minutes=16)
    assert len(f.incidents) == 2
    for found, chaos in zip(f.incidents, [first, second], strict=True):
        rows = _affected(events, lambda line, c=chaos: c.fix_code in line)
        _check_window(found.incident, rows)
        assert found.incident.affected_requests == len(rows)
        assert found.causes[0].urls == [chaos.url]


def test_logged_resolution_is_reported(tmp_path):
    chaos = Chaos("fail", 300, 540, resolved_by_log=True)
    events, f = _scenario(tmp_path, [chaos])
    inc = f.incidents[0].incident
    assert inc.resolution is not None
    assert "Problem resolved" in inc.resolution[1]
    fix = next(e for e in events if "Problem resolved" in e.line)
    assert inc.resolution[0] == fix.ts_ns


def test_logger_that_lost_bodies_invents_no_url(tmp_path):
    events, f = _scenario(tmp_path, [Chaos("fail", 300, 540)], style=Style(lost_bodies=True))
    assert len(f.incidents) == 1
    top = f.incidents[0].causes[0]
    assert top.urls == []
    assert [u for u in f.urls if u.role == "remediation"] == []
    assert top.confidence < 0.5
    assert "body" in top.summary or "bodies" in top.summary
    # Oversize orders fail the same way before and after; the window is the chaos alone.
    chaos_rows = [e for e in events if e.labels["type"] == "factory" and '"status":500' in e.line]
    _check_window(f.incidents[0].incident, chaos_rows)


@pytest.mark.parametrize(
    "style",
    [Style(req_path=True), Style(all_info=True), Style(link_key="reportUrl"),
     Style(link_key="reportPizzaCreationErrorToPizzaFactoryUrl")],
    ids=["path-slash", "all-info", "old-key-reportUrl", "old-key-2024-12"],
)
def test_other_logger_shapes_find_the_same_incident(style, tmp_path):
    chaos = Chaos("fail", 300, 540)
    events, f = _scenario(tmp_path, [chaos], style=style)
    rows = _affected(events, lambda line: "/report/" in line and '"statusCode":500' in line)
    assert len(f.incidents) == 1
    _check_window(f.incidents[0].incident, rows)
    assert f.incidents[0].incident.affected_requests == len(rows)
    assert f.incidents[0].causes[0].urls == [chaos.url]


def test_older_autograder_url_form(tmp_path):
    chaos = Chaos("fail", 300, 540, fix_code="9c1e4b7a2d0f4e6b8a3c5d7e9f1a2b3c", autograder_url=True)
    events, f = _scenario(tmp_path, [chaos], style=Style(link_key="reportUrl"))
    assert len(f.incidents) == 1
    assert f.incidents[0].causes[0].urls == [chaos.url]
    assert [u.url for u in f.urls if u.role == "remediation"] == [chaos.url]


def test_markdown_has_every_section_in_template_order_and_no_secret(tmp_path):
    _, f = _scenario(tmp_path, [Chaos("fail", 300, 540)])
    text = markdown(f)
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["Summary", "Detection", "Impact", "Timeline", "Response", "Root cause",
                        "Resolution", "Prevention", "Action items"]
    assert text.startswith("# Pizza factory's chaos (fail) made orders fail — 2025-12-02\n")
    assert API_KEY not in text
    assert "eyJ" not in text and "deadxe" not in text
    assert "/report/k3q9z7mf" in text


def test_detection_proposes_an_alert_that_spares_routine_failures(tmp_path):
    _, f = _scenario(tmp_path, [Chaos("fail", 300, 540)])
    alert = f.incidents[0].alert
    assert alert is not None and "count_over_time" in alert
    token = alert.split('|= "')[1].split('"')[0]
    routine_examples = [e for c in f.clusters if c.routine for e in c.examples]
    assert routine_examples and all(token not in e for e in routine_examples)


def test_json_validates_against_the_shipped_schema_and_hides_secrets(tmp_path):
    _, f = _scenario(tmp_path, [Chaos("badjwt", 300, 540)])
    doc = findings_json(f)
    schema = json.loads(resources.files("rca.outputs.schemas").joinpath("findings-1.schema.json").read_text())
    jsonschema.validate(doc, schema)
    text = json.dumps(doc)
    assert API_KEY not in text and "deadxe" not in text
    assert findings_json(f, reveal=True)["incidents"][0]["root_causes"][0]["urls"][0].count(API_KEY) == 1


def test_signature_ids_are_stable_across_runs_and_input_order(tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)])
    a = analyze([_export(tmp_path, events, "a.json")])
    path = tmp_path / "b.jsonl"
    path.write_bytes(generate.logcli_jsonl(list(reversed(events))))
    b = analyze([str(path)])
    assert sorted(c.id for c in a.clusters) == sorted(c.id for c in b.clusters)


def test_terminal_summary_shows_the_link_in_full_when_secrets_are_revealed(rca):
    run = rca("analyze", "fixtures/chaos-fail/loki-query.json", "--tz", "America/Denver", "--reveal-secrets")
    assert run.code == 0
    assert f"follow    https://pizza-factory.cs329.click/api/support/{API_KEY}/report/k3q9z7mf\n" in run.stdout
    assert "MST" in run.stdout
    assert "Routine failures set aside" in run.stdout


def test_unknown_time_zone_is_a_usage_error(rca):
    run = rca("analyze", "fixtures/chaos-fail/loki-query.json", "--tz", "Mars/Olympus")
    assert run.code == 2
    assert "unknown time zone" in run.stderr and "Traceback" not in run.stderr


def test_gap_in_traffic_inside_the_window_is_noted(tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)])
    t0 = events[0].ts_ns
    paused = [e for e in events if not (t0 + 380 * S <= e.ts_ns <= t0 + 470 * S)]
    f = analyze([_export(tmp_path, paused)])
    assert len(f.incidents) == 1
    assert f.incidents[0].incident.gaps
    assert any("no requests logged" in event for _, event in f.incidents[0].timeline)


def test_two_incidents_are_one_document_with_a_section_each(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 120, 300, fix_code="aaaa1111"),
                                      Chaos("badjwt", 600, 780, fix_code="bbbb2222")], minutes=16)
    path = _export(tmp_path, events)
    out = tmp_path / "report.md"
    run = rca("analyze", path, "-f", "md", "-o", str(out))
    assert run.code == 0
    text = out.read_text()
    assert [line for line in text.splitlines() if line.startswith("# ")] == [
        "# 2 incidents: Pizza factory's chaos (fail) made orders fail; "
        "Pizza factory's chaos (badjwt) returned invalid pizza JWTs — 2025-12-02"]
    incidents = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h.split(":")[0] for h in incidents] == ["## Incident 1", "## Incident 2"]
    assert text.count("### Root cause") == 2 and "\n## Root cause" not in text


def test_no_incident_markdown_names_the_routine_failures(tmp_path):
    events = generate.simulate(minutes=15)
    text = markdown(analyze([_export(tmp_path, events)]))
    assert text.startswith("# No incident found")
    assert "unknown user" in text


def test_orders_suddenly_30_seconds_slower_without_a_link_are_an_incident(tmp_path):
    events = generate.simulate(chaos=[Chaos("throttle", 300, 540)])
    # A logger that masks the link: strip it from every line.
    stripped = [generate.Event(e.ts_ns, e.labels, e.line.replace(Chaos("throttle", 0, 0).url, "*****"))
                for e in events]
    f = analyze([_export(tmp_path, stripped)])
    assert len(f.incidents) == 1
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("pizza-factory", "latency")
    assert top.urls == []


@pytest.mark.parametrize("restyle", [generate.as_nested_payload, generate.as_flat_status_labels,
                                     generate.as_category_in_level],
                         ids=["nested-payload-event-labels", "status-labels-always-info", "category-in-level"])
def test_other_label_and_field_vocabularies_find_the_same_incident(restyle, tmp_path):
    chaos = Chaos("fail", 300, 540)
    events = restyle(generate.simulate(chaos=[chaos]))
    f = analyze([_export(tmp_path, events)])
    assert len(f.incidents) == 1
    rows = [e for e in events if "followLinkToEndChaos" in e.line]
    _check_window(f.incidents[0].incident, rows)
    assert f.incidents[0].incident.affected_requests == len(rows)
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind, top.urls) == ("pizza-factory", "failing responses", [chaos.url])
    assert all(c.routine for c in f.clusters if not c.has_link)


def test_summary_claims_only_what_the_logs_show(tmp_path):
    chaos = Chaos("fail", 300, 540)
    events = [e for e in generate.simulate(chaos=[chaos]) if e.labels["type"] != "factory"]
    f = analyze([_export(tmp_path, events)])
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind, top.urls) == ("pizza-factory", "failing responses", [chaos.url])
    assert "chaos monkey" not in top.summary
    with_factory = analyze([_export(tmp_path, generate.simulate(chaos=[chaos]), "full.json")])
    assert "chaos monkey" in with_factory.incidents[0].causes[0].summary


def test_alert_for_lost_bodies_is_a_threshold_above_the_routine_rate(tmp_path):
    events, f = _scenario(tmp_path, [Chaos("fail", 300, 540)], style=Style(lost_bodies=True))
    alert = f.incidents[0].alert
    assert alert is not None and '\\"statusCode\\":500' in alert
    assert int(alert.rsplit(">", 1)[1]) >= 1  # oversize orders fail the same way at a lower rate


def test_an_incident_counts_the_routine_signatures_seen_in_its_window_and_no_others():
    findings = analyze(["fixtures/chaos-fail/logcli.jsonl"])
    ts = findings.ingested.table.column("ts_ns").to_numpy()
    routine = [c for c in findings.clusters if c.routine]
    for r in findings.incidents:
        inside = {c.id: int(((ts[c.rows] >= r.incident.start_ns) & (ts[c.rows] <= r.incident.end_ns)).sum())
                  for c in routine}
        assert r.routine_in_window == {k: n for k, n in inside.items() if n}
        assert len(r.routine_in_window) < len(routine)
