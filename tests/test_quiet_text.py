"""Plain-text lines found over the column to say nothing but their message decode exactly as
`decode_line` decodes each of them; every line that might say more (a status, a failure word,
a request line, a URL, JSON, key=value pairs, a character RE2 could read differently) is left
to `decode_line`."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from rca.inputs.timestamps import strip_leading_time, strip_leading_time_array
from rca.knowledge.pack import default_pack
from rca.table.decode import _FEW, _LOGFMT, _SQL, REQUEST_LINE, COLUMNS, Decoded, decode, decode_line
from rca.table.quiet_text import quiet_lines, re2_twin

PACK = default_pack()

# Pieces of real-shaped plain lines, many of them whose digits or words matter to decoding.
PIECES = [
    "2024-12-12T08:21:26.304Z", "2024-12-12 08:21:26,304", "Dec 12 08:21:26", "[Sun Dec 04 04:47:44 2005]",
    "2024/12/12 08:21:26", "2024/12/12 08:21:26.304123", "Dec  2 17:10:00 web-1 nginx[812]:", "LabSZ sshd[24200]:",
    "postfix/smtpd[4021]:",
    "Status: 500", "status=200", "status_code: 404", "statusCode = \"503\"", "GET /api/order 500", "POST /x 200",
    "GET http://a.example/x 502", "[error]", "[notice]", "ERROR", "error", "level=error", "TypeError:",
    "NullPointerException", "at Object.run (/app/x.js:88:17)", "Traceback (most recent call last)",
    "ECONNREFUSED", "fetch failed", "SELECT * FROM t", "select 1",
    "http://pizza-factory.cs329.click/api/support/ab12/report/cd34",
    "https://x.example/a?fixCode=...", "spark://host:7077", "a=1", "b=\"q r\"", "x= y=", "(5=sup,4=usr)",
    "{", "}", "[", "]", "\"", "{\"a\":1}", "[1,2]", "\"quoted\"", "\\", "\t", "  ", "é", "\x1c", "\u00a0", "٣",
    "Problem resolved", "No chaos currently executing", "stdout F", "latency 120ms", "port 8080", "500", "200",
    "blk_-1608999687919862906", "10.0.3.17:5432", "<html>", "Connection closed by 1.2.3.4 [preauth]",
]
WORDS = st.text(alphabet="abcXYZ019 _-.:/=()[]", max_size=6)
LINES = st.lists(st.one_of(st.sampled_from(PIECES), WORDS), max_size=8).map(" ".join)


def _message_only(text: str, program: str | None = None) -> tuple:
    return Decoded(message=text, component=program).row()


@given(st.lists(LINES, min_size=1, max_size=30))
def test_a_line_found_quiet_decodes_to_its_message_alone(lines):
    found = quiet_lines(pa.array(lines), PACK, _LOGFMT, REQUEST_LINE, _SQL)
    if found is None:
        return
    quiet, messages, programs = found
    quiet_texts = [line for line, q in zip(lines, quiet, strict=True) if q]
    assert [decode_line(t, PACK).row() for t in quiet_texts] == [
        _message_only(m, p) for m, p in zip(messages.to_pylist(), programs.to_pylist(), strict=True)]


@pytest.mark.parametrize("line", [
    "2024-12-12T08:21:26.304Z request done Status: 503",
    "2024-12-12T08:21:26.304Z GET /api/order 500 12ms",
    "2024-12-12T08:21:26.304Z [ERROR]: Failed to register user",
    "2024-12-12T08:21:26.304Z TypeError: Cannot read properties of undefined",
    "2024-12-12T08:21:26.304Z see http://pizza-factory.cs329.click/api/support/ab12/report/cd34",
    "2024-12-12T08:21:26.304Z SELECT * FROM orders",
    "2024-12-12T08:21:26.304Z user=ann level=info",
    "2024-12-12T08:21:26.304Z {\"statusCode\": 500}",
    "2024-12-12T08:21:26.304Z [\"a\", \"b\"]",
    "\"a JSON string\"",
    "2024-12-12T08:21:26.304Z done=1 worker=3",
    "2024-12-12T08:21:26.304Z Connection refused é",
])
def test_a_line_that_may_say_more_is_left_to_decode_line(line):
    quiet, *_ = quiet_lines(pa.array([line, "2024-12-12T08:21:26.304Z routine tick 7"]), PACK,
                           _LOGFMT, REQUEST_LINE, _SQL)
    assert quiet.tolist() == [False, True]


def test_a_plain_log_decodes_over_the_column_to_the_per_line_columns():
    lines = [f"2024-12-12T08:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z {PIECES[i % len(PIECES)]} "
             f"{PIECES[i * 7 % len(PIECES)]} worker {i} done" for i in range(3 * _FEW)]
    table = pa.table({"line": pa.array(lines),
                      "labels": pa.array([[]] * len(lines), pa.map_(pa.string(), pa.string()))})
    rows = [decode_line(text, PACK).row() for text in lines]
    expected = pa.table([pa.array(c, f.type) for c, f in zip(zip(*rows, strict=True), COLUMNS, strict=True)],
                        schema=COLUMNS)
    got = decode(table, PACK)
    for name in ("method", "endpoint", "status", "message", "latency_ms", "link", "link_key", "urls", "user",
                 "resolution", "attempt", "dependency"):
        assert got.column(name).equals(expected.column(name)), name


SIMPLE_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e) | st.just("\t"), max_size=60)


@pytest.mark.parametrize("pattern", [PACK.text_status, PACK.text_failure, REQUEST_LINE, _SQL, _LOGFMT],
                         ids=["text_status", "text_failure", "http", "sql", "logfmt"])
@given(text=st.one_of(SIMPLE_TEXT, st.lists(st.sampled_from(PIECES[:40]) | SIMPLE_TEXT, max_size=5).map(" ".join)))
def test_a_twin_finds_a_match_where_regex_does(pattern, text):
    if not regex.fullmatch(r"[\t\x20-\x7e]*", text):
        return
    twin = re2_twin(pattern)
    assert pc.match_substring_regex(pa.array([text]), twin)[0].as_py() == (pattern.search(text) is not None)


def test_the_shipped_packs_text_patterns_have_twins():
    assert all(re2_twin(p) for p in (PACK.text_status, PACK.text_failure, REQUEST_LINE, _SQL, _LOGFMT))


@pytest.mark.parametrize("source", [
    r"a{,3}", r"(?<=x)y", r"(a)\1", r"end\Z", r"x(?i)y", r"a*+", r"[[:alpha:]]", r"\x41", r"caf" + "\u00e9",
    r"(?>a)", r"[\b]", r"[]a]", r"(?x) a",
])
def test_syntax_the_engines_may_read_differently_has_no_twin(source):
    assert re2_twin(regex.compile(source)) is None


STAMPED = st.tuples(st.sampled_from(["", " ", "\t", "[", "("]),
                    st.sampled_from(["2024-12-12T08:21:26.304Z", "2024-12-12 08:21:26,304", "Dec 12 08:21:26",
                                     "2024/12/12 08:21:26", "2024/12/12 08:21:26.304123",
                                     "Sun Dec 04 04:47:44 2005", "Mon, 02 Jan 2006 15:04:05 -0700", "Jan  2 15:04:05",
                                     "2024-12-12T08:21:26+01:00", "12 Dec 24 08:21 UTC", "2024-12-12"]),
                    st.sampled_from(["", "]", ")"]), SIMPLE_TEXT).map("".join)


@given(st.lists(STAMPED, min_size=1, max_size=20))
def test_the_ascii_stamp_strips_printable_lines_as_regex_does(lines):
    lines = [line for line in lines if regex.fullmatch(r"[\t\x20-\x7e]*", line)]
    stripped = strip_leading_time_array(pa.array(lines, pa.string()), printable_ascii=True).to_pylist()
    assert stripped == [strip_leading_time(line) for line in lines]
