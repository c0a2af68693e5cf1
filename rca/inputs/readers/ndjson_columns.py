"""NDJSON read column-wise: the same records as `loggers.ndjson_lines`, parsed by Arrow's JSON
reader in bulk instead of orjson and a Python loop per line.

Only the fields a logger's time, level and message can come from are read, typed as the
first record has them (fields it lacks as strings). Arrow refuses a piece where a field
changes type, a line is not one JSON object, a key repeats or a string is not valid; so
does this reader where Arrow's rows are not the piece's non-blank lines one for one, or a
field is fractional (Arrow would read an integer there as a float). Those pieces, and
invalid UTF-8, are left to the per-line reader (None). Levels are normalised once per
distinct value, epoch numbers and RFC 3339 strings converted with integer arithmetic
(`text_columns.parse_times`); other strings take `object_fields`' own steps, one each.
"""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from rca.inputs.records import SCHEMA, STRING_MAP, empty_maps
from rca.inputs.readers.text_columns import _OK, _OUT_OF_RANGE, _PRECISIONS, _TS, parse_times, split
from rca.inputs.string_bytes import first_bytes, string_offsets
from rca.inputs.timestamps import NS_PER_S, TimestampError, TimestampOutOfRange

_BLOCK = 1 << 24
_BLANK = r"^[\t\n\x0b\x0c\r ]*$"  # what bytes.strip() strips
_WHITE = np.zeros(256, bool)
_WHITE[[0, 9, 10, 11, 12, 13, 32]] = True
# Powers of ten that end each epoch unit's digit counts (10 s, 13 ms, 16 us, 19 ns).
_UNITS = ((10 ** 10, "s", NS_PER_S), (10 ** 13, "ms", 1_000_000), (10 ** 16, "us", 1_000), (None, "ns", 1))
_MAX_NS = 9_999_999_999 * NS_PER_S


def _roles() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    from rca.inputs.readers.loggers import LEVEL_KEYS, MESSAGE_KEYS, TIME_KEYS

    return TIME_KEYS, LEVEL_KEYS, MESSAGE_KEYS


def _names() -> list[str]:
    """Every top-level name a role key can be read from (a dotted key: flat, or its parent)."""
    names: list[str] = []
    for keys in _roles():
        for key in keys:
            for name in (key, key.split(".")[0]):
                if name not in names:
                    names.append(name)
    return names


def _present(data: bytes, names: list[str]) -> list[str]:
    """The names that occur in the data as a quoted string (a key somewhere, or a value):
    Arrow fills a column per name in the schema for every row, so absent ones are left out.
    A \\u escape of an ASCII character could spell a key otherwise, so then all of them."""
    import regex

    body = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1,
                                            [None, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data)])
    found: list[str] = []
    rest = list(names)
    while rest:
        pattern = '"(?P<name>' + "|".join(regex.escape(n) for n in rest) + r')"|(?P<escape>\\u00[2-7][0-9a-fA-F])'
        hit = pc.extract_regex(body, pattern)[0]
        if not hit.is_valid:
            break
        name = hit["name"].as_py().decode()
        if not name:
            return names
        found.append(name)
        rest.remove(name)
    return [n for n in names if n in found]


def _schema(sample: dict, names: list[str]) -> pa.Schema | None:
    """The names typed as `sample` has them (strings where it lacks them); None when the
    sample holds one as an object, array or fraction (left to the loop)."""
    fields = []
    for name in names:
        value = sample.get(name)
        if isinstance(value, bool):
            kind = pa.bool_()
        elif isinstance(value, int):
            kind = pa.int64()
        elif value is None or isinstance(value, str):
            kind = pa.string()
        else:
            return None
        fields.append((name, kind))
    return pa.schema(fields)


