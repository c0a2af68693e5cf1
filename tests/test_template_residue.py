"""A report filled from the course template still holds its **EXAMPLE** blocks and
placeholders outside rca's drafts: rca attach never touches them, and names them so they are
not published (template residue is a common mistake in real reports)."""

from __future__ import annotations

TEMPLATE = """# Incident: YYYY-MM-DD HH-mm-ss

## Summary

```md
**EXAMPLE**:

Between the hour of {time range of incident, e.g., 15:45 and 16:35} on {DATE}, {NUMBER} users encountered {EVENT SYMPTOMS}.
```

## Timeline

```md
**EXAMPLE**:

- _12:46_ - Goes from 1.9 to 1.10 upgrade, KITT causes
```

## Root cause
"""

FIXTURE = "fixtures/chaos-fail/loki-query.json"


def test_attach_names_the_templates_example_text_left_in_the_report(rca, tmp_path):
    report = tmp_path / "incident-1.md"
    report.write_text(TEMPLATE)
    run = rca("attach", FIXTURE, "--report", str(report))
    assert run.code == 0, run.stderr
    assert "**EXAMPLE** blocks" in run.stdout and "YYYY-MM-DD HH-mm-ss" in run.stdout and "KITT" in run.stdout
    assert "KITT causes" in report.read_text()  # named, never removed: it is the person's text


def test_attach_to_a_report_without_example_text_names_nothing(rca, tmp_path):
    report = tmp_path / "incident-1.md"
    run = rca("attach", FIXTURE, "--report", str(report))
    assert run.code == 0, run.stderr
    assert "template" not in run.stdout
