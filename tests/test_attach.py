"""rca attach: the Markdown report file, and Grafana IRM notes and annotations against a
loopback fake Grafana with injected failures."""

from __future__ import annotations

import json
import os

import pytest

from fixtures import generate
from fixtures.generate import API_KEY, Chaos
from rca.outputs import reportfile
from tests.fakes.grafana import TOKEN, FakeGrafana

TEMPLATE = """# Incident: YYYY-MM-DD HH-mm-ss

## Summary

Our own words about the incident, written by a person.

## Detection

## Impact

## Timeline

## Response

Alice was paged at 10:40 MST.

## Root cause

## Resolution

## Prevention

## Action items

- [ ] human item
"""


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    path = tmp_path_factory.mktemp("findings") / "findings.json"
    from rca.findings.pipeline import analyze
    from rca.outputs.report import findings_json

    path.write_text(json.dumps(findings_json(analyze(["fixtures/chaos-fail/loki-query.json"]))))
    return path


@pytest.fixture
def grafana():
    with FakeGrafana() as fake:
        yield fake


def _strip_blocks(text: str) -> str:
    import regex

    return regex.sub(r"\n?<!-- rca:begin ([a-z-]+)[^>]*-->.*?<!-- rca:end \1[^>]*-->\n", "", text, flags=regex.DOTALL)


# ------------------------------------------------------------------------------ report file


def test_missing_report_is_created_from_the_template(rca, findings, tmp_path):
    path = tmp_path / "incidentReports" / "incident-1.md"
    run = rca("attach", str(findings), "--report", str(path))
    assert run.code == 0, run.stderr
    text = path.read_text()
    assert text.startswith("# Pizza factory's chaos (fail) made orders fail — 2025-12-02\n")
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == reportfile.SECTIONS
    assert "chaos (fail)" in text and API_KEY not in text


def test_existing_report_gets_drafts_and_keeps_every_human_byte(rca, findings, tmp_path):
    path = tmp_path / "incident-1.md"
    path.write_text(TEMPLATE)
    run = rca("attach", str(findings), "--report", str(path))
    assert run.code == 0, run.stderr
    text = path.read_text()
    assert text.count("<!-- rca:begin ") == 9
    assert _strip_blocks(text) == TEMPLATE
    assert text.index("<!-- rca:begin response") < text.index("Alice was paged")
    assert (tmp_path / "incident-1.md.bak").read_text() == TEMPLATE


def test_attaching_again_leaves_the_file_byte_identical(rca, findings, tmp_path):
    path = tmp_path / "incident-1.md"
    path.write_text(TEMPLATE)
    rca("attach", str(findings), "--report", str(path))
    first = path.read_bytes()
    run = rca("attach", str(findings), "--report", str(path))
    assert run.code == 0
    assert path.read_bytes() == first
    assert "unchanged" in run.stdout


def test_human_edit_inside_a_draft_is_protected(rca, findings, tmp_path):
    path = tmp_path / "incident-1.md"
    rca("attach", str(findings), "--report", str(path))
    edited = path.read_text().replace("2025-12-02 17:35–17:38 UTC", "2025-12-02 17:35–17:38 UTC (checked by Bob)")
    path.write_text(edited)
    run = rca("attach", str(findings), "--report", str(path))
    assert run.code != 0
    assert "Summary" in run.stdout + run.stderr
    assert path.read_text() == edited
    forced = rca("attach", str(findings), "--report", str(path), "--force")
    assert forced.code == 0
    assert "checked by Bob" not in path.read_text()


def test_crlf_report_stays_crlf(rca, findings, tmp_path):
    path = tmp_path / "incident-crlf.md"
    path.write_bytes(TEMPLATE.replace("\n", "\r\n").encode())
    run = rca("attach", str(findings), "--report", str(path))
    assert run.code == 0
    data = path.read_bytes()
    assert b"<!-- rca:begin" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_utf8_bom_is_kept(findings, tmp_path):
    from rca.integrations.attach import attach_report, load_findings, pick_incident

    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + TEMPLATE.encode())
    incident, _ = pick_incident(load_findings([str(findings)], None, False), 0)
    assert attach_report(incident, path, False, False, False).ok
    assert path.read_bytes().startswith(b"\xef\xbb\xbf# Incident")


