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
