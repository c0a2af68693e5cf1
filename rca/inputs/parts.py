"""Line-oriented exports read as a stream of pieces: each piece, cut where a record starts,
becomes a canonical table of its own, so that no export is ever held whole.

A plain file is split into byte ranges that any machine can read on its own; a gzip or
zstd file cannot be entered in the middle, so it is one part, decompressed as a stream
(within the same size and ratio caps as a whole read) and cut into pieces as it comes.
logcli JSONL, NDJSON from application loggers, plain text lines, logcli's default text
output and Grafana's TXT and CSV downloads stream (the last three cut only where a record
starts: `rca.inputs.cuts`); formats that are one JSON document (a Loki API response, a
Grafana JSON download) are read whole.

A piece the streamed readers cannot reproduce exactly as the whole read would (a broken
logcli line, invalid UTF-8, a CRI partial line whose end lies in the next piece) comes
back without a table; the caller then reads every input the ordinary way.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial

import pyarrow as pa

from rca.errors import InputError
from rca.inputs.ahead import ahead
from rca.inputs.chunks import CHUNK_BYTES, Chunk, line_start, plan, read_chunk
from rca.inputs.chunks import labelled_columnar
from rca.inputs.cores import on_worker_thread, spare_cores
from rca.inputs.cuts import (CSV_FORMATS, CUT_FORMATS, csv_cut, csv_quotes_ok, header_of, preamble_after, ranges,
                             record_start)
from rca.inputs.detect import detect, not_a_log
from rca.inputs.limits import Budget, Limits, current, is_stream
from rca.inputs.readers import Context, ReadResult
from rca.inputs.readers.grafana import csv_dialect, csv_warnings, read_csv, read_txt
from rca.inputs.readers.logcli import common_labels_set, default_records, default_warnings
from rca.inputs.readers.loggers import (is_line_ndjson, ndjson_lines, ndjson_warnings, starts_ndjson_record,
                                        text_lines, text_warnings)
from rca.inputs.readers.ndjson_columns import ndjson_columns
from rca.inputs.readers.text_columns import text_columns
from rca.inputs.records import LabelSets, table_from_columns
from rca.inputs.spool import at, spool, spool_member, spooled
from rca.inputs.sniff import BOM_NOTE, BZIP2, GZIP, UTF8_BOM, XZ, ZIP, ZSTD, is_plain_text, is_zip, looks_binary

# Decompressed bytes looked at to recognise a compressed file's format (detect's own window).
HEAD_BYTES = 1 << 24
_READ = 1 << 20
_PIECE_OUT = 8 << 20
# How much larger than its file a compressed export is taken to be, when choosing to stream.
COMPRESSED_GROWTH = 10
# Pieces of the formats read by a Python loop per line, which holds several times a piece
# in Python objects while it reads (Arrow reads logcli JSONL in CHUNK_BYTES pieces).
LOOP_PIECE = CHUNK_BYTES // 4
STREAMED_FORMATS = ("logcli-jsonl", "ndjson", "text", *CUT_FORMATS)
UNPROVEN_CSV = ("read whole, not in pieces: a quote inside an unquoted CSV field leaves no cut between"
                " records that can be proved")
_KINDS = (("gzip", GZIP), ("zstd", ZSTD), ("bzip2", BZIP2), ("xz", XZ))


@dataclass(frozen=True)
class Part:
    """What one task reads: bytes [start, end) of a plain file, or a whole compressed file."""

    path: str
    file: int
    index: int
    format: str
    compression: str | None = None
    start: int = 0
    end: int = 0
    piece_bytes: int = CHUNK_BYTES
    hashed: bool = True  # digest the bytes: the export's identity, which only the history needs
    # Formats cut where a record starts (`rca.inputs.cuts`): [start, end) is exact, and the
    # piece is read after `preamble` (the header, or the last `Common labels:` line).
    preamble: bytes = b""
    bom: bool = False    # the file opens with a UTF-8 byte order mark (the first part skips it)
    extra: bool = False  # cut from the plan's last round to taper it: not one of its equal ranges

    @property
    def last(self) -> bool:
        return self.compression is not None or self.end >= os.path.getsize(at(self.path))


@dataclass
class Piece:
    """One piece's records in file order (None: read the inputs whole instead), what the
    whole read would have said of it, and how many record numbers it spans."""

    table: pa.Table | None
    digest: str = ""
    span: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The table's labels as their distinct sets, when read so; then its labels column is empty.
    label_sets: LabelSets | None = None
    header: Header | None = None  # what a file's header says (Grafana TXT), from every piece alike
    why: str = ""  # why the file must be read whole instead, when the user should hear it


@dataclass(frozen=True)
class Header:
    """What the whole read of a Grafana TXT download takes from its header for the summary."""

    warnings: tuple[str, ...] = ()
    truncated_end: str | None = None
    truncation_reason: str | None = None
    declared_limit: int | None = None


@dataclass(frozen=True)
class Kind:
    format: str
    compression: str | None
    size: int
    bom: bool = False

    @property
    def expected(self) -> int:
        """About how many bytes the file holds once decompressed."""
        return self.size * (COMPRESSED_GROWTH if self.compression else 1)


def streamed_files(paths: list[str], input_format: str | None) -> list[tuple[str, Kind]] | None:
    """The inputs' files with their kinds when every one can be streamed; None otherwise
    (missing inputs, archives, one-document formats, a file given twice: the whole
    read reads, merges or refuses those). Standard input and pipes are first copied to a
    temporary file (`rca.inputs.spool`)."""
    from rca.inputs.exports import expand_paths

    files, errors = expand_paths([str(p) for p in paths])
    if errors or not files or input_format not in (None, *STREAMED_FORMATS):
        return None
    seen: set[str] = set()
    out: list[tuple[str, Kind]] = []
    for path, from_folder in files:
        real = os.path.realpath(path) if path != "-" else path
        try:
            if real in seen:
                return None
            if path == "-" or is_stream(path):  # read once, into a file that can be read again
                kinds = [(path, sniff(path, input_format, spool(path)))]
            elif is_zip(path):
                kinds = [(name, sniff(name, input_format, spooled(name))) for name in _zip_members(path)]
            else:
                kinds = [(path, sniff(path, input_format))]
        except InputError:
            if from_folder:  # the whole read skips it with a warning
                return None
            raise
        if not kinds or any(kind is None for _, kind in kinds):
            return None
        seen.add(real)
        out += kinds
    return out


def _zip_members(path: str) -> list[str]:
    """A zip archive's members, each copied to a temporary file (`archive.zip:member`); none
    when the archive cannot be listed (the whole read says why)."""
    import zipfile

    from rca.inputs.exports import member_names

    try:
        with zipfile.ZipFile(path) as archive:
            names = member_names(archive)
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return []
    return [spool_member(path, name) for name in names]


def sniff(path: str, input_format: str | None, copy: str | None = None) -> Kind | None:
    """A file's format and compression when it can be streamed exactly as the whole read
    would read it; None for anything else (the whole read then reads or refuses it). A
    compressed file past the caps, or broken, raises the whole read's error. `copy`: the
    file standard input or a pipe was copied to."""
    if path == "-" or is_stream(path) or not os.path.isfile(path):
        if copy is None:
            return None
    try:
        with open(copy or path, "rb") as fh:
            magic = fh.read(8)
        compression = next((kind for kind, m in _KINDS if magic.startswith(m)), None)
        if magic.startswith(ZIP):  # a zip inside a zip, or one given as a member
            return None
        head = _head(path, compression)  # a bomb or broken data: the whole read's own error
    except OSError:
        return None
    bom = head.startswith(UTF8_BOM)
    if bom:
        head = head[len(UTF8_BOM):]
    if not is_plain_text(head) or looks_binary(head[: 1 << 16]) or not _utf8(head, cut=True):
        return None
    name = input_format or detect(head)[0]
    if name not in STREAMED_FORMATS:
        return None
    if name == "ndjson" and not is_line_ndjson(head):
        return None
    if name == "text" and not_a_log(head, forced=input_format is not None):
        return None
    if bom and (compression or name == "logcli-jsonl"):
        return None  # read whole: a byte order mark is skipped in plain files
    if name in CUT_FORMATS and header_of(name, head) is None:
        return None
    return Kind(name, compression, os.path.getsize(copy or path), bom)


def _head(path: str, compression: str | None) -> bytes:
    if compression is None:
        with open(at(path), "rb") as fh:
            return fh.read(HEAD_BYTES)
    out = bytearray()
    for block in decompressed(path, compression, current()):
        out += block
        if len(out) >= HEAD_BYTES:
            break
    return bytes(out[:HEAD_BYTES])


def _utf8(data: bytes, cut: bool = False) -> bool:
    """Whether bytes are valid UTF-8 (a head may end inside a character)."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return cut and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def plan_parts(files: list[tuple[str, Kind]], chunk_bytes: int, workers: int = 1, hashed: bool = True) -> list[Part]:
    """Every file's parts, in input order: byte ranges of plain files, one part per
    compressed file. `hashed`: each piece's bytes are digested (hashing is a tenth of
    reading a logcli range, and only the history store asks for the export's identity)."""
    parts: list[Part] = []
    for number, (path, kind) in enumerate(files):
        size = chunk_bytes if kind.format == "logcli-jsonl" else min(chunk_bytes, LOOP_PIECE)
        if kind.compression:
            parts.append(Part(path, number, len(parts), kind.format, kind.compression, piece_bytes=size,
                              hashed=hashed))
            continue
        chunks = plan(path, size, workers if kind.size > size else 1)  # small files whole
        if kind.format in CUT_FORMATS:
            cuts = ranges(path, kind.format, [c.start for c in chunks[1:]], len(UTF8_BOM) if kind.bom else 0)
            extras = sum(c.extra for c in chunks)
            for i, cut in enumerate(cuts):
                parts.append(Part(path, number, len(parts), kind.format, None, cut.start, cut.end, hashed=hashed,
                                  preamble=cut.preamble, bom=kind.bom, extra=i >= len(cuts) - extras))
            continue
        for chunk in chunks:
            parts.append(Part(path, number, len(parts), kind.format, None, chunk.start, chunk.end, hashed=hashed,
                              bom=kind.bom, extra=chunk.extra))
    return parts


