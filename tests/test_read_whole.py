"""Which inputs are read whole without asking the streamed analysis: small plain files only."""

import gzip

import rca.inputs.sniff as sniff
from rca.inputs.sniff import read_whole_anyway

LINE = b'{"labels":{},"line":"GET /api/order 200","timestamp":"2025-12-02T15:39:13.204Z"}\n'


def test_small_plain_files_are_read_whole(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.log"
    a.write_bytes(LINE * 10)
    b.write_bytes(b"plain text\n")
    assert read_whole_anyway([str(a), str(b)])


def test_files_together_past_the_streaming_size_are_not(tmp_path, monkeypatch):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(LINE * 10)
    b.write_bytes(LINE * 10)
    monkeypatch.setattr(sniff, "STREAM_BYTES", len(LINE) * 15)
    assert read_whole_anyway([str(a)])
    assert not read_whole_anyway([str(a), str(b)])


def test_compressed_files_archives_folders_stdin_and_missing_files_are_not(tmp_path):
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(LINE))
    archive = tmp_path / "a.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    for path in (packed, archive, tmp_path, "-", tmp_path / "missing.jsonl"):
        assert not read_whole_anyway([str(path)]), path