def _chosen(raw: pa.Table, keys: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Per row, the index of the first key with a value (not null, not an empty string),
    as `fields.first(..., skip_empty=True)` picks it; -1 where none has one. A dotted key
    counts only as a flat name: its parent, if present, is a scalar here."""
    n = raw.num_rows
    pick = np.full(n, -1, np.int64)
    for at, key in enumerate(keys):
        if key not in raw.column_names:
            continue
        column = raw.column(key).combine_chunks()
        present = column.is_valid()
        if pa.types.is_string(column.type):
            present = pc.and_(present, pc.not_equal(column, "").fill_null(False))
        present = present.to_numpy(zero_copy_only=False)
        pick[(pick < 0) & present] = at
    return pick, list(keys)


def _values(raw: pa.Table, pick: np.ndarray, keys: list[str]) -> list[tuple[np.ndarray, pa.Array]]:
    """For each key chosen somewhere: the rows that chose it and their values."""
    out = []
    for at, key in enumerate(keys):
        rows = np.flatnonzero(pick == at)
        if rows.size:
            out.append((rows, raw.column(key).combine_chunks().take(pa.array(rows))))
    return out


def _levels(raw: pa.Table, n: int) -> tuple[np.ndarray, pa.Array]:
    """Rows with a level, and their normalised levels (each distinct value normalised once)."""
    from rca.inputs.readers.loggers import normalise_level

    _, level_keys, _ = _roles()
    pick, keys = _chosen(raw, level_keys)
    codes = np.full(n, -1, np.int64)
    names: list[str] = []
    index: dict[str, int] = {}
    for rows, values in _values(raw, pick, keys):
        encoded = values.dictionary_encode()
        mapped = []
        for value in encoded.dictionary.to_pylist():
            level = normalise_level(value)
            mapped.append(index.setdefault(level, len(names)) if level else -1)
            if level and len(index) > len(names):
                names.append(level)
        codes[rows] = np.asarray(mapped, np.int64)[encoded.indices.to_numpy(zero_copy_only=False)]
    rows = np.flatnonzero(codes >= 0)
    return rows, pa.array(names, pa.string()).take(pa.array(codes[rows]))


def _messages(raw: pa.Table) -> tuple[np.ndarray, pa.Array]:
    """Rows with a message (the first message key with a value, if that value is a string)."""
    _, _, message_keys = _roles()
    pick, keys = _chosen(raw, message_keys)
    rows_out, values_out = [], []
    for rows, values in _values(raw, pick, keys):
        if pa.types.is_string(values.type):
            rows_out.append(rows)
            values_out.append(values)
    if not rows_out:
        return np.zeros(0, np.int64), pa.array([], pa.string())
    rows = np.concatenate(rows_out)
    order = np.argsort(rows, kind="stable")
    return rows[order], pa.concat_arrays(values_out).take(pa.array(order))


class _Times:
    """Each row's time as `object_fields` reads it: ns, precision index (-1 untimed), whether
    it had no zone, whether it is out of nanoseconds' range (the record is rejected)."""

    def __init__(self, n: int) -> None:
        self.ns = np.zeros(n, np.int64)
        self.precision = np.full(n, -1, np.int8)
        self.naive = np.zeros(n, bool)
        self.far = np.zeros(n, bool)

    def one(self, row: int, stamp: object) -> None:
        from rca.inputs.readers.loggers import logger_time

        try:
            ns, precision, self.naive[row] = logger_time(stamp)
        except TimestampOutOfRange:
            self.far[row] = True
            return
        except TimestampError:
            return
        if not -(1 << 63) <= ns < (1 << 63):
            raise OverflowError  # the loop's own table build refuses it; left to the loop
        self.ns[row], self.precision[row] = ns, _PRECISIONS.index(precision)

    def epochs(self, rows: np.ndarray, values: np.ndarray) -> None:
        """`parse_epoch` over non-negative integers: the unit by digit count."""
        ok = values >= 0
        rows, values = rows[ok], values[ok]
        lower = 0
        for upper, unit, mult in _UNITS:
            inside = (values >= lower) & (values < upper if upper else True)
            lower = upper or 0
            r, v = rows[inside], values[inside]
            if mult > 1:
                keep = v <= _MAX_NS // mult
                if (v[keep] > ((1 << 63) - 1) // mult).any():
                    raise OverflowError
                r, v = r[keep], v[keep] * mult
            self.ns[r] = v
            code = _PRECISIONS.index(unit)
            if unit == "ns":
                self.precision[r] = np.where(v % 1_000_000, code, np.where(v % NS_PER_S, 1, 0))
            else:
                self.precision[r] = code

    def strings(self, rows: np.ndarray, values: pa.Array) -> None:
        strict = pc.match_substring_regex(values, rf"^{_TS}$").to_numpy(zero_copy_only=False)
        if strict.any():
            got, status, prec, zoned = parse_times(values.filter(pa.array(strict)))
            r = rows[strict]
            ok = status == _OK
            self.ns[r[ok]], self.precision[r[ok]], self.naive[r[ok]] = got[ok], prec[ok], ~zoned[ok]
            self.far[r[status == _OUT_OF_RANGE]] = True
        for row, stamp in zip(rows[~strict].tolist(), values.filter(pa.array(~strict)).to_pylist(), strict=True):
            self.one(row, stamp)


def _times(raw: pa.Table, n: int) -> _Times:
    time_keys, _, _ = _roles()
    pick, keys = _chosen(raw, time_keys)
    times = _Times(n)
    for rows, values in _values(raw, pick, keys):
        if pa.types.is_int64(values.type):
            times.epochs(rows, values.to_numpy(zero_copy_only=False))
        elif pa.types.is_string(values.type):
            times.strings(rows, values)
        # booleans are no time (parse_any refuses them)
    return times


def _parsed(n: int, level_rows: np.ndarray, levels: pa.Array, message_rows: np.ndarray,
            messages: pa.Array) -> pa.Array:
    """Each row's sorted map: {"level": ..., "message": ...}, either may be absent."""
    if not level_rows.size and not message_rows.size:
        return empty_maps(n)
    has_level = np.zeros(n, np.int32)
    has_level[level_rows] = 1
    has_message = np.zeros(n, np.int32)
    has_message[message_rows] = 1
    offsets = np.concatenate([[0], np.cumsum(has_level + has_message)]).astype(np.int32)
    order = np.empty(offsets[-1], np.int64)
    order[offsets[:-1][level_rows]] = np.arange(level_rows.size)
    order[offsets[:-1][message_rows] + has_level[message_rows]] = level_rows.size + np.arange(message_rows.size)
    take = pa.array(order)
    keys = pa.concat_arrays([pa.repeat(pa.scalar("level"), level_rows.size).cast(pa.string()),
                             pa.repeat(pa.scalar("message"), message_rows.size).cast(pa.string())]).take(take)
    items = pa.concat_arrays([levels.cast(pa.string()), messages.cast(pa.string())]).take(take)
    return pa.MapArray.from_arrays(pa.array(offsets), keys, items, type=STRING_MAP)


def _sample(lines: pa.Array) -> dict | None:
    from rca.inputs.readers.loggers import _loads_non_standard

    raw = lines[0].as_py().encode()
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = _loads_non_standard(raw)
    return obj if isinstance(obj, dict) else None


def ndjson_columns(data: bytes, source: str, first_line: int = 0) -> tuple[pa.Table, dict[str, int]] | None:
    """The canonical table of NDJSON lines numbered from `first_line`, and the counts of
    their warnings (as `ndjson_lines` gives them); None where only the loop can read them."""
    lines = split(data)
    if lines is None:
        return None
    record = np.arange(first_line, first_line + len(lines), dtype=np.int64)
    lead = first_bytes(lines)
    maybe = np.flatnonzero(_WHITE[lead])
    if maybe.size:
        blank = pc.match_substring_regex(lines.take(pa.array(maybe)), _BLANK).to_numpy(zero_copy_only=False)
        rows = np.setdiff1d(np.arange(len(lines)), maybe[blank], assume_unique=True)
        lines, record, lead = lines.take(pa.array(rows)), record[rows], lead[rows]
    n = len(lines)
    if n == 0:
        return None
    offsets = string_offsets(lines)
    body = np.frombuffer(lines.buffers()[2], np.uint8)
    if (lead != ord("{")).any() or (body[offsets[1:] - 1] != ord("}")).any():
        return None  # continuation text, padding, or not objects: the loop's cases
    sample = _sample(lines)
    schema = None if sample is None else _schema(sample, _present(data, _names()))
    if schema is None:
        return None
    try:
        raw = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=_BLOCK),
                           parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if raw.num_rows != n:
        return None
    try:
        times = _times(raw, n)
    except OverflowError:
        return None
    level_rows, levels = _levels(raw, n)
    message_rows, messages = _messages(raw)
    parsed = _parsed(n, level_rows, levels, message_rows, messages)
    timed = times.precision >= 0
    out_of_range = int(times.far.sum())
    table = pa.table({
        "ts_ns": pa.array(times.ns, pa.int64(), mask=~timed),
        "precision": pa.DictionaryArray.from_arrays(pa.array(times.precision, pa.int8(), mask=~timed),
                                                    pa.array(_PRECISIONS)).dictionary_decode(),
        "labels": empty_maps(n), "metadata": empty_maps(n), "parsed": parsed,
        "line": lines,
        "source": pa.repeat(pa.scalar(source, pa.string()), n),
        "record": pa.array(record, pa.int64()),
    }, schema=SCHEMA)
    kept = ~times.far
    if out_of_range:
        table = table.filter(pa.array(kept))
    counts = {"rejected": out_of_range, "untimed": int((~timed & kept).sum()), "naive": int((times.naive & kept).sum()),
              "continuation": 0, "out_of_range": out_of_range}
    return table, counts