def read_pieces(part: Part, limits: Limits | None = None) -> Iterator[Piece]:
    """The part's pieces, in file order."""
    if part.compression is None and part.format == "logcli-jsonl":
        read = read_chunk(Chunk(part.path, part.index, part.start, part.end), part.hashed)
        yield Piece(read.table, read.digest, 0 if read.table is None else read.table.num_rows,
                    label_sets=read.label_sets)
        return
    if part.compression is None:
        yield _piece(_plain_range(part), part, last=part.last)
        return
    pieces = _compressed_pieces(part, limits or current())
    # One compressed file is one part: the next piece is decompressed and read on a spare
    # core while this one is mapped (not when parts are already mapped side by side).
    yield from ahead(pieces) if spare_cores() > 1 and not on_worker_thread() else pieces


def _accept(fmt: str) -> Callable[[bytes], bool]:
    """Whether a line may start a piece: an NDJSON line that is not continuation text, a
    logcli text or Grafana TXT line that starts a record."""
    if fmt in CUT_FORMATS:
        return record_start(fmt)
    return starts_ndjson_record if fmt == "ndjson" else (lambda line: True)


def _plain_range(part: Part) -> bytes:
    accept = _accept(part.format)
    with open(at(part.path), "rb") as fh:
        if part.format in CUT_FORMATS:  # cut exactly when planned
            start, end = part.start, part.end
        else:
            size = os.fstat(fh.fileno()).st_size
            start = line_start(fh, part.start, size, accept)
            end = line_start(fh, part.end, size, accept)
            if start == 0 and part.bom:
                start = len(UTF8_BOM)
        fh.seek(start)
        return fh.read(max(0, end - start))


