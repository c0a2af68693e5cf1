"""The command line: summaries, JSON contract of the inputs, stdin, files, exit codes."""

from __future__ import annotations

import json

from fixtures import generate

FIXTURE = "fixtures/chaos-fail/loki-query.json"


def test_analyze_prints_a_true_summary_of_what_was_ingested(rca):
    run = rca("analyze", FIXTURE)
    assert run.code == 0, run.stderr
    assert "[loki-query]" in run.stdout
    assert "records 835, rejected 0, duplicates 0" in run.stdout
    assert "2025-12-02T17:30:00.503Z .. 2025-12-02T17:41:59.325Z" in run.stdout
    assert "INCIDENT" in run.stdout
    assert "component=jwt-pizza-service" in run.stdout


def test_json_output_has_schema_and_inputs_contract(rca):
    run = rca("analyze", FIXTURE, "--format", "json")
    assert run.code == 0
    doc = json.loads(run.stdout)
    assert doc["schema"] == "rca.findings/1"
    assert set(doc["inputs"][0]) == {"path", "format", "records", "rejected", "duplicates", "first",
                                     "last", "truncated", "warnings"}
    assert doc["inputs"][0]["first"] == "2025-12-02T17:30:00.503Z"


def test_stdin_is_read_with_a_dash(rca, events):
    run = rca("analyze", "-", "--format", "json", stdin=generate.logcli_jsonl(events[:40]))
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["inputs"][0]["warnings"] == []
    assert (doc["inputs"][0]["path"], doc["inputs"][0]["records"]) == ("-", 40)


def test_output_file_receives_the_report_and_stdout_stays_empty(rca, tmp_path):
    out = tmp_path / "findings.json"
    run = rca("analyze", FIXTURE, "-f", "json", "-o", str(out))
    assert run.code == 0
    assert run.stdout == ""
    assert json.loads(out.read_text())["inputs"][0]["records"] == 835


def test_many_inputs_merge_into_one_table(rca):
    run = rca("analyze", "fixtures/chaos-fail/logcli.jsonl", "fixtures/chaos-fail/loki-push.json", "-f", "json")
    doc = json.loads(run.stdout)
    assert [i["duplicates"] for i in doc["inputs"]] == [0, 835]


def test_formats_lists_every_reader(rca):
    run = rca("formats")
    assert run.code == 0
    names = [line.split()[0] for line in run.stdout.splitlines()]
    assert set(generate.WRITERS) <= set(names)


def test_bad_option_is_a_one_line_usage_error(rca):
    run = rca("analyze", FIXTURE, "--format", "yaml")
    assert run.code == 2
    assert "Traceback" not in run.stderr


def test_debug_shows_detection_diagnostics(rca):
    run = rca("analyze", FIXTURE, "--debug")
    assert run.code == 0
    assert "detected loki-query" in run.stderr


def test_version(rca):
    run = rca("version")
    assert run.code == 0 and run.stdout.strip()


def test_unwritable_output_is_a_one_line_error(rca, tmp_path):
    run = rca("analyze", FIXTURE, "-o", str(tmp_path / "no" / "such" / "dir" / "out.txt"))
    assert run.code == 2
    assert "cannot write" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
