"""The same records written in every format ingest to the same table, up to what each
format can carry (TXT and CSV keep milliseconds; some formats drop labels or wrap lines)."""

from __future__ import annotations

import pytest

from fixtures import generate
from rca import ingest

# Formats whose line column is the logged line itself.
VERBATIM_LINE = ["loki-query", "loki-push", "logcli-jsonl", "logcli-text", "grafana-txt", "grafana-json",
                 "grafana-csv", "grafana-inspect-csv", "grafana-frames", "cloudwatch", "elasticsearch"]
# Formats that carry every stream label.
ALL_LABELS = ["loki-query", "loki-push", "logcli-jsonl", "logcli-text", "grafana-csv",
              "grafana-inspect-csv", "grafana-frames"]


def _read(fmt: str, events, tmp_path):
    name, writer = generate.WRITERS[fmt]
    path = tmp_path / name
    path.write_bytes(writer(events))
    return ingest([str(path)]).table


@pytest.fixture(scope="module")
def reference(events):
    return sorted((e.ts_ns, e.line, tuple(sorted(e.labels.items()))) for e in events)


@pytest.mark.parametrize("fmt", VERBATIM_LINE)
def test_times_and_lines_match_the_events(fmt, events, reference, tmp_path):
    table = _read(fmt, events, tmp_path)
    got = sorted(zip(table.column("ts_ns").to_pylist(), table.column("line").to_pylist(), strict=True))
    assert got == [(ts, line) for ts, line, _ in reference]


@pytest.mark.parametrize("fmt", ALL_LABELS)
def test_labels_match_the_events(fmt, events, reference, tmp_path):
    table = _read(fmt, events, tmp_path)
    got = sorted(
        zip(table.column("ts_ns").to_pylist(), table.column("line").to_pylist(),
            [tuple(m) for m in table.column("labels").to_pylist()], strict=True)
    )
    assert got == reference


@pytest.mark.parametrize("fmt", ["ndjson", "text"])
def test_reformatted_lines_keep_times_and_order(fmt, events, tmp_path):
    table = _read(fmt, events, tmp_path)
    assert table.column("ts_ns").to_pylist() == [e.ts_ns for e in events]


def test_same_export_in_two_formats_counts_duplicates_once(events, tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.jsonl"
    a.write_bytes(generate.loki_query(events))
    b.write_bytes(generate.logcli_jsonl(events))
    result = ingest([str(a), str(b)])
    assert result.records == len(events)
    assert [s.duplicates for s in result.inputs] == [0, len(events)]