def _cut(buf: bytearray, target: int, accept: Callable[[bytes], bool], final: bool) -> int | None:
    """Where a piece of `buf` ends: the first line start at or after `target` that may
    start a piece; None when more bytes are needed to tell."""
    newline = buf.find(b"\n", target - 1)
    if newline < 0:
        return len(buf) if final else None
    pos = newline + 1
    while pos < len(buf):
        end = buf.find(b"\n", pos)
        if end < 0 and not final:
            return None
        if accept(bytes(buf[pos:end if end >= 0 else len(buf)]).rstrip(b"\r")):
            return pos
        if end < 0:
            break
        pos = end + 1
    return len(buf) if final else None


def _compressed_pieces(part: Part, limits: Limits) -> Iterator[Piece]:
    accept = _accept(part.format)
    cut_at = csv_cut if part.format in CSV_FORMATS else partial(_cut, accept=accept)
    stream = decompressed(part.path, part.compression, limits)
    buf = bytearray()
    for block in stream:
        buf += block
        while len(buf) > part.piece_bytes and (cut := cut_at(buf, part.piece_bytes, final=False)) is not None:
            data = _taken(buf, cut)
            yield _piece(data, part, last=False)
            part = _after(part, data)
    while True:
        cut = cut_at(buf, part.piece_bytes, final=True) if len(buf) > part.piece_bytes else len(buf)
        last = cut >= len(buf)
        data = _taken(buf, cut)
        piece = _piece(data, part, last=last)
        part = _after(part, data)
        if not buf:
            piece.notes = ([f"{part.compression} stream is cut off; read what decompressed"] if stream.cut else []) \
                + [part.compression]
            yield piece
            return
        yield piece


