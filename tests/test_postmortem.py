"""The Markdown report is a postmortem draft people paste as is: a title naming the cause,
prose times, file names, one document for many incidents, time to detect, an action-item
table, a team's own template, and log text that never becomes structure."""

from __future__ import annotations

import json

import pytest
import regex

from fixtures import generate
from fixtures.generate import Chaos, Event

FIXTURE = "fixtures/chaos-fail/loki-query.json"


def _export(tmp_path, chaos, name="export.json", events=None):
    path = tmp_path / name
    path.write_bytes(generate.loki_query(events or generate.simulate(chaos=chaos, minutes=14)))
    return path


def _section(text: str, name: str) -> str:
    return text.split(f"## {name}\n")[1].split("\n## ")[0].strip("\n")


def test_title_names_the_cause_and_the_day(rca):
    text = rca("analyze", FIXTURE, "-f", "md").stdout
    assert text.splitlines()[0] == "# Pizza factory's chaos (fail) made orders fail — 2025-12-02"


def test_summary_gives_the_window_in_prose_local_first(rca):
    summary = _section(rca("analyze", FIXTURE, "-f", "md", "--tz", "America/Denver").stdout, "Summary")
    assert summary.startswith("2025-12-02 10:35–10:38 MST (17:35–17:38 UTC), 3 min 33 s: 9 of 106 requests")
    assert "T17:35" not in summary


def test_timeline_keeps_exact_stamps_and_one_instant_is_printed_one_way(rca):
    text = rca("analyze", FIXTURE, "-f", "md", "--tz", "America/Denver").stdout
    doc = json.loads(rca("analyze", FIXTURE, "-f", "json").stdout)["incidents"][0]
    timeline = _section(text, "Timeline")
    first = next(line for line in timeline.splitlines() if "first affected request" in line)
    assert first.startswith(f"- **{doc['start']} (2025-12-02 10:35:10.126 MST)**")
    last = next(line for line in timeline.splitlines() if "last affected request" in line)
    assert f"**{doc['end']} " in last
    event = next(e for e in doc["timeline"] if e["event"].startswith("first affected request"))
    assert event["time"] == doc["start"]


def test_inputs_are_named_by_file_name_not_by_the_path_of_the_machine(rca, tmp_path):
    path = _export(tmp_path, [Chaos("fail", 300, 540)], name="orders-export.json")
    text = rca("analyze", str(path.resolve()), "-f", "md").stdout
    assert "`orders-export.json`" in text
    assert str(tmp_path) not in text


def test_time_to_detect_compares_the_alert_with_the_first_failing_response(rca):
    text = rca("analyze", FIXTURE, "-f", "md", "--tz", "America/Denver").stdout
    detection = _section(text, "Detection")
    assert ("Time to detect: the alert below would have fired at 10:35 MST (17:35 UTC), 0 s after the first "
            "affected request at 10:35 MST (17:35 UTC)") in detection
    assert "the alert proposed in Detection would have fired" in _section(text, "Timeline")
    alert = json.loads(rca("analyze", FIXTURE, "-f", "json").stdout)["incidents"][0]["alert"]
    assert alert["logql"].startswith("sum(count_over_time(") and alert["time_to_detect_s"] == 0


def test_a_link_less_incident_gets_an_alert_rule_and_a_time_to_detect(rca, tmp_path):
    path = _export(tmp_path, [Chaos("db-outage", 300, 540)])
    doc = json.loads(rca("analyze", str(path), "-f", "json").stdout)
    assert doc["incidents"] and not any(c["urls"] for c in doc["incidents"][0]["root_causes"])
    alert = doc["incidents"][0]["alert"]
    assert alert["logql"] and alert["time_to_detect_s"] is not None and alert["time_to_detect_s"] >= 0
    assert "```logql" in doc["incidents"][0]["sections"]["Detection"]


def test_action_items_are_a_table_of_drafts(rca):
    items = _section(rca("analyze", FIXTURE, "-f", "md").stdout, "Action items")
    rows = [line for line in items.splitlines() if line.startswith("|")]
    assert rows[0] == "| Item | Owner | Priority | Due |"
    assert rows[2].startswith("| Add the alert rule from Detection") and "| P1 |" in rows[2]
    assert all(line.count("|") == 5 for line in rows)
    assert "- [ ]" not in items


def test_a_team_template_replaces_the_built_in_one(rca, tmp_path):
    template = tmp_path / "ours.md.j2"
    template.write_text("# {{ title | md }}\n{% for i in incidents %}* {{ i.window }} {{ i.affected }} affected\n"
                        "{% endfor %}")
    run = rca("analyze", FIXTURE, "-f", "md", "--template", str(template))
    assert run.code == 0, run.stderr
    assert run.stdout == ("# Pizza factory's chaos (fail) made orders fail — 2025-12-02\n"
                          "* 2025-12-02 17:35–17:38 UTC, 3 min 33 s 9 affected\n")


def test_a_broken_template_is_a_one_line_usage_error(rca, tmp_path):
    template = tmp_path / "broken.md.j2"
    template.write_text("# {{ title }\n{% for i in incidents %}\n")
    run = rca("analyze", FIXTURE, "-f", "md", "--template", str(template))
    assert run.code == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"rca: error: --template {template}: line ") and len(run.stderr.splitlines()) == 1


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_a_template_that_cannot_be_read_says_why_in_one_line(rca, tmp_path, kind):
    template = tmp_path / "ours.md.j2"
    if kind == "folder":
        template.mkdir()
    run = rca("analyze", FIXTURE, "-f", "md", "--template", str(template))
    why = "no such file" if kind == "missing" else "not a regular file"
    assert run.code == 2 and run.stderr == f"rca: error: --template {template}: {why}\n"


