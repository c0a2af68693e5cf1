"""logcli query output: `-o jsonl` (columnar fast path), `-o default` text, and part files."""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import regex

from rca.inputs.detect import LOGCLI_STDERR
from rca.inputs.month_stamps import STAMP, parse_month_stamp, year_reference
from rca.inputs.readers import Context, ReadResult, fail, parse_label_string, split_lines
from rca.inputs.readers.loggers import time_warnings
from rca.inputs.records import RecordBuilder, struct_to_map, table_from_columns
from rca.inputs.timestamps import TimestampError, iso_array_to_ns, parse_any, parse_iso
from rca.lazy import LazyRegex
from rca.inputs.numpy_arrays import arrow

_JSONL_SCHEMA = pa.schema([("timestamp", pa.string()), ("line", pa.string())])
_BLOCK = 1 << 24  # lines up to 16 MiB stay on the columnar path


def read_jsonl(data: bytes, ctx: Context, source: str | None = None, labels: bool = True) -> ReadResult:
    """Read `{"labels":{…},"line":"…","timestamp":"RFC3339Nano"}` lines.

    Arrow's multi-threaded JSON reader does the parsing (straight from the file when
    `source` names a plain file); labels arrive as a struct and are turned into a map
    column by column. Any line Arrow refuses sends the whole input to the per-line path,
    which salvages the good lines and counts the bad ones. With `labels=False` (for
    callers that never look at them) labels are checked to be objects but not read, and the
    file is parsed a block at a time: half the CPU, and no copy of the whole file in memory.
    """
    def give_up() -> ReadResult:
        """Read line by line from the bytes, or tell the file fast path to do so."""
        return _read_jsonl_per_line(data, ctx) if source is None else _FALLBACK

    try:
        if labels:
            table = pj.read_json(
                source if source is not None else pa.BufferReader(data),
                read_options=pj.ReadOptions(block_size=_BLOCK),
                parse_options=pj.ParseOptions(
                    explicit_schema=_JSONL_SCHEMA, unexpected_field_behavior="infer"
                ),
            )
        else:
            if source is not None and not _file_is_utf8(source):
                return give_up()  # the byte path replaces the bad bytes and says so
            table = _read_without_labels(source if source is not None else pa.BufferReader(data))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return give_up()
    if source is not None and table.num_rows == 0:
        return give_up()
    extra = set(table.column_names) - {"timestamp", "line", "labels"}
    if extra or table.num_rows == 0 or table.column("line").null_count or table.column("timestamp").null_count:
        return give_up()
    if source is not None and not _valid_utf8(table):
        return give_up()  # Arrow does not check UTF-8 while parsing; the byte path replaces and reports it
    line = table.column("line")  # left in its chunks: combining would copy every byte
    stamps = table.column("timestamp").combine_chunks()
    ts, failures = iso_array_to_ns(stamps)
    if failures:
        return give_up()
    # Newest-first exports (logcli's default) are turned around here, where it costs one
    # take of the lines, rather than by a full sort later.
    ts_np = ts.to_numpy()
    n = len(ts_np)
    order = np.arange(n - 1, -1, -1) if n > 1 and (np.diff(ts_np) <= 0).all() else None
    labels_column = table.column("labels") if "labels" in table.column_names else None
    if labels_column is not None and not pa.types.is_struct(labels_column.type):
        return give_up()
    del table, stamps  # what is still needed is held by its columns; the rest can go
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:  # labels and lines in parallel
        labels_job = pool.submit(struct_to_map, labels_column, order) if labels_column is not None else None
        # logcli trims trailing zeros, so a time printed without a fraction is a whole second.
        precision = pc.if_else(arrow(ts_np % 1_000_000_000 == 0), "s", "ns")
        record = None
        if order is not None:
            take = arrow(order)
            kind, chunks, line = line.type, line.chunks, None
            line, precision, ts = _reversed(chunks, kind), precision.take(take), arrow(ts_np[order])
            record = take
        labels = labels_job.result() if labels_job else None
    return ReadResult(table_from_columns(ts, precision, line, ctx.path, labels=labels, record=record))


_FALLBACK = ReadResult(table=pa.table({}))
# Labels must be objects (as the per-line path requires) but nothing inside them is built;
# lines arrive in the canonical table's type, so they are not copied to change it.
_LEAN_SCHEMA = pa.schema([("timestamp", pa.string()), ("line", pa.large_string()), ("labels", pa.struct([]))])


