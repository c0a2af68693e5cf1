"""An incident's evidence is its own: with two chaos windows sharing a signature, each
incident's cause counts, times, examples and links come only from that incident's rows."""

from __future__ import annotations

import re

import pytest

from fixtures import generate
from fixtures.generate import Chaos
from rca.findings.pipeline import analyze
from rca.outputs.html import page
from rca.outputs.report import markdown
from rca.inputs.timestamps import format_rfc3339_ms

FIRST = Chaos("fail", 120, 300, fix_code="aaaa1111")
SECOND = Chaos("fail", 600, 780, fix_code="bbbb2222")


@pytest.fixture(scope="module")
def two_windows(tmp_path_factory):
    events = generate.simulate(chaos=[FIRST, SECOND], minutes=16)
    path = tmp_path_factory.mktemp("two") / "export.json"
    path.write_bytes(generate.loki_query(events))
    return events, analyze([str(path)])


def _service_rows(events, chaos):
    return [e for e in events if e.labels["type"] == "http" and chaos.fix_code in e.line]


def test_each_cause_counts_only_its_own_incidents_rows(two_windows):
    events, f = two_windows
    for found, chaos in zip(f.incidents, [FIRST, SECOND], strict=True):
        line = next(e for e in found.causes[0].evidence if "jwt-pizza-service" in e)
        assert line.startswith(f"{len(_service_rows(events, chaos))} x ")


def test_each_cause_spans_only_its_own_incident(two_windows):
    events, f = two_windows
    for found, chaos in zip(f.incidents, [FIRST, SECOND], strict=True):
        rows = _service_rows(events, chaos)
        line = next(e for e in found.causes[0].evidence if "jwt-pizza-service" in e)
        span = re.search(r"\((\S+) \.\. (\S+)\)$", line).groups()
        assert span == (format_rfc3339_ms(rows[0].ts_ns), format_rfc3339_ms(rows[-1].ts_ns))


def test_each_cause_example_comes_from_its_own_incident(two_windows):
    _, f = two_windows
    for found, chaos, other in zip(f.incidents, [FIRST, SECOND], [SECOND, FIRST], strict=True):
        examples = [e for c in found.causes for e in c.evidence if e.startswith("example:")]
        assert any(chaos.fix_code in e for e in examples)
        assert all(other.fix_code not in e for e in examples)


@pytest.mark.parametrize("render,separator", [(markdown, "\n## Incident "), (page, "<section id='inc-")], ids=["md", "html"])
def test_each_incident_section_names_only_its_own_link(two_windows, render, separator):
    _, f = two_windows
    sections = [p.split("</section>")[0] for p in render(f).split(separator) if "Root cause" in p]
    assert len(sections) == 2
    first, second = sections
    assert "aaaa1111" in first and "bbbb2222" not in first
    assert "bbbb2222" in second and "aaaa1111" not in second
