"""Fill the team's Markdown incident report with rca's drafts, between markers, without
touching a byte a person wrote.

Each section's draft sits under its heading between `<!-- rca:begin NAME sha256:… nonce:… -->`
and `<!-- rca:end NAME nonce:… -->`. The checksum is of what rca wrote there: if the text
between the markers no longer matches it, a person edited the draft and rca will not
overwrite it unless forced. The nonce is random per file, so text inside a draft (log lines
are untrusted) cannot forge a marker: markers are read in order, a block's content is never
searched for markers, and a block ends only at the end marker carrying its nonce. Writes
are atomic (`rca.outputs.files.write_atomically`) and keep `PATH.bak`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import regex

from rca.compiled import compiled
from rca.errors import RcaError
from rca.knowledge import shipped
from rca.outputs.files import write_atomically

SECTIONS = ["Summary", "Detection", "Impact", "Timeline", "Response", "Root cause", "Resolution",
            "Prevention", "Action items"]
_HEADING = compiled(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_BEGIN = compiled(r"<!-- rca:begin ([a-z-]+)(?: sha256:([0-9a-f]{12}))?(?: nonce:([0-9a-f]{16}))? -->")
_MARKER_START = compiled(r"<!--(?=\s*rca:)")
_FENCE = compiled(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})(.*)$")  # CommonMark's code fence: its run, then the info string


class HumanEditError(RcaError):
    exit_code = 3


def slug(section: str) -> str:
    return regex.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def _digest(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").strip("\n").encode()).hexdigest()[:12]


@dataclass
class Encoding:
    codec: str = "utf-8"
    bom: bytes = b""
    newline: str = "\n"


def read_text(path: Path) -> tuple[str, Encoding]:
    return decode_text(path.read_bytes(), path)


def decode_text(raw: bytes, path: Path) -> tuple[str, Encoding]:
    enc = Encoding()
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            enc.bom, enc.codec, raw = bom, codec, raw[len(bom):]
            break
    try:
        text = raw.decode(enc.codec)
    except UnicodeDecodeError:
        raise RcaError(f"{path}: not UTF-8 or UTF-16 text; rca will not rewrite it") from None
    if "\r\n" in text:
        enc.newline = "\r\n"
    return text, enc


def _end_marker(name: str, nonce: str | None) -> str:
    return f"<!-- rca:end {name} nonce:{nonce} -->" if nonce else f"<!-- rca:end {name} -->"


def _block(name: str, draft: str, nl: str, nonce: str) -> str:
    draft = _MARKER_START.sub("&lt;!--", draft)  # a draft never holds a marker of its own
    body = draft.strip("\n").replace("\r\n", "\n").replace("\n", nl)
    return f"<!-- rca:begin {name} sha256:{_digest(draft)} nonce:{nonce} -->{nl}{body}{nl}{_end_marker(name, nonce)}"


@dataclass
class Block:
    name: str
    start: int
    inner: tuple[int, int]
    end: int
    digest: str | None
    nonce: str | None


def blocks(text: str) -> dict[str, Block]:
    """rca's blocks in document order, the first of each name; nothing inside a block is
    read as a marker."""
    found: dict[str, Block] = {}
    pos = 0
    while (begin := _BEGIN.search(text, pos)) is not None:
        name, digest, nonce = begin.group(1), begin.group(2), begin.group(3)
        end_marker = _end_marker(name, nonce)
        end = text.find(end_marker, begin.end())
        if end < 0:
            raise RcaError(f"the {name} section has an rca:begin marker without its rca:end marker")
        found.setdefault(name, Block(name, begin.start(), (begin.end(), end), end + len(end_marker), digest, nonce))
        pos = end + len(end_marker)
    return found


def file_nonce(text: str) -> str:
    """The nonce of the file's first nonce-carrying block, or a new one."""
    return next((b.nonce for b in blocks(text).values() if b.nonce), None) or secrets.token_hex(8)


@dataclass
class Update:
    text: str
    changed_sections: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)


