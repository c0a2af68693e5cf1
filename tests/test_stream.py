"""A logcli JSONL export analysed map → reduce in byte ranges gives exactly the findings of
the whole export read at once, while holding full rows only for the lines that may matter."""

from __future__ import annotations

import json

import pytest

from fixtures import generate
from fixtures.generate import Chaos, Style
from rca.findings.pipeline import analyze
from tests.same_findings import assert_same_findings, comparable

SCENARIOS = {
    "factory failing": ([Chaos("fail", 300, 540)], generate.REFERENCE),
    "forged JWTs": ([Chaos("badjwt", 200, 420)], generate.REFERENCE),
    "slow factory, older logger": ([Chaos("throttle", 300, 540, fix_code="zz81q0aa")], Style(link_key="reportUrl")),
    "own switch": ([Chaos("service-chaos", 200, 500)], Style(all_info=True)),
    "database outage": ([Chaos("db-outage", 240, 420)], generate.REFERENCE),
    "two windows, one resolved": ([Chaos("fail", 100, 200, fix_code="aaaa1111"),
                                   Chaos("throttle", 500, 640, fix_code="bbbb2222", resolved_by_log=True)],
                                  Style(lost_bodies=True)),
    "healthy": ([], generate.REFERENCE),
}


def _export(tmp_path, name, newest_first=True, seed=7):
    chaos, style = SCENARIOS[name]
    events = generate.simulate(chaos=chaos, style=style, minutes=12, seed=seed)
    path = tmp_path / "export.jsonl"
    path.write_bytes(generate.logcli_jsonl(events, newest_first=newest_first))
    return str(path)


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "oldest-first"])
def test_streamed_findings_equal_whole_export_findings(tmp_path, name, newest_first):
    path = _export(tmp_path, name, newest_first)
    assert_same_findings(analyze([path]), analyze([path], chunk_bytes=20_000))


@pytest.mark.parametrize("chunk_bytes", [700, 4_096, 65_536, 1 << 30])
def test_findings_do_not_depend_on_where_ranges_cut_lines(tmp_path, chunk_bytes):
    path = _export(tmp_path, "slow factory, older logger", seed=11)
    assert_same_findings(analyze([path]), analyze([path], chunk_bytes=chunk_bytes))


def test_an_export_out_of_time_order_is_put_in_order_as_the_whole_reader_does(tmp_path):
    lines = open(_export(tmp_path, "two windows, one resolved"), "rb").read().splitlines(keepends=True)
    third = len(lines) // 3
    shuffled = tmp_path / "parts-concatenated.jsonl"
    shuffled.write_bytes(b"".join(lines[third:2 * third] + lines[2 * third:] + lines[:third]))
    assert_same_findings(analyze([str(shuffled)]), analyze([str(shuffled)], chunk_bytes=9_000))


def test_the_committed_logcli_fixture_streams_to_the_same_findings(tmp_path):
    path = "fixtures/chaos-fail/logcli.jsonl"
    assert_same_findings(analyze([path]), analyze([path], chunk_bytes=10_000))


@pytest.mark.parametrize("path", ["fixtures/chaos-fail/logcli.jsonl", "fixtures/chaos-fail/logcli.jsonl.gz"])
def test_the_content_is_hashed_only_when_its_identity_is_asked_for(path):
    named, unnamed = analyze([path], chunk_bytes=10_000), analyze([path], chunk_bytes=10_000, identity=False)
    assert len(named.ingested.identity) == 32 and unnamed.ingested.identity is None
    assert_same_findings(named, unnamed)


def test_streaming_holds_full_rows_only_for_lines_that_may_matter(tmp_path):
    path = _export(tmp_path, "factory failing")
    streamed = analyze([path], chunk_bytes=20_000)
    assert streamed.ingested.records == analyze([path]).ingested.records
    assert streamed.ingested.table.num_rows < 0.15 * streamed.ingested.records


def test_a_broken_line_sends_the_export_to_the_reader_that_counts_it(tmp_path):
    path = _export(tmp_path, "factory failing")
    lines = open(path, "rb").read().splitlines(keepends=True)
    lines.insert(len(lines) // 2, b'{"labels": {"component": "jwt-pizza-service"}, "line": "cut off\n')
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join(lines))
    streamed = analyze([str(broken)], chunk_bytes=20_000)
    assert streamed.ingested.inputs[0].rejected == 1
    assert_same_findings(analyze([str(broken)]), streamed)


def test_other_formats_are_read_whole_whatever_the_chunk_size():
    whole = analyze(["fixtures/chaos-fail/loki-query.json"])
    chunked = analyze(["fixtures/chaos-fail/loki-query.json"], chunk_bytes=10_000)
    assert chunked.ingested.table.num_rows == whole.ingested.records
    assert comparable(chunked) == comparable(whole)


