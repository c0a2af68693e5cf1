"""Each export format is detected from its bytes and read with the right counts and times."""

from __future__ import annotations

import gzip

import pyarrow.compute as pc
import pytest

from fixtures import generate
from rca import ingest
from rca.inputs.detect import detect

ALL_FORMATS = sorted(generate.WRITERS)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_format_is_detected_from_its_bytes(fmt, events, tmp_path):
    name, writer = generate.WRITERS[fmt]
    assert detect(writer(events))[0] == fmt


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_format_reads_every_record_with_its_time(fmt, events, tmp_path):
    name, writer = generate.WRITERS[fmt]
    path = tmp_path / name
    path.write_bytes(writer(events))
    result = ingest([str(path)])
    summary = result.inputs[0]
    assert summary.format == fmt
    assert (summary.records, summary.rejected, summary.duplicates) == (len(events), 0, 0)
    assert summary.first_ns // 1_000_000 == events[0].ts_ns // 1_000_000
    assert summary.last_ns // 1_000_000 == events[-1].ts_ns // 1_000_000
    assert summary.truncated is False


@pytest.mark.parametrize("compress", ["gzip", "bzip2", "xz", "zstd"])
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_compressed_export_reads_the_same(fmt, compress, events, tmp_path):
    import bz2
    import lzma

    import zstandard

    pack = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
            "zstd": zstandard.ZstdCompressor().compress}[compress]
    name, writer = generate.WRITERS[fmt]
    plain, packed = tmp_path / name, tmp_path / f"{name}.{compress}"
    plain.write_bytes(writer(events))
    packed.write_bytes(pack(writer(events)))
    a, b = ingest([str(plain)]).table, ingest([str(packed)]).table
    assert a.column("line").to_pylist() == b.column("line").to_pylist()
    assert a.column("ts_ns").to_pylist() == b.column("ts_ns").to_pylist()


def test_table_is_sorted_by_time_even_from_newest_first_exports(events, tmp_path):
    path = tmp_path / "q.json"
    path.write_bytes(generate.loki_query(events, newest_first=True))
    ts = ingest([str(path)]).table.column("ts_ns").to_pylist()
    assert ts == sorted(ts)


def test_loki_query_keeps_stream_labels_and_structured_metadata_apart(tmp_path):
    doc = (
        b'{"status":"success","data":{"resultType":"streams","encodingFlags":["categorize-labels"],"result":['
        b'{"stream":{"app":"checkout"},"values":[["1717243205000000123","{\\"msg\\":\\"timeout\\"}",'
        b'{"structuredMetadata":{"trace_id":"4bf92f35"},"parsed":{"msg":"timeout"}}],'
        b'["1717243200123456789","plain text line",{}]]}],"stats":{}}}'
    )
    path = tmp_path / "categorized.json"
    path.write_bytes(doc)
    rows = ingest([str(path)]).table.to_pylist()
    assert rows[0]["ts_ns"] == 1717243200123456789
    assert rows[1]["labels"] == [("app", "checkout")]
    assert rows[1]["metadata"] == [("trace_id", "4bf92f35")]
    assert rows[1]["parsed"] == [("msg", "timeout")]
    assert rows[1]["line"] == '{"msg":"timeout"}'


def test_nanosecond_timestamps_are_exact(tmp_path):
    path = tmp_path / "push.json"
    path.write_bytes(b'{"streams":[{"stream":{"a":"b"},"values":[["1717243200123456789","x"]]}]}')
    assert ingest([str(path)]).table.column("ts_ns").to_pylist() == [1717243200123456789]


def test_loki_metric_result_is_refused_with_a_hint(rca, tmp_path):
    path = tmp_path / "matrix.json"
    path.write_bytes(b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1717243200,"3"]]}]}}')
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "metric query" in run.stderr and "re-export with a log query" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_loki_push_documents_concatenated_without_separator(tmp_path):
    one = b'{"streams":[{"stream":{"a":"1"},"values":[["1717243200000000000","first"]]}]}'
    two = b'{"streams":[{"stream":{"a":"2"},"values":[["1717243201000000000","second"]]}]}'
    path = tmp_path / "bodies.json"
    path.write_bytes(one + two)
    table = ingest([str(path)]).table
    assert table.column("line").to_pylist() == ["first", "second"]


def test_loki_push_array_of_payloads(tmp_path):
    path = tmp_path / "array.json"
    path.write_bytes(b'[{"streams":[{"stream":{"a":"1"},"values":[["1717243200000000000","x",{"trace_id":"t1"}]]}]}]')
    row = ingest([str(path)]).table.to_pylist()[0]
    assert row["metadata"] == [("trace_id", "t1")]