def new_report(title: str, drafts: dict[str, str], nl: str = "\n") -> str:
    nonce = secrets.token_hex(8)
    parts = [f"# {_one_line(title)}", ""]
    for section in SECTIONS:
        parts += [f"## {section}", "", _block(slug(section), drafts.get(section, ""), nl, nonce), ""]
    return nl.join(parts)


def fill(text: str, drafts: dict[str, str], nl: str, force: bool = False) -> Update:
    """Put each draft between its markers; everything outside them stays as it was."""
    update = Update(text)
    nonce = file_nonce(text)
    for section in SECTIONS:
        if section not in drafts:
            continue
        name = slug(section)
        block = _block(name, drafts[section], nl, nonce)
        current = update.text
        found = blocks(current)
        mine = found.get(name)
        if mine is not None:
            inside = current[mine.inner[0]:mine.inner[1]]
            if mine.digest and _digest(inside) != mine.digest and not force:
                update.protected.append(section)
                continue
            new = current[:mine.start] + block + current[mine.end:]
        else:
            heading = _find_heading(current, section, list(found.values()))
            if heading is None:
                sep = "" if current.endswith(nl) or not current else nl
                new = f"{current}{sep}{nl}## {section}{nl}{nl}{block}{nl}"
            else:
                new = current[:heading] + nl + block + nl + current[heading:]
        if new != current:
            update.changed_sections.append(section)
        update.text = new
    return update


def _find_heading(text: str, section: str, inside: list[Block]) -> int | None:
    """Offset just after the heading line of `section` (any level, case-insensitive),
    outside rca's blocks and outside code fences (a `## Timeline` in a person's fenced
    example is text, not the section: a draft put there would land inside their example)."""
    pos, fence = 0, None
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        opens = _FENCE.match(bare)
        if any(b.start <= pos < b.end for b in inside):
            pass  # rca's own draft: neither a heading nor a fence of the person's
        elif fence is None and opens:
            fence = opens.group(1)
        elif fence is not None:
            if opens and opens.group(1)[0] == fence[0] and len(opens.group(1)) >= len(fence) and not opens.group(2).strip():
                fence = None
        elif (m := _HEADING.match(bare)) and m.group(2).strip().lower().rstrip(":") == section.lower():
            return pos + len(line)
        pos += len(line)
    return None


@functools.cache
def _residue_patterns() -> dict[str, regex.Pattern]:
    raw = json.loads(shipped("report_template.json").decode("utf-8"))
    return {name: regex.compile(pattern) for name, pattern in raw["residue"].items()}


def template_residue(text: str) -> list[str]:
    """What of the report template's example text is still in the report outside rca's drafts
    (`rca/knowledge/report_template.json`)."""
    found = sorted(blocks(text).values(), key=lambda b: b.start)
    outside, pos = [], 0
    for b in found:
        outside.append(text[pos:b.start])
        pos = b.end
    outside.append(text[pos:])
    rest = "".join(outside)
    return [name for name, pattern in _residue_patterns().items() if pattern.search(rest)]


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass
class ReportResult:
    path: Path
    created: bool
    changed: list[str]
    diff: str
    residue: list[str] = field(default_factory=list)  # the template's example text still in it


def attach_to_report(path: Path, title: str, drafts: dict[str, str], force: bool = False,
                     dry_run: bool = False) -> ReportResult:
    """Create or update the report file. Raises HumanEditError naming the edited sections."""
    raw = path.read_bytes() if path.exists() else b""
    if path.exists():
        old, enc = decode_text(raw, path)
        update = fill(old, drafts, enc.newline, force)
        if update.protected:
            raise HumanEditError(
                f"{path}: a person edited rca's draft of {', '.join(update.protected)}; "
                "nothing was written (use --force to overwrite those drafts)")
        new, created = update.text, False
    else:
        old, enc = "", Encoding()
        new, created = new_report(title, drafts), True
    diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=str(path), tofile=str(path)))
    changed = [] if new == old else [s for s in SECTIONS if s in drafts]
    if not dry_run and new != old:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, enc.bom + new.encode(enc.codec), keep_backup=True, expect=raw)
    return ReportResult(path, created, changed, diff, template_residue(new))
