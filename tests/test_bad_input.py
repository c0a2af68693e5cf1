"""Bad input gets one line on stderr naming the file and the problem, and the right exit code;
never a traceback. Salvageable input is read and what was lost is counted."""

from __future__ import annotations

import gzip

import pytest

from fixtures import generate
from rca import ingest


def _one_error_line(run, path) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert str(path) in lines[0]
    return lines[0]


def test_missing_file(rca, tmp_path):
    path = tmp_path / "nope.json"
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "no such file" in _one_error_line(run, path)


def test_empty_file(rca, tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "empty" in _one_error_line(run, path)


@pytest.mark.parametrize("body", [b"{}\n", b"null\n", b"{}\n{}\n", b"[{}]", b'""\n'],
                         ids=["empty object", "null", "empty objects", "list of an empty object", "empty string"])
def test_a_file_of_empty_records_is_not_a_log(rca, tmp_path, body):
    path = tmp_path / "export.json"
    path.write_bytes(body)
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "no log records" in _one_error_line(run, path)


def test_an_empty_object_among_real_records_is_kept(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b'{}\n{"time":"2025-12-02T17:35:10Z","level":"info","msg":"order placed"}\n')
    assert ingest([str(path)]).inputs[0].records == 2


def test_binary_garbage(rca, tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 40)
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "binary" in _one_error_line(run, path)


def test_folder_with_nothing_readable(rca, tmp_path):
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "b.json").write_bytes(b"")
    run = rca("analyze", str(folder))
    assert run.code == 2
    assert "Traceback" not in run.stderr
    assert "a.bin" in run.stderr and "b.json" in run.stderr


def test_empty_folder(rca, tmp_path):
    run = rca("analyze", str(tmp_path))
    assert run.code == 2
    assert "no files" in _one_error_line(run, tmp_path)


def test_unreadable_file_in_a_folder_is_reported_not_fatal(events, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "good.jsonl").write_bytes(generate.logcli_jsonl(events[:10]))
    (folder / "junk.bin").write_bytes(b"\x00" * 64)
    result = ingest([str(folder)])
    assert result.records == 10
    skipped = [s for s in result.inputs if s.format == "unreadable"]
    assert [s.path.endswith("junk.bin") for s in skipped] == [True]


def test_json_cut_off_mid_document_salvages_complete_records(rca, events, tmp_path):
    data = generate.loki_query(events[:200])
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) * 2 // 3])
    result = ingest([str(path)])
    summary = result.inputs[0]
    assert 100 < summary.records < 200
    assert summary.rejected == 1
    assert any("cut off" in w for w in summary.warnings)
    run = rca("analyze", str(path))
    assert run.code == 0
    assert "cut off" in run.stderr


def test_ndjson_cut_off_mid_line_counts_the_partial_line(events, tmp_path):
    data = generate.logcli_jsonl(events[:50])
    path = tmp_path / "cut.jsonl"
    path.write_bytes(data[:-30])
    summary = ingest([str(path)]).inputs[0]
    assert (summary.records, summary.rejected) == (49, 1)


def test_gzip_cut_off_reads_what_decompressed(events, tmp_path):
    packed = gzip.compress(generate.logcli_jsonl(events))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    summary = ingest([str(path)]).inputs[0]
    assert summary.records > 0
    assert summary.records + summary.rejected < len(events)
    assert any("gzip" in w for w in summary.warnings)


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom"],
)
def test_byte_order_marks_and_utf16(prefix, encoding, events, tmp_path):
    text = generate.logcli_jsonl(events[:30]).decode()
    path = tmp_path / "bom.jsonl"
    path.write_bytes(prefix + text.encode(encoding))
    result = ingest([str(path)])
    assert result.inputs[0].format == "logcli-jsonl"
    assert result.records == 30


def test_invalid_utf8_is_replaced_and_reported(tmp_path):
    path = tmp_path / "latin1.log"
    path.write_bytes(b"2024-06-01T12:00:00Z caf\xe9 ok\n")
    result = ingest([str(path)])
    assert result.table.column("line").to_pylist() == ["2024-06-01T12:00:00Z caf\ufffd ok"]
    assert any("invalid UTF-8" in w for w in result.inputs[0].warnings)


