"""Readers: one module per family of export formats, all producing the canonical table.

Every reader takes the decoded bytes of one input and returns a `ReadResult`. Readers
never drop a record silently: anything they cannot use is counted in `rejected`, and
anything surprising becomes a warning naming what happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson
import pyarrow as pa
import regex

from rca.errors import InputError
from rca.lazy import LazyRegex


@dataclass
class ReadResult:
    table: pa.Table
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    # Explicit truncation seen in the export itself ("older" or "newer" end missing).
    truncated_end: str | None = None
    truncation_reason: str | None = None
    # The limit the export declares, when it declares one (Grafana "Line limit").
    declared_limit: int | None = None
    # The query that produced the export, when the export names it (Grafana frames).
    query: str | None = None
    # What the warnings were made of, for readers whose pieces are read one by one.
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Context:
    """What a reader knows about its input besides the bytes."""

    path: str
    format: str


def fail(ctx: Context, problem: str) -> InputError:
    return InputError(ctx.path, problem)


_STRING_OR_PUNCT = LazyRegex(rb'"(?:[^"\\]|\\.)*+"|"|[\[\]{},]')


def salvage_truncated_json(data: bytes) -> bytes | None:
    """Close a JSON document that was cut off, dropping only the element being written.

    The cut goes right after the last complete object or array, so a half-written record
    disappears whole. Returns repaired bytes, or None when nothing complete precedes the cut.
    """
    stack: list[bytes] = []
    # Where the last complete element ended and how many brackets were open there. The
    # brackets below that depth cannot change without a close lower down moving the cut, so
    # they are read off the stack at the end (copying them at every close is depth squared).
    last_cut: tuple[int, int] | None = None
    for m in _STRING_OR_PUNCT.finditer(data):
        tok = m.group()
        if tok == b'"':
            break  # a string the cut left unterminated
        if tok in (b"{", b"["):
            stack.append(b"}" if tok == b"{" else b"]")
        elif tok in (b"}", b"]"):
            if not stack:
                return None
            stack.pop()
            if not stack:
                return None  # the document is complete; the error lies elsewhere
            last_cut = (m.end(), len(stack))
    if last_cut is None:
        return None
    pos, depth = last_cut
    return data[:pos] + b"".join(reversed(stack[:depth]))


def load_document(data: bytes, ctx: Context) -> tuple[object, int, list[str]]:
    """Parse one JSON document; salvage it if it was cut off.

    Returns (document, rejected_guess, warnings). A salvaged document counts one rejected
    record for the element that was being written when the file ended.
    """
    try:
        return orjson.loads(data), 0, []
    except orjson.JSONDecodeError as exc:
        repaired = salvage_truncated_json(data)
        if repaired is not None:
            try:
                doc = orjson.loads(repaired)
            except orjson.JSONDecodeError:
                doc = None
            if doc is not None:
                return doc, 1, [
                    f"JSON is cut off at byte {len(data)}; read the complete records before the cut"
                    " and counted the one being written as rejected"
                ]
        raise fail(ctx, f"invalid JSON ({exc})") from None


def iter_documents(data: bytes) -> Iterator[tuple[object | None, int]]:
    """Yield (document or None, byte offset) for NDJSON or concatenated JSON documents.

    None marks a stretch that is not valid JSON, or nested deeper than Python's decoder can
    follow (one rejected record).
    """
    import json

    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        try:
            doc, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            nl = text.find("\n", pos)
            yield None, pos
            if nl < 0:
                break
            pos = nl + 1
            continue
        yield (without_surrogates(doc) if _SURROGATE_ESCAPE.search(text, pos, end) else doc), pos
        pos = end


# A JSON escape of half a UTF-16 pair (`\ud83d`), which Python's decoder turns into a lone
# surrogate that no UTF-8 writer (Arrow's included) accepts.
_SURROGATE_ESCAPE = LazyRegex(r"\\u[dD][89a-fA-F]")


def without_surrogates(value: object) -> object:
    """A decoded JSON value with each lone surrogate replaced by U+FFFD, as invalid UTF-8
    bytes are."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    return value


def split_lines(data: bytes) -> list[bytes]:
    """Lines without their terminators; a trailing empty line is not a record."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


_GO_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", '"': '"', "'": "'",
}
_GO_ESCAPE = LazyRegex(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")


def go_unquote(body: str) -> str:
    """Undo Go's strconv.Quote escaping (the quotes already removed)."""

    def repl(m: regex.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "xuU":
            cp = int(esc[1:], 16)
            return chr(cp) if cp < 0x110000 else "\ufffd"
        if esc[0].isdigit():
            return chr(int(esc, 8))
        return _GO_ESCAPES.get(esc, esc)

    return _GO_ESCAPE.sub(repl, body) if "\\" in body else body


_LABEL_PAIR = LazyRegex(r'\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def parse_label_string(text: str) -> dict[str, str] | None:
    """Parse a Prometheus/Go label set such as `{app="x", pod="y"}`; None if it is not one."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    inner = text[1:-1]
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(inner):
        m = _LABEL_PAIR.match(inner, pos)
        if not m:
            if inner[pos:].strip():
                return None
            break
        labels[m.group(1)] = go_unquote(m.group(2))
        pos = m.end()
    return labels
