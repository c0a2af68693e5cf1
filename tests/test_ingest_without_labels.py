"""`ingest(..., labels=False)`, what `rca patterns` reads with: the same records, times, order,
rejections and warnings as a full read, only the labels left empty."""

from __future__ import annotations

import pytest

from fixtures import generate
from rca import ingest

SAME = ["ts_ns", "precision", "metadata", "parsed", "line", "source", "record"]


def _both(path):
    full, lean = ingest([str(path)]), ingest([str(path)], labels=False)
    return full, lean


def _assert_same_records(full, lean):
    for name in SAME:
        assert lean.table.column(name).to_pylist() == full.table.column(name).to_pylist(), name
    assert [(s.records, s.rejected, s.warnings, s.truncated, s.first_ns, s.last_ns, s.order)
            for s in lean.inputs] == [(s.records, s.rejected, s.warnings, s.truncated, s.first_ns, s.last_ns, s.order)
                                      for s in full.inputs]


@pytest.mark.parametrize("newest_first", [True, False])
def test_lean_read_of_a_logcli_export_keeps_every_record_and_drops_only_labels(newest_first, events, tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(generate.logcli_jsonl(events, newest_first=newest_first))
    full, lean = _both(path)
    _assert_same_records(full, lean)
    assert all(m == [] for m in lean.table.column("labels").to_pylist())


GOOD = b'{"labels":{"app":"api"},"line":"GET /api/order 200","timestamp":"2025-06-01T10:00:0%dZ"}\n'
# Past the 64 KiB a reader sniffs first, where only the columnar read sees the odd line.
LEAD = GOOD % 1 * 800


@pytest.mark.parametrize("odd", [
    b'{"labels":"app=api","line":"labels not an object","timestamp":"2025-06-01T10:00:05Z"}\n',
    b'{"labels":["api"],"line":"labels a list","timestamp":"2025-06-01T10:00:05Z"}\n',
    b'{"labels":{"app":"api"},"line":"an extra field","timestamp":"2025-06-01T10:00:05Z","x":1}\n',
    b'{"line":"no labels at all","timestamp":"2025-06-01T10:00:05Z"}\n',
    b'{"labels":{"app":"api"},"line":"broken JSON","timestamp":\n',
    b'{"labels":{"app":"\xff\xfe"},"line":"invalid UTF-8 in a label","timestamp":"2025-06-01T10:00:05Z"}\n',
    b'{"labels":{"app":"api"},"line":"invalid UTF-8 \xc3 in the line","timestamp":"2025-06-01T10:00:05Z"}\n',
    b'{"labels":{"app":"api"},"line":"a lone surrogate \\udc80 escaped","timestamp":"2025-06-01T10:00:05Z"}\n',
], ids=["labels-string", "labels-list", "extra-field", "no-labels", "broken-json", "bad-utf8-label",
        "bad-utf8-line", "escaped-surrogate"])
def test_lean_read_rejects_and_warns_as_the_full_read(odd, tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(LEAD + odd + GOOD % 9)
    full, lean = _both(path)
    _assert_same_records(full, lean)


def test_lean_read_warns_of_invalid_utf8_that_only_a_label_holds(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(LEAD + b'{"labels":{"app":"\xff"},"line":"x","timestamp":"2025-06-01T10:00:05Z"}\n')
    lean = ingest([str(path)], labels=False)
    assert any("invalid UTF-8" in w for w in lean.inputs[0].warnings)