def _after(part: Part, data: bytes) -> Part:
    """The part as the piece after `data` reads it: after the header or `Common labels:`
    line that came before (formats cut where a record starts)."""
    if part.format not in CUT_FORMATS:
        return part
    return replace(part, preamble=preamble_after(part.format, data, part.preamble))


def _taken(buf: bytearray, cut: int) -> bytes:
    """The first `cut` bytes, gone from the buffer (not held twice while the piece is read)."""
    data = bytes(buf[:cut])
    del buf[:cut]
    return data


def _piece(data: bytes, part: Part, last: bool) -> Piece:
    digest = hashlib.sha256(data).hexdigest() if part.hashed else ""
    span = data.count(b"\n")
    if part.format == "logcli-jsonl":
        if not data or data.isspace():
            return Piece(table_from_columns(pa.array([], pa.int64()), "ns", pa.array([], pa.string()), part.path),
                         digest)
        table, sets = labelled_columnar(data, part.path)
        return Piece(table, digest, 0 if table is None else table.num_rows, label_sets=sets)
    if not _utf8(data):
        return Piece(None, digest)  # the whole read replaces the bytes and says how many
    piece = _text_piece(data, part, digest, span, last)
    if part.bom and part.start <= len(UTF8_BOM) and piece.table is not None:  # the first part
        piece.notes.append(BOM_NOTE)
    return piece


def _text_piece(data: bytes, part: Part, digest: str, span: int, last: bool) -> Piece:
    if part.format in CUT_FORMATS:
        return _cut_piece(data, part, digest)
    if part.format == "ndjson":
        fast = ndjson_columns(data, part.path)
        if fast is not None:
            table, counts = fast
            return Piece(table, digest, span, counts["rejected"], counts)
        builder, counts = ndjson_lines(data)
        return Piece(builder.to_table(part.path), digest, span, counts["rejected"], counts)
    columns = text_columns(data, part.path)  # as the whole read: column-wise where it can
    if columns is not None:
        table, counts = columns
        return Piece(table, digest, span, counts["out_of_range"], counts)
    builder, counts = text_lines(data, source=part.path)
    if counts["partial"] and not last:
        return Piece(None, digest)  # a CRI partial line continues in the next piece
    return Piece(builder.to_table(part.path), digest, span, counts["out_of_range"], counts)


def _cut_piece(data: bytes, part: Part, digest: str) -> Piece:
    """A piece of logcli text or a Grafana TXT or CSV download, read by the whole read's own
    reader after what came before it; None (read whole) where the piece cannot be shown to
    start and end at records, or holds no record."""
    from rca.errors import InputError

    ctx = Context(part.path, part.format)
    header = None
    try:
        if part.format == "logcli-text":
            common = common_labels_set(part.preamble.rstrip(b"\r\n")) if part.preamble else None
            builder, counts = default_records(data, common, source=part.path)
            result, span = ReadResult(builder.to_table(part.path), rejected=counts["rejected"]), counts["records"]
        elif part.format == "grafana-txt":
            result = read_txt(part.preamble + data, ctx)
            counts, span = {}, result.table.num_rows
            header = Header(tuple(result.warnings), result.truncated_end, result.truncation_reason,
                            result.declared_limit)
        else:
            delimiter, _ = csv_dialect(part.preamble or data)
            if not csv_quotes_ok(data, delimiter):
                return Piece(None, digest, why=UNPROVEN_CSV)
            result = read_csv(part.preamble + data, ctx)
            counts, span = result.counts, result.counts["rows"]
    except InputError:
        return Piece(None, digest)  # the whole read says what is wrong
    if result.table.num_rows == 0:
        return Piece(None, digest)
    return Piece(result.table, digest, span, result.rejected, counts, header=header)


