"""NDJSON read column-wise gives exactly the records, times, precisions, levels, messages,
record numbers and warning counts of the per-line reader, on the lines that trip readers up;
what it cannot read exactly it leaves to that reader."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import generate
from rca.inputs.readers.loggers import ndjson_lines
from rca.inputs.readers.ndjson_columns import ndjson_columns


def _assert_same(data: bytes, first_line: int = 0) -> None:
    builder, expected_counts = ndjson_lines(data, first_line)
    expected = builder.to_table("app.ndjson")
    got = ndjson_columns(data, "app.ndjson", first_line)
    assert got is not None, "read column-wise"
    table, counts = got
    assert counts == expected_counts
    assert table.schema == expected.schema
    for name in expected.column_names:
        assert table.column(name).to_pylist() == expected.column(name).to_pylist(), name


def _lines(*objects) -> bytes:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects).encode()


PINO = {"level": 30, "time": 1733983201087, "pid": 7, "hostname": "pizza-1", "msg": "order placed",
        "req": {"method": "POST", "url": "/api/order"}}


@pytest.mark.parametrize("data", [
    _lines(PINO, {**PINO, "level": 50, "msg": "factory down"}, {**PINO, "level": 35}, {**PINO, "level": 10}),
    _lines({"time": "2024-12-12T06:00:01.087Z", "level": "INFO", "message": "bunyan-ish"},
           {"time": "2024-12-12T06:00:01.087654321+05:30", "level": "Warning", "message": ""},
           {"time": "2024-12-12 06:00:01", "level": "\u001b[31merror\u001b[0m", "message": "naive"},
           {"time": " 2024-12-12T06:00:01Z", "level": "  ", "message": "padded time"},
           {"time": "yesterday", "level": "critical", "message": "no time"},
           {"time": "1733983201", "level": "err", "message": "epoch in a string"},
           {"time": "", "timestamp": "2024-12-12T06:00:02Z", "level": None, "severity": "notice"},
           {"time": "2024-02-31T10:00:00Z", "msg": "rolls over"}, {"time": "2024-13-01T10:00:00Z", "msg": "no month"},
           {"time": "1500-01-01T00:00:00Z", "msg": "too early"}, {"time": "9999-12-31T23:59:59Z", "msg": "too late"}),
    _lines({"ts": 1733983201, "lvl": "info", "msg": "seconds"}, {"ts": 1733983201087654, "lvl": "info", "msg": "us"},
           {"ts": 1733983201087654321, "msg": "ns"}, {"ts": 1733983201000000000, "msg": "ns whole second"},
           {"ts": 1733983201087000000, "msg": "ns whole ms"}, {"ts": 0, "msg": "zero"}, {"ts": -5, "msg": "negative"},
           {"ts": 99_999_999_999_999, "msg": "too far"}, {"ts": 123, "msg": "short epoch"}),
    _lines({"ts": True, "level": True, "msg": "booleans"}, {"ts": None, "level": False, "msg": "booleans"}),
    _lines({"@t": "2024-12-12T06:00:01.1234567Z", "@l": "Information", "@mt": "serilog {X}", "X": 1},
           {"@t": "2024-12-12T06:00:02Z", "@m": "rendered", "@mt": "template"}),
    _lines({"log.level": "warn", "@timestamp": "2024-12-12T06:00:01.087Z", "message": "ecs flat"},
           {"log": "docker line\n", "stream": "stdout", "time": "2024-12-12T06:00:01.087654321Z"}),
    _lines({"timestamp": "2024-12-12T06:00:01Z", "msg": 42, "message": "a number first: no message"},
           {"timestamp": "2024-12-12T06:00:01Z", "event": "structlog", "level": "info"},
           {"time": "2024-12-12T06:00:01Z", "msg": None, "message": "null skipped"}),
    _lines(PINO, "", "   ", "\t", PINO) + b"\r\n" + _lines(PINO).replace(b"\n", b"\r\n"),
    _lines(PINO)[:-1],  # no final newline
    _lines({**PINO, "msg": "x" * 300_000}, {**PINO, "msg": "caf\u00e9 \u65e5\u672c \U0001f355"}),
    _lines({**PINO, "extra": float("nan")}, {**PINO, "n": 123456789012345678901234}),
    _lines(PINO) + b'{"level":40,"\\u0074imestamp":"2024-12-12T06:00:01Z","time":1733983201087}\n',
    _lines(PINO, {**PINO, "err": {"message": "nested", "time": "later"}, "event": "late key"}),
], ids=["pino", "iso-strings", "epochs", "booleans", "serilog", "ecs-docker", "first-key-wins", "blank-lines", "no-final-newline",
        "long-and-unicode", "non-standard-numbers",
        "escaped-key", "keys-first-seen-later"])
def test_columns_read_the_same_records_as_lines(data):
    _assert_same(data)


def test_record_numbers_count_blank_lines_and_start_where_asked():
    _assert_same(_lines(PINO, "", PINO), first_line=41)


def test_generated_jwt_pizza_ndjson_reads_the_same():
    _assert_same(generate.ndjson(generate.simulate(minutes=3, seed=11)))


@pytest.mark.parametrize("data", [
    _lines(PINO, "   at Object.<anonymous> (/app/index.js:1:1)", PINO),   # continuation text
    b"starting up\n" + _lines(PINO),                                      # a banner first
    _lines(PINO, {**PINO, "level": "info"}),                              # a field changes type
    _lines({**PINO, "time": 1733983201.087}),                             # a fraction (Arrow would widen ints)
    _lines({**PINO, "log": {"level": "warn"}}),                           # a nested role field
    _lines(PINO) + b'{"level":30,"level":40,"time":1}\n',                 # a repeated key
    _lines(PINO) + b'{"level":30}{"level":40}\n',                         # two objects on one line
    _lines(PINO) + b'{"level":30}\r{"level":40}\n',                       # a lone carriage return
    _lines(PINO) + b' {"level":30}\n',                                    # padding before the object
    _lines(PINO) + b'{"level":30,"msg":"\xff"}\n',                        # invalid UTF-8
    _lines(PINO) + b'{"level":30,"msg":"\\ud800"}\n',                     # a lone surrogate
    _lines({**PINO, "time": 9_999_999_999}),                              # seconds past int64 nanoseconds
], ids=["continuation", "banner", "type-change", "fraction", "nested-role", "repeated-key", "two-objects",
        "lone-cr", "padding", "invalid-utf8", "surrogate", "int64-overflow"])
def test_what_columns_cannot_read_exactly_is_left_to_the_per_line_reader(data):
    assert ndjson_columns(data, "app.ndjson") is None


_VALUES = st.sampled_from([None, "", " ", "info", "WARN", 30, 50, 0, True, "2024-12-12T06:00:01.087Z",
                           "2024-12-12 06:00:01", "2024-12-12T06:00:01+0530", "1733983201", 1733983201087,
                           1733983201, 1733983201087654321, "9999-01-01T00:00:00Z", "not a time", "caf\u00e9"])
_KEYS = st.sampled_from(["time", "timestamp", "@timestamp", "ts", "level", "severity", "lvl", "msg", "message",
                         "event", "log", "log.level", "other"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=6), st.sampled_from(["", "  "])),
                min_size=1, max_size=8))
def test_any_mix_of_logger_fields_reads_the_same_or_is_left_to_the_loop(records):
    data = _lines(*records)
    if ndjson_columns(data, "app.ndjson") is not None:
        _assert_same(data)
