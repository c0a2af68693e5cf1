"""Read what the user exported — files, folders of part files, stdin — into one table.

`ingest(paths)` is the library entry point: every input is decompressed, decoded, its
format detected (or forced), read into the canonical table (`rca.inputs.records`), checked for
truncation, and merged with the others in time order with cross-input duplicates removed.
Nothing is dropped without being counted as rejected or duplicate.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import rca
from rca.lazy import logger
from rca.inputs.detect import detect, not_a_log
from rca.errors import InputError, InputErrors, UsageError
from rca.inputs.formats import FORMATS
from rca.inputs.groups import group_rows
from rca.inputs.readers import Context, ReadResult, logcli
from rca.inputs import limits as input_limits
from rca.inputs.progress import report, size_of
from rca.inputs.sniff import BOM_NOTE, decompress, is_plain_text, is_zip, looks_binary, to_utf8
from rca.inputs.records import concat, dedupe_across_sources, sort_by_time
from rca.inputs.timestamps import format_rfc3339_ms
from rca.inputs.numpy_arrays import arrow

if not rca.diagnostics_enabled:  # a library stays quiet unless the CLI asked for diagnostics
    logger.quiet("rca")

# Line limits that tools apply by default: logcli 30, Loki API 100, Grafana 1000, Loki max 5000.
DEFAULT_LIMITS = (30, 100, 1000, 5000)
STDIN = "-"


@dataclass
class InputSummary:
    """What one input held. `records` counts what was read, duplicates included."""

    path: str
    format: str
    records: int = 0
    rejected: int = 0
    duplicates: int = 0
    first_ns: int | None = None
    last_ns: int | None = None
    truncated: bool = False
    truncated_end: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)
    # Labels every record carries with one value (Grafana's "Common labels"), and the query
    # the export names: what the export was filtered by.
    common_labels: dict[str, str] = field(default_factory=dict)
    query: str | None = None
    order: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "format": self.format,
            "records": self.records,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "first": format_rfc3339_ms(self.first_ns),
            "last": format_rfc3339_ms(self.last_ns),
            "truncated": self.truncated,
            "warnings": list(self.warnings),
        }


@dataclass
class Ingested:
    """The records read. A streamed export's table holds only the rows that may matter;
    `total` then counts them all and `identity` names the export's content."""

    table: pa.Table
    inputs: list[InputSummary]
    total: int | None = None
    identity: str | None = None
    # Set when the analysis was clipped to a time window (rca.inputs.window).
    window_note: str | None = None
    # Set (a streamed export): the rows' raw lines, held packed (rca.table.packed.PackedLines,
    # a later stage); `table` then has no "line".
    packed_lines: Any = None

    @property
    def records(self) -> int:
        return self.table.num_rows if self.total is None else self.total

    def lines(self) -> Any:
        """The rows' raw lines, as held: read them with `take_rows` or `packed.holding`."""
        return self.table.column("line") if self.packed_lines is None else self.packed_lines

    def all_lines(self) -> pa.ChunkedArray:
        """Every row's raw line, unpacked when held packed."""
        return self.table.column("line") if self.packed_lines is None else self.packed_lines.unpacked()


