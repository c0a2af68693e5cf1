"""Turn an input's raw bytes into UTF-8: decompress by magic bytes (gzip, bzip2, xz, zstd),
strip BOMs, transcode UTF-16, and refuse binary data with a clear reason."""

from __future__ import annotations

import lzma
import os
import stat
import zlib

from rca.errors import InputError

# What an input's first bytes say it is, before any text can be read from it.
GZIP, BZIP2, XZ, ZSTD = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"
ZIP, PARQUET = b"PK\x03\x04", b"PAR1"
UTF8_BOM, UTF16_LE_BOM, UTF16_BE_BOM = b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"
BOM_NOTE = "UTF-8 byte order mark removed"
_NOT_PLAIN = (GZIP, BZIP2, XZ, ZSTD, ZIP, PARQUET, UTF8_BOM, UTF16_LE_BOM, UTF16_BE_BOM)
# Exports from this size on are streamed (smaller ones are read whole: it is faster).
STREAM_BYTES = 256 << 20


def is_zip(path: str) -> bool:
    """Whether the file at `path` is a zip archive, by its first bytes (False when it cannot be
    read: what is wrong with it is the read's to say)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ZIP
    except OSError:
        return False


def read_whole_anyway(paths: list[str]) -> bool:
    """Whether these inputs are files neither compressed nor archived that together hold
    less than STREAM_BYTES: a streamed analysis would give them back to the whole read
    (rca.findings.stream), after importing its modules and sniffing every byte of them."""
    total = 0
    for path in paths:
        try:
            info = None if path == "-" else os.stat(path)
            if info is None or not stat.S_ISREG(info.st_mode):
                return False
            with open(path, "rb") as fh:
                magic = fh.read(8)
            total += info.st_size
        except OSError:
            return False
        if magic.startswith((GZIP, BZIP2, XZ, ZSTD, ZIP)):
            return False
    return total < STREAM_BYTES


def is_plain_text(head: bytes) -> bool:
    """Whether bytes can be read as they are: not compressed, no byte order mark, no NUL."""
    return bool(head) and not head.startswith(_NOT_PLAIN) and b"\x00" not in head


def decompress(raw: bytes, path: str) -> tuple[bytes, list[str]]:
    """Undo gzip (multi-member), bzip2, xz and zstd, repeatedly, within the size and ratio
    caps of `rca.inputs.limits`; name what was undone."""
    from rca.inputs.limits import current

    notes: list[str] = []
    limits = current()
    for _ in range(4):
        kind = next((k for k, magic in (("gzip", GZIP), ("bzip2", BZIP2), ("xz", XZ), ("zstd", ZSTD))
                     if raw.startswith(magic)), None)
        if kind is None:
            if raw.startswith(ZIP):
                raise InputError(path, "a zip archive inside a compressed file; unzip it first")
            if raw.startswith(PARQUET):
                raise InputError(path, "a Parquet file; export the logs as JSON instead")
            break
        raw, cut = _inflate(raw, kind, path, limits)
        if cut:
            notes.append(f"{kind} stream is cut off; read what decompressed")
        notes.append(kind)
    return raw, notes


def _inflate(raw: bytes, kind: str, path: str, limits) -> tuple[bytes, bool]:
    from rca.inputs.limits import inflate

    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise InputError(path, "zstd-compressed; decompress it first (zstd -d FILE)") from None
        errors: tuple[type[BaseException], ...] = (zstandard.ZstdError,)
    else:
        errors = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)
    try:
        out, cut = inflate(raw, kind, path, limits)
    except errors as exc:
        raise InputError(path, f"broken {kind} data ({exc})") from None
    if cut and not out:
        raise InputError(path, f"{kind} data is cut off before anything could be decompressed")
    return out, cut


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of an uncompressed stream are binary rather than text; NUL
    bytes a truncated log opens with (`skip_leading_nuls`) are not looked at."""
    if head.startswith(_NOT_PLAIN) or _utf16_without_bom(head):
        return False
    if head.startswith(b"\x00") and (text := head.lstrip(b"\x00")):
        head = text
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 27), *range(28, 32)))
    return b"\x00" in head or controls > max(8, len(head) // 50)


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 text without a byte order mark: ASCII characters leave every other byte NUL."""
    if len(raw) < 4:
        return None
    if raw[1:4:2] == b"\x00\x00" and raw[0] and raw[2]:
        return "utf-16-le"
    if raw[0:3:2] == b"\x00\x00" and raw[1] and raw[3]:
        return "utf-16-be"
    return None


def skip_leading_nuls(raw: bytes) -> tuple[bytes, list[str]]:
    """A log truncated while a process kept writing it (logrotate's copytruncate) opens with a
    hole of NUL bytes up to where the writer was: skip them, and say so, when text follows."""
    if not raw.startswith(b"\x00"):
        return raw, []
    text = raw.lstrip(b"\x00")
    if not text:
        return raw, []
    return text, [f"{len(raw) - len(text)} NUL bytes at the start skipped (a log truncated while it was "
                  "being written, as logrotate's copytruncate leaves it)"]


def to_utf8(raw: bytes, path: str) -> tuple[bytes, list[str]]:
    """Decode BOMs and UTF-16 to UTF-8 bytes; refuse binary; replace invalid UTF-8 and say so."""
    notes: list[str] = []
    if raw.startswith(UTF8_BOM):
        raw = raw[3:]
        notes.append(BOM_NOTE)
    elif raw.startswith((UTF16_LE_BOM, UTF16_BE_BOM)):
        enc = "utf-16-le" if raw.startswith(UTF16_LE_BOM) else "utf-16-be"
        raw = raw[2:].decode(enc, errors="replace").encode("utf-8")
        notes.append(f"decoded from {enc.upper()}")
    elif enc := _utf16_without_bom(raw):
        raw = raw.decode(enc, errors="replace").encode("utf-8")
        notes.append(f"decoded from {enc.upper()} (no byte order mark)")
    else:
        raw, notes = skip_leading_nuls(raw)
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
