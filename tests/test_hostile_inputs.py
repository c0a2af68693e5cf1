"""Inputs built to exhaust the machine or crash rca get a clear one-line error or are read
within limits, in bounded time and memory (small caps via --input-limit keep these fast)."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import threading
import zipfile

import pytest
import zstandard

from rca.inputs import exports

SMALL = ["--input-limit", "input-size=4M"]


def _one_error(run) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rca: error: "), run.stderr
    return lines[0]


def _export(n_ok: int = 40, n_fail: int = 20, message: str = "factory failed") -> str:
    lines = [json.dumps({"ts": f"2025-01-01T00:{i // 2:02d}:{(i % 2) * 30:02d}Z", "msg": f"order {i} ok",
                         "status": 200, "path": "/api/order"}) for i in range(n_ok)]
    lines += [json.dumps({"ts": f"2025-01-01T00:10:{i:02d}Z", "msg": f"{message} for order {1000 + i}",
                          "status": 500, "path": "/api/order"}) for i in range(n_fail)]
    return "\n".join(lines) + "\n"


BOMB = b"\n" * (16 << 20)


@pytest.mark.parametrize("suffix,compress", [
    ("gz", lambda b: gzip.compress(b, 9)),
    ("bz2", lambda b: bz2.compress(b, 9)),
    ("xz", lambda b: lzma.compress(b)),
    ("zst", lambda b: zstandard.ZstdCompressor(level=19).compress(b)),
])
def test_a_compression_bomb_is_refused_at_the_size_cap(rca, tmp_path, suffix, compress):
    bomb = tmp_path / f"export.jsonl.{suffix}"
    bomb.write_bytes(compress(BOMB))
    run = rca("analyze", str(bomb), *SMALL)
    assert run.code == 2
    assert "decompresses to more than 4 MiB" in _one_error(run)


def test_a_zip_bomb_member_is_refused_at_the_size_cap(rca, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("logs.jsonl", BOMB)
    run = rca("analyze", str(archive), *SMALL)
    assert run.code == 2 and "more than 4 MiB" in run.stderr


def test_a_compression_ratio_past_the_cap_is_refused_by_default(tmp_path, monkeypatch):
    from rca.inputs import limits
    from rca.errors import InputError

    monkeypatch.setattr(limits, "_RATIO_FLOOR", 1 << 20)
    with pytest.raises(InputError, match="decompresses more than 200 times"):
        exports.read_input("bomb.gz", data=gzip.compress(BOMB, 9))


def test_raising_the_size_cap_reads_a_large_export(rca, tmp_path):
    export = tmp_path / "big.jsonl.gz"
    export.write_bytes(gzip.compress(_export(40000, 20).encode()))
    assert rca("analyze", str(export), "--input-limit", "input-size=1M").code == 2
    run = rca("analyze", str(export), "--input-limit", "input-size=64M")
    assert run.code == 0, run.stderr


def test_dev_zero_is_refused_as_binary_at_once(rca):
    run = rca("analyze", "/dev/zero")
    assert run.code == 2 and "binary data" in _one_error(run)


def test_an_endless_text_stream_stops_at_the_size_cap(rca, tmp_path):
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write_forever():
        line = b'{"ts":"2025-01-01T00:00:00Z","msg":"again"}\n' * 1000
        try:
            with open(fifo, "wb") as fh:
                while not stop.is_set():
                    fh.write(line)
        except BrokenPipeError:
            return  # rca stopped reading at its cap (closing the file may be what finds that)

    threading.Thread(target=write_forever, daemon=True).start()
    run = rca("analyze", str(fifo), *SMALL)
    stop.set()
    assert run.code == 2 and "a stream of more than 4 MiB" in _one_error(run)


def test_a_fifo_nobody_writes_gives_up_after_the_read_timeout(rca, tmp_path):
    fifo = tmp_path / "silent"
    os.mkfifo(fifo)
    run = rca("analyze", str(fifo), "--input-limit", "read-timeout=1")
    assert run.code == 2 and "nothing arrived for 1 s" in _one_error(run)


def test_a_fifo_is_read_as_a_stream(rca, tmp_path):
    fifo = tmp_path / "export.jsonl"
    os.mkfifo(fifo)
    threading.Thread(target=lambda: fifo.write_text(_export()), daemon=True).start()
    run = rca("analyze", str(fifo), "-f", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] == 60


def test_a_long_line_is_cut_and_counted(rca, tmp_path):
    export = tmp_path / "app.log"
    lines = [f"2025-01-01T00:00:{i:02d}Z user {i} logged in" for i in range(50)]
    lines.insert(20, "2025-01-01T00:00:20Z " + " ".join(f"tok{i}" for i in range(400_000)))
    export.write_text("\n".join(lines) + "\n")
    run = rca("patterns", str(export), "-f", "json", "--input-limit", "line-length=64K")
    assert run.code == 0, run.stderr
    assert "1 lines were longer than 64 KiB and were cut to it" in run.stderr
    assert sum(t["count"] for t in json.loads(run.stdout)["templates"]) == 51


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2263-01-01T00:00:00Z"])
@pytest.mark.parametrize("command", ["analyze", "patterns"])
def test_a_time_past_int64_nanoseconds_is_rejected_and_counted(rca, tmp_path, stamp, command):
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps({"ts": stamp, "msg": "boom", "status": 500}) + "\n" + _export())
    run = rca(command, str(export))
    assert run.code == 0, run.stderr
    assert "1 records were rejected: their time is outside 1678..2261" in run.stderr


@pytest.mark.parametrize("first", ['{"ts": 1e400, "msg": "no float holds it"}', '{\n  "ts": "2025-01-01T00:00:00Z"\n}'],
                         ids=["a number JSON cannot hold", "pretty-printed"])
def test_a_time_past_int64_nanoseconds_among_json_documents_is_rejected_and_counted(rca, tmp_path, first):
    """A first record orjson refuses, or written over several lines, sends the export to the
    reader of one JSON document after another: a far time there is one record rejected, not
    the whole export refused."""
    export = tmp_path / "export.jsonl"
    export.write_text(first + "\n" + json.dumps({"ts": "9999-12-31T23:59:59Z", "msg": "boom", "status": 500}) + "\n"
                      + _export())
    run = rca("analyze", str(export), "-f", "json")
    assert run.code == 0, run.stderr
    assert "1 records were rejected: their time is outside 1678..2261" in run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] >= 60


@pytest.mark.parametrize("layout", ["documents", "array"])
def test_a_json_record_holding_an_integer_past_64_bits_is_kept(rca, tmp_path, layout):
    big = '{"ts": "2025-01-01T00:00:00Z", "msg": "order total", "cents": 99999999999999999999999}'
    records = [big, *_export().splitlines()]
    export = tmp_path / "export.json"
    export.write_text("[" + ",".join(records) + "]" if layout == "array" else '{"ts": 1e400}\n' + "\n".join(records))
    run = rca("analyze", str(export), "-f", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] >= 61


@pytest.mark.parametrize("first", ['{"ts": 1e400}', '{"ts": NaN, "msg": "\\ud800 and NaN"}'])
def test_a_json_record_holding_a_lone_surrogate_escape_is_kept_with_a_replacement_character(rca, tmp_path, first):
    lone = '{"ts": "2025-01-01T00:00:00Z", "msg": "half an emoji \\ud83d here", "status": 500}'
    export = tmp_path / "export.jsonl"
    export.write_text(first + "\n" + lone + "\n" + _export())
    run = rca("analyze", str(export), "-f", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] >= 61


def test_a_batch_with_an_out_of_range_time_stores_every_outage(rca, tmp_path):
    folder = tmp_path / "outages"
    folder.mkdir()
    for i in range(3):
        (folder / f"outage-{i}.jsonl").write_text(_export(message=f"factory {i} failed"))
    with open(folder / "outage-1.jsonl", "a") as fh:
        fh.write(json.dumps({"ts": "9999-12-31T23:59:59Z", "msg": "boom", "status": 500}) + "\n")
    run = rca("batch", str(folder), "-f", "json", "--store", str(tmp_path / "history"))
    assert run.code == 0, run.stderr
    assert len(list((tmp_path / "history").glob("*.parquet"))) == 3


def test_a_dollar_in_a_message_is_text_in_the_html_chart(rca, tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text(_export(message=r"bad $\foo{ price$ for $x^2"))
    run = rca("analyze", str(export), "-f", "html", "-o", str(tmp_path / "r.html"), "--chart", str(tmp_path / "c.png"))
    assert run.code == 0, run.stderr
    assert (tmp_path / "c.png").stat().st_size > 0


def test_a_truncated_zstd_file_says_it_is_cut_off(rca, tmp_path):
    data = zstandard.ZstdCompressor().compress(_export(4000, 20).encode())
    cut = tmp_path / "export.jsonl.zst"
    cut.write_bytes(data[: len(data) // 2])
    run = rca("analyze", str(cut))
    assert run.code == 0
    assert "zstd stream is cut off" in run.stderr
    cut.write_bytes(data[:12])
    run = rca("analyze", str(cut))
    assert run.code == 2 and "zstd data is cut off" in _one_error(run)


def test_utf16_be_without_a_byte_order_mark_is_read(rca, tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_bytes(_export().encode("utf-16-be"))
    run = rca("analyze", str(export), "-f", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] == 60


def test_nan_in_ndjson_is_read(rca, tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text(_export().replace('"status": 200', '"status": 200, "latency": NaN'))
    run = rca("analyze", str(export), "-f", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] == 60


def test_an_unreadable_folder_says_permission_denied(tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(exports.os, "access", lambda p, mode: False if str(p) == str(folder) else real_access(p, mode))
    _, errors = exports.expand_paths([str(folder)])
    assert [e.problem for e in errors] == ["permission denied (a folder rca cannot list)"]


@pytest.mark.parametrize("command", [["history"], ["batch", "fixtures/chaos-fail/logcli.jsonl"]])
def test_a_store_that_is_a_file_is_a_clear_error(rca, tmp_path, command):
    store = tmp_path / "store"
    store.write_text("not a folder")
    run = rca(*command, "--store", str(store))
    assert run.code == 2 and "must be a folder" in _one_error(run)


def test_an_unknown_limit_is_a_usage_error(rca):
    run = rca("analyze", "fixtures/chaos-fail/logcli.jsonl", "--input-limit", "memory=1G")
    assert run.code == 2 and "input-size, ratio, line-length, read-timeout" in run.stderr


def test_json_nested_past_the_decoders_depth_is_one_error_naming_it(rca, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"x":' * 5000 + "1" + "}" * 5000)
    run = rca("analyze", str(path))
    assert run.code == 2
    line = _one_error(run)
    assert "nested too deeply" in line and "Recursion" not in line


def test_a_record_nested_past_the_decoders_depth_is_counted_and_the_rest_read(rca, tmp_path):
    path = tmp_path / "deep.ndjson"
    path.write_text('{"x":' * 5000 + "1" + "}" * 5000 + "\n" + _export())
    run = rca("analyze", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    summary = json.loads(run.stdout)["inputs"][0]
    assert summary["rejected"] == 1 and summary["records"] == 60
    assert "nested too deeply" in run.stderr


def test_an_array_nested_two_hundred_thousand_deep_is_one_error_not_a_hang(rca, tmp_path):
    # 400 KB: closing a cut-off document once copied the open brackets at every close,
    # so this took minutes (depth squared); it is one pass now.
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000 + "\n")
    run = rca("analyze", str(path))
    assert run.code == 2
    assert "depth" in _one_error(run)


def test_a_cut_off_document_is_closed_with_the_brackets_still_open_at_the_last_complete_element():
    from rca.inputs.readers import salvage_truncated_json
    cut = b'{"data":{"result":[{"values":[["1","a"],["2","b"]]},{"stream":{"a":"b"},"values":[["3","c'
    assert json.loads(salvage_truncated_json(cut)) == {
        "data": {"result": [{"values": [["1", "a"], ["2", "b"]]}, {"stream": {"a": "b"}}]}}
    deep = b"[" * 50_000 + b"[1]," + b"[2"
    assert salvage_truncated_json(deep) == b"[" * 50_000 + b"[1]" + b"]" * 50_000


@pytest.mark.parametrize("nuls", [4096, 200_000], ids=["4K", "200K"])
def test_a_log_truncated_while_it_was_written_is_read_past_its_leading_nul_bytes(rca, tmp_path, nuls):
    # logrotate's copytruncate leaves the writer at its old offset: the file opens with a
    # hole of NUL bytes, then the log. Refusing it as binary loses the whole log.
    path = tmp_path / "service.log"
    path.write_bytes(b"\x00" * nuls + _export().encode())
    run = rca("analyze", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] == 60
    assert f"{nuls} NUL bytes at the start" in run.stderr


@pytest.mark.parametrize("nuls", [4096, 200_000], ids=["4K", "200K"])
def test_a_log_truncated_while_it_was_written_is_read_past_its_leading_nul_bytes_from_stdin(rca, nuls):
    run = rca("analyze", "-", "-f", "json", stdin=b"\x00" * nuls + _export().encode())
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["inputs"][0]["records"] == 60
    assert f"{nuls} NUL bytes at the start" in run.stderr


def test_many_nul_bytes_before_binary_data_on_stdin_are_still_binary(rca):
    run = rca("analyze", "-", stdin=b"\x00" * 200_000 + bytes(range(256)) * 512)
    assert run.code == 2 and "binary data" in _one_error(run)


def test_nul_bytes_before_binary_data_are_still_binary(rca, tmp_path):
    path = tmp_path / "blob.log"
    path.write_bytes(b"\x00" * 100 + bytes(range(256)) * 64)
    run = rca("analyze", str(path))
    assert run.code == 2 and "binary data" in _one_error(run)
