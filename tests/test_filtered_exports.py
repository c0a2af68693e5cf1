"""An export filtered to errors (its Grafana Common labels or its query say so) cannot tell
how many requests there were: rca says "export filtered to errors; total requests unknown"."""

from __future__ import annotations

import json

import pytest

from fixtures import generate
from fixtures.generate import Chaos, Event
from rca.findings.pipeline import analyze
from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal

CHAOS = Chaos("fail", 300, 540)
UNKNOWN = "export filtered to errors; total requests unknown"


@pytest.fixture(scope="module")
def failing():
    """Only the failed orders, as an errors-only query returns them."""
    return [e for e in generate.simulate(chaos=[CHAOS])
            if e.labels["type"] == "http" and '"statusCode":500' in e.line and CHAOS.fix_code in e.line]


def _txt(tmp_path, events, extra_labels):
    relabelled = [Event(e.ts_ns, {**e.labels, **extra_labels}, e.line) for e in events]
    path = tmp_path / "errors.txt"
    path.write_bytes(generate.grafana_txt(relabelled))
    return analyze([str(path)])


@pytest.mark.parametrize("labels", [{"level": "error"}, {"statusCode": "500"}], ids=["level", "statusCode"])
def test_common_error_labels_make_total_requests_unknown(tmp_path, failing, labels):
    f = _txt(tmp_path, failing, labels)
    assert UNKNOWN in terminal(f, width=400)
    assert f"{len(failing)} of {len(failing)} requests" not in terminal(f, width=400)


def test_filtered_export_says_so_in_the_report_and_json(tmp_path, failing):
    f = _txt(tmp_path, failing, {"level": "error"})
    assert UNKNOWN in markdown(f).split("## Impact")[0]
    assert findings_json(f)["incidents"][0]["impact"]["total_requests"] is None


def test_an_errors_query_in_grafana_frames_makes_total_requests_unknown(tmp_path, failing):
    doc = json.loads(generate.grafana_frames(failing))
    frame = doc["results"]["A"]["frames"][0]
    frame["schema"]["meta"]["executedQueryString"] = 'Expr: {component="jwt-pizza-service"} |= "error"'
    path = tmp_path / "frames.json"
    path.write_text(json.dumps(doc))
    assert UNKNOWN in terminal(analyze([str(path)]), width=400)


def test_an_unfiltered_export_counts_its_requests(tmp_path):
    events = generate.simulate(chaos=[CHAOS])
    path = tmp_path / "all.txt"
    path.write_bytes(generate.grafana_txt(events))
    f = analyze([str(path)])
    assert f.filtered is None
    assert UNKNOWN not in terminal(f, width=400)
