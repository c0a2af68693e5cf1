"""Log text is data, never structure: one escaping step per output format, applied where a
log-derived string meets a rendered report.

Markdown: HTML, comments, headings, link and image syntax, code spans, table cells and line
breaks are neutralised with backslash escapes and entities, which a renderer shows as the
original characters. Terminal: control characters and escape sequences (ANSI colours,
OSC-8 hyperlinks, bidi overrides) are removed. Only http(s) URLs are ever shown as links.
CSV: a cell a spreadsheet would run as a formula is written as text.
"""

from __future__ import annotations

import functools
import re

from rca.compiled import compiled

_NEWLINES = compiled(r"\r\n|[\r\n\u2028\u2029\x85]")
# Characters Markdown gives structure to wherever they appear in a line (in text, also
# emphasis and GFM strikethrough; a link target keeps its `*` and `_`).
_MD_INLINE = compiled(r"([\\`\[\]|])")
_MD_TEXT_INLINE = compiled(r"([\\`\[\]|*_~])")
# Where GitHub's Markdown turns bare text into a link (`https://…`, `www.…`): an escaped `:`
# or `.` there renders as itself and links nothing (escaped wherever they follow, since `_` or
# `*` before them ends a word for the renderer but not for `\b`).
_AUTOLINK = compiled(r"(?i)(?<=(?:https?|ftp))(?=://)|(?<=www)(?=\.)")
# GitHub links an e-mail address (and `mailto:`/`xmpp:` text) whatever is escaped in it: its
# autolinker reads the text after escapes are undone. So these are shown as code spans,
# which link nothing; a run of them is one span (two side by side would merge backticks).
_EMAIL = compiled(r"((?:(?i:mailto|xmpp):)?[A-Za-z0-9.+_/-]*@[A-Za-z0-9_.@+/-]*\.[A-Za-z0-9_.@+/-]*"
                  r"|(?i:mailto|xmpp):[A-Za-z0-9.+_@/-]*)")
# ...and those that only matter at the start of a line (headings, quotes, lists, rules; an
# ordered list's number cannot be escaped, its `.` or `)` can).
_MD_LINE_START = compiled(r"^([#>+=~*-])")
_MD_ORDERED_START = compiled(r"^(\d+)([.)])")
# ESC sequences (CSI, OSC up to BEL or ST, two-character), then any other control or
# bidi-override character.
_TERM_SEQUENCES = compiled(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)|\x9b[0-?]*[ -/]*[@-~]"
                                r"|\x9d[^\x07\x9c]*[\x07\x9c]?")
# The bidi marks (the Arabic letter mark too), embeddings, overrides and isolates (UAX #9's
# formatting characters): they reorder what a reader sees.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = compiled(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
# Characters JSON lets a writer leave raw that a terminal or an editor acts on: DEL and the
# C1 controls (0x9b opens a terminal sequence) and the bidi characters. A JSON writer's
# structure is ASCII, so they stand in strings. The standard library's `re` scans a document
# for this class of code points five times as fast as `regex` (8 against 38 ms for the
# 1M-line export's 1.3 MB of findings); both read the class alike.
_JSON_RAW_UNSAFE = re.compile(rf"[\x7f-\x9f{_BIDI}]")
# A `<` opens HTML, a comment or an autolink only before a letter, `/`, `!` or `?`
# (so a template's `<*>` stays as it is).
_HTML_START = compiled(r"<(?=[A-Za-z/!?])")
_ENTITY = compiled(r"&(?=#?\w+;)")
_WEB_URL = compiled(r"(?i)^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$")
NEWLINE_MARK = " ↵ "


# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that Excel, Sheets or LibreOffice shows as the text it is: a string opening
    a formula (`=HYPERLINK(…)`, `+cmd|…`) gets a leading apostrophe, which they read as
    "text" and do not show. Numbers are kept as they are."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def json_document(doc: object) -> str:
    """`doc` as indented JSON text, each character a terminal or editor would act on written
    as its `\\uXXXX` escape: the same value to a program, shown as written to a person who
    opens or `cat`s the file."""
    import orjson

    text = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
    return _JSON_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """Line breaks inside a value shown as ↵, so a value cannot start a line of its own."""
    return _NEWLINES.sub(NEWLINE_MARK, text)


def without_controls(text: str) -> str:
    """Control and bidi-override characters removed: a page shows log text as written, never
    reordered by an override or carrying a terminal's escape byte."""
    return _CONTROLS.sub("", text)


def md_text(value: object) -> str:
    """A value as inline Markdown text that renders as exactly its characters."""
    return _md_text(str(value))


@functools.lru_cache(maxsize=1 << 16)
def _md_text(text: str) -> str:
    """Cached: a report of many incidents escapes the same few thousand values again and again."""
    # Outer whitespace is dropped, as a renderer would: leading spaces would indent a line
    # into a code block, trailing ones end it with a hard break.
    parts = _EMAIL.split(one_line(_CONTROLS.sub("", text)).strip())
    text = "".join(md_code(part) if i % 2 else _md_inline_text(part) for i, part in enumerate(parts))
    return _MD_ORDERED_START.sub(r"\1\\\2", _MD_LINE_START.sub(r"\\\1", text))


def _md_inline_text(text: str) -> str:
    text = _AUTOLINK.sub("\\\\", _MD_TEXT_INLINE.sub(r"\\\1", text))
    return _HTML_START.sub("&lt;", _ENTITY.sub("&amp;", text))


def md_code(value: object) -> str:
    """A value as one inline code span, whatever backticks it holds."""
    text = one_line(_CONTROLS.sub("", str(value)))
    runs = compiled(r"`+").findall(text)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(value: object, info: str = "") -> str:
    """A value as a fenced code block no line of it can close."""
    text = _CONTROLS.sub("", str(value).replace("\r\n", "\n")).replace("\r", "\n")
    runs = compiled(r"`{3,}|~{3,}").findall(text)
    fence = "`" * max(3, max((len(r) for r in runs), default=0) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def md_path(value: object) -> str:
    """A relative file link (the chart beside the report), percent-encoded."""
    from urllib.parse import quote

    return quote(str(value))


def web_url(value: object) -> str | None:
    """The value when it is an http(s) URL on one line, else None: nothing else is a link."""
    text = str(value)
    return text if _WEB_URL.match(text) and not _CONTROLS.search(text) else None


def md_url(value: object) -> str:
    """A link target for Markdown: an http(s) URL as text a renderer may auto-link, anything
    else as plain escaped text that no renderer turns into a link."""
    url = web_url(value)
    if url is None:
        return md_text(value) + " (not an http(s) link)"
    return _MD_INLINE.sub(r"\\\1", url).replace("<", "%3C").replace(">", "%3E")


def term_text(value: object) -> str:
    """A value for a terminal: escape sequences and control characters removed, on one line."""
    text = _TERM_SEQUENCES.sub("", str(value))
    return _CONTROLS.sub("", one_line(text))