def test_crash_between_write_and_rename_leaves_the_original_intact(findings, tmp_path, monkeypatch):
    from rca.integrations.attach import attach_report, load_findings, pick_incident

    path = tmp_path / "incident-1.md"
    path.write_text(TEMPLATE)
    incident, _ = pick_incident(load_findings([str(findings)], None, False), 0)

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    outcome = attach_report(incident, path, False, False, False)
    assert not outcome.ok
    assert path.read_text() == TEMPLATE
    assert [p.name for p in tmp_path.iterdir() if "rca-tmp" in p.name] == []


def test_dry_run_prints_the_diff_and_writes_nothing(rca, findings, tmp_path):
    path = tmp_path / "incident-1.md"
    path.write_text(TEMPLATE)
    run = rca("attach", str(findings), "--report", str(path), "--dry-run")
    assert run.code == 0
    assert "+<!-- rca:begin summary" in run.stdout
    assert path.read_text() == TEMPLATE


def test_log_exports_are_analysed_on_the_fly_and_incident_index_is_said(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 120, 300, fix_code="aaaa1111"),
                                      Chaos("fail", 600, 780, fix_code="bbbb2222")], minutes=16)
    export = tmp_path / "export.json"
    export.write_bytes(generate.loki_query(events))
    path = tmp_path / "r.md"
    run = rca("attach", str(export), "--report", str(path), "--incident-index", "1")
    assert run.code == 0, run.stderr
    assert "2 incidents" in run.stderr and "incident 1" in run.stderr
    assert "bbbb2222" in path.read_text()


# ------------------------------------------------------------------------------- Grafana


def _notes(fake):
    return [item for items in fake.state.activity.values() for item in items]


def test_notes_reach_the_incident_once_back_dated_with_auth_and_redaction(rca, findings, grafana):
    grafana.state.incidents["42"] = {"incidentID": "42", "title": "Orders failing", "status": "active"}
    env = {"GRAFANA_TOKEN": TOKEN}
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "42", env=env)
    assert run.code == 0, run.stderr + run.stdout
    notes = _notes(grafana)
    assert len(notes) >= 5
    times = [n["eventTime"] for n in notes]
    assert "2025-12-02T17:35:10.126Z" in times and all(t.startswith("2025-12-02T17:") for t in times)
    assert any("Root cause" in n["body"] and "/report/k3q9z7mf" in n["body"] for n in notes)
    assert all(API_KEY not in n["body"] for n in notes)
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for _, _, h, _ in grafana.state.requests)
    assert TOKEN not in run.stdout + run.stderr
    again = rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "42", env=env)
    assert again.code == 0
    assert len(_notes(grafana)) == len(notes)
    assert "0 notes posted" in again.stdout


def test_retrospective_incident_is_created_once(rca, findings, grafana):
    env = {"GRAFANA_TOKEN": TOKEN}
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--create-incident", env=env)
    assert run.code == 0, run.stderr + run.stdout
    (incident,) = grafana.state.incidents.values()
    assert incident["status"] == "resolved"
    assert incident["incidentStart"] == "2025-12-02T17:35:10.126Z"
    assert incident["incidentEnd"] == "2025-12-02T17:38:43.193Z"
    rca("attach", str(findings), "--grafana-url", grafana.url, "--create-incident", env=env)
    assert len(grafana.state.incidents) == 1


def test_plugin_id_falls_back_to_the_incident_app(rca, findings, grafana):
    grafana.state.irm_plugins = ("grafana-incident-app",)
    grafana.state.incidents["7"] = {"incidentID": "7", "title": "x", "status": "active"}
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "7",
              env={"GRAFANA_TOKEN": TOKEN})
    assert run.code == 0, run.stdout
    assert _notes(grafana)


