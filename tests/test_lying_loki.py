"""A Loki (or a proxy in front of it) that answers outside what was asked is not trusted:
lines outside the requested range never move the pull past lines it has not fetched, and an
error answered with HTTP 200 is an error, never an empty export."""

from __future__ import annotations

import json

from rca.integrations.pull import Access, PullError, pull
from tests.fakes.loki import FakeLoki
from tests.test_pull import QUERY, T0, _expected, _read, make_entries

import pytest


def test_a_line_beyond_the_range_in_every_page_loses_no_line_of_the_range(tmp_path):
    entries = make_entries(250)
    end = T0 + 10**13
    with FakeLoki(entries) as fake:
        fake.state.outside = [(end + 5 * 10**9, {"app": "pizza"}, "from another range")]
        out = tmp_path / "pulled.jsonl"
        pull(Access(fake.url), QUERY, T0 - 10**9, end, out, limit=100)
    assert _read(out) == _expected(entries)


def test_a_line_before_the_range_is_not_written(tmp_path):
    entries = make_entries(30)
    with FakeLoki(entries) as fake:
        fake.state.outside = [(T0 - 10**12, {"app": "pizza"}, "from another range")]
        out = tmp_path / "pulled.jsonl"
        pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=100)
    assert _read(out) == _expected(entries)


def test_an_error_answered_with_status_200_fails_the_pull_with_its_message(rca, tmp_path):
    with FakeLoki(make_entries(10)) as fake:
        fake.state.answer = {"status": "error", "errorType": "bad_data", "error": "parse error at line 1, col 7"}
        out = tmp_path / "pulled.jsonl"
        with pytest.raises(PullError, match="parse error at line 1"):
            pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=100)
        run = rca("pull", "--loki", fake.url, "--query", QUERY, "--from", "2025-12-02T17:00:00Z",
                  "--to", "2025-12-02T20:00:00Z", "-o", str(out))
    assert run.code != 0 and "parse error at line 1" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("result", [
    [{"stream": {"app": "pizza"}, "values": [["not-a-time", "a line"]]}],
    [{"stream": {"app": "pizza"}, "values": [["1764697351123000000"]]}],
    [{"stream": {"app": "pizza"}, "values": "1764697351123000000"}],
    [{"stream": "app=pizza", "values": [["1764697351123000000", "a line"]]}],
    ["a stream"],
    {"stream": {}},
    [{"stream": {"app": "pizza"}, "values": [["²", "a line"]]}],
    [{"stream": {"app": "pizza"}, "values": [["9" * 5000, "a line"]]}],
    [{"stream": {"app": "pizza"}, "values": [["١٧٦٤٦٩٧٣٥١١٢٣٠٠٠٠٠٠", "a line"]]}],
], ids=["not a time", "no line", "values a string", "labels a string", "stream a string", "result an object",
        "a superscript digit", "5000 digits", "Arabic-Indic digits"])
def test_an_answer_whose_entries_are_not_loki_streams_fails_the_pull_in_one_line(rca, tmp_path, result):
    with FakeLoki(make_entries(10)) as fake:
        fake.state.answer = {"status": "success", "data": {"resultType": "streams", "result": result}}
        run = rca("pull", "--loki", fake.url, "--query", QUERY, "--from", "2025-12-02T17:00:00Z",
                  "--to", "2025-12-02T20:00:00Z", "-o", str(tmp_path / "pulled.jsonl"))
    assert run.code != 0 and "could not be read" in run.stderr and "internal error" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("record", [
    {"labels": ["app", "pizza"], "line": "a line", "timestamp": "2025-12-02T17:30:00Z"},
    {"labels": {"app": ["pizza"]}, "line": "a line", "timestamp": "2025-12-02T17:30:00Z"},
    {"labels": {"app": "pizza"}, "timestamp": "2025-12-02T17:30:00Z"},
], ids=["labels a list", "a label's value a list", "no line"])
def test_resuming_a_file_that_is_not_what_pull_writes_is_one_line(rca, tmp_path, record):
    out = tmp_path / "pulled.jsonl"
    out.write_text(json.dumps(record) + "\n")
    with FakeLoki(make_entries(10)) as fake:
        run = rca("pull", "--loki", fake.url, "--query", QUERY, "--from", "2025-12-02T17:00:00Z",
                  "--to", "2025-12-02T20:00:00Z", "-o", str(out), "--resume")
    assert run.code != 0 and "cannot resume" in run.stderr and "internal error" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_label_value_that_is_not_a_string_is_an_unreadable_answer(rca, tmp_path):
    with FakeLoki(make_entries(10)) as fake:
        fake.state.answer = {"status": "success", "data": {"resultType": "streams", "result": [
            {"stream": {"app": {"nested": "pizza"}}, "values": [["1764697351123000000", "a line"]]}]}}
        run = rca("pull", "--loki", fake.url, "--query", QUERY, "--from", "2025-12-02T17:00:00Z",
                  "--to", "2025-12-02T20:00:00Z", "-o", str(tmp_path / "pulled.jsonl"))
    assert run.code != 0 and "could not be read" in run.stderr and "internal error" not in run.stderr
