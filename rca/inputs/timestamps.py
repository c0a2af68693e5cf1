"""Exact timestamp parsing: every time becomes int64 nanoseconds UTC, never through a float.

Epoch numbers are read by digit count (10 s, 13 ms, 16 µs, 19 ns); RFC 3339 strings keep
all nine fraction digits and honour their offset. Vectorised paths use Arrow's ISO 8601
cast and fall back to the exact scalar parser only for the strings Arrow refuses.
"""

from __future__ import annotations

import calendar
import time
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.lazy import LazyRegex

NS_PER_S = 1_000_000_000
_EPOCH_UNITS = {10: ("s", NS_PER_S), 13: ("ms", 1_000_000), 16: ("us", 1_000), 19: ("ns", 1)}
# Plausible epoch range in seconds: 2001-09-09 .. 2286-11-20 (the digit-count heuristic's range),
# widened to 1970 for values written with fewer digits.
_MAX_NS = 9_999_999_999 * NS_PER_S

_ISO = LazyRegex(
    r"""^\s*(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})
        (?:[Tt\s]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?)?
        \s*(?P<z>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    regex.VERBOSE,
)


def year_first_date(d: str = r"\d") -> str:
    """A year-first date and what parts it from its clock, as lines open with a time: ISO
    8601's `2026-12-02T` or `2026-12-02 `, or the slashes of Go's `log` package and nginx's
    error log, `2026/12/02 `. One definition for every pattern that must agree on which lines
    are timed, in syntax `regex` and RE2 read alike (`d`: a digit)."""
    return rf"{d}{{4}}(?:-{d}{d}-{d}{d}[T ]|/{d}{d}/{d}{d} )"


def year_first_time(d: str = r"\d") -> str:
    """`year_first_date` with its clock to the second, an optional fraction (`.` or `,`) and an
    optional zone: the leading time plain-text readers take as the record's."""
    return rf"{year_first_date(d)}{d}{d}:{d}{d}:{d}{d}(?:[.,]{d}+)?(?:Z|[+-]{d}{d}:?{d}{d})?"


class TimestampError(ValueError):
    """A value that is not a recognisable timestamp."""


class TimestampOutOfRange(TimestampError):
    """A well-formed time that int64 nanoseconds cannot hold (before 1677 or after 2262,
    such as year 0001 or 9999): the record is rejected, not placed at a made-up time."""


INT64_NS = (-(1 << 63), (1 << 63) - 1)


def precision_of_fraction(digits: int) -> str:
    if digits == 0:
        return "s"
    if digits <= 3:
        return "ms"
    if digits <= 6:
        return "us"
    return "ns"


def parse_iso(text: str) -> tuple[int, str, bool]:
    """Parse an RFC 3339 / ISO 8601 time; return (ns, precision, had_zone).

    A time without an offset is read as UTC; the caller decides whether to warn.
    """
    m = _ISO.match(text)
    if not m:
        raise TimestampError(f"not an ISO 8601 time: {text[:40]!r}")
    try:
        whole = calendar.timegm(
            (int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"] or 0), int(m["mi"] or 0),
             int(m["s"] or 0), 0, 0, 0)
        )
    except (ValueError, OverflowError) as exc:
        raise TimestampError(f"impossible date: {text[:40]!r}") from exc
    if not (1 <= int(m["mo"]) <= 12 and 1 <= int(m["d"]) <= 31 and int(m["h"] or 0) < 24):
        raise TimestampError(f"impossible date: {text[:40]!r}")
    frac = m["f"] or ""
    ns = whole * NS_PER_S + (int(frac[:9].ljust(9, "0")) if frac else 0)
    zone = m["z"]
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) >= 4 else 0)
        ns -= (offset if zone[0] == "+" else -offset) * NS_PER_S
    if not INT64_NS[0] <= ns <= INT64_NS[1]:
        raise TimestampOutOfRange(f"time out of range: {text[:40]!r}")
    precision = "min" if m["s"] is None and m["h"] else precision_of_fraction(len(frac))
    return ns, precision, zone is not None


def parse_year_first(text: str) -> tuple[int, str, bool]:
    """`parse_iso` of a time that may write its date with slashes (`2026/12/02 17:10:00`, Go's
    `log` and nginx): the same instant as its dashed twin, zone-less and so read as UTC."""
    if text[4:5] == "/" == text[7:8]:
        text = f"{text[:4]}-{text[5:7]}-{text[8:]}"
    return parse_iso(text)


