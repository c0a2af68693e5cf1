"""Every line-oriented export — logcli JSONL, NDJSON, plain text lines; plain, gzip or zstd;
one file or several — analysed map → reduce in pieces gives exactly the findings of the
same inputs read whole."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pytest
import zstandard

from fixtures import generate
from fixtures.generate import Chaos, Style
from rca.findings.pipeline import analyze
from tests.same_findings import assert_same_findings, comparable

CHAOS = [Chaos("fail", 100, 200, fix_code="aaaa1111"),
         Chaos("throttle", 500, 640, fix_code="bbbb2222", resolved_by_log=True)]
WRITE = {
    "logcli": lambda events: generate.logcli_jsonl(events, newest_first=True),
    "ndjson": generate.ndjson,
    "text": generate.text,
}
COMPRESS = {"plain": lambda data: data, "gz": gzip.compress, "zst": zstandard.ZstdCompressor().compress,
            "bz2": bz2.compress, "xz": lzma.compress}


def _events(seed=7, minutes=12, start=None):
    return generate.simulate(chaos=CHAOS, style=Style(lost_bodies=True), minutes=minutes, seed=seed,
                             **({"start": start} if start else {}))


def _write(tmp_path, name, data, compression="plain"):
    path = tmp_path / (name if compression == "plain" else f"{name}.{compression}")
    path.write_bytes(COMPRESS[compression](data))
    return str(path)


def _assert_same(whole, streamed):
    assert_same_findings(whole, streamed)
    assert streamed.ingested.table.column("record").to_pylist() == \
        whole.ingested.table.take(_kept_rows(whole, streamed)).column("record").to_pylist()


def _kept_rows(whole, streamed):
    """Where the streamed analysis's kept rows sit among the whole read's rows."""
    key = list(zip(whole.ingested.table.column("source").to_pylist(), whole.ingested.table.column("record").to_pylist()))
    at = {k: i for i, k in enumerate(key)}
    return [at[k] for k in zip(streamed.ingested.table.column("source").to_pylist(),
                               streamed.ingested.table.column("record").to_pylist())]


def _streamed(paths):
    return analyze(paths, chunk_bytes=20_000)


@pytest.mark.parametrize("compression", list(COMPRESS))
@pytest.mark.parametrize("kind", list(WRITE))
def test_each_line_oriented_kind_streams_to_the_whole_read_findings(tmp_path, kind, compression):
    path = _write(tmp_path, f"export.{kind}", WRITE[kind](_events()), compression)
    streamed = _streamed([path])
    assert streamed.ingested.total is not None  # it did stream
    _assert_same(analyze([path]), streamed)


def test_a_compressed_file_is_read_in_several_pieces(tmp_path):
    from rca.inputs.parts import plan_parts, read_pieces, streamed_files

    path = _write(tmp_path, "export.ndjson", WRITE["ndjson"](_events()), "gz")
    [part] = plan_parts(streamed_files([path], None), 20_000)
    pieces = list(read_pieces(part))
    assert len(pieces) > 5
    assert sum(p.table.num_rows for p in pieces) == analyze([path]).ingested.records


def test_a_plain_file_is_split_into_byte_ranges_that_start_at_a_record(tmp_path):
    from rca.inputs.parts import plan_parts, read_pieces, streamed_files

    lines = WRITE["ndjson"](_events()).splitlines(keepends=True)
    for at in range(len(lines) - 50, 10, -31):
        lines.insert(at, b"Error: socket hang up\n")
    path = _write(tmp_path, "trace.ndjson", b"".join(lines))
    parts = plan_parts(streamed_files([path], None), 20_000)
    assert len(parts) > 5
    pieces = [piece for part in parts for piece in read_pieces(part)]
    assert sum(piece.rejected for piece in pieces) == 0
    streamed = sorted(line for piece in pieces for line in piece.table.column("line").to_pylist())
    assert streamed == sorted(analyze([path]).ingested.all_lines().to_pylist())


def test_ndjson_continuation_lines_stay_with_their_record_across_piece_cuts(tmp_path):
    lines = WRITE["ndjson"](_events()).splitlines(keepends=True)
    for at in range(len(lines) - 50, 10, -97):  # stack traces under some records
        lines.insert(at, b"    at Object.<anonymous> (/srv/app/routes.js:42:13)\n")
    path = _write(tmp_path, "trace.ndjson", b"".join(lines))
    whole = analyze([path])
    assert "non-JSON lines were kept as continuations" in " ".join(whole.ingested.inputs[0].warnings)
    for chunk_bytes in (700, 4_096, 20_000):
        _assert_same(whole, analyze([path], chunk_bytes=chunk_bytes))


def test_text_lines_without_a_time_keep_their_place_as_in_the_whole_read(tmp_path):
    lines = WRITE["text"](_events()).splitlines(keepends=True)
    lines[40:40] = [b"starting worker pool\n", b"\n", b"listening on :3000\n"]
    path = _write(tmp_path, "app.log", b"".join(lines), "gz")
    _assert_same(analyze([path]), _streamed([path]))


def test_several_inputs_stream_to_the_findings_of_reading_them_together(tmp_path):
    events = _events()
    half = len(events) // 2
    first = _write(tmp_path, "part-1.jsonl", WRITE["logcli"](events[:half]), "gz")
    second = _write(tmp_path, "part-2.jsonl", WRITE["logcli"](events[half:]))
    _assert_same(analyze([first, second]), _streamed([first, second]))


def test_records_repeated_across_inputs_are_counted_once_as_in_the_whole_read(tmp_path):
    events = _events()
    third = len(events) // 3
    first = _write(tmp_path, "a.ndjson", WRITE["ndjson"](events[: 2 * third]))
    second = _write(tmp_path, "b.ndjson", WRITE["ndjson"](events[third:]), "zst")
    whole = analyze([first, second])
    assert whole.ingested.inputs[1].duplicates > 0
    streamed = _streamed([first, second])
    assert [s.duplicates for s in streamed.ingested.inputs] == [s.duplicates for s in whole.ingested.inputs]
    _assert_same(whole, streamed)


def test_inputs_of_different_kinds_stream_together(tmp_path):
    events = _events()
    half = len(events) // 2
    paths = [_write(tmp_path, "early.log", WRITE["text"](events[:half]), "zst"),
             _write(tmp_path, "late.ndjson", WRITE["ndjson"](events[half:]))]
    _assert_same(analyze(paths), _streamed(paths))


def test_a_folder_of_part_files_streams(tmp_path):
    events = _events()
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        (folder / f"part-{i}.jsonl.gz").write_bytes(gzip.compress(WRITE["logcli"](events[i::3])))
    _assert_same(analyze([str(folder)]), _streamed([str(folder)]))


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz"])
def test_a_cut_off_compressed_file_streams_what_decompressed_and_says_so(tmp_path, compression):
    small_blocks = {"bz2": lambda data: bz2.compress(data, 1)}  # 100 kB blocks: some end before the cut
    data = small_blocks.get(compression, COMPRESS[compression])(WRITE["ndjson"](_events()))
    path = tmp_path / f"cut.ndjson.{compression}"
    path.write_bytes(data[: len(data) * 2 // 3])
    whole = analyze([str(path)])
    assert any("cut off" in w for w in whole.ingested.inputs[0].warnings)
    streamed = _streamed([str(path)])
    assert streamed.ingested.total is not None
    _assert_same(whole, streamed)


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz"])
def test_appended_compressed_streams_are_all_read(tmp_path, compression):
    events = _events()
    half = len(events) // 2
    path = tmp_path / f"appended.jsonl.{compression}"
    path.write_bytes(COMPRESS[compression](WRITE["logcli"](events[:half]))
                     + COMPRESS[compression](WRITE["logcli"](events[half:])))
    whole = analyze([str(path)])
    assert whole.ingested.records == len(events)
    streamed = _streamed([str(path)])
    assert streamed.ingested.total is not None
    _assert_same(whole, streamed)


def test_invalid_utf8_sends_the_inputs_to_the_whole_read_that_counts_it(tmp_path):
    lines = WRITE["ndjson"](_events()).splitlines(keepends=True)
    lines[len(lines) // 2] = lines[len(lines) // 2].replace(b'"msg":"', b'"msg":"\xff', 1)
    path = _write(tmp_path, "latin.ndjson", b"".join(lines), "gz")
    streamed = _streamed([path])
    assert streamed.ingested.total is None  # read whole
    assert any("invalid UTF-8" in w for w in streamed.ingested.inputs[0].warnings)


def test_one_document_formats_are_read_whole_whatever_the_chunk_size(tmp_path):
    path = _write(tmp_path, "query.json", generate.loki_query(_events()), "gz")
    streamed = _streamed([path])
    assert streamed.ingested.total is None
    assert comparable(streamed) == comparable(analyze([path]))


@pytest.mark.parametrize("kind, compression", [("ndjson", "gz"), ("text", "plain"), ("logcli", "zst")])
def test_dask_workers_give_the_local_findings_for_other_kinds(tmp_path, dask_cluster, kind, compression):
    from dask.distributed import Client

    from rca.findings.stream import dask_mapper

    events = _events()
    half = len(events) // 2
    paths = [_write(tmp_path, f"one.{kind}", WRITE[kind](events[:half]), compression),
             _write(tmp_path, f"two.{kind}", WRITE[kind](events[half:]))]
    with Client(dask_cluster.scheduler_address) as client:
        on_dask = analyze(paths, chunk_bytes=20_000, mapper=dask_mapper(client))
    assert on_dask.ingested.total is not None
    _assert_same(analyze(paths), on_dask)


def test_rca_analyze_engine_dask_reads_a_gzip_ndjson_export(tmp_path, dask_cluster, rca):
    path = _write(tmp_path, "pino.ndjson", WRITE["ndjson"](_events()), "gz")
    local = rca("analyze", path, "-f", "json")
    on_dask = rca("analyze", path, "-f", "json", "--engine", "dask", "--scheduler", dask_cluster.scheduler_address)
    assert (local.code, on_dask.code) == (0, 0), on_dask.stderr
    assert {k: v for k, v in json.loads(on_dask.stdout).items() if k != "generated_at"} == \
        {k: v for k, v in json.loads(local.stdout).items() if k != "generated_at"}


def test_kubernetes_partial_lines_cut_between_pieces_give_the_whole_read_findings(tmp_path):
    out = []
    for line in WRITE["text"](_events()).decode().splitlines():
        stamp, _, body = line.partition(" ")
        half = len(body) // 2
        out += [f"{stamp} stdout P {body[:half]}", f"{stamp} stdout F {body[half:]}"]
    path = _write(tmp_path, "pod.log", ("\n".join(out) + "\n").encode(), "gz")
    whole = analyze([path])
    for chunk_bytes in (700, 20_000):
        _assert_same(whole, analyze([path], chunk_bytes=chunk_bytes))


def _zip(tmp_path, members: dict[str, bytes]) -> str:
    import zipfile

    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def test_a_zip_archives_members_stream_to_the_whole_read_findings(tmp_path):
    events = _events()
    third = len(events) // 3
    path = _zip(tmp_path, {"b/app.ndjson": WRITE["ndjson"](events[:third]), "a/app.log": WRITE["text"](events[third:2 * third]),
                           "c/logcli.jsonl.gz": gzip.compress(WRITE["logcli"](events[2 * third:])),
                           "__MACOSX/._app.ndjson": b"\x00\x05\x16\x07", ".hidden": b"not read"})
    streamed = _streamed([path])
    assert streamed.ingested.total is not None
    assert [i.path for i in streamed.ingested.inputs] == [f"{path}:a/app.log", f"{path}:b/app.ndjson",
                                                         f"{path}:c/logcli.jsonl.gz"]
    _assert_same(analyze([path]), streamed)


def test_a_zip_holding_a_one_document_export_is_read_whole(tmp_path):
    path = _zip(tmp_path, {"query.json": generate.loki_query(_events()), "app.ndjson": WRITE["ndjson"](_events())})
    streamed = _streamed([path])
    assert streamed.ingested.total is None
    assert comparable(streamed) == comparable(analyze([path]))
