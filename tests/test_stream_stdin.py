"""Standard input is read like a file: copied to a temporary file as it arrives (bounded
memory), streamed in pieces to the findings of reading it whole, named "-" throughout, and
the copy is gone when the process ends; hostile input on it is refused in one line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import generate
from fixtures.generate import Chaos

ROOT = Path(__file__).resolve().parent.parent
CHILD = r"""
import json, sys
from rca.findings.pipeline import analyze
from tests.same_findings import assert_same_findings
streamed = analyze(["-"], chunk_bytes=20_000)
whole = analyze(["-"])          # the streamed path declines a small input: read whole, from the copy
assert_same_findings(whole, streamed)
print(json.dumps({"streamed": streamed.ingested.total is not None, "whole": whole.ingested.total is None,
                  "paths": [i.path for i in streamed.ingested.inputs], "records": streamed.ingested.records,
                  "sources": sorted(set(streamed.ingested.table.column("source").to_pylist()))}))
"""


def _export(kind: str) -> bytes:
    events = generate.simulate(chaos=[Chaos("fail", 100, 200, fix_code="aaaa1111")], minutes=12, seed=7)
    return {"ndjson": generate.ndjson, "text": generate.text,
            "logcli": lambda e: generate.logcli_jsonl(e, newest_first=True), "logcli-text": generate.logcli_text,
            "grafana-txt": generate.grafana_txt, "grafana-csv": generate.grafana_csv}[kind](events)


def _child(tmp_path, stdin, data: bytes | None = None) -> dict:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", CHILD], stdin=stdin, input=data, capture_output=True, cwd=ROOT,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("kind, compress", [("ndjson", False), ("text", False), ("logcli", False), ("logcli", True),
                                            ("logcli-text", False), ("grafana-txt", True), ("grafana-csv", False)])
def test_piped_standard_input_streams_to_the_findings_of_reading_it_whole(tmp_path, kind, compress):
    data = _export(kind)
    data = gzip.compress(data) if compress else data
    got = _child(tmp_path, None, data)
    assert got["streamed"] and got["whole"]
    assert got["paths"] == ["-"] and got["sources"] == ["-"]


def test_standard_input_redirected_from_a_file_streams_too(tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_bytes(_export("ndjson"))
    with open(path, "rb") as fh:
        got = _child(tmp_path, fh)
    assert got["streamed"] and got["paths"] == ["-"]


def test_the_copy_of_standard_input_is_removed_when_the_process_ends(tmp_path):
    _child(tmp_path, None, _export("ndjson"))
    assert [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("rca-")] == []


def test_binary_data_on_standard_input_is_refused_in_one_line(rca):
    run = rca("analyze", "-", stdin=bytes(range(256)) * 1024)
    assert run.code == 2
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("rca: error: ") and "binary data" in line


def test_a_bomb_on_standard_input_is_refused_in_one_line(rca):
    line = json.dumps({"level": 30, "time": 1764696604204, "msg": "order placed"}) + "\n"
    run = rca("analyze", "-", "--input-limit", "input-size=8M", stdin=gzip.compress(line.encode() * 400_000, 9))
    assert run.code == 2
    [message] = run.stderr.strip().splitlines()
    assert message.startswith("rca: error: ") and "decompresses to more than 8 MiB" in message


def test_stdin_past_the_size_cap_is_refused_in_one_line(rca):
    run = rca("analyze", "-", "--input-limit", "input-size=1M", stdin=_export("text") * 12)
    assert run.code == 2
    [message] = run.stderr.strip().splitlines()
    assert "a stream of more than 1 MiB" in message


def test_a_named_pipe_streams_to_the_findings_of_reading_it_whole(tmp_path):
    import threading

    from rca.findings.pipeline import analyze
    from tests.same_findings import assert_same_findings

    fifo = tmp_path / "export.pipe"
    os.mkfifo(fifo)
    data = _export("ndjson")
    writer = threading.Thread(target=fifo.write_bytes, args=(data,))
    writer.start()
    streamed = analyze([str(fifo)], chunk_bytes=20_000)
    writer.join()
    assert streamed.ingested.total is not None
    assert streamed.ingested.inputs[0].path == str(fifo)
    assert_same_findings(analyze([str(fifo)]), streamed)  # read whole from the copy: a pipe is read once
