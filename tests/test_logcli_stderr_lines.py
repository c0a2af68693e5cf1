"""logcli prints `Common labels: {…}` to stderr right after each query's URL; captured with
`2>&1` it restores the labels logcli stripped from the lines after it. The same words on a
line of a multi-line message (a config dump, a quoted report) are that message's text: an
undated `Common labels:` line is logcli's only first in the file or right after another of
logcli's stderr lines; dated by Go's log (`2024/06/01 12:00:01 Common labels: …`) it is always."""

from __future__ import annotations

import gzip

import orjson
import pytest

from rca import analyze
from rca.inputs.exports import ingest
from tests.test_stream_cut_formats import _events, _same, _write
from fixtures import generate

URL = "2024/06/01 12:00:01 http://localhost:3100/loki/api/v1/query_range?limit=30"


def _rows(tmp_path, text: str):
    path = tmp_path / "logcli.txt"
    path.write_text(text)
    return ingest([str(path)]).table.to_pylist()


def test_a_continuation_reading_common_labels_stays_in_its_message(tmp_path):
    rows = _rows(tmp_path, '2024-06-01T12:00:05Z {pod="a"} level=error msg="labels diverged"\n'
                           'Common labels: {app="other"}\n'
                           '2024-06-01T12:00:06Z {pod="b"} level=info msg="next"\n')
    assert rows[0]["line"] == 'level=error msg="labels diverged"\nCommon labels: {app="other"}'
    assert rows[1]["labels"] == [("pod", "b")]


def test_an_undated_common_labels_line_after_the_query_url_is_logcli_s(tmp_path):
    rows = _rows(tmp_path, "http://localhost:3100/loki/api/v1/query_range?limit=30\n"
                           'Common labels: {app="checkout"}\n'
                           '2024-06-01T12:00:05Z {pod="a"} level=error msg="payment timeout"\n')
    assert rows[0]["labels"] == [("app", "checkout"), ("pod", "a")]


def test_a_dated_common_labels_line_is_logcli_s_wherever_it_is(tmp_path):
    rows = _rows(tmp_path, '2024-06-01T12:00:05Z {pod="a"} level=error msg="first"\n'
                           '2024/06/01 12:00:06 Common labels: {app="checkout"}\n'
                           '2024-06-01T12:00:07Z {pod="b"} level=info msg="next"\n')
    assert rows[0]["line"] == 'level=error msg="first"'
    assert rows[1]["labels"] == [("app", "checkout"), ("pod", "b")]


def test_streamed_pieces_read_such_a_continuation_as_the_whole_read_does(tmp_path):
    lines = generate.logcli_text(_events()).decode().splitlines(keepends=True)
    lines.insert(0, URL + "\n")
    lines.insert(1, 'Common labels: {cluster="east"}\n')
    lines.insert(len(lines) // 2, 'Common labels: {cluster="west"}\n')  # a message's continuation
    data = "".join(lines).encode()
    for compressed in (False, True):
        path = _write(tmp_path, "logcli-text", gzip.compress(data) if compressed else data, name=f"x{compressed}")
        whole, streamed = _same(path)
        assert set(whole.ingested.inputs[0].labels["cluster"]) == {"east"}
        assert streamed.ingested.inputs[0].labels == whole.ingested.inputs[0].labels


def _jsonl_without_component(stderr: list[str]) -> bytes:
    """The chaos-fail traffic as `logcli query -o jsonl … 2>&1` writes it when every line
    shares its component: logcli's stderr first, the component gone from each line's labels."""
    records = [orjson.loads(line) for line in generate.logcli_jsonl(generate.simulate(chaos=generate.CHAOS_FAIL))
               .splitlines()]
    for record in records:
        record["labels"] = {k: v for k, v in record["labels"].items() if k != "component"}
    return "\n".join(stderr).encode() + b"\n" + b"\n".join(orjson.dumps(r) for r in records) + b"\n"


JSONL_STDERR = {
    "url and common labels": [URL, 'Common labels: {component="jwt-pizza-service"}'],
    "dated common labels alone": ['2024/06/01 12:00:01 Common labels: {component="jwt-pizza-service"}'],
}


@pytest.mark.parametrize("stderr", list(JSONL_STDERR))
def test_logcli_jsonl_after_its_stderr_keeps_the_common_labels(tmp_path, stderr):
    path = tmp_path / "two.logcli"
    path.write_bytes(_jsonl_without_component(JSONL_STDERR[stderr]))
    ingested = ingest([str(path)])
    assert ingested.inputs[0].format == "logcli-jsonl"
    assert set(ingested.inputs[0].labels["component"]) == {"jwt-pizza-service"}
    findings = analyze(ingested)
    assert [inc.id for inc in findings.incidents]
    assert not [c for c in findings.clusters if "two.logcli" in (c.component or "")]


def test_logcli_jsonl_after_its_stderr_says_the_stderr_lines_were_skipped(rca, tmp_path):
    path = tmp_path / "two.logcli"
    path.write_bytes(_jsonl_without_component(JSONL_STDERR["url and common labels"]))
    run = rca("analyze", str(path))
    assert run.code == 0
    assert "skipped 2 lines of logcli's own stderr output" in run.stderr