def test_a_line_over_the_line_length_cap_is_cut_and_reported(tmp_path):
    big = "x" * (1_100_000)
    path = tmp_path / "big.jsonl"
    path.write_text(
        f'{{"labels":{{}},"line":"{big}","timestamp":"2024-06-01T12:00:00Z"}}\n'
        '{"labels":{},"line":"small","timestamp":"2024-06-01T12:00:01Z"}\n'
    )
    result = ingest([str(path)])
    assert result.records == 2
    assert len(result.table.column("line")[0].as_py()) == 256 << 10
    assert any("1 lines were longer than 256 KiB and were cut" in w for w in result.inputs[0].warnings)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("1717243205", 1717243205_000000000),
        ("1717243205123", 1717243205_123000000),
        ("1717243205123456", 1717243205_123456000),
        ("1717243205123456789", 1717243205_123456789),
        ("2024-06-01T12:00:05.123456789Z", 1717243205_123456789),
        ("2024-06-01T14:00:05.5+02:00", 1717243205_500000000),
        ("2024-06-01T05:00:05-07:00", 1717243205_000000000),
    ],
    ids=["s", "ms", "us", "ns", "rfc3339-z", "rfc3339-plus", "rfc3339-minus"],
)
def test_timestamps_in_every_unit(stamp, expected, tmp_path):
    path = tmp_path / "push.json"
    path.write_text(f'{{"streams":[{{"stream":{{}},"values":[["{stamp}","x"]]}}]}}')
    assert ingest([str(path)]).table.column("ts_ns").to_pylist() == [expected]


def test_bad_timestamp_is_rejected_and_counted(tmp_path):
    path = tmp_path / "push.json"
    path.write_text('{"streams":[{"stream":{},"values":[["yesterday","x"],["1717243205000000000","y"]]}]}')
    summary = ingest([str(path)]).inputs[0]
    assert (summary.records, summary.rejected) == (1, 1)


def test_loki_error_text_saved_as_the_export(rca, tmp_path):
    path = tmp_path / "out.json"
    path.write_bytes(b"max entries limit per query exceeded, limit > max_entries_limit_per_query (10000 > 5000)\n")
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "max entries limit" in _one_error_line(run, path)


def test_unknown_input_format_is_a_usage_error(rca, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"{}\n")
    run = rca("analyze", str(path), "--input-format", "nonsense")
    assert run.code == 2
    assert "unknown input format" in run.stderr and "Traceback" not in run.stderr


def test_forcing_a_wrong_format_is_an_input_error(rca, events, tmp_path):
    path = tmp_path / "q.json"
    path.write_bytes(generate.loki_query(events[:5]))
    run = rca("analyze", str(path), "--input-format", "grafana-csv")
    assert run.code == 2
    assert "Traceback" not in run.stderr


def test_several_bad_inputs_each_get_their_line(rca, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    run = rca("analyze", str(tmp_path / "missing.json"), str(empty))
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "missing.json" in lines[0] and "empty.log" in lines[1]


def test_invalid_utf8_deep_inside_a_large_jsonl_is_still_reported(events, tmp_path):
    good = generate.logcli_jsonl(events)
    bad = b'{"labels":{"a":"b"},"line":"caf\xe9","timestamp":"2025-12-02T18:00:00Z"}\n'
    path = tmp_path / "big.jsonl"
    path.write_bytes(good + bad)
    result = ingest([str(path)])
    assert result.records == len(events) + 1
    assert "caf\ufffd" in result.table.column("line").to_pylist()
    assert any("invalid UTF-8" in w for w in result.inputs[0].warnings)


@pytest.mark.parametrize("status", ['"statusCode":503', '\\"status\\": 503', 'status=503'])
def test_a_failing_json_line_cut_at_the_line_length_cap_still_counts_as_a_failure(status):
    from rca.knowledge.pack import default_pack
    from rca.table.decode import decode_line

    cut = '{"type":"http",' + status + ',"path":"/api/order","resBody":"{\\"stack\\":\\"' + "at x\\\\n" * 40
    decoded = decode_line(cut, default_pack())
    assert decoded.status == 503