@pytest.mark.parametrize("name", ["two windows, one resolved", "slow factory, older logger"])
def test_dask_workers_mapping_byte_ranges_give_the_local_findings(tmp_path, dask_cluster, name):
    from dask.distributed import Client

    from rca.findings.stream import dask_mapper

    path = _export(tmp_path, name)
    with Client(dask_cluster.scheduler_address) as client:
        on_dask = analyze([path], chunk_bytes=20_000, mapper=dask_mapper(client))
    assert_same_findings(analyze([path]), on_dask)


def test_rca_analyze_engine_dask_prints_the_local_json_findings(tmp_path, dask_cluster, rca):
    path = _export(tmp_path, "factory failing")
    local = rca("analyze", path, "-f", "json")
    on_dask = rca("analyze", path, "-f", "json", "--engine", "dask", "--scheduler", dask_cluster.scheduler_address)
    assert (local.code, on_dask.code) == (0, 0), on_dask.stderr
    assert {k: v for k, v in json.loads(on_dask.stdout).items() if k != "generated_at"} == \
        {k: v for k, v in json.loads(local.stdout).items() if k != "generated_at"}


def test_engine_dask_refuses_inputs_it_cannot_split_in_one_line(rca):
    result = rca("analyze", "fixtures/chaos-fail/loki-query.json", "--engine", "dask")
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0 and "logcli JSONL" in result.stderr


def test_a_thread_that_finishes_early_starts_the_next_range_while_the_one_ahead_still_works():
    import threading

    from rca.findings.stream import map_local

    started = {index: threading.Event() for index in range(3)}

    def map_range(index, pack):
        started[index].set()
        if index == 0:  # the first range is still mapped when the third has to start
            assert started[2].wait(10)
        return [index]

    assert list(map_local(map_range, [0, 1, 2], pack=None, workers=2)) == [[0], [1], [2]]


def test_the_charts_minutes_worked_out_on_their_own_thread_equal_the_whole_reads(tmp_path, monkeypatch):
    import rca.findings.stream as stream

    started = []

    def on_a_thread(fn, *args):
        started.append(fn.__name__)
        return real(fn, *args)

    real = stream._on_a_thread
    monkeypatch.setattr(stream, "spare_cores", lambda limit=2: 2)  # as on an idle machine
    monkeypatch.setattr(stream, "_on_a_thread", on_a_thread)
    path = _export(tmp_path, "two windows, one resolved", newest_first=False)
    assert_same_findings(analyze([path]), analyze([path], chunk_bytes=20_000))
    assert "request_minutes" in started


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "oldest-first"])
def test_kept_rows_and_lines_unpacked_on_threads_of_their_own_equal_the_whole_reads(tmp_path, monkeypatch, newest_first):
    import rca.findings.stream as stream
    from rca.findings.traffic import Traffic
    from rca.table.packed import PackedLines

    started = []

    def on_a_thread(fn, *args):
        started.append(fn.__name__)
        return real(fn, *args)

    def unpack_ahead(lines):
        started.append("unpack_ahead")
        return real_ahead(lines)

    def work_out_ahead(traffic):
        started.append("work_out_ahead")
        return real_traffic(traffic)

    real, real_ahead, real_traffic = stream._on_a_thread, PackedLines.unpack_ahead, Traffic.work_out_ahead
    monkeypatch.setattr(stream, "spare_cores", lambda limit=2: 2)  # as on an idle machine
    monkeypatch.setattr(stream, "_on_a_thread", on_a_thread)
    monkeypatch.setattr(PackedLines, "unpack_ahead", unpack_ahead)
    monkeypatch.setattr(Traffic, "work_out_ahead", work_out_ahead)
    path = _export(tmp_path, "two windows, one resolved", newest_first=newest_first)
    assert_same_findings(analyze([path]), analyze([path], chunk_bytes=20_000))
    assert {"_unpacked", "unpack_ahead", "work_out_ahead"} <= set(started)


def test_requests_sorted_ahead_on_a_thread_are_those_sorted_on_demand():
    import numpy as np

    from rca.findings.rates import exposure
    from rca.findings.traffic import Traffic

    rng = np.random.default_rng(3)
    ts = np.sort(rng.integers(0, 3_600_000_000_000, 5000))
    ts[rng.integers(0, 5000, 50)] = 0  # untimed rows
    timed, is_http = ts > 0, rng.random(5000) < 0.7

    def traffic():
        return Traffic(ts, timed, is_http, is_http, np.full(5000, np.nan), np.zeros(5000, np.int8), ["/"])

    ahead, on_demand = traffic(), traffic()
    ahead.work_out_ahead()
    assert np.array_equal(ahead.http_ts, on_demand.http_ts) and ahead.quiet_ns() == on_demand.quiet_ns()
    assert np.array_equal(on_demand.http_ts, np.sort(ts[timed & is_http]))
    covered, expected = ahead.exposure(), exposure(ts[timed])
    assert (covered.origin_ns, covered.bin_ns) == (expected.origin_ns, expected.bin_ns)
    assert np.array_equal(covered.covered, expected.covered)
