"""Times as people read them: a prose window ("08:32–08:44 MST (15:32–15:44 UTC), 12 min")
for summaries, and one exact stamp per instant for timelines, the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rca.inputs.timestamps import NO_TIME, NO_TIME_TEXT, NS_PER_S, format_rfc3339_ms

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


def _dt(ns: int, tz: ZoneInfo | None) -> datetime:
    secs, rem = divmod(ns, NS_PER_S)
    moment = datetime.fromtimestamp(secs, tz=UTC).replace(microsecond=rem // 1000)
    return moment.astimezone(tz) if tz is not None else moment


def duration(ns: int) -> str:
    seconds = round(max(0, ns) / NS_PER_S)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def _clock_span(start: int, end: int, tz: ZoneInfo | None) -> str:
    a, b = _dt(start, tz), _dt(end, tz)
    name = a.strftime("%Z") if tz is not None else "UTC"
    if a.date() == b.date():
        return f"{a:%H:%M}–{b:%H:%M} {name}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M} {name}"


def day(ns: int, tz: ZoneInfo | None = None) -> str:
    return f"{_dt(ns, tz):%Y-%m-%d}"


def window(start: int, end: int, tz: ZoneInfo | None = None) -> str:
    """'2025-12-05 08:32–08:44 MST (15:32–15:44 UTC), 12 min' — local first when a zone is given."""
    if start == NO_TIME:
        return NO_TIME_TEXT
    utc = _clock_span(start, end, None)
    if tz is None:
        text = f"{day(start)} {utc}" if day(start) == day(end) else utc
    else:
        local = _clock_span(start, end, tz)
        text = (f"{day(start, tz)} {local}" if day(start, tz) == day(end, tz) else local) + f" ({utc})"
    return f"{text}, {duration(end - start)}"


def clock(ns: int | None, tz: ZoneInfo | None = None) -> str:
    """'08:44 MST (15:44 UTC)' for prose."""
    if ns is None:
        return "unknown"
    if ns == NO_TIME:
        return NO_TIME_TEXT
    utc = f"{_dt(ns, None):%H:%M} UTC"
    return f"{_dt(ns, tz):%H:%M %Z} ({utc})" if tz is not None else utc


def stamp(ns: int | None, tz: ZoneInfo | None = None) -> str:
    """The exact instant: RFC 3339 UTC to the millisecond, local time in brackets."""
    if ns is None:
        return "unknown"
    if ns == NO_TIME:
        return NO_TIME_TEXT
    text = format_rfc3339_ms(ns) or "unknown"
    if tz is not None:
        text += f" ({_dt(ns, tz):%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" {_dt(ns, tz):%Z})"
    return text
