"""Times written with a month's name: syslog's `Dec  2 17:35:12`, Apache's `[Sun Dec 04
04:47:44 2005]` and logcli's other `--output-timestamp-format` layouts (Go's RFC1123(Z),
RFC822Z, ANSIC, UnixDate, Stamp*).

Some carry no year (syslog, Stamp*): the year is the latest that does not put the time
after the file was last written (or after now, for stdin), so December lines in a file
written in January land in the year before. A zone written as an abbreviation other than
UTC/GMT cannot be placed exactly and is read as UTC, like a time without an offset; the
caller warns about both.
"""

from __future__ import annotations

import calendar
import os
import time

from rca.inputs.timestamps import (INT64_NS, MONTHS, NS_PER_S, TimestampError, TimestampOutOfRange, month_stamp_pattern,
                                   precision_of_fraction)
from rca.lazy import LazyRegex

_ZERO_ZONES = frozenset({"UTC", "GMT", "UT", "Z"})
# A year-less time may be this far after its reference before it is taken as last year's:
# a local time read as UTC runs ahead of the true time by at most the largest zone offset
# (UTC+14), and an hour more for clocks; two days let a time land a day past the file's
# last write, which no clock or zone explains.
_YEAR_SLACK_NS = 15 * 3_600 * NS_PER_S

# The stamp's text, for readers that compose it into their own line patterns (each layout is
# anchored on a month name, so a word that merely starts a message is not read as a time),
# and its twin for RE2 over ASCII lines, which has no look-ahead: the whole stamp is the group
# `stamp`, read again by STAMP for its parts.
STAMP = month_stamp_pattern(named=True) + r"(?![\w:.])"
STAMP_RE2 = rf"^\[?(?P<stamp>{month_stamp_pattern()})(?:[^\w:.]|$)"
_STAMP_AT_START = LazyRegex(rf"^\[?{STAMP}")


def year_reference(source: str | None) -> int:
    """The instant a year-less time may not be after: when the file was last written, or now."""
    try:
        if source and os.path.isfile(source):
            return os.stat(source).st_mtime_ns
    except OSError:
        pass
    return time.time_ns()


def leading_month_stamp(text: str):
    """The month-name stamp a line opens with, perhaps in brackets (`[Sun Dec 04 04:47:44
    2005]`, Apache's), as a regex match; or None."""
    return _STAMP_AT_START.match(text)


def parse_month_stamp(m, reference_ns: int) -> tuple[int, str, bool, bool]:
    """A matched stamp as (ns UTC, precision, had a zone, had no year)."""
    day, month = (m["md"], m["mm"]) if m["mm"] else (m["nd"], m["nm"])
    year_text = m["my"] or m["ny"] or m["ay"]
    h, mi, s = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    if not (1 <= int(day) <= 31 and h < 24 and mi < 60 and s < 61):
        raise TimestampError(f"impossible time: {m.group()[:40]!r}")
    frac = m["f"] or ""
    zone_s = 0
    if m["z"]:
        sign = 1 if m["z"][0] == "+" else -1
        zone_s = sign * (int(m["z"][1:3]) * 3600 + int(m["z"][3:5]) * 60)
    zoned = bool(m["z"]) or m["abbr"] in _ZERO_ZONES

    def at(year: int) -> int:
        whole = calendar.timegm((year, MONTHS.index(month) + 1, int(day), h, mi, s, 0, 0, 0)) - zone_s
        return whole * NS_PER_S + (int(frac.ljust(9, "0")) if frac else 0)

    if year_text is None:
        year = time.gmtime(reference_ns // NS_PER_S).tm_year
        ns = at(year)
        if ns > reference_ns + _YEAR_SLACK_NS:
            ns = at(year - 1)
    else:
        year = int(year_text)
        if len(year_text) == 2:  # Go reads a two-digit year as 1969-2068
            year += 1900 if year >= 69 else 2000
        ns = at(year)
    if not INT64_NS[0] <= ns <= INT64_NS[1]:
        raise TimestampOutOfRange(f"time out of range: {m.group()[:40]!r}")
    precision = "min" if m["s"] is None else precision_of_fraction(len(frac))
    return ns, precision, zoned, year_text is None