def test_token_from_a_file(rca, findings, grafana, tmp_path):
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", "--token-file", str(token))
    assert run.code == 0, run.stdout + run.stderr


def test_401_is_a_clear_error(rca, findings, grafana):
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", env={"GRAFANA_TOKEN": "wrong"})
    assert run.code == 1
    assert "rejected the token" in run.stdout
    assert "wrong" not in run.stdout + run.stderr


def test_429_and_500_are_retried(rca, findings, grafana):
    grafana.state.fail = {"/api/annotations": [429, 500]}
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", env={"GRAFANA_TOKEN": TOKEN})
    assert run.code == 0, run.stdout
    assert len(grafana.state.annotations) == 1


def test_annotation_marks_the_window_once(rca, findings, grafana):
    env = {"GRAFANA_TOKEN": TOKEN}
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", "--dashboard-uid", "pizza", env=env)
    assert run.code == 0
    (note,) = grafana.state.annotations
    assert (note["time"], note["timeEnd"]) == (1764696910126, 1764697123193)
    assert "rca" in note["tags"] and "pizza-factory" in note["tags"] and note["dashboardUID"] == "pizza"
    assert any(t.startswith("sig-") for t in note["tags"])
    assert API_KEY not in note["text"]
    rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", env=env)
    assert len(grafana.state.annotations) == 1


def test_partial_failure_exits_4_and_says_what_was_attached(rca, findings, grafana, tmp_path):
    path = tmp_path / "r.md"
    run = rca("attach", str(findings), "--report", str(path), "--grafana-url", grafana.url, "--annotate",
              env={"GRAFANA_TOKEN": "wrong"})
    assert run.code == 4
    assert "ok  report" in run.stdout and "FAILED  grafana annotation" in run.stdout
    assert path.exists()


def test_dry_run_prints_requests_without_the_token_and_changes_nothing(rca, findings, grafana):
    grafana.state.incidents["42"] = {"incidentID": "42", "title": "x", "status": "active"}
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "42", "--annotate",
              "--dry-run", env={"GRAFANA_TOKEN": TOKEN})
    assert run.code == 0, run.stdout
    assert "POST " + grafana.url + "/api/annotations" in run.stdout
    assert "AddActivity" in run.stdout and "Bearer ****" in run.stdout
    assert TOKEN not in run.stdout
    assert grafana.state.annotations == [] and _notes(grafana) == []


def test_no_target_is_a_usage_error(rca, findings):
    run = rca("attach", str(findings))
    assert run.code == 2
    assert "nothing to attach" in run.stderr


def test_an_annotation_answered_without_an_id_is_not_reported_as_added(rca, findings, grafana):
    grafana.state.answers_without_ids = True
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", env={"GRAFANA_TOKEN": TOKEN})
    assert run.code != 0 and "Traceback" not in run.stderr
    assert "not confirmed as added" in run.stdout and "annotation added" not in run.stdout


def test_a_new_incident_answered_without_an_id_gets_no_notes(rca, findings, grafana):
    grafana.state.answers_without_ids = True
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--create-incident", env={"GRAFANA_TOKEN": TOKEN})
    assert run.code != 0 and "Traceback" not in run.stderr
    assert "not confirmed as created" in run.stdout
    assert not any("AddActivity" in path or "UpdateIncidentEventTime" in path for _, path, _, _ in grafana.state.requests)


def test_a_dry_run_after_an_attach_says_no_note_would_be_posted_again(rca, findings, grafana):
    grafana.state.incidents["42"] = {"incidentID": "42", "title": "Orders failing", "status": "active"}
    env = {"GRAFANA_TOKEN": TOKEN}
    rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "42", env=env)
    posted = len(_notes(grafana))
    run = rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "42", "--annotate",
              "--dry-run", env=env)
    assert run.code == 0, run.stdout
    assert "AddActivity" not in run.stdout and f"0 notes would be posted, {posted} already there" in run.stdout
    assert "posted," not in run.stdout.replace("would be posted,", "") and "annotation added" not in run.stdout
    assert len(_notes(grafana)) == posted


