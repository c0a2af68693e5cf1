"""Log text in a Markdown report renders on GitHub as exactly its characters and links
nothing: checked with cmark-gfm, the renderer GitHub uses, with all its extensions (tables,
strikethrough, autolinks of URLs, `www.` and e-mail addresses)."""

from __future__ import annotations

import html

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.outputs.escape import NEWLINE_MARK, md_text, one_line

# A dev dependency (pyproject's `dev` extra); a venv made before it was added skips these.
cmarkgfm = pytest.importorskip("cmarkgfm", reason="pip install -e '.[dev]' brings cmark-gfm")
Options = pytest.importorskip("cmarkgfm.cmark").Options

PIECES = ["http", "https", "://", "www.", "ftp", "mailto:", "xmpp:", "@", "d@jwt.com", "a.b", "<", ">", "&", "#", ";",
          "&amp;", "&#64;", "*", "_", "~", "`", "[", "]", "(", ")", "!", "|", "\\", "-", "+", "=", ".", ":", "/",
          " ", "  ", "1", "42", "x", "Order", "é", "\t", "\n", "<!--", "-->", "&#", "&#x40;", "![", "](", "<b>", "^", "$", "{", "}", "\"", "'", "%"]


def _rendered_text(md: str) -> tuple[str, str]:
    """GitHub's HTML for one line of Markdown, and the text a reader sees in it."""
    page = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE).strip()
    return page, html.unescape(regex.sub(r"<[^>]*>", "", page))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join))
def test_log_text_renders_on_github_as_its_characters_with_no_link(text):
    page, seen = _rendered_text("- " + md_text(text))
    assert "<a " not in page and "<img" not in page
    assert " ".join(seen.split()) == " ".join(one_line(text).split()), (text, md_text(text), page)


def test_an_email_address_in_a_message_is_not_linked(text="login by d@jwt.com and support@pizza.example failed"):
    page, seen = _rendered_text(md_text(text))
    assert "<a " not in page and seen == text


def test_a_number_and_dot_opening_a_value_shows_no_backslash(text="1. order failed"):
    page, seen = _rendered_text(md_text(text))
    assert seen == text and "<ol" not in page


def test_a_line_break_in_a_value_is_shown_as_a_mark(text="first\n# second"):
    page, seen = _rendered_text(md_text(text))
    assert seen == "first" + NEWLINE_MARK + "# second" and "<h1" not in page


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join))
def test_log_text_in_a_table_cell_stays_in_its_cell_with_no_link(text):
    page, _ = _rendered_text(f"| item | owner |\n|---|---|\n| {md_text(text)} | me |")
    cells = regex.findall(r"<td>(.*?)</td>", page, flags=regex.DOTALL)
    assert "<a " not in page and len(cells) == 2 and cells[1] == "me", (text, md_text(text), page)
    assert " ".join(html.unescape(regex.sub(r"<[^>]*>", "", cells[0])).split()) == " ".join(one_line(text).split())


def test_a_report_rendered_by_github_links_only_the_remediation_link(tmp_path):
    from rca.findings.pipeline import analyze
    from rca.outputs.report import markdown
    from tests.test_hostile_output import hostile_export

    message = "Contact d@jwt.com or mailto:ops@evil.example, see www.evil.example, https://evil.example/x, [x](https://e.example)"
    report = markdown(analyze([str(hostile_export(tmp_path / "logs.json", message=message))]))
    page = cmarkgfm.github_flavored_markdown_to_html(report, options=Options.CMARK_OPT_UNSAFE)
    assert "evil.example" in page
    assert set(regex.findall(r'<a href="([^"]*)"', page)) == {
        "https://pizza-factory.cs329.click/api/support/****/report/k3q9z7mf"}
