"""Go's standard `log` package and nginx's error log open each line with `2026/12/02 17:10:00`
(Go's `log.Lmicroseconds` adds `.123456`): that is the record's time, read like a zone-less
ISO time (as UTC, with the same warning), and it is no part of the message."""

from __future__ import annotations

import json

from rca.findings.pipeline import analyze
from rca.inputs.exports import ingest
from rca.inputs.readers.loggers import text_lines, text_warnings
from rca.inputs.readers.text_columns import text_columns
from rca.inputs.timestamps import strip_leading_time, strip_leading_time_array

NGINX = ('2026/12/02 17:10:00 [error] 812#812: *31 upstream timed out (110: Connection timed out) while reading '
         'response header from upstream, client: 10.0.0.7, server: pizza.example, request: "POST /api/order '
         'HTTP/1.1", upstream: "http://127.0.0.1:3000/api/order", host: "pizza.example"')
GO = "2026/12/02 17:10:00.123456 POST /api/order 500 31ms error: factory unavailable"
T0 = 1796231400 * 1_000_000_000  # 2026-12-02T17:10:00Z


def _records(data: str):
    builder, counts = text_lines(data.encode())
    return builder.to_table("app.log").to_pylist(), counts


def test_an_nginx_error_line_is_timed_to_the_second():
    (row,), _ = _records(NGINX + "\n")
    assert (row["ts_ns"], row["precision"]) == (T0, "s")


def test_a_go_log_line_with_microseconds_keeps_them():
    (row,), _ = _records(GO + "\n")
    assert (row["ts_ns"], row["precision"]) == (T0 + 123_456_000, "us")


def test_a_slash_dated_time_without_a_zone_is_read_as_utc_with_the_iso_warning():
    _, slashed = _records(NGINX + "\n")
    _, dashed = _records(NGINX.replace("2026/12/02", "2026-12-02") + "\n")
    assert text_warnings(slashed) == text_warnings(dashed) == ["1 times carry no zone offset; read as UTC"]


def test_the_column_reader_reads_slash_dated_lines_as_the_line_reader_does():
    data = f"{NGINX}\n{GO}\n2026/02/30 10:00:00 rolls over\n2026/13/01 10:00:00 no month\n2026-12/02 17:10:00 mixed\n"
    builder, counts = text_lines(data.encode())
    expected = builder.to_table("app.log")
    got, got_counts = text_columns(data.encode(), "app.log")
    assert got_counts == counts
    for name in expected.column_names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name
    assert [r["ts_ns"] is not None for r in expected.to_pylist()] == [True, True, True, False, False]


def test_a_two_digit_year_is_not_taken_for_a_date():
    """Spark's `17/06/09 20:10:40` could be any century's (or day-first); it is left untimed."""
    (row,), _ = _records("17/06/09 20:10:40 INFO executor.Executor: Running task\n")
    assert row["ts_ns"] is None


def test_the_message_leaves_the_slash_dated_time_out():
    assert strip_leading_time(GO) == "POST /api/order 500 31ms error: factory unavailable"
    assert strip_leading_time_array(__import__("pyarrow").array([GO, NGINX])).to_pylist() == [
        strip_leading_time(GO), strip_leading_time(NGINX)]


def _nginx_error_log(tmp_path) -> str:
    """Five minutes of nginx `[error]` lines amid its routine `[notice]` lines."""
    lines = []
    for i in range(300):
        stamp = f"2026/12/02 17:{i // 10:02d}:{i % 10 * 6:02d}"
        if 100 <= i < 150:
            lines.append(NGINX.replace("2026/12/02 17:10:00", stamp).replace("*31", f"*{i}"))
        else:
            lines.append(f"{stamp} [notice] 812#812: signal process started")
    path = tmp_path / "error.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_an_nginx_error_log_incident_has_its_window(tmp_path):
    (found,) = analyze([_nginx_error_log(tmp_path)]).incidents
    last_error = T0 + 294 * 1_000_000_000  # 17:14:54
    assert (found.incident.start_ns, found.incident.end_ns) == (T0, last_error)


def test_an_nginx_error_log_signature_holds_no_time(tmp_path, rca):
    out = tmp_path / "findings.json"
    rca("analyze", "-f", "json", "-o", str(out), _nginx_error_log(tmp_path))
    findings = json.loads(out.read_text())
    (incident,) = findings["incidents"]
    assert incident["start"] == "2026-12-02T17:10:00.000Z"
    texts = [c["template"] for c in findings["clusters"]] + [c["signature"] for c in findings["clusters"]]
    assert texts and not any("2026" in t or t.startswith("<*>") for t in texts)


def test_a_go_log_export_has_a_timeline_at_its_times(tmp_path, rca):
    lines = []
    for i in range(300):
        stamp = f"2026/12/02 17:{i // 10:02d}:{i % 10 * 6:02d}.{i * 1234 % 1_000_000:06d}"
        lines.append(f"{stamp} POST /api/order 500 31ms error: factory unavailable" if 100 <= i < 150
                     else f"{stamp} GET /api/order/menu 200 {i % 70 + 5}ms")
    path = tmp_path / "jwt-pizza-service.log"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "report.md"
    rca("analyze", "-f", "md", "-o", str(out), str(path))
    timeline = out.read_text().split("## Timeline", 1)[1]
    assert "2026-12-02" in timeline and "17:10" in timeline and "time not in the export" not in timeline


def test_a_slash_dated_time_in_a_json_time_field_is_the_record_s_time():
    from rca.inputs.readers.loggers import object_fields

    ns, precision, _, naive = object_fields({"time": "2026/12/02 17:10:00.123456", "msg": "factory unavailable"})
    assert (ns, precision, naive) == (T0 + 123_456_000, "us", True)


def test_elasticsearch_hits_with_slash_dated_times_are_timed(tmp_path):
    hits = [{"_index": "logs", "_id": str(i), "_source": {"@timestamp": f"2026/12/02 17:10:{i:02d}",
                                                          "message": f"order {i} failed", "level": "error"}}
            for i in range(5)]
    path = tmp_path / "hits.json"
    path.write_text(json.dumps({"hits": {"hits": hits}}))
    (read,) = ingest([str(path)]).inputs
    assert (read.first_ns, read.last_ns) == (T0, T0 + 4 * 1_000_000_000)


def test_the_column_reader_times_json_fields_as_the_line_reader_does():
    from rca.inputs.readers.loggers import ndjson_lines
    from rca.inputs.readers.ndjson_columns import ndjson_columns

    stamps = [" 2026/12/02 17:10:00 ", "2026/12/02T17:10:00", "2026/12/02 17:10:00 +0100", "2026/12/02 17:10:00.5"]
    data = "".join(json.dumps({"time": stamps[i % 4] if i % 10 == 0 else "2026-12-02T17:10:00Z", "msg": f"m{i}"}) + "\n"
                   for i in range(300)).encode()
    builder, _ = ndjson_lines(data)
    columns, _ = ndjson_columns(data, "app.ndjson")
    expected = builder.to_table("app.ndjson")
    assert columns.column("ts_ns").to_pylist() == expected.column("ts_ns").to_pylist()
    assert expected.column("ts_ns").null_count == 0