def expand_paths(paths: list[str]) -> tuple[list[tuple[str, bool]], list[InputError]]:
    """Files to read, each with whether it came from a folder (then unreadable ones only
    warn), and the inputs that do not exist."""
    out: list[tuple[str, bool]] = []
    errors: list[InputError] = []
    for p in paths:
        if p == STDIN:
            out.append((p, False))
            continue
        path = Path(p)
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                errors.append(InputError(p, "permission denied (a folder rca cannot list)"))
                continue
            files = sorted(
                str(f) for f in path.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
            if not files:
                errors.append(InputError(p, "folder holds no files"))
            out += [(f, True) for f in files]
        elif path.exists():
            out.append((p, False))
        elif (member := _archive_member(p)) is not None:
            out.append((member, False))
        else:
            errors.append(InputError(p, "no such file or folder"))
    return out, errors


def _archive_member(path: str) -> str | None:
    from rca.inputs.spool import archive_member

    return archive_member(path)


def _members(path: str) -> list[tuple[str, bytes | None, bool]]:
    """A zip archive's files as inputs of their own (`archive.zip:member`); any other path
    as itself, read later."""
    if path == STDIN or input_limits.is_stream(path):
        return [(path, None, False)]
    if not is_zip(path):
        return [(path, None, False)]
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = member_names(archive)
            if not names:
                raise InputError(path, "zip archive holds no files")
            caps = input_limits.current()
            return [(f"{path}:{n}", input_limits.capped_member(archive, n, f"{path}:{n}", caps), True)
                    for n in names]
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise InputError(path, f"broken zip archive ({exc})") from None


def member_names(archive) -> list[str]:
    """A zip archive's files read as inputs, in the order they are read (hidden files and
    macOS resource forks left out)."""
    return sorted(i.filename for i in archive.infolist() if not i.is_dir()
                  and not any(p.startswith((".", "__MACOSX")) for p in i.filename.split("/")))


def _read_bytes(path: str) -> bytes:
    from rca.inputs.spool import spooled

    if (copy := spooled(path)) is not None:  # already read into a file by the streamed path
        with open(copy, "rb") as fh:
            return fh.read()
    if path == STDIN:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError(path, "standard input is a terminal; pipe an export into rca")
        if input_limits.is_stream("/dev/stdin"):
            return input_limits.read_stream(sys.stdin.fileno(), path, input_limits.current(), looks_binary)
        return sys.stdin.buffer.read()
    try:
        if input_limits.is_stream(path):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                return input_limits.read_stream(fd, path, input_limits.current(), looks_binary)
            finally:
                os.close(fd)
        with open(path, "rb") as fh:
            return fh.read()
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from None


def _fits_whole(path: str, input_format: str | None) -> None:
    """Refuse a file past the size cap that can only be read whole (one JSON document, a CSV):
    it would take several times its size in memory. Line-oriented exports pass: large ones
    are streamed (`rca.inputs.parts`), and compressed ones are capped as they decompress."""
    if path == STDIN or input_limits.is_stream(path):
        return
    caps = input_limits.current()
    try:
        size = os.path.getsize(path)
    except OSError:
        return  # the read says what is wrong
    if size <= caps.input_size:
        return
    from rca.inputs.parts import sniff

    if sniff(path, input_format) is None:
        raise InputError(path, f"is {input_limits.human(size)}, more than the {input_limits.human(caps.input_size)} "
                               "an export that cannot be streamed may be read whole; refused "
                               "(raise the cap with --input-limit input-size=SIZE)")


def _fast_path(path: str, input_format: str | None, labels: bool = True) -> ReadResult | None:
    """logcli JSONL in a plain, uncompressed UTF-8 file: let Arrow read the file itself."""
    if path == STDIN or input_format not in (None, "logcli-jsonl") or input_limits.is_stream(path):
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None
    if not is_plain_text(head):
        return None
    if input_format is None and detect(head)[0] != "logcli-jsonl":
        return None
    result = logcli.read_jsonl(b"", Context(path=path, format="logcli-jsonl"), source=path, labels=labels)
    return None if result.table.num_columns == 0 else result


def read_input(path: str, input_format: str | None = None, data: bytes | None = None,
               labels: bool = True) -> tuple[pa.Table, InputSummary]:
    """Read one input into a canonical table (in file order) and its summary. `labels=False`
    allows leaving a plain logcli JSONL file's labels empty, which reads it in half the time."""
    started = time.perf_counter()
    fast = _fast_path(path, input_format, labels) if data is None else None
    if fast is not None:
        return _summarise(path, "logcli-jsonl", fast, [], [], started)
    if data is None:
        _fits_whole(path, input_format)
    raw = _read_bytes(path) if data is None else data
    if not raw:
        raise InputError(path, "empty file")
    raw, compression = decompress(raw, path)
    text, encoding = to_utf8(raw, path)
    del raw
    if input_format is None:
        name, reason = detect(text)
        if name == "loki-error":
            raise InputError(path, f"this is an error message saved instead of logs: {reason}")
        if name == "rca-findings":
            raise InputError(path, "this is rca's findings JSON (rca analyze -f json), not a log export: "
                                   "give it to rca attach, or analyze the export it came from")
        if name == "loki-metric":
            raise InputError(path, "this is logcli output for a metric query (numbers, not log lines);"
                                   " re-export with a log query")
        if name is None:
            raise InputError(path, "empty file")
        logger.debug("{}: detected {} ({})", path, name, reason)
    else:
        name = input_format
    if name == "text" and (problem := not_a_log(text, forced=input_format is not None)):
        raise InputError(path, problem)
    fmt = FORMATS[name]
    ctx = Context(path=path, format=name)
    try:
        result = fmt.read(text, ctx)
    except InputError:
        raise
    except RecursionError:
        raise InputError(path, f"cannot be read as {name}: nested too deeply to follow") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, pa.ArrowException) as exc:
        raise InputError(path, f"cannot be read as {name}: {type(exc).__name__}: {exc}"[:300]) from None
    return _summarise(path, name, result, compression, encoding, started)


