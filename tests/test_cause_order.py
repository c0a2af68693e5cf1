"""Causes are listed most likely first: the confidence a reader sees never rises down the
list, so an incident's headline cause is its best-evidenced one, not merely its largest."""

from __future__ import annotations

import json
from pathlib import Path

from rca.findings.pipeline import analyze

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "chaos-fail" / "logcli.jsonl"


def _with_unexplained_failures(tmp_path: Path, n: int = 60) -> str:
    """The chaos export with many link-less 500s of another route inside the chaos window:
    failures no rule of the pack explains, more numerous than the chaos's own."""
    lines = FIXTURE.read_text().splitlines()
    for i in range(n):
        body = {"authorized": True, "path": "/api/franchise", "method": "GET", "statusCode": 500,
                "reqBody": "{}", "resBody": json.dumps({"message": "connection pool exhausted"})}
        lines.append(json.dumps({"labels": {"component": "jwt-pizza-service", "level": "error", "type": "http"},
                                 "line": json.dumps(body), "timestamp": f"2025-12-02T17:36:{i % 60:02d}.{i:03d}Z"}))
    path = tmp_path / "two-failures.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_cause_with_more_rows_but_less_evidence_does_not_rank_first(tmp_path):
    findings = analyze([_with_unexplained_failures(tmp_path)])
    causes = next(i for i in findings.incidents if len(i.causes) > 1).causes
    assert "chaos" in causes[0].summary.lower()
    assert [c.confidence for c in causes] == sorted((c.confidence for c in causes), reverse=True)
    assert [c.rank for c in causes] == list(range(1, len(causes) + 1))
