"""Limits that keep one hostile input from exhausting the machine.

A small compressed file can expand to gigabytes (a decompression bomb), `/dev/zero` never
ends, a FIFO may never be written to, and one 200 MB line makes template mining crawl. Each
input is therefore read with caps: decompressed size, compression ratio, line length, and
how long a pipe or device may stay silent. `--input-limit NAME=VALUE` raises them; the CLI puts
them in the environment, and work sent to other processes or machines (batch units, Dask
tasks) carries them explicitly, applied there with `using`: a remote worker does not share
the caller's environment.
"""

from __future__ import annotations

import bz2
import lzma
import os
import select
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from rca.errors import InputError, UsageError

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30,
          "t": 1 << 40, "tb": 1 << 40}
_PIECE = 8 << 20
# Ratios are only judged past this much output: small files compress as well as they like.
_RATIO_FLOOR = 64 << 20


@dataclass(frozen=True)
class Limits:
    input_size: int = 2 << 30      # bytes one input may decompress or stream to
    ratio: int = 200               # decompressed / compressed size, past _RATIO_FLOOR
    line_length: int = 256 << 10   # longer lines are cut to this and counted (Loki's own max_line_size)
    read_timeout: float = 60.0     # seconds a pipe or device may stay silent; 0 waits forever


NAMES = {"input-size": "input_size", "ratio": "ratio", "line-length": "line_length", "read-timeout": "read_timeout"}
_ENV = "RCA_LIMIT_"


def parse_size(text: str) -> int:
    t = text.strip().lower()
    digits = t.rstrip("kmgtb")
    unit = t[len(digits):]
    try:
        value = float(digits)
    except ValueError:
        raise UsageError(f"not a size: {text!r} (e.g. 512M, 4G)") from None
    if unit not in _UNITS or value < 0:
        raise UsageError(f"not a size: {text!r} (e.g. 512M, 4G)")
    return int(value * _UNITS[unit])


def _value(name: str, text: str) -> float | int:
    if name == "read-timeout":
        try:
            return float(text.rstrip("s"))
        except ValueError:
            raise UsageError(f"--input-limit read-timeout={text}: give seconds, e.g. 300 (0 waits forever)") from None
    if name == "ratio":
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"--input-limit ratio={text}: give a whole number, e.g. 1000") from None
    return parse_size(text)


def apply(settings: list[str] | None) -> None:
    """Validate `NAME=VALUE` settings and publish them for this process and its workers."""
    for item in settings or []:
        name, _, text = item.partition("=")
        name = name.strip().lower()
        if name not in NAMES or not text:
            raise UsageError(f"--input-limit {item}: use NAME=VALUE with NAME one of {', '.join(NAMES)}")
        _value(name, text)
        os.environ[_ENV + NAMES[name].upper()] = text.strip()


_GIVEN: ContextVar[Limits | None] = ContextVar("rca_input_limits", default=None)


@contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Apply `limits` to whatever this thread reads inside the block (a worker's task)."""
    token = _GIVEN.set(limits)
    try:
        yield limits
    finally:
        _GIVEN.reset(token)


def current() -> Limits:
    given = _GIVEN.get()
    if given is not None:
        return given
    defaults = Limits()
    values = {}
    for name, attr in NAMES.items():
        text = os.environ.get(_ENV + attr.upper())
        values[attr] = _value(name, text) if text else getattr(defaults, attr)
    return Limits(**values)


def human(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def _too_big(path: str, limits: Limits, what: str) -> InputError:
    return InputError(path, f"{what} more than {human(limits.input_size)}; refused "
                            f"(raise the cap with --input-limit input-size=SIZE)")


class Budget:
    """Counts output against the size and ratio caps while something is decompressed."""

    def __init__(self, path: str, compressed: int, limits: Limits) -> None:
        self.path, self.compressed, self.limits = path, compressed, limits

    def check(self, produced: int) -> None:
        if produced > self.limits.input_size:
            raise _too_big(self.path, self.limits, "decompresses to")
        if produced > _RATIO_FLOOR and produced > self.limits.ratio * max(self.compressed, 1):
            raise InputError(self.path, f"decompresses more than {self.limits.ratio} times its size "
                                        "(a decompression bomb?); refused (raise with --input-limit ratio=N)")


def inflate(raw: bytes, kind: str, path: str, limits: Limits) -> tuple[bytes, bool]:
    """Decompress every member/frame of `raw` within the caps; (data, whether it was cut off)."""
    budget = Budget(path, len(raw), limits)
    if kind == "zstd":
        return _unzstd(raw, budget)
    out = bytearray()
    data = raw
    while data:
        d = {"gzip": lambda: zlib.decompressobj(wbits=31), "bzip2": bz2.BZ2Decompressor,
             "xz": lzma.LZMADecompressor}[kind]()
        while True:
            if kind == "gzip":
                out += d.decompress(data, _PIECE)
                data = d.unconsumed_tail
                more = bool(data)
            else:
                out += d.decompress(data, _PIECE)
                data = b""
                more = not d.needs_input
            budget.check(len(out))
            if d.eof or not more:
                break
        if not d.eof:
            return bytes(out), True
        data = d.unused_data.lstrip(b"\x00")
    return bytes(out), False


def _unzstd(raw: bytes, budget: Budget) -> tuple[bytes, bool]:
    import zstandard

    out = bytearray()
    data = raw
    while data:
        d = zstandard.ZstdDecompressor().decompressobj()
        # Small pieces in, so that no single call can produce more than a few hundred MB.
        i = 0
        while i < len(data) and not d.eof:
            out += d.decompress(data[i:i + 4096])
            budget.check(len(out))
            i += 4096
        if not d.eof:
            return bytes(out), True
        data = d.unused_data + data[i:]  # the next frame starts past the piece that ended this one
    return bytes(out), False


def capped_member(archive, name: str, path: str, limits: Limits) -> bytes:
    """A zip member, read no further than the caps whatever its header claims."""
    info = archive.getinfo(name)
    budget = Budget(path, info.compress_size, limits)
    out = bytearray()
    with archive.open(name) as fh:
        while piece := fh.read(_PIECE):
            out += piece
            budget.check(len(out))
    return bytes(out)


def is_stream(path: str) -> bool:
    """Whether a path is a pipe, socket or device: read as a stream, never stat'ed for size."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def read_stream(fd: int, path: str, limits: Limits, looks_binary) -> bytes:
    """Read a pipe or device to its end, within the size cap, giving up when it stays silent
    longer than the read timeout; stops at once when its first bytes are binary."""
    out = bytearray()
    for piece in stream_blocks(fd, path, limits, looks_binary):
        out += piece
    return bytes(out)


# How many NUL bytes a stream may open with (a log truncated while it was written, as
# logrotate's copytruncate leaves it) before it is binary: /dev/zero is refused after this.
NUL_HOLE = 64 << 20


def stream_blocks(fd: int, path: str, limits: Limits, looks_binary) -> Iterator[bytes]:
    """`read_stream`'s bytes as they arrive, under the same caps."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    timeout_ms = int(limits.read_timeout * 1000) if limits.read_timeout > 0 else None
    head = bytearray()
    checked = False
    total = 0
    while True:
        if not poller.poll(timeout_ms):
            raise InputError(path, f"nothing arrived for {limits.read_timeout:g} s; a pipe or device that never "
                                   "ends is not an export (wait longer with --input-limit read-timeout=SECONDS)")
        try:
            piece = os.read(fd, 1 << 20)
        except BlockingIOError:
            continue
        if not piece:
            if head and not checked:
                yield bytes(head)
            return
        total += len(piece)
        if total > limits.input_size:
            raise _too_big(path, limits, "a stream of")
        if not checked:
            head += piece
            if not head.strip(b"\x00") and total <= NUL_HOLE:  # a truncated log's hole: look past it
                piece, head = bytes(head), bytearray()
                yield piece
                continue
            if len(head) >= 1 << 16:
                checked = True
                if looks_binary(bytes(head[: 1 << 16])):
                    raise InputError(path, "binary data, not a log export")
        if checked:
            if head:
                piece, head = bytes(head), bytearray()
            yield piece


def cut_lines_warning(n: int, limit: int) -> str:
    """The one wording, whole or streamed, for lines cut to the line-length cap."""
    return (f"{n} lines were longer than {human(limit)} and were cut to it "
            "(keep longer lines with --input-limit line-length=SIZE)")


def cap_lines(table: pa.Table, limit: int) -> tuple[pa.Table, int]:
    """Cut lines (and parsed field values) longer than `limit` bytes; how many lines were cut."""
    if table.num_rows == 0:
        return table, 0
    line = table.column("line")
    long = pc.greater(pc.binary_length(line), limit)
    n = int(pc.sum(long).as_py() or 0)
    if not n:
        return table, 0
    cut = pc.if_else(long, pc.utf8_slice_codeunits(line, 0, limit), line)
    table = table.set_column(table.schema.get_field_index("line"), "line", cut)
    parsed = table.column("parsed").combine_chunks()
    items = parsed.items
    if len(items) and pc.any(pc.greater(pc.binary_length(items), limit)).as_py():
        items = pc.if_else(pc.greater(pc.binary_length(items), limit), pc.utf8_slice_codeunits(items, 0, limit), items)
        parsed = pa.MapArray.from_arrays(parsed.offsets, parsed.keys, items, type=parsed.type)
        table = table.set_column(table.schema.get_field_index("parsed"), "parsed", parsed)
    return table, n