@pytest.mark.parametrize("fence", ["```md", "~~~", "````"])
def test_a_heading_inside_a_code_fence_is_not_the_sections_heading(fence):
    closing = fence.rstrip("md")
    text = (f"# Incident\n\nHow we write reports:\n\n{fence}\n## Timeline\n\n- 17:35 first failure\n{closing}\n\n"
            "## Timeline\n\n- our own line\n")
    new = reportfile.fill(text, {"Timeline": "- drafted"}, "\n").text
    fenced = new[new.index(fence):new.index(closing, new.index(fence) + len(fence))]
    assert "rca:begin" not in fenced
    assert new.index("<!-- rca:begin timeline") > new.rindex("## Timeline")
    assert _strip_blocks(new) == text


@pytest.fixture(scope="module")
def phishing_findings(tmp_path_factory):
    """A service whose failures say 'see [docs](https://evil.example/login)': log text, not a
    link anyone vetted."""
    folder = tmp_path_factory.mktemp("phishing")
    message = "Payment failed, see [docs](https://evil.example/login) <img src=x onerror=alert(1)>"
    rows = []
    for i in range(60):
        status = 500 if 20 <= i < 35 else 200
        body = {"message": message} if status == 500 else {"ok": True}
        line = {"path": "/api/pay", "method": "POST", "statusCode": status, "resBody": json.dumps(body)}
        rows.append(json.dumps({"labels": {"component": "pay-service", "type": "http"}, "line": json.dumps(line),
                                "timestamp": f"2025-12-02T17:{i // 6:02d}:{i % 6 * 10:02d}.000Z"}))
    export = folder / "export.jsonl"
    export.write_text("\n".join(rows) + "\n")
    from rca.findings.pipeline import analyze
    from rca.outputs.report import findings_json

    path = folder / "findings.json"
    path.write_text(json.dumps(findings_json(analyze([str(export)]))))
    return path


def test_log_text_in_irm_notes_and_annotations_never_carries_a_link(rca, phishing_findings, grafana):
    """IRM parses the URLs in a note's body and attaches them to the incident as context."""
    grafana.state.incidents["42"] = {"incidentID": "42", "title": "Payments failing", "status": "active"}
    run = rca("attach", str(phishing_findings), "--grafana-url", grafana.url, "--incident-id", "42", "--annotate",
              env={"GRAFANA_TOKEN": TOKEN})
    assert run.code == 0, run.stderr + run.stdout
    texts = [n["body"] for n in _notes(grafana)] + [a["text"] for a in grafana.state.annotations]
    assert any("Payment failed" in text for text in texts)
    assert not [text for text in texts if "https://evil.example" in text or "<img" in text]


@pytest.mark.parametrize(("change", "named"), [
    (lambda i: i.pop("id"), "id"),
    (lambda i: i.pop("impact"), "impact"),
    (lambda i: i.update(start=5), "start"),
    (lambda i: i.update(root_causes="x"), "root_causes"),
    (lambda i: i.update(timeline=[{"time": "2025-12-02T17:35:10.126Z"}]), "timeline"),
    (lambda i: i.update(sections=["Summary"]), "sections"),
    (lambda i: i.update(sections={"Summary": 5}), "sections"),
], ids=["no id", "no impact", "start a number", "root causes a string", "timeline event missing",
        "sections a list", "a section a number"])
def test_a_hand_edited_findings_json_rca_cannot_attach_is_one_line_naming_the_field(rca, findings, tmp_path,
                                                                                     change, named):
    doc = json.loads(findings.read_text())
    change(doc["incidents"][0])
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    for target in (["--report", str(tmp_path / "incident.md")],
                   ["--grafana-url", "http://127.0.0.1:9", "--incident-id", "1", "--annotate", "--dry-run"]):
        run = rca("attach", str(edited), *target)
        assert run.code == 2, (target, run.stderr, run.stdout)
        assert run.stderr.count("\n") == 1 and named in run.stderr and "internal error" not in run.stderr
    assert not (tmp_path / "incident.md").exists()


