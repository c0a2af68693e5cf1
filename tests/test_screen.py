"""The terminal summary is laid out without rich's console, exactly as rich lays it out: the
same line breaks, cell padding, cut words and ANSI styles, for any text a log can put there
(wide and combining characters, words wider than the terminal) and any width from 20."""

from __future__ import annotations

import io

from hypothesis import example, given
from hypothesis import strategies as st

from rca.outputs.screen import KEY_WIDTH, MIN_WIDTH, Screen

# What reaches the screen is printable (rca.outputs.terminal escapes the rest): spaces, wide,
# combining and ambiguous characters, and the arrows and dashes rca writes itself.
TEXT = st.text(st.sampled_from(list("ab cd   efghij—…→↵.:/=  ") + ["漢", "字", "é", "\u0301", "👍", "ｘ"]), max_size=240)
STYLES = st.sampled_from(["", "bold", "dim", "yellow", "bold red", "bold green"])
WIDTHS = st.integers(min_value=MIN_WIDTH, max_value=140)
KEYS = st.sampled_from(["cause", "window", "", "resolved", "#2", "!", "      29", "12345678", "123456789", "漢字漢字漢"])
ROWS = st.lists(st.tuples(KEYS, TEXT, STYLES), min_size=1, max_size=5)


def _rich(draw, width: int, colour: bool) -> str:
    """What rca drew with rich's console (a Table.grid for rows, the link soft-wrapped)."""
    from rich.console import Console

    buf = io.StringIO()
    con = Console(file=buf, width=width, color_system="standard" if colour else None, no_color=not colour,
                  force_terminal=colour, highlight=False, markup=False, emoji=False)
    draw(con)
    return "\n".join(line.rstrip() for line in buf.getvalue().split("\n"))


def _rich_rows(con, rows: list[tuple[str, str, str]]) -> None:
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, width=KEY_WIDTH)
    grid.add_column()
    for key, value, style in rows:
        grid.add_row(key, Text(value, style=style))
    con.print(Padding(grid, (0, 0, 0, 2)))


def _screen(draw, width: int, colour: bool) -> str:
    screen = Screen(width, colour)
    draw(screen)
    return screen.text()


@given(TEXT, STYLES, WIDTHS, st.booleans())
@example("a" * 45 + " b", "bold red", 20, True)
@example("漢" * 30, "", 21, False)
@example("", "bold", 20, True)
def test_a_line_wraps_as_rich_wraps_it(text, style, width, colour):
    from rich.text import Text

    assert _screen(lambda s: s.print(text, style), width, colour) == \
        _rich(lambda con: con.print(Text(text, style=style)), width, colour)


@given(ROWS, WIDTHS, st.booleans())
@example([("cause", "x" * 200, "dim"), ("", "short", "yellow")], 20, True)
@example([("123456789", "漢" * 50, ""), ("!", "", "dim")], 31, True)
@example([("", "", "")], 20, False)
@example([("cause", "aaaaaaa        b", "dim")], 20, True)
def test_rows_lay_out_as_richs_grid(rows, width, colour):
    assert _screen(lambda s: s.rows(rows), width, colour) == _rich(lambda con: _rich_rows(con, rows), width, colour)


@given(TEXT, st.sampled_from(["bold cyan underline", "dim"]), WIDTHS, st.booleans())
def test_a_link_stays_on_one_line_styled_as_rich_styles_it(link, style, width, colour):
    from rich.text import Text

    def rich_link(con):
        line = Text("  follow    ", style="bold")
        line.append(link, style=style)
        con.print(line, soft_wrap=True)

    assert _screen(lambda s: s.unwrapped(("  follow    ", "bold"), (link, style)), width, colour) == \
        _rich(rich_link, width, colour)


def test_a_terminal_narrower_than_the_minimum_gets_lines_of_the_minimum():
    screen = Screen(8, False)
    screen.print("word " * 10)
    assert max(len(line) for line in screen.text().splitlines()) == MIN_WIDTH - 1
