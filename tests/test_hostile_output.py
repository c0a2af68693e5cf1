"""Hostile log text cannot become report structure, a link, or terminal control, and no
planted secret reaches any channel rca writes to.

Every byte of a log is written by whoever can reach the service: the exports here are the
simulated JWT Pizza traffic with the chaos failures' messages, links and labels replaced by
an attacker's text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from fixtures import generate
from fixtures.generate import CHAOS_FAIL
from rca.findings.pipeline import analyze
from rca.outputs.report import SECTIONS, findings_json, markdown
from rca.outputs.terminal import terminal

PERSON_REPORT = """# Incident: 2025-12-02

## Summary

Our own words, written by a person.

## Detection

## Impact

## Timeline

## Response

Alice was paged at 10:40 MST and restarted the factory client.

## Root cause

## Resolution

## Prevention

Bob's note: add a circuit breaker.

## Action items

- [ ] human item
"""


def hostile_export(path: Path, message: str | None = None, link: str | None = None,
                   component: str | None = None) -> Path:
    """The chaos-fail traffic, its failing order responses carrying the attacker's message,
    remediation link or component label."""
    events = []
    for e in generate.simulate(chaos=CHAOS_FAIL):
        line, labels = e.line, dict(e.labels)
        if "followLinkToEndChaos" in line and "Failed to fulfill" in line:
            body = json.loads(line)
            res = json.loads(body["resBody"])
            if message is not None:
                res["message"] = message
            if link is not None:
                res["followLinkToEndChaos"] = link
            body["resBody"] = json.dumps(res)
            line = json.dumps(body)
            if component is not None:
                labels["component"] = component
        events.append(generate.Event(e.ts_ns, labels, line))
    path.write_bytes(generate.loki_query(events))
    return path


def rendered_html(md: str) -> str:
    return MarkdownIt("commonmark").render(md)


def headings(md: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(md)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


# ------------------------------------------------------------ (a) forged report markers


def test_forged_begin_marker_in_a_message_cannot_delete_a_persons_notes(tmp_path, rca):
    export = hostile_export(tmp_path / "logs.json", message="<!-- rca:begin prevention --> boom")
    report = tmp_path / "incident.md"
    report.write_text(PERSON_REPORT)
    first = rca("attach", str(export), "--report", str(report))
    after_first = report.read_text()
    second = rca("attach", str(export), "--report", str(report))
    assert (first.code, second.code) == (0, 0), first.stderr + second.stderr
    assert "unchanged" in second.stdout
    assert report.read_text() == after_first
    for kept in ("Alice was paged", "Bob's note", "## Response", "## Root cause", "## Resolution", "- [ ] human item"):
        assert kept in after_first


def test_forged_end_marker_in_a_message_is_not_taken_for_a_persons_edit(tmp_path, rca):
    export = hostile_export(tmp_path / "logs.json", message="<!-- rca:end timeline --> boom")
    report = tmp_path / "incident.md"
    assert rca("attach", str(export), "--report", str(report)).code == 0
    again = rca("attach", str(export), "--report", str(report))
    assert again.code == 0 and "a person edited" not in again.stdout + again.stderr


def test_forced_attaches_of_forged_markers_do_not_grow_the_report(tmp_path, rca):
    export = hostile_export(tmp_path / "logs.json", message="<!-- rca:end timeline --> boom")
    report = tmp_path / "incident.md"
    sizes = []
    for _ in range(3):
        assert rca("attach", str(export), "--report", str(report), "--force").code == 0
        sizes.append(len(report.read_text()))
    assert sizes[0] == sizes[1] == sizes[2]


def test_markers_written_inside_a_draft_are_not_read_as_markers():
    from rca.outputs.reportfile import fill, new_report

    forged = "<!-- rca:end timeline -->\n<!-- rca:begin prevention sha256:000000000000 -->"
    text = new_report("Incident", {s: f"draft of {s}" for s in SECTIONS} | {"Timeline": forged})
    update = fill(text, {s: f"draft of {s}" for s in SECTIONS} | {"Timeline": forged}, "\n")
    assert update.protected == [] and update.text == text


# ------------------------------------------------------- (b) a message that adds sections


MULTILINE = "boom\n## Summary\nAll fine, no incident. Ignore."


@pytest.fixture(scope="module")
def multiline_findings(tmp_path_factory):
    return analyze([str(hostile_export(tmp_path_factory.mktemp("b") / "logs.json", message=MULTILINE))])


def test_a_multiline_message_adds_no_heading_to_the_report(multiline_findings):
    md = markdown(multiline_findings)
    incidents = len(multiline_findings.incidents)
    assert [h for h in headings(md) if h == "Summary"] == ["Summary"] * incidents
    assert "\n## Summary\nAll fine" not in md


def test_a_multiline_message_cannot_replace_the_json_summary(multiline_findings):
    doc = findings_json(multiline_findings)
    for incident in doc["incidents"]:
        assert list(incident["sections"]) == SECTIONS
        assert not incident["sections"]["Summary"].startswith("All fine")


def test_a_multiline_label_stays_on_one_terminal_line(tmp_path):
    export = hostile_export(tmp_path / "logs.json", component="svc\nINCIDENT fake: all fine\n")
    text = terminal(analyze([str(export)]))
    assert not any(line.startswith("INCIDENT fake") for line in text.splitlines())


# ---------------------------------------------- (c) HTML and links written by an attacker


SCRIPT = "[Open the fix](javascript:alert(3)) <script>alert(1)</script> <img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def script_findings(tmp_path_factory):
    return analyze([str(hostile_export(tmp_path_factory.mktemp("c") / "logs.json", message=SCRIPT,
                                       link="javascript:alert(4)//https://pizza-factory.cs329.click"))])


def test_html_in_a_message_is_text_in_the_markdown(script_findings):
    html = rendered_html(markdown(script_findings))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_markdown_link_in_a_message_is_not_a_link(script_findings):
    html = rendered_html(markdown(script_findings))
    assert 'href="javascript' not in html and "<a " not in html


def test_a_non_web_link_is_never_followed(script_findings):
    text = terminal(script_findings)
    follow = [line.split()[1] for line in text.splitlines() if line.split()[:1] in (["follow"], ["link"])]
    assert follow and all(link.startswith(("https://", "http://")) for link in follow)


def test_html_in_a_message_is_text_in_the_attached_report(tmp_path, rca):
    export = hostile_export(tmp_path / "logs.json", message=SCRIPT)
    report = tmp_path / "incident.md"
    assert rca("attach", str(export), "--report", str(report)).code == 0
    html = rendered_html(report.read_text())
    assert "<script" not in html and "<img" not in html and "<a " not in html


def test_a_link_only_http_urls_may_be_in_markdown():
    from rca.outputs.escape import md_url

    assert md_url("javascript:alert(1)").endswith("(not an http(s) link)")
    assert "<a " not in rendered_html(f"see {md_url('javascript:alert(1)')}")
    assert md_url("https://pizza-factory.cs329.click/api/support/k/report/x") == \
        "https://pizza-factory.cs329.click/api/support/k/report/x"


# ---------------------------------------------------- (d) terminal control sequences


ESCAPES = "\x1b[2J\x1b[31mPWNED\x1b[0m \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \u202eevil\u202c \x9b31m"


def test_escape_sequences_in_labels_and_messages_never_reach_the_terminal(tmp_path):
    export = hostile_export(tmp_path / "logs.json", message=f"boom {ESCAPES}", component="svc\x1b[31mPWNED\x07",
                            link=f"https://pizza-factory.cs329.click/api/support/k/report/x{ESCAPES}")
    text = terminal(analyze([str(export)]))
    for char in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert char not in text
    assert "PWNED" in text


def test_escape_sequences_in_a_file_name_never_reach_stderr(tmp_path, rca):
    bad = tmp_path / "x\x1b]8;;evil.example\x07\x1b[2J.json"
    bad.write_text("")
    run = rca("analyze", str(bad))
    assert run.code == 2 and "\x1b" not in run.stderr and "\x07" not in run.stderr


def test_escape_sequences_never_reach_the_patterns_text(tmp_path, rca):
    log = tmp_path / "app.log"
    log.write_text("".join(f"user {i} said \x1b[31mhello\x1b]8;;https://evil\x07\n" for i in range(5)))
    run = rca("patterns", str(log))
    assert run.code == 0 and "\x1b" not in run.stdout and "\x07" not in run.stdout


# ------------------------------------------------------------- (e) hostile file names


def test_a_file_name_with_backticks_and_newlines_cannot_break_the_markdown(tmp_path):
    export = hostile_export(tmp_path / "x``y`\n## Summary\nAll fine.json")
    findings = analyze([str(export)])
    md = markdown(findings)
    assert headings(md).count("Summary") == len(findings.incidents)
    assert "<code>x``y` ↵ ## Summary ↵ All fine.json</code>" in rendered_html(md).replace(str(tmp_path) + "/", "")


def test_a_file_name_with_a_newline_stays_on_one_terminal_line(tmp_path):
    export = hostile_export(tmp_path / "a\nINCIDENT fake.json")
    text = terminal(analyze([str(export)]))
    assert not any(line.startswith("INCIDENT fake") for line in text.splitlines())
