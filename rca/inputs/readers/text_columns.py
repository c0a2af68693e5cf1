"""Plain text lines read column-wise: the same records as `loggers.text_lines`, found with
numpy over the bytes and RE2 over Arrow strings instead of a Python loop per line.

Lines are cut at newlines in the buffer (one trailing carriage return dropped), blank lines
are found from their first byte, and a leading year-first time (ISO, or Go's `log` and nginx's
`2026/12/02 17:10:00`) or a logfmt `ts=`/`time=` value is
read by one RE2 pass and parsed with integer arithmetic that matches `parse_iso` (including
its roll-over of a day past the month's end); a leading time with a month's name (syslog)
is parsed once per distinct stamp, a JSON object line's time field line by line (they are
few in a text log). A line with non-ASCII characters, where
Python's `\\d` and RE2's differ, goes through the per-line reader's own steps; a file with
Kubernetes CRI prefixes (partial lines joined across lines) or invalid UTF-8 is left to the
per-line reader altogether (None).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.inputs.month_stamps import STAMP_RE2, leading_month_stamp, year_reference
from rca.inputs.records import SCHEMA, empty_maps
from rca.inputs.string_bytes import SPACE_LEADS, first_bytes, string_offsets
from rca.inputs.timestamps import NS_PER_S, TimestampError, TimestampOutOfRange, parse_year_first, year_first_time

# What the `regex` module's \s matches, and what str.strip() strips (str.isspace), for RE2.
_RE_SPACE = r"[\t-\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_IS_SPACE = r"[\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_TS = year_first_time()
_LEADING = rf"^(?P<ts>{_TS}){_RE_SPACE}+(?P<cri>(?:stdout|stderr) [FP] )?"
_LOGFMT = (rf'(?:^|{_RE_SPACE})(?:ts|time|timestamp|@timestamp|t)='
           rf'(?:"(?P<q>[^"]+)"|(?P<b>[^\t-\r \x{{85}}\x{{a0}}\x{{1680}}\x{{2000}}-\x{{200a}}\x{{2028}}\x{{2029}}\x{{202f}}\x{{205f}}\x{{3000}}]+))')
_TAIL = r"^(?:[.,](?P<f>\d+))?(?P<z>Z|[+-]\d\d:?\d\d)?$"
_OK, _INVALID, _OUT_OF_RANGE = 0, 1, 2


def split(data: bytes) -> pa.Array | None:
    """The lines as `split_lines` cuts them (no terminators, one trailing \\r dropped, no
    record after a final newline), as one large_string array; None if not valid UTF-8."""
    buf = np.frombuffer(data, np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(buf)]])
    if starts[-1] == len(buf):  # data ends with a newline (or is empty): no last record
        starts, ends = starts[:-1], ends[:-1]
    cr = np.zeros(len(ends), bool)
    has = ends > starts
    cr[has] = buf[ends[has] - 1] == 13
    ends = ends - cr
    keep = np.ones(len(buf), bool)
    keep[newlines] = False
    keep[ends[cr]] = False
    body = buf[keep]
    offsets = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(body))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return lines


def _bytes_at(strings: pa.Array, width: int) -> np.ndarray:
    """The first `width` bytes of each (ASCII, long enough) string, as digits 0-9."""
    offsets = string_offsets(strings)
    body = np.frombuffer(strings.buffers()[2], np.uint8)
    return body[offsets[:-1, None] + np.arange(width)].astype(np.int64) - 48


def _number(digits: np.ndarray) -> np.ndarray:
    out = np.zeros(len(digits), np.int64)
    for k in range(digits.shape[1]):
        out = out * 10 + digits[:, k]
    return out


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of (y, m, d) as calendar.timegm counts them (d may pass the
    month's end and roll over)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


_PRECISIONS = ["s", "ms", "us", "ns", "min"]


def _precision_code(digits: np.ndarray) -> np.ndarray:
    """`precision_of_fraction` as an index into _PRECISIONS."""
    return np.select([digits == 0, digits <= 3, digits <= 6], [0, 1, 2], 3).astype(np.int8)


def parse_times(ts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`parse_iso` over ASCII strings of the shape `_TS`: (ns, status, precision as an index
    into _PRECISIONS, had_zone)."""
    n = len(ts)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int8), np.zeros(0, bool)
    ts = ts.cast(pa.large_string())
    head = _bytes_at(ts, 19)
    y, mo, d = _number(head[:, 0:4]), _number(head[:, 5:7]), _number(head[:, 8:10])
    h, mi, s = _number(head[:, 11:13]), _number(head[:, 14:16]), _number(head[:, 17:19])
    tail = pc.extract_regex(pc.utf8_slice_codeunits(ts, 19), _TAIL)
    frac, zone = tail.field("f"), tail.field("z")
    digits = pc.utf8_length(frac).to_numpy(zero_copy_only=False)
    frac_ns = pc.cast(pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 0, 9), 9, "0"), pa.int64()).to_numpy()
    zone_text = pc.replace_substring(zone, ":", "")
    zone_len = pc.utf8_length(zone_text).to_numpy(zero_copy_only=False)
    signed = zone_len == 5
    padded = pc.utf8_rpad(zone_text, 5, "0")
    zone_digits = _bytes_at(padded.cast(pa.large_string()), 5)
    offset = np.where(signed, _number(zone_digits[:, 1:3]) * 3600 + _number(zone_digits[:, 3:5]) * 60, 0)
    sign = np.where(zone_digits[:, 0] == ord("+") - 48, 1, -1)
    valid = (y >= 1) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= 31) & (h < 24)
    whole = ((_days(y, np.clip(mo, 1, 12), d) * 24 + h) * 60 + mi) * 60 + s - sign * offset
    # Whole seconds near int64 nanoseconds' ends are checked exactly, in Python integers.
    near = valid & (np.abs(whole) > 9_000_000_000)
    safe = np.where(near, 0, whole)
    ns = safe * NS_PER_S + frac_ns
    status = np.where(valid, _OK, _INVALID).astype(np.int8)
    for i in np.flatnonzero(near):
        try:
            ns[i] = parse_year_first(ts[i].as_py())[0]
        except TimestampOutOfRange:
            status[i] = _OUT_OF_RANGE
        except TimestampError:
            status[i] = _INVALID
    return ns, status, _precision_code(digits), zone_len > 0