def test_an_incident_without_times_gets_no_annotation_and_says_why(rca, tmp_path):
    line = json.dumps({"path": "/api/order", "method": "POST", "statusCode": 500,
                       "resBody": json.dumps({"message": "Failed to fulfill order at factory",
                                              "followLinkToEndChaos": generate.Chaos("fail", 0, 1).url})})
    export = tmp_path / "pasted.jsonl"
    export.write_text((line + "\n") * 4)
    run = rca("attach", str(export), "--grafana-url", "http://127.0.0.1:9", "--annotate", "--dry-run")
    assert "internal error" not in run.stderr, run.stderr
    assert run.code != 0 and "FAILED  grafana annotation" in run.stdout and "no times" in run.stdout


def test_attaching_to_grafana_without_a_token_says_which_variable_to_set(rca, findings):
    run = rca("attach", str(findings), "--grafana-url", "http://127.0.0.1:9", "--annotate", env={"GRAFANA_TOKEN": ""})
    assert run.code == 2
    assert "set GRAFANA_TOKEN or pass --token-file" in run.stderr and "****" not in run.stderr


_LOGGED_SECRETS = {
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG5fRG9lIn0"
           ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "api key": "sk_live_abcdef1234567890abcd",
}


@pytest.mark.parametrize("kind", sorted(_LOGGED_SECRETS))
def test_notes_and_annotations_mask_a_secret_the_logs_quote_before_escaping_it(kind):
    """Escaping for Markdown writes '_' as '\\_': masked after, a token with an underscore
    no longer looked like one and went to Grafana whole or in part."""
    from rca.integrations.attach import annotation_for, notes_for

    secret = _LOGGED_SECRETS[kind]
    said = f"upstream said Authorization: Bearer {secret}" if kind == "jwt" else f"retry with api_key={secret}"
    incident = {"id": "INC-1", "start": "2025-12-02T17:35:00.000Z", "end": "2025-12-02T17:38:00.000Z",
                "impact": {"affected_requests": 3}, "root_causes": [{"confidence": 0.9, "summary": said, "urls": [],
                                                                    "component": "x", "clusters": []}],
                "timeline": [{"time": "2025-12-02T17:35:00.000Z", "event": said}]}
    texts = [body for _, body, _ in notes_for(incident, reveal=False)]
    texts.append(annotation_for(incident, None, reveal=False)["text"])
    tail = secret[-8:]
    assert not [t for t in texts if tail in t or tail.replace("_", "\\_") in t]


def test_notes_of_an_incident_without_times_leave_the_event_time_out_and_say_so(rca, grafana, tmp_path):
    """IRM reads an absent eventTime as now; null is no RFC 3339 time. The note's window says
    the export held no times instead of 'None .. None'."""
    line = json.dumps({"path": "/api/order", "method": "POST", "statusCode": 500,
                       "resBody": json.dumps({"message": "Failed to fulfill order at factory",
                                              "followLinkToEndChaos": generate.Chaos("fail", 0, 1).url})})
    export = tmp_path / "pasted.jsonl"
    export.write_text((line + "\n") * 4)
    grafana.state.incidents["42"] = {"incidentID": "42", "title": "Orders failing", "status": "active"}
    run = rca("attach", str(export), "--grafana-url", grafana.url, "--incident-id", "42",
              env={"GRAFANA_TOKEN": TOKEN})
    assert run.code == 0, run.stderr + run.stdout
    notes = _notes(grafana)
    assert notes and all("eventTime" not in n for n in notes)
    root = next(n["body"] for n in notes if "Root cause" in n["body"])
    assert "None" not in root and "time not in the export" in root
