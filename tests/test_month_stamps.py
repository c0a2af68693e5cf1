"""Times written with a month's name (syslog, logcli's --output-timestamp-format layouts) give
records their times, so an export in those layouts has a timeline and an incident window."""

from __future__ import annotations

import calendar
import json
import os

import pytest

from rca.findings.pipeline import analyze
from rca.inputs.exports import ingest

ORDER_FAIL = json.dumps({"level": "error", "message": "Failed to fulfill order at factory", "statusCode": 500,
                         "path": "/api/order", "method": "POST"})
ORDER_OK = json.dumps({"level": "info", "message": "request", "statusCode": 200, "path": "/api/order",
                       "method": "POST"})


def _utc_ns(*fields: int) -> int:
    return calendar.timegm((*fields, 0, 0, 0)) * 1_000_000_000


def _times(path) -> list[int]:
    export = ingest([str(path)])
    return export.table.column("ts_ns").to_pylist()


def _write(tmp_path, name: str, lines: list[str], mtime: tuple[int, ...] | None = None):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    if mtime is not None:
        stamp = calendar.timegm((*mtime, 0, 0, 0))
        os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize(("stamp", "expected"), [
    ("Sat, 01 Jun 2024 14:00:05 +0200", (2024, 6, 1, 12, 0, 5)),      # rfc1123z, offset honoured
    ("01 Jun 24 07:00 -0500", (2024, 6, 1, 12, 0, 0)),                 # rfc822z, minutes only
    ("Sat Jun  1 12:00:05 UTC 2024", (2024, 6, 1, 12, 0, 5)),          # unixdate
], ids=["rfc1123z", "rfc822z", "unixdate"])
def test_logcli_default_lines_in_other_layouts_are_read_with_their_labels_and_times(tmp_path, stamp, expected):
    path = _write(tmp_path, "export.txt", [f'{stamp} {{app="jwt-pizza-service"}} {ORDER_FAIL}'])
    export = ingest([str(path)])
    assert export.inputs[0].format == "logcli-text"
    assert export.table.column("ts_ns").to_pylist() == [_utc_ns(*expected)]
    assert export.table.column("labels").to_pylist()[0] == [("app", "jwt-pizza-service")]


def test_a_yearless_time_takes_the_year_that_does_not_put_it_after_the_file_was_written(tmp_path):
    path = _write(tmp_path, "export.txt", [
        f'Dec 31 23:59:59.500 {{app="jwt-pizza-service"}} {ORDER_FAIL}',
        f'Jan  2 00:00:01.250 {{app="jwt-pizza-service"}} {ORDER_OK}',
    ], mtime=(2025, 1, 3, 9, 0, 0))
    assert _times(path) == [_utc_ns(2024, 12, 31, 23, 59, 59) + 500_000_000,
                            _utc_ns(2025, 1, 2, 0, 0, 1) + 250_000_000]


def test_yearless_and_zoneless_times_are_warned_about(tmp_path):
    path = _write(tmp_path, "export.txt", [f'Jun  1 12:00:05.123 {{app="jwt-pizza-service"}} {ORDER_OK}'])
    warnings = ingest([str(path)]).inputs[0].warnings
    assert any("carry no year" in w for w in warnings)
    assert any("no zone offset" in w for w in warnings)


def test_a_unixdate_zone_abbreviation_other_than_utc_is_read_as_utc_and_warned(tmp_path):
    path = _write(tmp_path, "export.txt", [f'Sat Jun  1 12:00:05 MST 2024 {{app="jwt-pizza-service"}} {ORDER_OK}'])
    export = ingest([str(path)])
    assert export.table.column("ts_ns").to_pylist() == [_utc_ns(2024, 6, 1, 12, 0, 5)]
    assert any("no zone offset" in w for w in export.inputs[0].warnings)


def test_apache_error_log_times_in_brackets_are_read_with_their_year(tmp_path):
    path = _write(tmp_path, "error_log", ["[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6"])
    assert _times(path) == [_utc_ns(2005, 12, 4, 4, 47, 44)]


def test_a_number_opening_a_syslog_message_is_not_taken_for_a_year(tmp_path):
    path = _write(tmp_path, "syslog", ["Dec  2 17:35:12 2005 packets dropped"], mtime=(2026, 12, 3, 0, 0, 0))
    assert _times(path) == [_utc_ns(2026, 12, 2, 17, 35, 12)]


def test_plain_syslog_lines_get_their_times(tmp_path):
    path = _write(tmp_path, "syslog", [
        "Dec  2 17:35:12 web1 jwt-pizza-service[812]: order failed",
        "Dec  2 17:35:13 web1 jwt-pizza-service[812]: order placed",
    ], mtime=(2026, 12, 3, 0, 0, 0))
    assert _times(path) == [_utc_ns(2026, 12, 2, 17, 35, 12), _utc_ns(2026, 12, 2, 17, 35, 13)]


@pytest.mark.parametrize("line", [
    "May I have a pizza",                      # a month's name starting a sentence
    "Feb 30 25:00:00 impossible hour",         # shaped like a stamp, not a time
    "Dec  2 17:35:12.5.6 a version, not a time",
    "Sun Dec 04 04:47:44 0001 before nanosecond times begin",
    "Fri Dec 31 23:59:59 9999 after they end",
])
def test_words_and_impossible_stamps_leave_a_line_untimed(tmp_path, line):
    path = _write(tmp_path, "app.log", [line])
    export = ingest([str(path)])
    assert export.table.column("ts_ns").to_pylist() == [None]
    assert export.table.column("line").to_pylist() == [line]


def test_an_export_in_the_stamp_layout_has_the_same_incident_window_as_in_rfc3339(tmp_path):
    def export(fmt) -> list[str]:
        lines = []
        for second in range(0, 600, 2):
            failing = 200 <= second < 440
            text = f"Jun  1 12:{second // 60:02d}:{second % 60:02d}.000" if fmt == "stamp" else \
                f"2026-06-01T12:{second // 60:02d}:{second % 60:02d}Z"
            lines.append(f'{text} {{app="jwt-pizza-service"}} {ORDER_FAIL if failing else ORDER_OK}')
        return lines

    rfc3339 = analyze([str(_write(tmp_path, "a.txt", export("rfc3339")))])
    stamp = analyze([str(_write(tmp_path, "b.txt", export("stamp"), mtime=(2026, 6, 2, 0, 0, 0)))])
    def windows(findings) -> list[tuple[int, int]]:
        return [(f.incident.start_ns, f.incident.end_ns) for f in findings.incidents]

    assert windows(rfc3339) and windows(stamp) == windows(rfc3339)


def test_a_yearless_time_more_than_a_zone_ahead_of_the_files_last_write_is_last_years(tmp_path):
    """A local time read as UTC may run ahead of the true time by the largest zone offset
    (UTC+14), never by a day and more: a line 'Jan  2 12:00' in a file last written at New
    Year's midnight UTC was written the January before."""
    path = _write(tmp_path, "export.txt", [
        f'Jan  1 13:30:00 {{app="jwt-pizza-service"}} {ORDER_OK}',
        f'Jan  2 12:00:00 {{app="jwt-pizza-service"}} {ORDER_OK}',
    ], mtime=(2026, 1, 1, 0, 0, 0))
    assert sorted(_times(path)) == [_utc_ns(2025, 1, 2, 12, 0, 0), _utc_ns(2026, 1, 1, 13, 30, 0)]
