"""Log text in the Markdown report renders as exactly its characters: no emphasis, no
strikethrough, and no bare URL that GitHub's Markdown would turn into a link (reports are
pasted into `incidentReports/*.md` of a GitHub fork)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from rca.findings.pipeline import analyze
from rca.outputs.report import markdown
from tests.test_hostile_output import hostile_export

MESSAGE = "**urgent** _fix_ ~~now~~: visit https://evil.example/fix or www.evil.example"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    return markdown(analyze([str(hostile_export(tmp_path_factory.mktemp("md") / "logs.json", message=MESSAGE))]))


def _rendered(md: str) -> str:
    return MarkdownIt("commonmark").enable("strikethrough").render(md)


def _message_lines(report: str) -> list[str]:
    """The report's lines that quote the message (a list item's own bold time aside)."""
    lines = [line.split(" — ", 1)[-1] for line in report.splitlines() if "evil" in line]
    assert lines
    return lines


def test_emphasis_in_a_message_renders_as_its_characters(report):
    for line in _message_lines(report):
        html = _rendered(line)
        assert "<strong>" not in html and "<em>" not in html and "<s>" not in html
        assert "**urgent** _fix_ ~~now~~" in html


def test_a_bare_url_in_a_message_is_not_left_for_github_to_link(report):
    for line in _message_lines(report):
        assert "https://" not in line and "www.evil.example" not in line
        assert ": visit https://" in _rendered(line) and " or www.evil.example" in _rendered(line)
