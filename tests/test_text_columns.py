"""Plain text lines read column-wise give exactly the records, times, precisions, record numbers
and warning counts of the per-line reader, on the lines that trip readers up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rca.inputs.readers.loggers import text_lines
from rca.inputs.readers.text_columns import text_columns


def _assert_same(data: bytes, first_line: int = 0) -> None:
    builder, expected_counts = text_lines(data, first_line)
    expected = builder.to_table("app.log")
    got, counts = text_columns(data, "app.log", first_line)
    assert counts == expected_counts
    assert got.schema == expected.schema
    for name in expected.column_names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name


LINE = "2024-12-12T06:00:01.087Z [INFO]: User d190@jwt.com logged in (session ea7b5bf5)"


@pytest.mark.parametrize("data", [
    (LINE + "\r\n") * 3,
    LINE + "\n\n  \n\t\n\u3000\n\x1c\n" + LINE + "\n\n",
    LINE + "\n" + LINE,                                    # no newline at the end
    LINE + "\r\r\n" + LINE + "\rmid\n",                    # one \r dropped, a lone \r kept
    LINE + " " + "x" * 300_000 + "\n" + "y" * 70_000,      # very long lines
    "\n\n\n",
    "2024-02-31T10:00:00Z rolls over\n2024-13-01T10:00:00Z no month\n2024-01-01T24:00:00Z no hour\n"
    "0000-01-01T00:00:00Z year zero\n2024-01-01T10:61:99Z odd minutes\n",
    "1500-01-01T00:00:00Z too early\n2300-01-01T00:00:00Z too late\n9999-12-31T23:59:59.999999999+14:00 end\n"
    "2262-04-11T23:47:16.854775807Z last\n2262-04-11T23:47:16.854775808Z one past\n1677-09-21T00:12:43.145224192Z first\n",
    "2024-01-01 10:00:00,123 comma and space\n2024-01-01T10:00:00.1234567891234Z long fraction\n"
    "2024-01-01T10:00:00+0530 offset\n2024-01-01T10:00:00-07:00 offset\n2024-01-01T10:00:00 naive\n"
    "2024-01-01T10:00:00Zglued\n2024-01-01T10:00:00\u3000wide space\n2024-01-01T10:00:00\x0bvt\n",
    "ts=2024-01-01T10:00:00Z level=info\nlevel=warn time=\"2024-01-01 10:00:01.5\" msg=x\n"
    "t=1704103200 epoch\nmsg=x timestamp=yesterday\nat=ts=2024-01-01T10:00:00Z nested\nts=3000-01-01T00:00:00Z far\n",
    "café 2024-01-01T10:00:00Z accent later\n2024-01-01T10:00:00Z café accent after a time\n"
    "\u0662\u0660\u0662\u0664-01-01T10:00:00Z arabic digits\nts=2024-01-01T10:00:00Z ünïcode\n",
    "Dec  2 17:35:12 web1 sshd[42]: accepted\nSat, 01 Jun 2024 12:00:05 +0200 rfc1123z\n"
    "01 Jun 24 12:00 +0000 rfc822z\nSat Jun  1 12:00:05 UTC 2024 unixdate\nJun  1 12:00:05.123456 stampmicro\n"
    "May I have a pizza ts=2024-01-01T10:00:00Z\nFeb 30 25:00:00 impossible\nDec  2 17:35:12 café\n"
    "Dec  2 17:35:12.5.6 not a stamp\nJun  1 12:00:05 ts=2024-01-01T10:00:00Z stamp first\n"
    "[Sun Dec 04 04:47:44 2005] [error] apache\nDec  2 17:35:12 2005 a number, not a year\n"
    "Mon, 02 Jan 2006 15:04:05 MST rfc1123\nMon Jan  2 15:04:05 2006x glued year ts=2024-01-01T10:00:00Z\n",
], ids=["crlf", "blank-lines", "no-final-newline", "carriage-returns", "long-lines", "only-newlines",
        "impossible-dates", "out-of-range", "time-shapes", "logfmt-times", "non-ascii", "month-names"])
def test_columns_read_the_same_records_as_lines(data):
    _assert_same(data.encode())


def test_record_numbers_start_where_asked():
    _assert_same(f"{LINE}\n\n{LINE}\n".encode(), first_line=41)


def test_cri_lines_are_left_to_the_per_line_reader_which_joins_partials():
    data = b"2024-01-01T10:00:00.1Z stdout P first half \n2024-01-01T10:00:00.2Z stdout F second half\n"
    assert text_columns(data, "pod.log") is None


def test_invalid_utf8_is_left_to_the_per_line_reader():
    assert text_columns(LINE.encode() + b" \xff\n", "app.log") is None


PIECES = ["2024-01-01T10:00:00", "2024-02-30 23:59:59", "2024/01/01 10:00:00", "2024/02/30 23:59:59",
          ".5", ",123456789012", "Z", "+01:00", "-0800",
          " ", "  ", "\t", "\u3000", "\xa0", "ts=", "time=", '"', "x", "é", "=", "\u0663", "0", "9", "-", ":",
          "stdout", "\r", "level=info", "t=17041032", "ts=2024-01-01T10:00:00Z"]


@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), min_size=1, max_size=30))
def test_columns_agree_with_lines_on_generated_lines(lines):
    data = "\n".join(lines).encode()
    if b"stdout" in data:  # CRI-looking files may go to the per-line reader; both read them
        result = text_columns(data, "app.log")
        if result is None:
            return
    _assert_same(data)