def _read_without_labels(source) -> pa.Table:
    """Timestamps and lines only, parsed a block at a time (other fields are skipped, as the
    per-line path skips them)."""
    reader = pj.open_json(source, read_options=pj.ReadOptions(block_size=_BLOCK),
                          parse_options=pj.ParseOptions(explicit_schema=_LEAN_SCHEMA,
                                                        unexpected_field_behavior="ignore"))
    table = pa.Table.from_batches(list(reader), schema=reader.schema)
    return table.drop_columns(["labels"])


def _file_is_utf8(path: str) -> bool:
    """Whether the whole file is valid UTF-8, read in blocks (labels and other fields are not
    parsed, so their bytes are checked here; ASCII blocks cost almost nothing)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(_BLOCK):
                if not (block.isascii() and not decoder.getstate()[0]):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _reversed(chunks: list[pa.Array], kind: pa.DataType) -> pa.ChunkedArray:
    """The chunks, which the caller hands over, in reverse order: two at a time from the end,
    each reversed on its own thread, so that only two chunks are ever held twice."""
    from concurrent.futures import ThreadPoolExecutor

    def flip(chunk: pa.Array) -> pa.Array:
        return chunk.take(arrow(np.arange(len(chunk) - 1, -1, -1)))

    out: list[pa.Array] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        while chunks:
            pair = [chunks.pop() for _ in range(min(2, len(chunks)))]
            out += pool.map(flip, pair)
            del pair
    return pa.chunked_array(out, type=kind)


def _valid_utf8(table: pa.Table) -> bool:
    """Full UTF-8 validation of every string, the chunks checked in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = [c for name in ("line", "labels") if name in table.column_names for c in table.column(name).chunks]

    def check(chunk: pa.Array) -> bool:
        try:
            chunk.validate(full=True)
        except pa.ArrowInvalid:
            return False
        return True

    with ThreadPoolExecutor(max_workers=2) as pool:
        return all(pool.map(check, chunks))  # "read the bytes instead" from the file fast path


def _read_jsonl_per_line(data: bytes, ctx: Context) -> ReadResult:
    """Line by line: the good records kept, the bad counted. logcli's own stderr captured
    with `2>&1` (its query's URL, `Common labels: {…}`) is skipped, and the common labels,
    which logcli stripped from every line, are given back to the lines after them."""
    builder = RecordBuilder()
    rejected = skipped_meta = 0
    common: dict[str, str] = {}
    warnings: list[str] = []
    for index, raw in enumerate(split_lines(data)):
        if not raw.strip():
            continue
        if LOGCLI_STDERR.match(raw.strip()):
            skipped_meta += 1
            if (m := _COMMON.search(raw.decode("utf-8", errors="replace"))) is not None:
                common = parse_label_string(m.group(1)) or {}
            continue
        try:
            obj = orjson.loads(raw)
            line = obj["line"]
            if not isinstance(line, str):
                raise TypeError
            ns, _ = parse_any(obj["timestamp"])
            labels = obj.get("labels") or {}
            if not isinstance(labels, dict):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError, TimestampError):
            rejected += 1
            continue
        stamp = obj["timestamp"]
        precision = "ns" if isinstance(stamp, str) and regex.search(r"\d\d:\d\d:\d\d\.\d", stamp) else "s"
        builder.add(ns, precision, line, index, labels={**common, **labels} if common else labels)
    if skipped_meta:
        warnings.append(f"skipped {skipped_meta} lines of logcli's own stderr output (query URLs, common labels)")
    if rejected:
        warnings.append(f"{rejected} lines are not logcli JSONL records (broken JSON or missing fields)")
    if len(builder) == 0:
        raise fail(ctx, "no readable logcli JSONL records")
    return ReadResult(builder.to_table(ctx.path), rejected=rejected, warnings=warnings)


