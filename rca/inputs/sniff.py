"""Turn an input's raw bytes into UTF-8: decompress by magic bytes (gzip, bzip2, xz, zstd),
strip BOMs, transcode UTF-16, and refuse binary data with a clear reason."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib

import pyarrow as pa
import pyarrow.compute as pc

from rca.errors import InputError

MAX_LINE = 1 << 20

# What an input's first bytes say it is, before any text can be read from it.
GZIP, BZIP2, XZ, ZSTD = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"
ZIP, PARQUET = b"PK\x03\x04", b"PAR1"
UTF8_BOM, UTF16_LE_BOM, UTF16_BE_BOM = b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"
_NOT_PLAIN = (GZIP, BZIP2, XZ, ZSTD, ZIP, PARQUET, UTF8_BOM, UTF16_LE_BOM, UTF16_BE_BOM)


def is_plain_text(head: bytes) -> bool:
    """Whether bytes can be read as they are: not compressed, no byte order mark, no NUL."""
    return bool(head) and not head.startswith(_NOT_PLAIN) and b"\x00" not in head


def decompress(raw: bytes, path: str) -> tuple[bytes, list[str]]:
    """Undo gzip (multi-member), bzip2 and xz, repeatedly; name what was undone."""
    notes: list[str] = []
    for _ in range(4):
        if raw.startswith(GZIP):
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raw = _gunzip_salvage(raw, path)
                notes.append("gzip stream is cut off; read what decompressed")
            notes.append("gzip")
        elif raw.startswith(BZIP2):
            try:
                raw = bz2.decompress(raw)
            except (OSError, ValueError) as exc:
                raise InputError(path, f"broken bzip2 data ({exc})") from None
            notes.append("bzip2")
        elif raw.startswith(XZ):
            try:
                raw = lzma.decompress(raw)
            except lzma.LZMAError as exc:
                raise InputError(path, f"broken xz data ({exc})") from None
            notes.append("xz")
        elif raw.startswith(ZSTD):
            raw = _unzstd(raw, path)
            notes.append("zstd")
        elif raw.startswith(ZIP):
            raise InputError(path, "a zip archive inside a compressed file; unzip it first")
        elif raw.startswith(PARQUET):
            raise InputError(path, "a Parquet file; export the logs as JSON instead")
        else:
            break
    return raw, notes


def _unzstd(raw: bytes, path: str) -> bytes:
    try:
        import zstandard
    except ImportError:
        raise InputError(path, "zstd-compressed; decompress it first (zstd -d FILE)") from None
    import io

    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True) as reader:
            return reader.read()
    except zstandard.ZstdError as exc:
        raise InputError(path, f"broken zstd data ({exc})") from None


def _gunzip_salvage(raw: bytes, path: str) -> bytes:
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(raw)
    except zlib.error as exc:
        raise InputError(path, f"broken gzip data ({exc})") from None
    if not out:
        raise InputError(path, "broken gzip data (nothing could be decompressed)")
    return out


def to_utf8(raw: bytes, path: str) -> tuple[bytes, list[str]]:
    """Decode BOMs and UTF-16 to UTF-8 bytes; refuse binary; replace invalid UTF-8 and say so."""
    notes: list[str] = []
    if raw.startswith(UTF8_BOM):
        raw = raw[3:]
        notes.append("UTF-8 byte order mark removed")
    elif raw.startswith((UTF16_LE_BOM, UTF16_BE_BOM)):
        enc = "utf-16-le" if raw.startswith(UTF16_LE_BOM) else "utf-16-be"
        raw = raw[2:].decode(enc, errors="replace").encode("utf-8")
        notes.append(f"decoded from {enc.upper()}")
    elif len(raw) >= 4 and raw[1:4:2] == b"\x00\x00" and raw[0] and raw[2]:
        raw = raw.decode("utf-16-le", errors="replace").encode("utf-8")
        notes.append("decoded from UTF-16-LE (no byte order mark)")
    if not raw or (not raw[: 1 << 16].strip() and raw.isspace()):
        raise InputError(path, "empty file" if not raw else "file holds only white space")
    sample = raw[: 1 << 16]
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 27), *range(28, 32)))
    if b"\x00" in sample or controls > max(8, len(sample) // 50):
        raise InputError(path, "binary data, not a log export")
    if raw.isascii():
        return raw, notes
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        fixed = raw.decode("utf-8", errors="replace")
        bad = fixed.count("\ufffd") - raw.count("\xef\xbf\xbd".encode("latin-1"))
        raw = fixed.encode("utf-8")
        notes.append(f"{max(bad, 1)} invalid UTF-8 byte sequences replaced with U+FFFD")
    return raw, notes


def long_lines(lines: pa.ChunkedArray | pa.Array) -> int:
    """How many records exceed 1 MiB (kept, but worth a warning)."""
    return int(pc.sum(pc.greater(pc.binary_length(lines), MAX_LINE)).as_py() or 0)