def test_legacy_loki_streams_with_label_strings(tmp_path):
    path = tmp_path / "legacy.json"
    path.write_bytes(b'{"streams":[{"labels":"{app=\\"checkout\\", pod=\\"p\\\\\\"1\\"}","entries":'
                     b'[{"ts":"2024-06-01T12:00:00.123456789Z","line":"hello"}]}]}')
    row = ingest([str(path)]).table.to_pylist()[0]
    assert row["labels"] == [("app", "checkout"), ("pod", 'p"1')]
    assert row["ts_ns"] == 1717243200123456789


def test_logcli_jsonl_with_zone_offsets_converts_to_utc(tmp_path):
    path = tmp_path / "tz.jsonl"
    path.write_bytes(b'{"labels":{},"line":"a","timestamp":"2024-06-01T14:00:00.123456789+02:00"}\n'
                     b'{"labels":{"x":"y"},"line":"b","timestamp":"2024-06-01T12:00:01Z"}\n')
    table = ingest([str(path)]).table
    assert table.column("ts_ns").to_pylist() == [1717243200123456789, 1717243201000000000]
    assert table.column("precision").to_pylist() == ["ns", "s"]


def test_logcli_part_files_in_a_folder_are_deduplicated(events, tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    half = len(events) // 2
    (parts / "inc_20251202T173000_20251202T173600.part").write_bytes(generate.logcli_jsonl(events[: half + 50]))
    (parts / "inc_20251202T173500_20251202T174200.part").write_bytes(generate.logcli_jsonl(events[half:]))
    result = ingest([str(parts)])
    assert result.records == len(events)
    assert sum(s.duplicates for s in result.inputs) == 50


def test_identical_records_within_one_file_are_kept(tmp_path):
    line = b'{"labels":{"a":"b"},"line":"same","timestamp":"2024-06-01T12:00:00Z"}\n'
    (tmp_path / "one.jsonl").write_bytes(line * 3)
    (tmp_path / "two.jsonl").write_bytes(line * 2)
    result = ingest([str(tmp_path / "one.jsonl"), str(tmp_path / "two.jsonl")])
    assert result.records == 3
    assert [s.duplicates for s in result.inputs] == [0, 2]


def test_logcli_default_output_restores_common_labels_from_stderr(tmp_path):
    path = tmp_path / "logcli.txt"
    path.write_bytes(
        b"2024/06/01 12:00:01 http://localhost:3100/loki/api/v1/query_range?limit=30\n"
        b'2024/06/01 12:00:01 Common labels: {app="checkout"}\n'
        b'2024-06-01T12:00:05Z {pod="checkout-7d9f"} level=error msg="payment timeout"\n'
        b"  continued stack line\n"
    )
    result = ingest([str(path)])
    row = result.table.to_pylist()[0]
    assert row["labels"] == [("app", "checkout"), ("pod", "checkout-7d9f")]
    assert row["line"] == 'level=error msg="payment timeout"\n  continued stack line'
    assert any("stderr" in w for w in result.inputs[0].warnings)


def test_grafana_txt_two_column_rows_and_multiline_entries(tmp_path):
    path = tmp_path / "explore.txt"
    path.write_bytes(
        b'Common labels: {"app":"checkout"}\nLine limit: 1000\nTotal bytes processed: "2.00  MB"\n\n\n'
        b"1717243205000\tfirst line\n  second part\n1717243200123\tolder line\n"
    )
    rows = ingest([str(path)]).table.to_pylist()
    assert [r["line"] for r in rows] == ["older line", "first line\n  second part"]
    assert rows[0]["labels"] == [("app", "checkout")]
    assert rows[0]["ts_ns"] == 1717243200123000000


def test_grafana_inspect_csv_in_utf16_with_tabs(events, tmp_path):
    csv_text = generate.grafana_inspect_csv(events[:20]).decode().replace(",", "\t")
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xff\xfe" + csv_text.encode("utf-16-le"))
    # The commas inside JSON cells became tabs too; the reader must still find every row.
    result = ingest([str(path)], input_format="grafana-inspect-csv")
    assert result.inputs[0].records + result.inputs[0].rejected == 20


def test_grafana_inspect_csv_labels_object_object_is_reported(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(b'"labels","Time","Line","tsNs","id"\n[object Object],1717243205000,hello,1717243205000000123,x\n')
    result = ingest([str(path)])
    assert result.table.column("ts_ns").to_pylist() == [1717243205000000123]
    assert any("[object Object]" in w for w in result.inputs[0].warnings)


def test_grafana_frames_use_nanos_when_tsns_is_missing(tmp_path):
    path = tmp_path / "frames.json"
    path.write_bytes(
        b'[{"schema":{"fields":[{"name":"Time","type":"time"},{"name":"Line","type":"string"}]},'
        b'"data":{"values":[[1717243205000],["payment timeout"]],"nanos":[[123],null]}}]'
    )
    assert ingest([str(path)]).table.column("ts_ns").to_pylist() == [1717243205000000123]


@pytest.mark.parametrize(
    ("line", "expected_level", "expected_ns"),
    [
        (b'{"level":50,"time":1717243205123,"pid":1,"hostname":"h","msg":"boom"}', "error", 1717243205123000000),
        (b'{"level":"error","message":"boom","timestamp":"2024-06-01T12:00:05.123Z"}', "error", 1717243205123000000),
        (b'{"v":0,"level":40,"name":"svc","time":"2024-06-01T12:00:05.123Z","msg":"careful"}', "warn", 1717243205123000000),
        (b'{"event":"boom","level":"error","timestamp":"2024-06-01T12:00:05.123456Z"}', "error", 1717243205123456000),
        (b'{"@timestamp":"2024-06-01T12:00:05.123Z","log.level":"ERROR","message":"boom"}', "error", 1717243205123000000),
        (b'{"@timestamp":"2024-06-01T12:00:05.123Z","log":{"level":"warning"},"message":"x"}', "warn", 1717243205123000000),
        (b'{"level":"info","ts":1717243205.123456,"msg":"zap"}', "info", 1717243205123456000),
    ],
    ids=["pino", "winston", "bunyan", "structlog", "ecs-dotted", "ecs-nested", "zap"],
)
def test_common_logger_fields_give_time_and_level(line, expected_level, expected_ns, tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(line + b"\n" + line + b"\n")
    row = ingest([str(path)]).table.to_pylist()[0]
    assert dict(row["parsed"])["level"] == expected_level
    assert row["ts_ns"] == expected_ns
    assert row["line"] == line.decode()


def test_json_array_of_logger_objects(tmp_path):
    path = tmp_path / "array.json"
    path.write_bytes(b'[{"time":"2024-06-01T12:00:05Z","level":"error","msg":"a"},{"time":"2024-06-01T12:00:06Z","msg":"b"}]')
    result = ingest([str(path)])
    assert result.inputs[0].format == "ndjson"
    assert result.records == 2


def test_cloudwatch_next_token_marks_the_newer_end_missing(tmp_path):
    path = tmp_path / "cw.json"
    path.write_bytes(b'{"events":[{"logStreamName":"s","timestamp":1717243205123,"message":"hi\\n","eventId":"1"}],'
                     b'"searchedLogStreams":[],"nextToken":"abc"}')
    result = ingest([str(path)])
    summary = result.inputs[0]
    assert summary.truncated and summary.truncated_end == "newer"
    assert result.table.column("line").to_pylist() == ["hi"]


def test_elasticsearch_total_beyond_hits_marks_truncation(tmp_path):
    path = tmp_path / "es.json"
    path.write_bytes(b'{"took":1,"timed_out":false,"hits":{"total":{"value":500,"relation":"eq"},"hits":['
                     b'{"_index":"logs","_id":"1","_source":{"@timestamp":"2024-06-01T12:00:05.123Z","message":"m",'
                     b'"service":{"name":"checkout"}}}]}}')
    result = ingest([str(path)])
    assert result.inputs[0].truncated
    assert result.table.to_pylist()[0]["labels"] == [("_index", "logs"), ("service.name", "checkout")]


def test_forced_input_format_overrides_detection(tmp_path):
    path = tmp_path / "x.log"
    path.write_bytes(b"Time,Line\n2024-06-01T12:00:00Z GET /api/order/menu 200\n")  # looks like a Grafana CSV
    assert ingest([str(path)], input_format="text").inputs[0].format == "text"


def test_records_without_time_keep_file_order_after_timed_ones(tmp_path):
    path = tmp_path / "plain.log"
    path.write_bytes(b"no time here\n2024-06-01T12:00:00Z timed\nstill none\n")
    table = ingest([str(path)]).table
    assert table.column("line").to_pylist() == ["2024-06-01T12:00:00Z timed", "no time here", "still none"]
    assert pc.sum(table.column("ts_ns").is_null()).as_py() == 2


def test_zip_archive_members_are_inputs_of_their_own(events, tmp_path):
    import zipfile

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("part-1.jsonl", generate.logcli_jsonl(events[:100]))
        archive.writestr("part-2.json", generate.loki_query(events[100:]))
        archive.writestr("__MACOSX/._part-1.jsonl", b"\x00\x05junk")
    result = ingest([str(path)])
    assert [s.path for s in result.inputs] == [f"{path}:part-1.jsonl", f"{path}:part-2.json"]
    assert result.records == len(events)


def test_a_grafana_csv_saved_again_with_semicolons_and_no_quotes_is_still_a_grafana_csv(tmp_path):
    path = tmp_path / "resaved.csv"
    path.write_bytes(b'Time;Line\r\n1764696910126;{"msg":"Failed to fulfill order at factory"}\r\n')
    result = ingest([str(path)])
    assert result.inputs[0].format == "grafana-csv"
    assert result.table.column("ts_ns").to_pylist() == [1764696910126000000]


def test_a_text_log_opening_with_the_word_line_is_still_text():
    assert detect(b"Line 3, col 4: unexpected token\nLine 4 ok\n")[0] == "text"
