"""The caps on hostile input hold however an export is read: streamed in byte ranges (a
large logcli JSONL export) as well as whole, and on Dask workers that do not share the
caller's environment as well as in the caller's process."""

from __future__ import annotations

import gzip
import json


from fixtures import generate
from fixtures.generate import Chaos
from rca.findings.pipeline import analyze
from rca.inputs import limits
from tests.same_findings import comparable

CAP = 2 << 10
PADDED_EVERY = 7


def _export_with_long_lines(tmp_path):
    """A generated export in which every 7th line is padded far past the lowered cap."""
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=12, seed=11)
    records = [json.loads(line) for line in generate.logcli_jsonl(events).splitlines()]
    for i, record in enumerate(records):
        if i % PADDED_EVERY == 0:
            record["line"] += " " + "x" * (3 * CAP)
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path), len(records[::PADDED_EVERY])


def _lowered(monkeypatch, **caps):
    for name, value in caps.items():
        monkeypatch.setenv("RCA_LIMIT_" + name.upper(), value)


def test_a_streamed_export_cuts_long_lines_as_the_whole_read_does(tmp_path, monkeypatch):
    path, padded = _export_with_long_lines(tmp_path)
    _lowered(monkeypatch, line_length="2K")
    whole, streamed = analyze([path]), analyze([path], chunk_bytes=20_000)
    expected = limits.cut_lines_warning(padded, CAP)
    assert whole.ingested.inputs[0].warnings == [expected]
    assert streamed.ingested.inputs[0].warnings == [expected]
    assert comparable(streamed) == comparable(whole)


def test_no_streamed_line_is_longer_than_the_cap(tmp_path, monkeypatch):
    path, _ = _export_with_long_lines(tmp_path)
    _lowered(monkeypatch, line_length="2K")
    streamed = analyze([path], chunk_bytes=20_000)
    lengths = streamed.ingested.all_lines().to_pylist()
    assert lengths and max(len(line.encode()) for line in lengths) <= CAP


def test_a_lowered_line_limit_is_enforced_on_a_dask_worker(tmp_path, monkeypatch, dask_cluster):
    from dask.distributed import Client

    from rca.findings.stream import dask_mapper

    path, padded = _export_with_long_lines(tmp_path)
    _lowered(monkeypatch, line_length="2K")
    with Client(dask_cluster.scheduler_address) as client:
        on_dask = analyze([path], chunk_bytes=20_000, mapper=dask_mapper(client))
    assert on_dask.ingested.inputs[0].warnings == [limits.cut_lines_warning(padded, CAP)]


def test_a_lowered_size_limit_is_enforced_on_a_dask_batch_worker(tmp_path, monkeypatch, dask_cluster):
    from rca.history.batch import run, units_from_paths

    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=12, seed=12)
    export = tmp_path / "outage.jsonl.gz"
    export.write_bytes(gzip.compress(generate.logcli_jsonl(events)))
    _lowered(monkeypatch, input_size="64K")
    [result] = run(units_from_paths([str(export)]), engine="dask", scheduler=dask_cluster.scheduler_address)
    assert "decompresses to more than 64 KiB" in (result["error"] or "")


def test_rca_analyze_on_dask_cuts_lines_at_the_input_limit_given_on_the_command_line(rca, tmp_path, dask_cluster):
    path, padded = _export_with_long_lines(tmp_path)
    run = rca("analyze", path, "--engine", "dask", "--scheduler", dask_cluster.scheduler_address,
              "--input-limit", "line-length=2K", "-f", "json")
    assert run.code == 0, run.stderr
    assert limits.cut_lines_warning(padded, CAP) in run.stderr
