"""One rule for colour and width on a stream: colour only on a terminal, never with
NO_COLOR or --no-color; text wraps to the terminal's width."""

from __future__ import annotations

import os
import shutil
from typing import IO, Any


def wants_colour(stream: IO[str], no_color: bool = False) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def width_for(stream: IO[str], fallback: int = 100) -> int:
    """The terminal's width for a terminal; COLUMNS (or `fallback`) for a pipe or file."""
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        return shutil.get_terminal_size((fallback, 24)).columns
    try:
        return max(40, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        return fallback


def make_console(stream: IO[str], no_color: bool = False, width: int | None = None) -> Any:
    """A rich Console on `stream` following the colour rule."""
    from rich.console import Console

    colour = wants_colour(stream, no_color)
    return Console(file=stream, color_system="auto" if colour else None, no_color=not colour,
                   width=width or width_for(stream), highlight=False, emoji=False, markup=False)