def _summarise(path: str, name: str, result: ReadResult, compression: list[str], encoding: list[str],
               started: float) -> tuple[pa.Table, InputSummary]:
    fmt = FORMATS[name]
    table = result.table
    summary = InputSummary(path=path, format=name, records=table.num_rows, rejected=result.rejected,
                           query=result.query)
    summary.notes = [f"compression: {c}" for c in compression] + encoding
    summary.warnings += [n for n in compression if "cut off" in n] + result.warnings
    summary.warnings += [n for n in encoding if "invalid UTF-8" in n or "NUL bytes at the start" in n]
    if path.endswith(".part.tmp"):
        summary.warnings.append("an unfinished logcli part file (.part.tmp): its window may be incomplete")
    cap = input_limits.current().line_length
    table, n_long = input_limits.cap_lines(table, cap)
    if n_long:
        summary.warnings.append(input_limits.cut_lines_warning(n_long, cap))
    if table.num_rows == 0 and result.rejected == 0:
        raise InputError(path, f"no log records in this {name} export")
    if table.num_rows == 0:
        raise InputError(path, f"no readable records: all {result.rejected} were rejected")
    if _all_empty(table):
        raise InputError(path, "no log records: every record is empty ({}, [], null or \"\") and has no time")
    _describe(table, summary)
    _check_truncation(summary, result.truncated_end, result.truncation_reason, result.declared_limit, fmt.default_order)
    summary.seconds = time.perf_counter() - started
    return table, summary


EMPTY_BODIES = ("{}", "[]", "null", '""', "")


def _all_empty(table: pa.Table) -> bool:
    """Every record says nothing: no time and an empty body (a file holding just `{}` or
    `null` read as one record made a report of 'No incident' with a zero exit)."""
    if table.column("ts_ns").null_count < table.num_rows:
        return False
    bodies = pc.utf8_trim_whitespace(table.column("line"))
    return bool(pc.all(pc.is_in(bodies, value_set=pa.array(EMPTY_BODIES))).as_py())


def _describe(table: pa.Table, summary: InputSummary) -> None:
    ts = table.column("ts_ns")
    if ts.null_count < len(ts):
        summary.first_ns = pc.min(ts).as_py()
        summary.last_ns = pc.max(ts).as_py()
        arr = ts.combine_chunks()
        if ts.null_count:
            arr = arr.filter(arr.is_valid())
        diffs = np.diff(arr.to_numpy())
        down, up = int(np.count_nonzero(diffs < 0)), int(np.count_nonzero(diffs > 0))
        summary.order = "backward" if down > up else "forward" if up > down else None
    summary.labels, summary.common_labels = labels_seen(table)


