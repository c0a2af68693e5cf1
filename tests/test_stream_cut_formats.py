"""logcli's default text output and Grafana's TXT and CSV downloads are read in byte-range
pieces cut only where a record starts, and give exactly the findings of the whole read."""

from __future__ import annotations

import gzip
from dataclasses import replace

import pytest

from fixtures import generate
from fixtures.generate import Chaos, Style
from rca.findings.pipeline import analyze
from rca.inputs.exports import ingest
from rca.inputs.parts import UNPROVEN_CSV, plan_parts, read_pieces, streamed_files
from tests.same_findings import assert_same_findings

CHAOS = [Chaos("fail", 100, 200, fix_code="aaaa1111")]
WRITE = {"logcli-text": generate.logcli_text, "grafana-txt": generate.grafana_txt,
         "grafana-csv": generate.grafana_csv, "grafana-inspect-csv": generate.grafana_inspect_csv}
STACK = "Error: socket hang up\n    at TLSSocket.onHangUp (node:_http_client:491:23)\n    at TLSSocket.emit (node:events:531:35)"


def _events(multi_line: bool = False):
    events = generate.simulate(chaos=CHAOS, style=Style(lost_bodies=True), minutes=8, seed=7)
    if multi_line:  # a stack trace under every 7th line: continuation text in TXT and logcli text,
        events = [replace(e, line=f"{e.line}\n{STACK}") if i % 7 == 0 else e  # a quoted field in CSV
                  for i, e in enumerate(events)]
    return events


def _write(tmp_path, kind, data: bytes, name="export"):
    path = tmp_path / f"{name}.{'csv' if 'csv' in kind else 'txt'}"
    path.write_bytes(data)
    return str(path)


def _pieces(path, chunk_bytes):
    return [piece for part in plan_parts(streamed_files([path], None), chunk_bytes)
            for piece in read_pieces(part)]


def _same(path, chunk_bytes=2_000):
    whole = analyze(ingest([path]))
    streamed = analyze([path], chunk_bytes=chunk_bytes)
    assert streamed.ingested.total is not None  # it did stream
    assert_same_findings(whole, streamed)
    return whole, streamed


@pytest.mark.parametrize("compression", ["plain", "gz"])
@pytest.mark.parametrize("kind", list(WRITE))
def test_each_text_export_streams_to_the_whole_read_findings(tmp_path, kind, compression):
    data = WRITE[kind](_events(multi_line=True))
    path = _write(tmp_path, kind, gzip.compress(data) if compression == "gz" else data)
    _same(path, chunk_bytes=700)


@pytest.mark.parametrize("kind", list(WRITE))
def test_a_cut_inside_continuation_text_or_a_quoted_field_moves_to_the_next_record(tmp_path, kind):
    path = _write(tmp_path, kind, WRITE[kind](_events(multi_line=True)))
    whole = ingest([path]).table
    pieces = _pieces(path, 700)
    assert len(pieces) > 20
    lines = [line for piece in pieces for line in piece.table.column("line").to_pylist()]
    assert sorted(lines) == sorted(whole.column("line").to_pylist())
    assert sum(STACK in line for line in lines) == sum(STACK in line for line in whole.column("line").to_pylist()) > 0
    _same(path, chunk_bytes=700)


def test_a_newest_first_logcli_text_export_is_turned_around_as_the_whole_read_does(tmp_path):
    data = generate.logcli_text(_events(), newest_first=True)
    whole, streamed = _same(_write(tmp_path, "logcli-text", data))
    assert streamed.ingested.inputs[0].order == whole.ingested.inputs[0].order == "backward"


def test_crlf_line_ends_stream_as_they_are_read_whole(tmp_path):
    data = generate.logcli_text(_events(multi_line=True)).replace(b"\n", b"\r\n")
    _same(_write(tmp_path, "logcli-text", data))


