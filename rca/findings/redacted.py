"""The findings as every renderer shows them: one redaction pass over the data (causes,
evidence, templates, examples, links, labels, timeline, history), before any output format
escapes it, so Markdown, JSON, HTML, the chart, the terminal and the history all mask the
same secrets with the same catalogue."""

from __future__ import annotations

import dataclasses

from rca.findings.pipeline import Findings
from rca.table.redact import redact_tree


def redacted(f: Findings) -> Findings:
    """A copy of the findings with every secret masked (the same object when it already is)."""
    if f.redacted:
        return f
    return dataclasses.replace(redact_tree(f, f.pack), redacted=True)


def shown(f: Findings, reveal: bool = False) -> Findings:
    """What a renderer may print: the findings themselves only when the user asked to reveal."""
    return f if reveal else redacted(f)
