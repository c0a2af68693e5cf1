"""The caps on hostile input hold on the streamed readers of compressed files, NDJSON and
text lines as they do on a whole read: decompression bombs are refused with one line and
exit 2, long lines are cut and counted, and lowered caps reach Dask workers."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pytest
import zstandard

from fixtures import generate
from fixtures.generate import Chaos
from rca.errors import InputError
from rca.findings.pipeline import analyze
from rca.inputs import limits
from rca.inputs.parts import plan_parts, streamed_files
from rca.findings.stream import map_part

CAP = 2 << 10
LINE = json.dumps({"level": 30, "time": 1764696604204, "msg": "order 12 placed", "path": "/api/order"}) + "\n"


def _bomb(size: int, compress=lambda b: gzip.compress(b, 9)) -> bytes:
    """NDJSON that looks like a log at its start and decompresses to `size` bytes."""
    return compress(LINE.encode() * (size // len(LINE)))


def _one_error(run) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rca: error: "), run.stderr
    return lines[0]


def _lowered(monkeypatch, **caps):
    for name, value in caps.items():
        monkeypatch.setenv("RCA_LIMIT_" + name.upper(), value)


def test_a_gzip_bomb_past_the_first_piece_is_refused_by_the_streamed_reader(tmp_path, monkeypatch):
    bomb = tmp_path / "pino.ndjson.gz"
    bomb.write_bytes(_bomb(40 << 20))
    _lowered(monkeypatch, input_size="24M")
    [part] = plan_parts(streamed_files([str(bomb)], None), 4 << 20)  # the look at its head passed
    with pytest.raises(InputError, match="decompresses to more than 24 MiB"):
        map_part(part)


def test_a_zstd_bomb_is_refused_when_streaming_is_forced(tmp_path, monkeypatch):
    bomb = tmp_path / "pino.ndjson.zst"
    bomb.write_bytes(_bomb(40 << 20, zstandard.ZstdCompressor(level=19).compress))
    _lowered(monkeypatch, input_size="24M")
    with pytest.raises(InputError, match="decompresses to more than 24 MiB"):
        analyze([str(bomb)], chunk_bytes=4 << 20)


def test_a_gzip_bomb_through_the_streamed_path_exits_2_with_one_line(rca, tmp_path, dask_cluster):
    bomb = tmp_path / "pino.ndjson.gz"
    bomb.write_bytes(_bomb(40 << 20))
    run = rca("analyze", str(bomb), "--engine", "dask", "--scheduler", dask_cluster.scheduler_address,
              "--input-limit", "input-size=24M")
    assert run.code == 2
    assert "decompresses to more than 24 MiB" in _one_error(run)


def test_a_compression_ratio_past_the_cap_is_refused_while_streaming(tmp_path, monkeypatch):
    bomb = tmp_path / "pino.ndjson.gz"
    bomb.write_bytes(_bomb(40 << 20))
    [part] = plan_parts(streamed_files([str(bomb)], None), 4 << 20)
    monkeypatch.setattr(limits, "_RATIO_FLOOR", 1 << 20)
    with pytest.raises(InputError, match="decompresses more than 200 times"):
        map_part(part)


def test_a_bomb_is_refused_before_streaming_when_its_head_is_already_past_the_cap(tmp_path, monkeypatch):
    bomb = tmp_path / "pino.ndjson.gz"
    bomb.write_bytes(_bomb(40 << 20))
    _lowered(monkeypatch, input_size="4M")
    with pytest.raises(InputError, match="decompresses to more than 4 MiB"):
        analyze([str(bomb)], chunk_bytes=1 << 20)


def _long_lines(tmp_path, kind: str) -> tuple[str, int]:
    """A gzip export in which every 7th record is padded far past the lowered cap."""
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=12, seed=11)
    data = generate.ndjson(events) if kind == "ndjson" else generate.text(events)
    lines = data.decode().splitlines()
    for i in range(3, len(lines), 7):  # not the first: a long first line reads as one document
        lines[i] = lines[i][:-1] + ',"pad":"' + "x" * (3 * CAP) + '"}' if kind == "ndjson" else \
            lines[i] + " " + "x" * (3 * CAP)
    path = tmp_path / f"export.{kind}.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return str(path), len(lines[3::7])


@pytest.mark.parametrize("kind", ["ndjson", "text"])
def test_streamed_long_lines_are_cut_and_counted_as_the_whole_read_does(tmp_path, monkeypatch, kind):
    path, padded = _long_lines(tmp_path, kind)
    _lowered(monkeypatch, line_length=str(CAP))
    streamed = analyze([path], chunk_bytes=20_000)
    assert streamed.ingested.total is not None
    assert streamed.ingested.inputs[0].warnings == analyze([path]).ingested.inputs[0].warnings
    assert limits.cut_lines_warning(padded, CAP) in streamed.ingested.inputs[0].warnings
    lengths = [len(line.encode()) for line in streamed.ingested.all_lines().to_pylist()]
    assert max(lengths) <= CAP


def test_a_lowered_line_limit_reaches_dask_workers_reading_a_gzip_file(tmp_path, monkeypatch, dask_cluster):
    from dask.distributed import Client

    from rca.findings.stream import dask_mapper

    path, padded = _long_lines(tmp_path, "ndjson")
    _lowered(monkeypatch, line_length=str(CAP))
    with Client(dask_cluster.scheduler_address) as client:
        on_dask = analyze([path], chunk_bytes=20_000, mapper=dask_mapper(client))
    assert limits.cut_lines_warning(padded, CAP) in on_dask.ingested.inputs[0].warnings


def test_a_one_document_export_past_the_size_cap_is_refused_in_one_line(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=12, seed=11)
    export = tmp_path / "query.json"
    export.write_bytes(generate.loki_query(events))
    run = rca("analyze", str(export), "--input-limit", "input-size=64K")
    assert run.code == 2
    assert "cannot be streamed may be read whole" in _one_error(run) and "input-size" in run.stderr


def test_a_line_oriented_export_past_the_size_cap_is_still_read(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=12, seed=11)
    export = tmp_path / "pino.ndjson"
    export.write_bytes(generate.ndjson(events))
    run = rca("analyze", str(export), "--input-limit", "input-size=64K")
    assert run.code == 0, run.stderr


@pytest.mark.parametrize("compress", [lambda b: bz2.compress(b, 9), lambda b: lzma.compress(b, preset=9)],
                         ids=["bz2", "xz"])
def test_a_bzip2_or_xz_bomb_past_the_first_piece_is_refused_by_the_streamed_reader(tmp_path, monkeypatch, compress):
    bomb = tmp_path / "pino.ndjson.bomb"
    bomb.write_bytes(_bomb(40 << 20, compress))
    _lowered(monkeypatch, input_size="24M")
    [part] = plan_parts(streamed_files([str(bomb)], None), 4 << 20)
    with pytest.raises(InputError, match="decompresses to more than 24 MiB"):
        map_part(part)


@pytest.mark.parametrize("compress, kind", [(gzip.compress, "gzip"), (lambda b: bz2.compress(b, 1), "bzip2"),
                                            (lzma.compress, "xz")], ids=["gz", "bz2", "xz"])
def test_a_compressed_stream_broken_in_the_middle_is_refused_in_one_line_streamed_or_whole(rca, tmp_path, compress, kind):
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=30, seed=11)
    data = bytearray(compress(generate.ndjson(events)))
    for at in range(len(data) // 2, len(data) // 2 + 64):
        data[at] ^= 0x5A
    path = tmp_path / "broken.ndjson.z"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"broken {kind} data"):
        analyze([str(path)], chunk_bytes=20_000)
    run = rca("analyze", str(path), "--input-limit", "input-size=2G")
    assert run.code == 2
    assert f"broken {kind} data" in _one_error(run)


def test_a_zip_bomb_member_is_refused_in_one_line_streamed_or_whole(rca, tmp_path, monkeypatch):
    import zipfile

    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("pino.ndjson", LINE.encode() * ((40 << 20) // len(LINE)))
    _lowered(monkeypatch, input_size="24M")
    with pytest.raises(InputError, match="decompresses to more than 24 MiB"):
        analyze([str(path)], chunk_bytes=1 << 20)
    run = rca("analyze", str(path), "--input-limit", "input-size=24M")
    assert run.code == 2
    assert "pino.ndjson: decompresses to more than 24 MiB" in _one_error(run)


def test_a_truncated_zip_archive_is_refused_in_one_line(rca, tmp_path):
    import zipfile

    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pino.ndjson", LINE.encode() * 20_000)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(InputError, match="zip"):
        analyze([str(path)], chunk_bytes=1 << 20)
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "broken zip archive" in _one_error(run)