def parse_epoch(value: int | float | str | Decimal) -> tuple[int, str]:
    """Parse a bare epoch number by its magnitude; return (ns, precision)."""
    if isinstance(value, bool):
        raise TimestampError("a boolean is not a timestamp")
    if isinstance(value, int):
        text = str(abs(value))
        if value < 0:
            raise TimestampError("negative epoch")
        return _epoch_digits(text)
    if isinstance(value, float):
        # repr() gives the shortest string that round-trips: the digits the writer meant.
        value = repr(value)
    text = str(value).strip()
    if text.isdigit():
        return _epoch_digits(text.lstrip("0") or "0")
    try:
        dec = Decimal(text)
    except InvalidOperation as exc:
        raise TimestampError(f"not an epoch number: {text[:40]!r}") from exc
    if not dec.is_finite() or dec < 0:
        raise TimestampError(f"not an epoch number: {text[:40]!r}")
    # Fractional numbers are seconds.
    ns = int(dec * NS_PER_S)
    if ns > _MAX_NS:
        raise TimestampError(f"epoch out of range: {text[:40]!r}")
    frac_digits = max(0, -dec.as_tuple().exponent) if isinstance(dec.as_tuple().exponent, int) else 0
    return ns, precision_of_fraction(frac_digits)


def _epoch_digits(text: str) -> tuple[int, str]:
    n = len(text)
    if n in _EPOCH_UNITS:
        unit, mult = _EPOCH_UNITS[n]
    elif n <= 10:
        unit, mult = "s", NS_PER_S
    elif n <= 13:
        unit, mult = "ms", 1_000_000
    elif n <= 16:
        unit, mult = "us", 1_000
    elif n <= 19:
        unit, mult = "ns", 1
    else:
        raise TimestampError(f"epoch has too many digits: {text[:40]!r}")
    ns = int(text) * mult
    if ns > _MAX_NS:
        raise TimestampError(f"epoch out of range: {text[:40]!r}")
    if unit == "ns" and ns % 1_000_000 == 0:
        unit = "ms" if ns % NS_PER_S else "s"
    return ns, unit


def parse_any(value: object) -> tuple[int, str]:
    """Parse an epoch number or an ISO string; raise TimestampError otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_epoch(value)
    if isinstance(value, str):
        s = value.strip()
        if not s:
            raise TimestampError("empty timestamp")
        if s[0].isdigit() and ("-" not in s[1:5]):
            return parse_epoch(s)
        ns, precision, _ = parse_iso(s)
        return ns, precision
    raise TimestampError(f"not a timestamp: {type(value).__name__}")


def iso_array_to_ns(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, int]:
    """Parse an Arrow string array of RFC 3339 times to int64 ns; return (ns, failures).

    Failures are nulls in the result. Arrow's cast handles the common shapes; the rest
    (no zone, more than nine fraction digits, odd spacing) go through `parse_iso`.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        return pc.cast(values, pa.timestamp("ns", tz="UTC")).cast(pa.int64()), 0
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out: list[int | None] = []
    failures = 0
    for v in values.to_pylist():
        if v is None:
            out.append(None)
            failures += 1
            continue
        try:
            out.append(parse_any(v)[0])
        except TimestampError:
            out.append(None)
            failures += 1
    return pa.array(out, pa.int64()), failures


# Row views fill a missing time with 0 (NO_TIME); it is never rendered as a 1970 date.
NO_TIME = 0
NO_TIME_TEXT = "time not in the export"


def format_rfc3339_ms(ns: int | None) -> str | None:
    """Render ns as RFC 3339 UTC with milliseconds and Z, the findings' time format; None
    when the time is unknown (None, or NO_TIME)."""
    if ns is None or ns == NO_TIME:
        return None
    secs, rem = divmod(ns, NS_PER_S)
    tm = time.gmtime(secs)
    return f"{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}.{rem // 1_000_000:03d}Z"


def time_text(ns: int | None) -> str:
    """A time for people to read: RFC 3339, or that the export did not carry it."""
    return format_rfc3339_ms(ns) or NO_TIME_TEXT


