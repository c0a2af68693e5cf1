"""A JSON object line inside a plain-text log (a service that prints a banner and stack
traces as text and its requests as JSON) takes its time from its own time field, in any
layout a logger writes it (ISO, epoch ms, epoch seconds, Python's `asctime`), as it would in
NDJSON: it is not left untimed at the end of the file."""

from __future__ import annotations

import json

import pytest

from rca.findings.pipeline import analyze
from rca.inputs.readers.loggers import text_lines
from rca.inputs.readers.text_columns import text_columns
from rca.inputs.timestamps import parse_year_first

BANNER = "2025-12-02T17:39:00.000Z [INFO]: Server started on port 3000"
AT = parse_year_first("2025-12-02T17:40:00.000Z")[0]


@pytest.mark.parametrize("record, ns", [
    ({"time": AT // 1_000_000, "msg": "pino"}, AT),
    ({"timestamp": "2025-12-02T17:40:00.000Z", "message": "winston"}, AT),
    ({"ts": AT / 1e9, "msg": "zap"}, AT),
    ({"@timestamp": "2025-12-02T17:40:00Z", "message": "ecs"}, AT),
    ({"asctime": "2025-12-02 17:40:00,000", "message": "python, no zone"}, AT),
    ({"msg": "a logfmt-looking ts=2020-01-01T00:00:00Z in the text", "time": "2025-12-02T17:40:00Z"}, AT),
], ids=["epoch-ms", "iso", "epoch-s", "ecs", "asctime", "field-before-logfmt"])
def test_a_json_line_in_a_text_log_takes_its_time_from_its_field(record, ns):
    data = f"{BANNER}\n{json.dumps(record)}\n".encode()
    builder, counts = text_lines(data)
    table = builder.to_table("app.log")
    assert table.column("ts_ns").to_pylist()[1] == ns
    assert counts["untimed"] == 0


@pytest.mark.parametrize("line", [
    '{"time": "3000-01-01T00:00:00Z", "msg": "too late"}',
    '{"time": "yesterday", "msg": "no time"}',
    '{"msg": "no time field"}',
    '{"time": "2025-12-02T17:40:00Z", "msg": "cut short',
    '["2025-12-02T17:40:00Z", "an array"]',
], ids=["out-of-range", "unreadable", "no-field", "invalid-json", "array"])
def test_a_json_line_without_a_readable_time_is_kept_untimed(line):
    builder, counts = text_lines(f"{BANNER}\n{line}\n".encode())
    table = builder.to_table("app.log")
    assert table.num_rows == 2 and table.column("ts_ns").to_pylist()[1] is None
    assert counts["untimed"] == 1


def test_columns_give_json_lines_the_times_lines_do():
    data = "\n".join([
        BANNER,
        json.dumps({"time": AT // 1_000_000, "msg": "pino"}),
        json.dumps({"asctime": "2025-12-02 17:40:00,000", "message": "naive"}),
        json.dumps({"time": "3000-01-01T00:00:00Z", "msg": "too late"}),
        json.dumps({"timestamp": "2025-12-02T17:40:00Z", "message": "café ünïcode"}, ensure_ascii=False),
        json.dumps({"message": "ts=2020-01-01T00:00:00Z", "time": "2025-12-02T17:40:01Z"}),
        '{"time": "2025-12-02T17:40:00Z", broken',
        " " + json.dumps({"time": "2025-12-02T17:40:00Z"}),
    ]).encode()
    builder, expected_counts = text_lines(data)
    expected = builder.to_table("app.log")
    got, counts = text_columns(data, "app.log")
    assert counts == expected_counts
    for name in expected.column_names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name
    assert expected.column("ts_ns").to_pylist()[1] == AT


def test_failures_logged_as_json_in_a_text_log_make_an_incident_with_its_window(tmp_path):
    url = "https://pizza-factory.cs329.click/api/support/0123456789abcdef0123456789abcdef/report/k3q9z7mf"
    lines = [BANNER]
    for i in range(60):
        failing = 20 <= i < 30
        at = AT // 1_000_000 + i * 15_000
        body = {"message": "Failed to fulfill order at factory", "followLinkToEndChaos": url} if failing else {"order": {}}
        lines.append(json.dumps({"time": at, "type": "http", "method": "POST", "path": "/api/order",
                                 "statusCode": 500 if failing else 200, "resBody": json.dumps(body)}))
        if i % 10 == 0:
            lines.append(f"2025-12-02T17:{40 + i // 4:02d}:00.500Z [INFO]: heartbeat")
    path = tmp_path / "jwt-pizza-service.log"
    path.write_text("\n".join(lines) + "\n")
    f = analyze([str(path)])
    assert f.ingested.inputs[0].format == "text"
    (found,) = f.incidents
    assert (found.incident.start_ns, found.incident.end_ns) == (AT + 20 * 15 * 10**9, AT + 29 * 15 * 10**9)