def _one_line(text: str, reference: Callable[[], int]):
    """The per-line reader's steps for one line: (kept, ns, precision, naive, out of range,
    CRI prefix seen, year-less)."""
    from rca.inputs.readers.loggers import _LEADING_TIME, _LOGFMT_TIME, _logfmt_time, _month_time, json_line_time

    m = _LEADING_TIME.match(text)
    if m:
        if m["cri"]:
            return False, None, None, False, False, True, False
        try:
            ns, precision, had_zone = parse_year_first(m["ts"])
            return True, ns, precision, not had_zone, False, False, False
        except TimestampOutOfRange:
            return False, None, None, False, True, False, False
        except TimestampError:
            return True, None, None, False, False, False, False
    if (stamp := leading_month_stamp(text)) is not None:
        ns, precision, naive, no_year = _month_time(stamp, reference())
        return True, ns, precision, naive, False, False, no_year
    if (in_json := json_line_time(text)) is not None:
        return True, *in_json, False, False, False
    if (kv := _LOGFMT_TIME.search(text)) is not None:
        ns, precision, naive = _logfmt_time(kv["v"])
        return True, ns, precision, naive, False, False, False
    return True, None, None, False, False, False, False


def _month_stamped(lines: pa.Array, rows: np.ndarray, reference: Callable[[], int]):
    """The `rows` that open with a month-name stamp, each one's index into the distinct
    stamps, and each distinct stamp parsed once as (ns or None, precision, naive, year-less)."""
    from rca.inputs.readers.loggers import _month_time

    found = pc.extract_regex(lines.take(pa.array(rows)), STAMP_RE2)
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    stamps = found.field("stamp").filter(found.is_valid()).dictionary_encode()
    which = stamps.indices.to_numpy(zero_copy_only=False)
    # Each stamp is read again by the line reader's own pattern, for its parts; a line that
    # pattern would not take is left as the line reader leaves it.
    again = [leading_month_stamp(text) for text in stamps.dictionary.to_pylist()]
    kept = np.array([m is not None for m in again], bool)[which]
    parsed = [_month_time(m, reference()) if m is not None else (None, None, False, False) for m in again]
    return rows[matched][kept], which[kept], parsed