def labels_seen(table: pa.Table, per_key: int = 5) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Label keys with up to `per_key` of their most common values, and the labels every
    row carries with the same value."""
    maps = table.column("labels").combine_chunks()
    if len(maps.keys) == 0:
        return {}, {}
    groups = group_rows(maps.keys, maps.items)
    pairs = pa.table({"k": groups.keys[0], "v": groups.keys[1], "count_all": arrow(groups.counts())})
    pairs = pairs.sort_by([("k", "ascending"), ("count_all", "descending"), ("v", "ascending")])
    out: dict[str, list[str]] = {}
    common: dict[str, str] = {}
    for k, v, n in zip(pairs.column("k").to_pylist(), pairs.column("v").to_pylist(),
                       pairs.column("count_all").to_pylist(), strict=True):
        values = out.setdefault(k, [])
        if len(values) < per_key:
            values.append(v)
        if n == table.num_rows:
            common[k] = v
    return out, common


def streamed_summary(path: str, records: int, ts: np.ndarray, label_counts: dict[tuple[str, str], int],
                     n_long: int, seconds: float, fmt: str = "logcli-jsonl", rejected: int = 0,
                     warnings: list[str] | None = None, notes: list[str] | None = None,
                     duplicates: int = 0, truncation: tuple[str | None, str | None, int | None] = (None, None, None)
                     ) -> InputSummary:
    """The summary of an export read in pieces, worded as the whole read's: `ts` in the order
    the file reader gives (newest-first logcli files turned around), label pairs counted over
    every record, the reader's `warnings`, the decompression and encoding `notes` of all
    pieces, and the `truncation` its header declares (end, reason, line limit)."""
    summary = InputSummary(path=path, format=fmt, records=records, rejected=rejected, duplicates=duplicates)
    notes = notes or []
    summary.notes = [f"compression: {c}" for c in notes if c != BOM_NOTE] + [n for n in notes if n == BOM_NOTE]
    summary.warnings += [n for n in notes if "cut off" in n] + list(warnings or [])
    if path.endswith(".part.tmp"):
        summary.warnings.append("an unfinished logcli part file (.part.tmp): its window may be incomplete")
    if n_long:  # cut in each piece, against the caps the pieces were read with
        summary.warnings.append(input_limits.cut_lines_warning(n_long, input_limits.current().line_length))
    if ts.size:
        summary.first_ns, summary.last_ns = int(ts.min()), int(ts.max())
        down, up = int(np.count_nonzero(ts[1:] < ts[:-1])), int(np.count_nonzero(ts[1:] > ts[:-1]))
        summary.order = "backward" if down > up else "forward" if up > down else None
    ranked = sorted(label_counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
    for (k, v), n in ranked:
        values = summary.labels.setdefault(k, [])
        if len(values) < 5:
            values.append(v)
        if n == records:
            summary.common_labels[k] = v
    _check_truncation(summary, *truncation, FORMATS[fmt].default_order)
    summary.seconds = seconds
    return summary


def _check_truncation(summary: InputSummary, explicit_end: str | None, reason: str | None,
                      declared_limit: int | None, default_order: str) -> None:
    count = summary.records + summary.rejected
    if explicit_end is None:
        limits = {declared_limit} if declared_limit else set(DEFAULT_LIMITS)
        if count not in limits:
            return
        order = summary.order or default_order
        explicit_end = "older" if order == "backward" else "newer"
        reason = f"exactly {count} records, {'its declared' if declared_limit else 'a common'} line limit, {order} order"
    summary.truncated = True
    summary.truncated_end = explicit_end
    if explicit_end == "older":
        missing = f"records before {format_rfc3339_ms(summary.first_ns)} are probably missing"
    elif explicit_end == "newer":
        missing = f"records after {format_rfc3339_ms(summary.last_ns)} are probably missing"
    else:
        missing = "some records are missing"
    summary.warnings.append(f"truncated export ({reason}): {missing}")


def ingest(paths: list[str] | str, input_format: str | None = None, labels: bool = True) -> Ingested:
    """Read every input, merge them by time, and count duplicates across inputs. Callers
    that never look at labels (`rca patterns`) pass `labels=False`: where skipping them saves
    time they are left empty, and the inputs' label summaries with them."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [str(paths)]
    if not paths:
        raise UsageError("no input given")
    if input_format is not None and input_format not in FORMATS:
        raise UsageError(f"unknown input format {input_format!r}; see 'rca formats'")
    files, errors = expand_paths([str(p) for p in paths])
    tables: list[pa.Table] = []
    summaries: list[InputSummary] = []
    skipped_in_folders: list[InputError] = []
    seen: dict[str, str] = {}
    repeats: list[tuple[str, str]] = []
    total, done = sum(size_of(path) for path, _ in files), 0
    for path, from_folder in files:
        report("reading", done, total)
        done += size_of(path)
        real = os.path.realpath(path) if path != STDIN else None
        if real in seen:  # the same file given twice: its records are read once
            repeats.append((path, seen[real]))
            continue
        if real is not None:
            seen[real] = path
        for name, data, in_archive in _members(path):
            try:
                table, summary = read_input(name, input_format, data=data, labels=labels)
            except InputError as exc:
                (skipped_in_folders if from_folder or in_archive else errors).append(exc)
                continue
            tables.append(table)
            summaries.append(summary)
    report("reading", done, total)
    if errors:
        raise InputErrors(errors)
    if not tables:
        raise InputErrors(skipped_in_folders or [InputError(", ".join(map(str, paths)), "nothing readable")])
    for exc in skipped_in_folders:
        summaries.append(InputSummary(path=exc.path, format="unreadable", warnings=[f"skipped: {exc.problem}"]))
    merged = concat(tables)
    merged, dups = dedupe_across_sources(merged)
    for s in summaries:
        s.duplicates = dups.get(s.path, 0)
    for path, original in repeats:
        for first in [s for s in summaries if s.path == original or s.path.startswith(f"{original}:")]:
            summaries.append(InputSummary(path=first.path.replace(original, path, 1), format=first.format,
                                          records=first.records, duplicates=first.records, first_ns=first.first_ns,
                                          last_ns=first.last_ns,
                                          warnings=[f"the same file as {first.path}: each record counted once"]))
    return Ingested(table=sort_by_time(merged), inputs=summaries)