def format_rfc3339_nano(ns: int) -> str:
    """RFC 3339 UTC with the fraction Go's RFC3339Nano prints: trailing zeros trimmed."""
    secs, frac = divmod(ns, NS_PER_S)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    fraction = f"{frac:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def month_stamp_pattern(d: str = r"\d", named: bool = False) -> str:
    """A time written with a month's name, in the layouts rca.inputs.month_stamps reads, as a
    pattern `regex` and RE2 run alike (`d` is a digit; `named`: its parts as named groups,
    for `regex` alone, which allows a name in each alternative). A zone name or a year after
    the clock only after a weekday, so a syslog message opening with one keeps it."""
    def part(name: str, body: str) -> str:
        return f"(?P<{name}>{body})" if named else f"(?:{body})"

    months, weekdays = "|".join(MONTHS), "|".join(WEEKDAYS)
    date = (rf"(?:{part('md', d + d)} {part('mm', months)} {part('my', f'{d}{d}(?:{d}{d})?')} "  # RFC1123(Z), RFC822Z
            rf"|{part('nm', months)} +{part('nd', d + '{1,2}')} )")                          # syslog, Stamp*, ANSIC, UnixDate
    clock = rf"{part('h', d + d)}:{part('mi', d + d)}(?::{part('s', d + d)}(?:\.{part('f', d + '{1,9}')})?)?"
    zone = rf" {part('z', '[+-]' + d + '{4}')}"
    after_weekday = rf"{zone}| {part('abbr', '[A-Z]{1,5}')}(?: {part('ny', d + '{4}')})?| {part('ay', d + '{4}')}"
    return rf"(?:{part('wd', weekdays)},? {date}{clock}(?:{after_weekday})?|{date}{clock}(?:{zone})?)"


_LEADING_STAMP = LazyRegex(r"^\s*[\[(]?(?:" + year_first_time() + r"|[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|"
                           + month_stamp_pattern() + r")[\])]?(?:\s+|$)")


def strip_leading_time(text: str) -> str:
    """A plain-text line without its leading timestamp (ISO, syslog, or another with a month's
    name), which is the record's time, not part of its message."""
    return _LEADING_STAMP.sub("", text, count=1)


# The same stamp in RE2 for Arrow kernels, with `regex`'s Unicode digits and white space.
_WS = r"[\t-\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_D = r"\p{Nd}"


def _leading_stamp_re2(d: str, ws: str) -> str:
    return (rf"^{ws}*[\[(]?(?:{year_first_time(d)}"
            rf"|[A-Z][a-z]{{2}} +{d}{{1,2}} {d}{d}:{d}{d}:{d}{d}|{month_stamp_pattern(d)})[\])]?(?:{ws}+|$)")


_LEADING_STAMP_RE2 = _leading_stamp_re2(_D, _WS)
# On lines of printable ASCII and tabs the only digits are 0-9 and the only white space tab and
# space: the same stamp, which RE2 runs in less than half the time.
_LEADING_STAMP_RE2_ASCII = _leading_stamp_re2("[0-9]", r"[\t ]")


def strip_leading_time_array(lines, printable_ascii: bool = False):
    """`strip_leading_time` over an Arrow string array, in one RE2 pass (`printable_ascii`:
    the lines hold nothing but printable ASCII and tabs)."""
    import pyarrow.compute as pc

    pattern = _LEADING_STAMP_RE2_ASCII if printable_ascii else _LEADING_STAMP_RE2
    return pc.replace_substring_regex(lines, pattern, "", max_replacements=1)


# RFC 3164's header after its time, `Dec  2 17:10:00 web-1 nginx[812]: `: which host and process
# wrote the line, not what happened; the program names its component. With a pid, after a time
# that opens with a month's name. Without a pid (`web-1 kernel: `), or after an ISO time
# (rsyslog's `2026-12-02T17:10:00.123+00:00 web-1 nginx[812]: `), the host must be written as
# hosts are (no capital letter) and be no level word: an application's own `Retrying
# order[42]: …`, `Starting server: …` or `info main: …` is its text.
def _syslog_header(d: str, ws: str) -> str:
    return rf"^[A-Za-z0-9_.-]+ (?P<program>[A-Za-z0-9_./-]+)\[{d}+\]:(?:{ws}+|$)"


def _host_header(d: str, ws: str) -> str:
    return rf"^(?P<host>[a-z0-9_.-]+) (?P<program>[A-Za-z0-9_./-]+)(?:\[{d}+\])?:(?:{ws}+|$)"


