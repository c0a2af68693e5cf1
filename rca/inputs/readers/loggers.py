"""Application logger output: NDJSON or JSON arrays from pino, winston, bunyan, structlog,
zap, slog, Serilog, ECS/logstash and Docker, and plain text lines."""

from __future__ import annotations

import orjson
import regex

from rca.inputs.fields import first
from rca.inputs.month_stamps import leading_month_stamp, parse_month_stamp, year_reference
from rca.inputs.readers import (Context, ReadResult, fail, iter_documents, load_document, split_lines,
                                without_surrogates)
from rca.inputs.records import RecordBuilder
from rca.inputs.timestamps import (TimestampError, TimestampOutOfRange, parse_any, parse_year_first,
                                   year_first_time)
from rca.lazy import LazyRegex

# Field names by role, in the order they are tried. Dotted names also match nested objects.
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "@t", "datetime", "date", "asctime",
             "created", "eventTime", "Timestamp", "T")
LEVEL_KEYS = ("level", "levelname", "severity", "@l", "log.level", "lvl", "loglevel", "Level")
MESSAGE_KEYS = ("msg", "message", "@m", "@mt", "event", "textPayload", "jsonPayload.message",
                "log", "Message")
PINO_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}


def _first(obj: dict, keys: tuple[str, ...]) -> object:
    return first(obj, keys, skip_empty=True)


