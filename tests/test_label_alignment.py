"""Each record keeps its own labels, however varied they are: a logcli export queried with
`| json` carries every parsed field as a label, too many distinct sets to enumerate, and a
newest-first file is turned around, so the labels must be turned around with the lines."""

from __future__ import annotations

import json

import pytest

from rca import ingest


def _export(path, newest_first: bool, fields: int) -> None:
    rows = [{"labels": {**{f"field{k}": f"value{k}-{i}" for k in range(fields)}, "row": str(i)},
             "line": f"request {i}", "timestamp": f"2025-12-02T17:{i // 60:02d}:{i % 60:02d}Z"}
            for i in range(200)]
    if newest_first:
        rows.reverse()
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("fields", [1, 9], ids=["few label sets", "too many label sets to enumerate"])
@pytest.mark.parametrize("newest_first", [True, False], ids=["newest first", "oldest first"])
def test_every_record_keeps_its_own_labels(tmp_path, newest_first, fields):
    path = tmp_path / "export.jsonl"
    _export(path, newest_first, fields)
    table = ingest([str(path)]).table
    rows = [dict(labels)["row"] for labels in table.column("labels").to_pylist()]
    assert rows == [line.split()[1] for line in table.column("line").to_pylist()]
    assert table.num_rows == 200


def test_a_mapped_range_gives_each_kept_row_its_own_labels_from_the_label_sets(tmp_path):
    from rca.findings.stream import _unpack, map_part
    from rca.inputs.parts import plan_parts, streamed_files
    from rca.table.packed import unpack_column

    rows = [{"labels": {"component": f"svc{i % 3}", "row": str(i % 4)},
             "line": json.dumps({"path": "/api/order", "method": "POST", "statusCode": 500 if i % 2 else 200,
                                 "requestId": i}),
             "timestamp": f"2025-12-02T17:{i // 60:02d}:{i % 60:02d}Z"} for i in range(200)]
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    [state] = map_part(plan_parts(streamed_files([str(path)], None), 1 << 20)[0])
    _unpack(state)
    lines = unpack_column(state.packed_lines).to_pylist()
    assert len(lines) >= 100  # the failed requests at least
    for labels, line in zip(state.kept.column("labels").to_pylist(), lines, strict=True):
        i = json.loads(line)["requestId"]
        assert dict(labels) == {"component": f"svc{i % 3}", "row": str(i % 4)}