# `<timestamp> <labels> <line>` — timestamp layouts from logcli's --output-timestamp-format.
_DEFAULT_LINE = LazyRegex(
    r"^(?P<ts>(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))|" + STAMP + ")"
    r"(?: (?P<labels>\{(?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*\}))?\s?(?P<line>.*)$",
    regex.DOTALL,
)
_ANSI = LazyRegex(r"\x1b\[[0-9;]*m")
_STDERR = LazyRegex(
    r"^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?(?:https?://\S+/loki/api/\S+|Common labels: \{.*\}"
    r"|Ignoring labels key: .*|Print only labels key: .*)$"
)
_COMMON = LazyRegex(r"Common labels: (\{.*\})")
_GO_LOG_DATE = LazyRegex(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")


def is_stderr(text: str, previous: str | None) -> bool:
    """Whether a line (after `previous`, None first in the file) is logcli's own stderr: a
    query URL, `Ignoring labels key: …`, or `Common labels: {…}`. logcli prints Common labels
    right after the query's URL; an undated one elsewhere is a multi-line message's own text
    (a config dump, a quoted report), which must neither vanish nor relabel the lines after
    it. Dated by Go's log, it is logcli's wherever it stands."""
    if not _STDERR.match(text):
        return False
    if _GO_LOG_DATE.match(text) or not text.startswith("Common labels: "):
        return True
    return previous is None or _STDERR.match(previous) is not None


def read_default(data: bytes, ctx: Context) -> ReadResult:
    """logcli's default output; lines without a leading timestamp continue the previous one.

    Interleaved stderr (`Common labels: {…}`, request URLs) restores the labels logcli
    stripped, and is reported as skipped metadata rather than read as records.
    """
    builder, counts = default_records(data, source=ctx.path)
    if len(builder) == 0:
        raise fail(ctx, "no logcli records found (expected '<RFC3339 time> {labels} <line>')")
    return ReadResult(builder.to_table(ctx.path), rejected=counts["rejected"], warnings=default_warnings(counts))


def default_warnings(counts: dict[str, int]) -> list[str]:
    """The warnings of a logcli default read that counted `counts` (summed over pieces too)."""
    warnings = []
    if counts["skipped_meta"]:
        warnings.append(f"skipped {counts['skipped_meta']} lines of logcli's own stderr output"
                        " (query URLs, common labels)")
    if counts["rejected"]:
        warnings.append(f"{counts['rejected']} lines before the first timestamped record could not be read")
    return warnings + time_warnings(0, counts.get("naive", 0), counts.get("yearless", 0))


def starts_default_record(raw: bytes) -> bool:
    """Whether a line of logcli default output starts a record (as `default_records` reads
    it): a piece cut before such a line leaves nothing pending in the piece before."""
    return _DEFAULT_LINE.match(_ANSI.sub("", raw.decode("utf-8", errors="replace"))) is not None


def common_labels_set(raw: bytes, previous: bytes | None = None) -> dict[str, str] | None:
    """The labels a captured `Common labels: {…}` stderr line (after the line `previous`,
    None first in the file) sets for the lines after it (None: the line is not one)."""
    text = _ANSI.sub("", raw.decode("utf-8", errors="replace"))
    before = None if previous is None else _ANSI.sub("", previous.rstrip(b"\r").decode("utf-8", errors="replace"))
    if not is_stderr(text, before) or (m := _COMMON.search(text)) is None:
        return None
    return parse_label_string(m.group(1)) or {}


def default_records(data: bytes, common: dict[str, str] | None = None,
                    source: str | None = None) -> tuple[RecordBuilder, dict[str, int]]:
    """The records of logcli default lines numbered from 0, with `common` labels in effect
    before the first line (a piece of a file after a `Common labels:` line), and the
    counts its warnings are made of; year-less times are placed by `source`'s mtime."""
    builder = RecordBuilder()
    common = dict(common or {})
    skipped_meta = 0
    rejected = naive = yearless = 0
    reference: int | None = None
    pending: list[object] | None = None
    record = 0

    def flush() -> None:
        if pending is not None:
            ns, prec, labels, text, idx = pending
            builder.add(ns, prec, text, idx, labels=labels)

    previous: str | None = None
    for raw in split_lines(data):
        text = _ANSI.sub("", raw.decode("utf-8", errors="replace"))
        stderr, previous = is_stderr(text, previous), text
        if stderr:
            skipped_meta += 1
            m = _COMMON.search(text)
            if m:
                common = parse_label_string(m.group(1)) or {}
            continue
        m = _DEFAULT_LINE.match(text)
        if m is None:
            if pending is not None:
                pending[3] = f"{pending[3]}\n{text}"
            elif text.strip():
                rejected += 1
            continue
        flush()
        try:
            if m["iso"]:
                ns, prec, _ = parse_iso(m["iso"])
            else:
                reference = year_reference(source) if reference is None else reference
                ns, prec, zoned, no_year = parse_month_stamp(m, reference)
                naive += not zoned
                yearless += no_year
        except TimestampError:
            rejected += 1
            pending = None
            continue
        labels = dict(common)
        if m["labels"]:
            parsed = parse_label_string(m["labels"])
            if parsed is None:
                line_text = text[m.start("labels"):]
            else:
                labels.update(parsed)
                line_text = m["line"]
        else:
            line_text = m["line"]
        pending = [ns, prec, labels, line_text.strip(), record]
        record += 1
    flush()
    return builder, {"skipped_meta": skipped_meta, "rejected": rejected, "records": record,
                     "naive": naive, "yearless": yearless}