def normalise_level(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return PINO_LEVELS.get(int(value), str(value))
    text = regex.sub(r"\x1b\[[0-9;]*m", "", str(value)).strip().lower()
    return {"warning": "warn", "err": "error", "critical": "fatal", "emergency": "fatal",
            "information": "info", "informational": "info", "verbose": "debug"}.get(text, text)


def object_fields(obj: dict) -> tuple[int | None, str | None, dict[str, str], bool]:
    """(ts_ns, precision, parsed fields, time had no zone) for one logger object."""
    parsed: dict[str, str] = {}
    level = normalise_level(_first(obj, LEVEL_KEYS))
    if level:
        parsed["level"] = level
    message = _first(obj, MESSAGE_KEYS)
    if isinstance(message, str):
        parsed["message"] = message
    ns, precision, naive = object_time(obj) or (None, None, False)
    return ns, precision, parsed, naive


def object_time(obj: dict) -> tuple[int, str, bool] | None:
    """A logger object's time, from its first time field, as (ns, precision, had no zone); None
    when it has none or it cannot be read. A time past what nanoseconds hold raises
    TimestampOutOfRange: the caller decides whether that rejects the record."""
    stamp = _first(obj, TIME_KEYS)
    if stamp is None or isinstance(stamp, (dict, list)):
        return None
    try:
        return logger_time(stamp)
    except TimestampOutOfRange:
        raise
    except TimestampError:
        return None


def logger_time(stamp: object) -> tuple[int, str, bool]:
    """A logger object's time field as (ns, precision, had no zone): ISO, Go's and nginx's
    `2026/12/02 17:10:00`, or epoch digits. The one reading of it, line by line and in
    columns (rca.inputs.readers.ndjson_columns)."""
    text = stamp.strip() if isinstance(stamp, str) else ""
    if "-" in text[1:8] or text[4:5] == "/" == text[7:8]:
        ns, precision, had_zone = parse_year_first(text)
        return ns, precision, not had_zone
    ns, precision = parse_any(stamp)
    return ns, precision, False


def json_line_time(text: str) -> tuple[int, str, bool] | None:
    """The time of a line that is a JSON object, from its logger's time field, as
    (ns, precision, had no zone): a JSON line in a plain-text log is timed as NDJSON's are.
    None when the line is no JSON object or holds no readable time (out of range too: a
    plain-text line is kept untimed, never dropped, for what a field inside it says)."""
    if not text.startswith("{"):
        return None
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    try:
        return object_time(obj) if isinstance(obj, dict) else None
    except TimestampOutOfRange:
        return None


def _out_of_range(warnings: list[str], count: int) -> None:
    if count:
        warnings.append(f"{count} records were rejected: their time is outside 1678..2261, "
                        "which nanosecond timestamps cannot hold")


def time_warnings(untimed: int, naive: int, yearless: int = 0) -> list[str]:
    warnings = []
    if untimed:
        warnings.append(f"{untimed} records have no recognisable time field; they keep file order at the end")
    if naive:
        warnings.append(f"{naive} times carry no zone offset; read as UTC")
    if yearless:
        warnings.append(f"{yearless} times carry no year (as 'Dec  2 17:35:12'); read as the latest such date"
                        " not after the file was last written")
    return warnings


def _finish(builder: RecordBuilder, ctx: Context, rejected: int, untimed: int, naive: int,
            warnings: list[str]) -> ReadResult:
    warnings += time_warnings(untimed, naive)
    if len(builder) == 0:
        raise fail(ctx, "no log records found" + (f": {warnings[0]}" if rejected and warnings else ""))
    return ReadResult(builder.to_table(ctx.path), rejected=rejected, warnings=warnings)


def _loads_non_standard(raw: bytes) -> object:
    """JSON with NaN or Infinity (Python's and JavaScript's loggers write them), which
    orjson refuses: the standard library reads them."""
    if b"NaN" not in raw and b"Infinity" not in raw:
        return None
    import json

    try:
        return without_surrogates(json.loads(raw))
    except ValueError:
        return None


def read_ndjson(data: bytes, ctx: Context) -> ReadResult:
    """One JSON object per line (non-JSON lines such as banners or stack traces are kept as
    continuation text of the record before them), or a single JSON array of objects."""
    if not is_line_ndjson(data):
        stripped = data[:4096].lstrip()
        return _read_array(data, ctx) if stripped.startswith(b"[") else _read_documents(data, ctx)
    from rca.inputs.readers.ndjson_columns import ndjson_columns

    return _columns_or_lines(data, ctx, ndjson_columns, ndjson_lines, ndjson_warnings, "rejected")


def is_line_ndjson(data: bytes) -> bool:
    """Whether NDJSON is read a line at a time (not one array, not pretty-printed objects)."""
    stripped = data[:4096].lstrip()
    return not stripped.startswith(b"[") and not (stripped.startswith(b"{") and not _first_line_is_object(stripped))


def starts_ndjson_record(raw: bytes) -> bool:
    """Whether a line is a record of its own rather than continuation text of the one before."""
    if not raw.strip():
        return False
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = _loads_non_standard(raw)
    return isinstance(obj, dict)


def ndjson_lines(data: bytes, first_line: int = 0) -> tuple[RecordBuilder, dict[str, int]]:
    """The records of NDJSON lines, numbered from `first_line`, and the counts its warnings
    are made of (so that the pieces of a streamed file add up to the whole file's)."""
    builder = RecordBuilder()
    counts = dict.fromkeys(("rejected", "untimed", "naive", "continuation", "out_of_range"), 0)
    for index, raw in enumerate(split_lines(data), first_line):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = _loads_non_standard(raw)
        text = raw.decode("utf-8", errors="replace")
        if not isinstance(obj, dict):
            if len(builder):
                builder.line[-1] = f"{builder.line[-1]}\n{text}"
                counts["continuation"] += 1
            else:
                counts["rejected"] += 1
            continue
        try:
            ns, precision, parsed, was_naive = object_fields(obj)
        except TimestampOutOfRange:
            counts["rejected"] += 1
            counts["out_of_range"] += 1
            continue
        counts["untimed"] += ns is None
        counts["naive"] += was_naive
        builder.add(ns, precision, text, index, parsed=parsed)
    return builder, counts


def ndjson_warnings(counts: dict[str, int]) -> list[str]:
    warnings: list[str] = []
    _out_of_range(warnings, counts["out_of_range"])
    if counts["continuation"]:
        warnings.append(f"{counts['continuation']} non-JSON lines were kept as continuations of the record before them")
    if counts["rejected"] > counts["out_of_range"]:
        warnings.append(f"{counts['rejected'] - counts['out_of_range']} lines before the first JSON record were not log records")
    return warnings + time_warnings(counts["untimed"], counts["naive"])


def _first_line_is_object(head: bytes) -> bool:
    try:
        return isinstance(orjson.loads(head.split(b"\n", 1)[0]), dict)
    except orjson.JSONDecodeError:
        return False


def _as_line(obj: dict) -> str:
    """A record read from a document, written back as one line (by the standard library when
    it holds what orjson cannot write: an integer past 64 bits, a float JSON cannot hold)."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        import json

        return json.dumps(obj, ensure_ascii=False)


def _read_documents(data: bytes, ctx: Context) -> ReadResult:
    """Pretty-printed JSON objects (as copied from Grafana's log details), one after another:
    each object is a record."""
    builder = RecordBuilder()
    rejected = untimed = naive = out_of_range = 0
    for index, (doc, _pos) in enumerate(iter_documents(data)):
        records = doc if isinstance(doc, list) else [doc]
        for obj in records:
            if not isinstance(obj, dict):
                rejected += 1
                continue
            try:
                ns, precision, parsed, was_naive = object_fields(obj)
            except TimestampOutOfRange:
                out_of_range += 1
                continue
            untimed += ns is None
            naive += was_naive
            builder.add(ns, precision, _as_line(obj), index, parsed=parsed)
    warnings = []
    if rejected:
        warnings.append(("1 stretch is not a JSON record" if rejected == 1 else f"{rejected} stretches are not JSON records")
                        + " (invalid JSON, or nested too deeply to follow)")
    _out_of_range(warnings, out_of_range)
    return _finish(builder, ctx, rejected + out_of_range, untimed, naive, warnings)


def _read_array(data: bytes, ctx: Context) -> ReadResult:
    doc, rejected, warnings = load_document(data, ctx)
    if not isinstance(doc, list):
        raise fail(ctx, "expected a JSON array of log records")
    builder = RecordBuilder()
    untimed = naive = out_of_range = 0
    for index, obj in enumerate(doc):
        if not isinstance(obj, dict):
            rejected += 1
            continue
        try:
            ns, precision, parsed, was_naive = object_fields(obj)
        except TimestampOutOfRange:
            rejected += 1
            out_of_range += 1
            continue
        untimed += ns is None
        naive += was_naive
        builder.add(ns, precision, _as_line(obj), index, parsed=parsed)
    _out_of_range(warnings, out_of_range)
    return _finish(builder, ctx, rejected, untimed, naive, warnings)


_LEADING_TIME = LazyRegex(
    rf"^(?P<ts>{year_first_time()})\s+"
    r"(?:(?P<cri>stdout|stderr) (?P<tag>[FP]) )?(?P<rest>.*)$",
    regex.DOTALL,
)


_LOGFMT_TIME = LazyRegex(r'(?:^|\s)(?:ts|time|timestamp|@timestamp|t)=(?:"(?P<v>[^"]+)"|(?P<v>\S+))')


def _logfmt_time(value: str) -> tuple[int | None, str | None, bool]:
    """A logfmt `ts=`/`time=`/`timestamp=` value: RFC 3339 or epoch digits."""
    try:
        if "-" in value[1:8] or "/" in value[1:8]:
            ns, precision, had_zone = parse_year_first(value)
            return ns, precision, not had_zone
        ns, precision = parse_any(value)
        return ns, precision, False
    except TimestampError:
        return None, None, False


def _month_time(stamp, reference: int) -> tuple[int | None, str | None, bool, bool]:
    """A leading month-name stamp as (ns, precision, naive, year-less); an impossible one
    (`Feb 31 25:00:00`) leaves the line untimed, as an impossible ISO time does."""
    try:
        ns, precision, zoned, no_year = parse_month_stamp(stamp, reference)
    except TimestampError:
        return None, None, False, False
    return ns, precision, not zoned, no_year


def read_text(data: bytes, ctx: Context) -> ReadResult:
    """Plain lines (logcli `-o raw`, an application's own log file). A leading ISO time (or
    Go's `log` and nginx's `2026/12/02 17:10:00`, read alike), a JSON object line's time
    field, a logfmt `ts=`/`time=`/`timestamp=` field or a Kubernetes CRI prefix gives the
    record its time; CRI partial (`P`) lines are joined. Read column-wise where it gives the same records
    (`text_columns`), else line by line."""
    from functools import partial

    from rca.inputs.readers.text_columns import text_columns

    return _columns_or_lines(data, ctx, text_columns, partial(text_lines, source=ctx.path), text_warnings,
                             "out_of_range")


def _columns_or_lines(data: bytes, ctx: Context, columns_of, lines_of, warnings_of, rejected: str) -> ReadResult:
    """The records read column-wise by `columns_of` when it can give the per-line reader's
    exact table, else by `lines_of`; `rejected` names the count of lines set aside."""
    columns = columns_of(data, ctx.path)
    if columns is None:
        builder, counts = lines_of(data)
        return _finish(builder, ctx, counts[rejected], 0, 0, warnings_of(counts))
    table, counts = columns
    if table.num_rows == 0:
        raise fail(ctx, "no log records found")
    return ReadResult(table, rejected=counts[rejected], warnings=warnings_of(counts))


def text_lines(data: bytes, first_line: int = 0, source: str | None = None) -> tuple[RecordBuilder, dict[str, int]]:
    """The records of plain lines numbered from `first_line`, and the counts of their
    warnings; `partial` counts a CRI partial line still waiting for its end (a piece of a
    streamed file must not end there). Year-less times are placed by `source`'s mtime."""
    builder = RecordBuilder()
    naive = untimed = out_of_range = yearless = 0
    reference: int | None = None
    partial: str | None = None
    for index, raw in enumerate(split_lines(data), first_line):
        text = raw.decode("utf-8", errors="replace")
        if not text.strip():
            continue
        m = _LEADING_TIME.match(text)
        ns = precision = None
        if m:
            try:
                ns, precision, had_zone = parse_year_first(m["ts"])
                naive += not had_zone
            except TimestampOutOfRange:
                out_of_range += 1
                continue
            except TimestampError:
                ns = None
        elif (stamp := leading_month_stamp(text)) is not None:
            reference = year_reference(source) if reference is None else reference
            ns, precision, was_naive, no_year = _month_time(stamp, reference)
            naive += was_naive
            yearless += no_year
        elif (in_json := json_line_time(text)) is not None:
            ns, precision, was_naive = in_json
            naive += was_naive
        elif (kv := _LOGFMT_TIME.search(text)) is not None:
            ns, precision, was_naive = _logfmt_time(kv["v"])
            naive += was_naive
        if m and m["cri"]:
            body = (partial or "") + m["rest"]
            if m["tag"] == "P":
                partial = body
                continue
            partial = None
            text = body
        untimed += ns is None
        builder.add(ns, precision, text, index)
    return builder, {"naive": naive, "untimed": untimed, "out_of_range": out_of_range,
                     "partial": int(partial is not None), "yearless": yearless}


def text_warnings(counts: dict[str, int]) -> list[str]:
    warnings: list[str] = []
    _out_of_range(warnings, counts["out_of_range"])
    return warnings + time_warnings(counts["untimed"], counts["naive"], counts.get("yearless", 0))
