"""Where a text export read whole before (logcli's default output, Grafana's TXT and CSV
downloads) may be cut into pieces that read exactly as the whole file does.

A piece must start where a record starts. In logcli text and Grafana TXT a record is a line
that opens with its time; the lines after it that do not are its continuation text, so a
cut goes before a line the reader itself would take for a record's first. In a CSV a
newline inside a quoted field is part of the field: a cut goes after a newline with an even
number of quotes before it. That holds only while every quote opens or closes a quoted
field or doubles one inside it, which each piece checks of its own bytes (`csv_quotes_ok`);
a piece that finds otherwise sends the file to the whole read.

Each piece after the first also needs what came before it: the TXT header (common labels)
or the CSV header row, read again in front of the piece, and for logcli text the last
captured `Common labels:` line before the piece (the labels logcli stripped).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rca.inputs.readers.grafana import csv_dialect, starts_txt_row
from rca.inputs.readers.logcli import common_labels_set, starts_default_record
from rca.inputs.spool import at

CUT_FORMATS = ("logcli-text", "grafana-txt", "grafana-csv", "grafana-inspect-csv")
CSV_FORMATS = ("grafana-csv", "grafana-inspect-csv")
_BLOCK = 1 << 24
# How much of a line is read to tell whether it starts a record: the time comes first, and a
# line whose time lies further in (behind colour codes) is only taken for continuation text,
# which moves the cut to a later record, never into one.
_PREFIX = 1 << 12
_COMMON = b"Common labels: "


@dataclass(frozen=True)
class Range:
    """Bytes [start, end) of a file that start and end at records, and what the piece must
    be read after (`preamble`: the header, or the `Common labels:` line in effect)."""

    start: int
    end: int
    preamble: bytes = b""


def record_start(fmt: str) -> Callable[[bytes], bool]:
    """Whether a line (its first bytes) starts a record of the format."""
    return starts_txt_row if fmt == "grafana-txt" else starts_default_record


def ranges(path: str, fmt: str, targets: list[int], skip: int = 0) -> list[Range] | None:
    """The file cut at the first record start at or after each target offset; None when the
    file's header cannot be found (the whole read then says what is wrong). `skip`: bytes
    of a byte order mark before the text."""
    real = at(path)
    size = os.path.getsize(real)
    with open(real, "rb") as fh:
        head = _read_at(fh, skip, _BLOCK)
        header = header_of(fmt, head)
        if header is None:
            return None
        first = skip + len(header)
        later = sorted({t for t in targets if first < t < size})
        if fmt in CSV_FORMATS:
            delimiter = csv_dialect(head)[0]
            if len(delimiter.encode()) != 1:
                return None
            cuts = _csv_cuts(fh, later, size)
        else:
            cuts = _line_cuts(fh, later, size, record_start(fmt))
        commons = _commons(fh, size) if fmt == "logcli-text" else []
    starts = [skip, *sorted(set(cuts))]
    ends = [*starts[1:], size]
    out = []
    for start, end in zip(starts, ends, strict=True):
        if fmt == "logcli-text":
            before = [line for offset, line in commons if offset < start]
            preamble = before[-1] if before else b""
        else:
            preamble = b"" if start == skip else header
        out.append(Range(start, end, preamble))
    return out


def _read_at(fh, offset: int, length: int) -> bytes:
    fh.seek(offset)
    return fh.read(length)


def header_of(fmt: str, head: bytes) -> bytes | None:
    """The bytes every piece but the first is read after: the TXT header up to its first
    row, or the CSV `sep=` line and header row; None when the head holds no row (TXT) or no
    whole header row (CSV)."""
    if fmt == "logcli-text":
        return b""
    if fmt == "grafana-txt":
        pos = 0
        while pos < len(head):
            end = head.find(b"\n", pos)
            if end < 0:
                return None
            if starts_txt_row(head[pos:end]):
                return head[:pos]
            pos = end + 1
        return None
    _, sep = csv_dialect(head)
    quotes, pos = 0, sep
    while (end := head.find(b"\n", pos)) >= 0:
        quotes += head.count(b'"', pos, end)
        if quotes % 2 == 0:
            return head[:end + 1]
        pos = end + 1
    return None


def _line_cuts(fh, targets: list[int], size: int, starts: Callable[[bytes], bool]) -> list[int]:
    """For each target, the first line at or after it that starts a record (the file's end
    when none does)."""
    cuts = []
    floor = 0
    for target in targets:
        pos = max(target, floor)
        while pos < size:
            pos = _after_newline(fh, pos - 1, size)
            if pos >= size or starts(_read_at(fh, pos, _PREFIX).split(b"\n", 1)[0]):
                break
            pos += 1
        if pos < size:
            cuts.append(pos)
        floor = pos + 1
    return cuts


def _after_newline(fh, offset: int, size: int) -> int:
    """The position after the first newline at or after `offset` (the size when none)."""
    fh.seek(offset)
    while block := fh.read(1 << 16):
        found = block.find(b"\n")
        if found >= 0:
            return offset + found + 1
        offset += len(block)
    return size


def _csv_cuts(fh, targets: list[int], size: int) -> list[int]:
    """For each target, the first newline at or after it with an even number of quotes
    before it: one pass over the file, counting quotes a block at a time."""
    cuts: list[int] = []
    pending = list(reversed(targets))
    search = pending.pop() if pending else None
    quotes, base = 0, 0
    fh.seek(0)
    while search is not None and (block := fh.read(_BLOCK)):
        counted = 0
        while search is not None and search - 1 < base + len(block):
            newline = block.find(b"\n", max(search - 1 - base, counted))
            if newline < 0:
                break
            quotes += block.count(b'"', counted, newline)
            counted = newline
            cut = base + newline + 1
            if quotes % 2:
                search = cut + 1  # inside a quoted field: the next newline
                continue
            if cut < size:
                cuts.append(cut)
            while pending and pending[-1] <= cut:
                pending.pop()
            search = pending.pop() if pending else None
        quotes += block.count(b'"', counted)
        base += len(block)
    return cuts


def _commons(fh, size: int) -> list[tuple[int, bytes]]:
    """Every captured `Common labels:` stderr line of a logcli text file, by where it starts
    (the labels it sets apply to the lines after it, in every later piece)."""
    out: list[tuple[int, bytes]] = []
    fh.seek(0)
    base, tail = 0, b""
    while block := fh.read(_BLOCK):
        data = tail + block
        start = base - len(tail)
        found = data.find(_COMMON)
        while found >= 0:
            newline = data.rfind(b"\n", 0, found)
            line_start = start + newline + 1 if newline >= 0 else _line_start(fh, start)
            line = _line_at(fh, line_start, size)
            previous = _line_at(fh, _line_start(fh, line_start - 1), size) if line_start else None
            if common_labels_set(line, previous) is not None and (not out or out[-1][0] != line_start):
                out.append((line_start, line + b"\n"))
            found = data.find(_COMMON, found + 1)
        tail = block[-(len(_COMMON) - 1):]
        base += len(block)
        fh.seek(base)
    return out


def _line_start(fh, offset: int) -> int:
    """Where the line holding `offset` starts (looking back a block at a time)."""
    while offset > 0:
        back = max(0, offset - (1 << 16))
        found = _read_at(fh, back, offset - back).rfind(b"\n")
        if found >= 0:
            return back + found + 1
        offset = back
    return 0


def _line_at(fh, offset: int, size: int) -> bytes:
    end = _after_newline(fh, offset, size)
    line = _read_at(fh, offset, end - offset)
    return line.rstrip(b"\n")


def csv_cut(buf: bytearray, target: int, final: bool) -> int | None:
    """Where a piece of CSV held in `buf` (from a record start) ends: after the first newline
    at or after `target` with an even number of quotes before it; None when more bytes are
    needed to tell."""
    pos = max(target - 1, 0)
    quotes = buf.count(b'"', 0, pos)
    while (newline := buf.find(b"\n", pos)) >= 0:
        quotes += buf.count(b'"', pos, newline)
        if quotes % 2 == 0:
            return newline + 1
        pos = newline + 1
    return len(buf) if final else None


def preamble_after(fmt: str, data: bytes, before: bytes) -> bytes:
    """What the piece after `data` (a piece of a stream, read after `before`) is read after:
    the header the first piece held, or the last `Common labels:` line so far."""
    if fmt != "logcli-text":
        return before or header_of(fmt, data) or b""
    end = len(data)
    while (found := data.rfind(_COMMON, 0, end)) >= 0:
        start = data.rfind(b"\n", 0, found) + 1
        stop = data.find(b"\n", found)
        line = data[start:stop if stop >= 0 else len(data)]
        previous = data[data.rfind(b"\n", 0, start - 1) + 1:start - 1] if start else None
        if common_labels_set(line, previous) is not None:
            return line + b"\n"
        end = found
    return before


def csv_quotes_ok(data: bytes, delimiter: str) -> bool:
    """Whether every quote in a piece of CSV that starts at a record opens a quoted field
    (after a delimiter, a line start or a closing quote), closes one (before a delimiter, a
    line end, the piece's end or a doubling quote), and the piece ends outside quotes: then
    quote parity tells exactly which newlines end records."""
    buf = np.frombuffer(data, np.uint8)
    quotes = np.flatnonzero(buf == 34)
    if quotes.size % 2:
        return False
    if not quotes.size:
        return True
    sep = ord(delimiter)
    opening, closing = quotes[0::2], quotes[1::2]
    before = buf[np.maximum(opening - 1, 0)]
    ok_before = (opening == 0) | (before == sep) | (before == 10) | (before == 13) | (before == 34)
    after = buf[np.minimum(closing + 1, buf.size - 1)]
    ok_after = (closing == buf.size - 1) | (after == sep) | (after == 10) | (after == 13) | (after == 34)
    return bool(ok_before.all() and ok_after.all())
