"""The terminal summary's two layouts, drawn as rich draws them but without rich's console:
a line wrapped at the width, and rows of a bold key column beside a value that wraps under
itself. Importing rich's console, text and table and laying the summary out with them cost
~0.1 s, a sixth of a small export's whole analysis; this is the same output (same breaks,
padding and ANSI styles: tests/test_screen.py draws both and compares) from rich's own cell
widths (`rich.cells`, which counts a wide character as two), for ~1 ms.

Text given here is already safe for a terminal (rca.outputs.terminal escapes log text);
this module only lays it out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.cells import cell_len, chop_cells, set_cell_size

# rich's SGR parameters for the styles the summary uses, in the order rich writes them.
_ATTRIBUTES = {"bold": "1", "dim": "2", "underline": "4"}
_COLOURS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36"}
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")

KEY_WIDTH = 8
KEY_GAP = 2
MIN_WIDTH = 20  # a narrower terminal gets lines this wide, which it folds


def sgr(style: str) -> str:
    """`bold cyan underline` -> `1;4;36`: attributes in rich's order, then the colour."""
    words = style.split()
    codes = [code for name, code in _ATTRIBUTES.items() if name in words]
    return ";".join(codes + [_COLOURS[w] for w in words if w in _COLOURS])


def _breaks(text: str, width: int, fold: bool) -> list[int]:
    """Where rich breaks `text` to fit `width` cells: between words, a word wider than the
    width folded across lines (`fold`) or left whole on a line of its own to be cut."""
    breaks: list[int] = []
    offset = 0
    for word_match in _WORD.finditer(text):
        start, word = word_match.start(), word_match.group(0)
        length = cell_len(word.rstrip())
        if width - offset >= length:
            offset += cell_len(word)
        elif length > width:
            if fold:
                pieces = chop_cells(word, width)
                for n, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if n == len(pieces) - 1:
                        offset = cell_len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = cell_len(word)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(word)
    return breaks


def _cut(line: str, width: int, ellipsis: bool) -> str:
    """A line wider than `width` cut to it, with `…` as its last cell when `ellipsis`."""
    if cell_len(line) <= width:
        return line
    return set_cell_size(line, width - 1) + "…" if ellipsis else set_cell_size(line, width)


def _fit(text: str, width: int) -> str:
    """One line exactly `width` cells: filled with spaces, or cut with `…` (a key)."""
    length = cell_len(text)
    return _cut(text, width, ellipsis=True) if length > width else text + " " * (width - length)


def wrap(text: str, width: int, cell: bool = False) -> list[str]:
    """`text` in lines of at most `width` cells, broken where rich breaks it: a printed line
    folds a word too wide for a line; a table `cell`'s lines are filled with spaces to the
    width and such a word is cut with `…`."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        starts = [0, *_breaks(paragraph, width, fold=not cell)]
        for start, end in zip(starts, [*starts[1:], len(paragraph)], strict=True):
            line = paragraph[start:end]
            excess = len(line) - width
            if excess > 0 and (space := _TRAILING_SPACE.search(line)):
                line = line[:len(line) - min(len(space.group(0)), excess)]
            lines.append(_fit(line, width) if cell else _cut(line, width, ellipsis=False))
    return lines


@dataclass
class Screen:
    """The summary's lines as they are drawn, with ANSI styles when `colour`."""

    width: int
    colour: bool
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.width = max(self.width, MIN_WIDTH)

    def styled(self, text: str, style: str) -> str:
        if not (self.colour and style and text):
            return text
        return f"\x1b[{sgr(style)}m{text}\x1b[0m"

    def print(self, text: str = "", style: str = "") -> None:
        """A line of text in `style`, wrapped at the width (a word wider than it folded)."""
        self.lines += [self.styled(line, style) for line in wrap(text, self.width)]

    def unwrapped(self, *parts: tuple[str, str]) -> None:
        """One line of (text, style) parts however long, every part on the first's style
        (a link: the terminal folds it, and copying it gets it whole)."""
        base = parts[0][1]
        self.lines.append("".join(self.styled(text, f"{base} {style}") for text, style in parts))

    def rows(self, rows: list[tuple[str, str, str]], indent: int = 2) -> None:
        """(key, value, value style) rows: the key bold in a column KEY_WIDTH wide, the value
        beside it wrapped to the rest of the width, as wide as the widest value needs."""
        if not rows:
            return
        room = max(self.width - indent - KEY_WIDTH - KEY_GAP, 1)
        widest = max((cell_len(line) for _, value, _ in rows for line in value.splitlines()), default=0)
        width = min(widest or 1, room)
        margin = " " * indent
        gap = self.styled(" " * KEY_GAP, "bold")
        under = self.styled(" " * (KEY_WIDTH + KEY_GAP), "bold")
        for key, value, style in rows:
            head = self.styled(_fit(key, KEY_WIDTH), "bold") + gap
            for line in wrap(value, width, cell=True):
                self.lines.append(margin + head + self.styled(line, style))
                head = under

    def text(self) -> str:
        """The lines, each without trailing spaces, as one text ending in a newline."""
        return "".join(line.rstrip() + "\n" for line in self.lines)