def text_columns(data: bytes, source: str, first_line: int = 0) -> tuple[pa.Table, dict[str, int]] | None:
    """The canonical table of plain lines numbered from `first_line`, and the counts of their
    warnings (as `text_lines` gives them); None where only the per-line reader can read them."""
    reference = functools.cache(lambda: year_reference(source))
    lines = split(data)
    if lines is None:
        return None
    record = np.arange(first_line, first_line + len(lines), dtype=np.int64)
    lead = first_bytes(lines)
    blank = np.zeros(len(lines), bool)
    maybe = np.flatnonzero(SPACE_LEADS[lead])
    if maybe.size:
        blank[maybe] = pc.match_substring_regex(lines.take(pa.array(maybe)), rf"^{_IS_SPACE}*$").to_numpy(zero_copy_only=False)
    if blank.any():
        rows = np.flatnonzero(~blank)
        lines, record, lead = lines.take(pa.array(rows)), record[rows], lead[rows]
    n = len(lines)
    ns = np.zeros(n, np.int64)
    timed = np.zeros(n, bool)
    dropped = np.zeros(n, bool)
    precision = np.full(n, -1, np.int8)   # index into _PRECISIONS; -1 untimed
    naive = out_of_range = yearless = 0
    ascii_ = pc.string_is_ascii(lines).to_numpy(zero_copy_only=False)

    def put(rows: np.ndarray, values: pa.Array, logfmt: bool) -> None:
        nonlocal naive, out_of_range
        got, status, prec, zoned = parse_times(values)
        ok = status == _OK
        ns[rows[ok]] = got[ok]
        timed[rows[ok]] = True
        precision[rows[ok]] = prec[ok]
        naive += int((ok & ~zoned).sum())
        if not logfmt:  # a leading time out of range rejects the line; a logfmt one leaves it untimed
            far = status == _OUT_OF_RANGE
            dropped[rows[far]] = True
            out_of_range += int(far.sum())

    # Leading ISO times, on ASCII lines that open with a digit.
    digit = np.flatnonzero(ascii_ & (lead >= 48) & (lead <= 57))
    leading = np.zeros(n, bool)
    if digit.size:
        found = pc.extract_regex(lines.take(pa.array(digit)), _LEADING)
        matched = found.is_valid().to_numpy(zero_copy_only=False)
        if matched.any() and pc.any(pc.not_equal(found.field("cri").filter(found.is_valid()), "")).as_py():
            return None
        leading[digit[matched]] = True
        put(digit[matched], found.field("ts").filter(found.is_valid()), logfmt=False)
    # A leading time written with a month's name (syslog, logcli's other layouts).
    named = np.flatnonzero(ascii_ & ~leading & (((lead >= 65) & (lead <= 90)) | ((lead >= 48) & (lead <= 57))
                                                | (lead == ord("["))))
    if named.size:
        rows, which, parsed = _month_stamped(lines, named, reference)
        leading[rows] = True
        ok = np.array([got is not None for got, *_ in parsed], bool)[which]
        at = rows[ok]
        ns[at] = np.array([got or 0 for got, *_ in parsed], np.int64)[which][ok]
        timed[at] = True
        precision[at] = np.array([_PRECISIONS.index(prec or "s") for _, prec, *_ in parsed], np.int8)[which][ok]
        naive += int(np.array([p[2] for p in parsed], bool)[which][ok].sum())
        yearless += int(np.array([p[3] for p in parsed], bool)[which][ok].sum())
    # A JSON object line's own time field (such lines are few in a text log: one by one).
    braced = np.flatnonzero(ascii_ & (lead == ord("{")))
    if braced.size:
        from rca.inputs.readers.loggers import json_line_time

        for r, text in zip(braced.tolist(), lines.take(pa.array(braced)).to_pylist(), strict=True):
            if (in_json := json_line_time(text)) is not None:
                ns[r], timed[r], precision[r], leading[r] = in_json[0], True, _PRECISIONS.index(in_json[1]), True
                naive += in_json[2]
    # A logfmt time where there is no leading one.
    rest = np.flatnonzero(ascii_ & ~leading)
    if rest.size:
        found = pc.extract_regex(lines.take(pa.array(rest)), _LOGFMT)
        matched = found.is_valid().to_numpy(zero_copy_only=False)
        rows = rest[matched]
        values = pc.if_else(pc.equal(found.field("q"), ""), found.field("b"), found.field("q")).filter(found.is_valid())
        strict = pc.match_substring_regex(values, rf"^{_TS}$").to_numpy(zero_copy_only=False)
        put(rows[strict], values.filter(pa.array(strict)), logfmt=True)
        from rca.inputs.readers.loggers import _logfmt_time

        for r, v in zip(rows[~strict].tolist(), values.filter(pa.array(~strict)).to_pylist(), strict=True):
            got, prec, was_naive = _logfmt_time(v)
            if got is not None:
                ns[r], timed[r], precision[r] = got, True, _PRECISIONS.index(prec)
                naive += was_naive
    # Lines with other characters: the per-line reader's own steps.
    for r in np.flatnonzero(~ascii_).tolist():
        kept, got, prec, was_naive, far, cri, no_year = _one_line(lines[r].as_py(), reference)
        if cri:
            return None
        yearless += no_year
        dropped[r] = not kept
        out_of_range += far
        if got is not None:
            ns[r], timed[r], precision[r] = got, True, _PRECISIONS.index(prec)
            naive += was_naive
    if dropped.any():
        rows = np.flatnonzero(~dropped)
        lines, record, ns, timed, precision = (lines.take(pa.array(rows)), record[rows], ns[rows], timed[rows],
                                               precision[rows])
    m = len(lines)
    names = pa.DictionaryArray.from_arrays(pa.array(precision, pa.int8(), mask=~timed), pa.array(_PRECISIONS))
    table = pa.table({
        "ts_ns": pa.array(ns, pa.int64(), mask=~timed),
        "precision": names.dictionary_decode(),
        "labels": empty_maps(m), "metadata": empty_maps(m), "parsed": empty_maps(m),
        "line": lines,
        "source": pa.repeat(pa.scalar(source, pa.string()), m),
        "record": pa.array(record, pa.int64()),
    }, schema=SCHEMA)
    counts = {"naive": naive, "untimed": int((~timed).sum()), "out_of_range": out_of_range, "partial": 0,
              "yearless": yearless}
    return table, counts