def reader_warnings(fmt: str, counts: dict[str, int]) -> list[str]:
    """The warnings the whole read gives for a file whose pieces counted `counts`."""
    if fmt in ("logcli-jsonl", "grafana-txt"):
        return []
    if fmt == "logcli-text":
        return default_warnings(counts)
    if fmt in CSV_FORMATS:
        return csv_warnings(counts)
    return ndjson_warnings(counts) if fmt == "ndjson" else text_warnings(counts)


class decompressed:
    """A gzip, bzip2 or xz (every member or stream) or zstd (every frame) file's decompressed bytes, in blocks,
    counted against the caps as they come; `cut` tells whether the stream ended early.
    Errors read as the whole read's."""

    def __init__(self, path: str, kind: str, limits: Limits) -> None:
        self.path, self.kind, self.limits = path, kind, limits
        self.cut = False

    def __iter__(self) -> Iterator[bytes]:
        budget = Budget(self.path, os.path.getsize(at(self.path)), self.limits)
        produced = 0
        blocks = {"gzip": self._gzip, "zstd": self._zstd}.get(self.kind, self._bz2_xz)
        errors = _errors(self.kind, self.path)
        try:
            with open(at(self.path), "rb") as fh:
                for block in blocks(fh):
                    produced += len(block)
                    budget.check(produced)
                    if block:
                        yield block
        except errors as exc:
            raise InputError(self.path, f"broken {self.kind} data ({exc})") from None
        if self.cut and not produced:
            raise InputError(self.path, f"{self.kind} data is cut off before anything could be decompressed")

    def _gzip(self, fh) -> Iterator[bytes]:
        data = b""
        while data := data or _past_padding(fh):
            d = zlib.decompressobj(wbits=31)
            while not d.eof:
                if not data:
                    data = fh.read(_READ)
                    if not data:
                        self.cut = True
                        return
                yield d.decompress(data, _PIECE_OUT)
                data = d.unconsumed_tail
            data = d.unused_data.lstrip(b"\x00")

    def _bz2_xz(self, fh) -> Iterator[bytes]:
        """bzip2 or xz streams one after another, as `limits.inflate` reads them."""
        import bz2
        import lzma

        make = bz2.BZ2Decompressor if self.kind == "bzip2" else lzma.LZMADecompressor
        data = b""
        while data := data or _past_padding(fh):
            d = make()
            while not d.eof:
                if d.needs_input:
                    if not data:
                        data = fh.read(_READ)
                        if not data:
                            self.cut = True
                            return
                    yield d.decompress(data, _PIECE_OUT)
                    data = b""
                else:
                    yield d.decompress(b"", _PIECE_OUT)
            data = d.unused_data.lstrip(b"\x00")

    def _zstd(self, fh) -> Iterator[bytes]:
        import zstandard

        data, at = b"", 0
        while True:
            if at >= len(data):
                data, at = fh.read(_READ), 0
                if not data:
                    return
            d = zstandard.ZstdDecompressor().decompressobj()
            while not d.eof:
                if at >= len(data):
                    data, at = fh.read(_READ), 0
                    if not data:
                        self.cut = True
                        return
                # Small pieces in, so that no single call can produce more than a few hundred MB.
                yield d.decompress(data[at:at + 4096])
                at += 4096
            data, at = d.unused_data + data[at:], 0


def _past_padding(fh) -> bytes:
    """The next compressed member's first bytes, past the NUL padding some writers put
    between members; b"" at the end of the file."""
    while more := fh.read(_READ):
        if data := more.lstrip(b"\x00"):
            return data
    return b""


def _errors(kind: str, path: str) -> tuple[type[BaseException], ...]:
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise InputError(path, "zstd-compressed; decompress it first (zstd -d FILE)") from None
        return (zstandard.ZstdError,)
    import lzma

    return (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)