def test_the_template_ships_in_the_package():
    from importlib.resources import files

    assert "{{ title | md }}" in files("rca.outputs.templates").joinpath("postmortem.md.j2").read_text()


def test_log_text_in_the_report_never_becomes_markdown_structure(rca, tmp_path):
    hostile = "Chaos monkey\\n## Injected <img src=x onerror=alert(1)> [click](javascript:alert(1)) `x`"
    events = [Event(e.ts_ns, e.labels, e.line.replace("Chaos monkey", hostile))
              for e in generate.simulate(chaos=[Chaos("service-chaos", 300, 540)], minutes=14)]
    text = rca("analyze", str(_export(tmp_path, None, events=events)), "-f", "md").stdout
    assert "Injected" in text
    assert not [line for line in text.splitlines() if line.lstrip().startswith("## Injected")]
    assert "<img" not in text and not regex.search(r"(?<!\\)\]\(javascript:", text)


def test_every_incident_rules_out_the_same_routine_failures_in_the_report_and_the_json(rca, tmp_path):
    path = _export(tmp_path, [Chaos("fail", 120, 300), Chaos("db-outage", 540, 720)])
    doc = json.loads(rca("analyze", str(path), "-f", "json").stdout)
    text = rca("analyze", str(path), "-f", "md").stdout
    assert len(doc["incidents"]) >= 2
    ruled_out = [line for line in text.splitlines() if line.startswith("Not the cause: ")]
    from_json = [line for i in doc["incidents"] for line in i["sections"]["Root cause"].splitlines()
                 if line.startswith("Not the cause: ")]
    assert len(ruled_out) == len(from_json) == len(doc["incidents"])
    assert len(set(ruled_out + from_json)) == 1
    routine = [c["template"] for c in doc["clusters"] if c["routine"]]
    listed = ruled_out[0].removeprefix("Not the cause: ").split(" — these recur")[0].split("; ")
    assert routine and [item.rsplit(" (", 2)[0] for item in listed] == list(dict.fromkeys(routine))


def test_routine_failures_of_one_kind_are_ruled_out_once(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=14)
    labels = {"component": generate.SERVICE, "level": "warn", "type": "http"}
    probes = [Event(events[0].ts_ns + i * 37 * generate.S, labels, json.dumps({
        "authorized": False, "path": path, "method": "GET", "statusCode": 404, "reqBody": "{}",
        "resBody": json.dumps(json.dumps({"message": "unknown endpoint"}))}))
        for i, path in enumerate(["/.env", "/wp-login.php", "/.git/config", "/prod/.env"] * 3)]
    path = _export(tmp_path, None, events=sorted(events + probes, key=lambda e: e.ts_ns))
    text = rca("analyze", str(path), "-f", "md").stdout
    ruled_out = next(line for line in text.splitlines() if line.startswith("Not the cause: "))
    assert ruled_out.count("unknown endpoint (unknown endpoint") == 1


def test_an_incident_still_failing_when_the_export_ends_is_not_said_to_have_ended(tmp_path):
    from rca import analyze, markdown

    text = markdown(analyze([str(_export(tmp_path, [Chaos("fail", 8 * 60, 10**6)]))]))
    summary, resolution = _section(text, "Summary"), _section(text, "Resolution")
    assert "succeeded again" not in summary
    assert "may have gone on past the end of the export" in summary
    assert "first clean success" not in resolution
    assert "do not show that it ended" in resolution


def test_an_incident_that_recovered_keeps_its_resolution_sentence(tmp_path):
    from rca import analyze, markdown

    text = markdown(analyze([str(_export(tmp_path, [Chaos("fail", 5 * 60, 9 * 60)]))]))
    assert "falls between the last affected request and the first clean success" in _section(text, "Resolution")
    assert "past the end of the export" not in _section(text, "Summary")


def test_an_incident_lists_the_routine_signatures_in_its_window_in_the_reports_order():
    from rca.findings.pipeline import analyze
    from rca.outputs.postmortem import context

    f = analyze(["fixtures/chaos-fail/logcli.jsonl"])
    values = context(f)
    for inc, i in zip(values["incidents"], f.incidents, strict=True):
        expected = [{"signature": r["signature"], "count": i.routine_in_window[r["id"]]}
                    for r in values["routine"] if i.routine_in_window.get(r["id"])]
        assert inc["routine_inside"] == expected
    assert any(inc["routine_inside"] for inc in values["incidents"])


def test_routine_signatures_inside_a_window_follow_the_report_not_the_window():
    from types import SimpleNamespace

    from rca.outputs.postmortem import _routine_inside

    routine = [{"id": i, "signature": f"sig {i}"} for i in ("a", "b", "c", "d")]
    at = {"a": [0], "b": [1], "c": [2], "d": [3]}
    window = SimpleNamespace(routine_in_window={"d": 2, "b": 5, "c": 0})
    assert _routine_inside(window, routine, at) == [{"signature": "sig b", "count": 5}, {"signature": "sig d", "count": 2}]
