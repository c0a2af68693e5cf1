"""Not a log, not an incident: JSON forced through the text reader, or a Markdown incident
report given as input, is named for what it looks like (one line on stderr, exit 2), never
turned into a made-up incident."""

from __future__ import annotations

import json

from fixtures import generate
from fixtures.generate import Chaos
from rca.findings.pipeline import analyze
from rca.outputs.report import markdown


def _one_line(run) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


def test_json_forced_through_the_text_reader_says_try_without_input_format(rca, tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(generate.logcli_jsonl(generate.simulate(minutes=3)))
    run = rca("analyze", str(path), "--input-format", "text")
    assert run.code == 2
    assert "every line is JSON" in _one_line(run) and "try without --input-format" in run.stderr


def test_an_incident_report_given_as_input_is_named_a_markdown_document(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=8)
    report = tmp_path / "incident.md"
    report.write_text(markdown(analyze([_write(tmp_path, events)]), reveal=False))
    run = rca("analyze", str(report))
    assert run.code == 2
    assert "looks like a Markdown document, not a log export" in _one_line(run)
    assert "INCIDENT" not in run.stdout


def test_a_plain_text_log_with_a_markdown_like_line_is_still_a_log(rca, tmp_path):
    path = tmp_path / "app.log"
    lines = [f"2025-12-02T17:{m:02d}:00.000Z GET /api/order/menu 200" for m in range(30)]
    path.write_text("# service started\n## build 42\n" + "\n".join(lines) + "\n")
    run = rca("analyze", str(path))
    assert run.code == 0, run.stderr


def _write(tmp_path, events):
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return str(path)


def test_a_grafana_error_answer_saved_on_one_line_is_named_with_its_message(rca, tmp_path):
    path = tmp_path / "query (1).json"
    path.write_text('{"message":"Query error: max entries limit per query exceeded","traceID":"4bf92f35"}')
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "error message saved instead of logs" in _one_line(run) and "max entries limit" in run.stderr
    assert "No incident" not in run.stdout


def test_an_html_page_saved_as_the_export_is_not_read_as_a_log(rca, tmp_path):
    path = tmp_path / "export.json"
    path.write_text("<!DOCTYPE html>\n<html><head><title>Grafana</title></head><body>Log in</body></html>\n")
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "an HTML page" in _one_line(run)
    assert "No incident" not in run.stdout


def test_rcas_own_findings_given_as_input_are_named_and_pointed_at_attach(rca, tmp_path):
    export = _write(tmp_path, generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=8))
    findings = tmp_path / "findings.json"
    assert rca("analyze", export, "-f", "json", "-o", str(findings)).code == 0
    run = rca("analyze", str(findings))
    assert run.code == 2
    assert "rca's findings JSON" in _one_line(run) and "rca attach" in run.stderr


def test_a_prometheus_style_error_answer_is_named_with_its_message(rca, tmp_path):
    path = tmp_path / "query.json"
    path.write_text('{"status":"error","errorType":"bad_data","error":"parse error at line 1, col 4"}\n')
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "error message saved instead of logs" in _one_line(run) and "parse error at line 1" in run.stderr


def test_a_single_log_record_with_status_and_error_keys_is_read_as_a_log(rca, tmp_path):
    path = tmp_path / "payments.ndjson"
    path.write_text('{"status":"error","error":"payment declined for order 12"}\n')
    run = rca("analyze", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    (read,) = json.loads(run.stdout)["inputs"]
    assert (read["format"], read["records"]) == ("ndjson", 1)