NOT_HOSTS = frozenset({"trace", "debug", "info", "notice", "warn", "warning", "error", "err", "crit", "critical",
                       "alert", "emerg", "fatal", "panic"})
_SYSLOG_HEADER = LazyRegex(_syslog_header(r"\d", r"\s"))
_HOST_HEADER = LazyRegex(_host_header(r"\d", r"\s"))
_NAMED_FIRST = LazyRegex(r"^\s*[A-Z]")
_ISO_FIRST = LazyRegex(r"^\s*\d{4}-\d\d-\d\dT\d\d:\d\d")


def split_header(text: str) -> tuple[str | None, str]:
    """A plain-text line as (the program a syslog header names, or None; its message): the
    line without its leading time and, after a time written with a month's name or rsyslog's
    ISO time, without syslog's host and program[pid]."""
    message = strip_leading_time(text)
    if len(message) == len(text):
        return None, message
    named = _NAMED_FIRST.match(text) is not None
    if named and (m := _SYSLOG_HEADER.match(message)):
        return m["program"], message[m.end():]
    if (named or _ISO_FIRST.match(text)) and (m := _HOST_HEADER.match(message)) and m["host"] not in NOT_HOSTS:
        return m["program"], message[m.end():]
    return None, message


def header_less_array(lines):
    """`split_header`'s messages alone over an Arrow string array, for callers that never ask
    which program wrote a line (`rca patterns` templates messages): the programs are not taken."""
    return split_header_array(lines, programs=False)[0]


def split_header_array(lines, printable_ascii: bool = False, programs: bool = True):
    """`split_header` over an Arrow string array: (messages, programs; None when not asked).
    Only lines that lost a leading time and open with a capital letter, a digit or white
    space are looked at for the header."""
    import numpy as np

    from rca.inputs.string_bytes import SPACE_LEADS, first_bytes

    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    messages = strip_leading_time_array(lines, printable_ascii)
    wanted = programs
    programs = pa.nulls(len(lines), pa.string()) if wanted else None
    lead = first_bytes(lines)
    capital, spaced, digit = (lead >= 65) & (lead <= 90), SPACE_LEADS[lead], (lead >= 48) & (lead <= 57)
    rows = np.flatnonzero(capital | spaced | digit)
    if not rows.size:
        return messages, programs
    d, ws = ("[0-9]", r"[\t ]") if printable_ascii else (_D, _WS)
    some, cut = lines.take(pa.array(rows)), messages.take(pa.array(rows))
    timed = pc.less(pc.binary_length(cut), pc.binary_length(some)).to_numpy(zero_copy_only=False)
    named = timed & capital[rows]
    if spaced.any():  # white space, then the month's name?
        named |= timed & spaced[rows] & pc.match_substring_regex(some, rf"^{ws}*[A-Z]").to_numpy(zero_copy_only=False)
    pid = named & pc.match_substring_regex(cut, _syslog_header(d, ws)).to_numpy(zero_copy_only=False)
    hosted = pc.extract_regex(cut, _host_header(d, ws))
    by_host = timed & ~pid & hosted.is_valid().to_numpy(zero_copy_only=False)
    if by_host.any():
        by_host &= ~pc.is_in(hosted.field("host"), pa.array(sorted(NOT_HOSTS))).to_numpy(zero_copy_only=False)
        iso = pc.match_substring_regex(some, rf"^{ws}*{d}{{4}}-{d}{d}-{d}{d}T{d}{d}:{d}{d}")
        by_host &= named | iso.to_numpy(zero_copy_only=False)
    for headed, pattern, found in ((pid, _syslog_header(d, ws), None), (by_host, _host_header(d, ws), hosted)):
        if not headed.any():
            continue
        # The message past the header: a pass over the headed lines alone, which costs less
        # than capturing the rest of every line.
        at, kept = rows[headed], pa.array(headed)
        taken = np.full(len(lines), -1, np.int64)
        taken[at] = np.arange(at.size)
        index = pa.array(taken, mask=taken < 0)
        rest = pc.replace_substring_regex(cut.filter(kept), pattern, "", max_replacements=1)
        messages = pc.if_else(index.is_valid(), rest.take(index), messages)
        if wanted:
            header = pc.extract_regex(cut.filter(kept), pattern) if found is None else found.filter(kept)
            programs = pc.if_else(index.is_valid(), header.field("program").take(index), programs)
    return messages, programs