@pytest.mark.parametrize("kind, data", [("grafana-csv", lambda: b"sep=,\r\n" + generate.grafana_csv(_events())),
                                        ("ndjson", lambda: generate.ndjson(_events()))])
def test_a_byte_order_mark_is_skipped_and_noted_as_the_whole_read_does(tmp_path, kind, data):
    whole, streamed = _same(_write(tmp_path, kind, b"\xef\xbb\xbf" + data()))
    assert whole.ingested.inputs[0].notes == streamed.ingested.inputs[0].notes == ["UTF-8 byte order mark removed"]


def test_a_file_of_one_huge_line_is_one_piece(tmp_path):
    events = [replace(_events()[0], line="x" * 50_000)]
    path = _write(tmp_path, "logcli-text", generate.logcli_text(events))
    assert len(_pieces(path, 700)) == 1
    _same(path, chunk_bytes=700)


@pytest.mark.parametrize("compression", ["plain", "gz"])
def test_labels_from_captured_common_labels_lines_reach_every_later_piece(tmp_path, compression):
    lines = generate.logcli_text(_events()).decode().splitlines(keepends=True)
    lines.insert(0, 'Common labels: {cluster="east"}\n')
    lines.insert(len(lines) // 2, '2024/06/01 12:00:01 Common labels: {cluster="west"}\n')
    data = "".join(lines).encode()
    path = _write(tmp_path, "logcli-text", gzip.compress(data) if compression == "gz" else data)
    whole, streamed = _same(path)
    assert set(whole.ingested.inputs[0].labels["cluster"]) == {"east", "west"}
    assert streamed.ingested.inputs[0].labels == whole.ingested.inputs[0].labels


def test_a_grafana_txt_line_limit_is_reported_when_streamed(tmp_path):
    path = _write(tmp_path, "grafana-txt", generate.grafana_txt(_events(), limit=300))
    whole, streamed = _same(path, chunk_bytes=5_000)
    assert whole.ingested.inputs[0].truncated_end == "older"
    assert streamed.ingested.inputs[0].warnings == whole.ingested.inputs[0].warnings


def test_a_quote_inside_an_unquoted_csv_field_sends_the_file_to_the_whole_read(tmp_path):
    lines = generate.grafana_csv(_events()).split(b"\r\n")
    lines[len(lines) // 2] = lines[len(lines) // 2].replace(b",", b',6" pizza,', 1)
    path = _write(tmp_path, "grafana-csv", b"\r\n".join(lines))
    whole = analyze(ingest([path]))
    streamed = analyze([path], chunk_bytes=2_000)
    assert streamed.ingested.total is None  # read whole: no cut could be proved, and it says so
    assert streamed.ingested.inputs[0].warnings == [*whole.ingested.inputs[0].warnings, UNPROVEN_CSV]


def test_a_csv_field_longer_than_pythons_csv_limit_is_read_and_cut_like_any_long_line(tmp_path, rca):
    events = [replace(e, line="x" * 300_000) if i == 5 else e for i, e in enumerate(_events())]
    run = rca("analyze", _write(tmp_path, "grafana-csv", generate.grafana_csv(events)), "-f", "json")
    assert run.code == 0, run.stderr
    assert "1 lines were longer than" in run.stdout + run.stderr


@pytest.mark.parametrize("kind", ["logcli-text", "grafana-txt", "grafana-csv"])
def test_dask_workers_reading_cut_pieces_give_the_whole_read_findings(tmp_path, dask_cluster, kind):
    from dask.distributed import Client

    from rca.findings.stream import dask_mapper

    path = _write(tmp_path, kind, WRITE[kind](_events(multi_line=True)))
    with Client(dask_cluster.scheduler_address) as client:
        on_dask = analyze([path], chunk_bytes=2_000, mapper=dask_mapper(client))
    assert on_dask.ingested.total is not None  # it did stream, piece by piece on the workers
    assert_same_findings(analyze(ingest([path])), on_dask)
