"""Pieces produced one ahead on another thread come in order, carry the caller's input caps,
hand on the producer's errors, and stop the producer when the caller stops; a compressed
export read that way gives the findings of reading it whole."""

from __future__ import annotations

import gzip
import threading

import pytest

from fixtures import generate
from fixtures.generate import Chaos
from rca.errors import InputError
from rca.findings.pipeline import analyze
from rca.inputs import limits, parts
from rca.inputs.ahead import ahead
from tests.same_findings import assert_same_findings


def test_items_come_in_order():
    assert list(ahead(iter(range(100)))) == list(range(100))


def test_the_producer_sees_the_callers_input_caps():
    def caps():
        yield limits.current().line_length

    with limits.using(limits.Limits(line_length=123)):
        assert list(ahead(caps())) == [123]


def test_an_error_in_the_producer_is_raised_to_the_caller_after_the_items_before_it():
    def broken():
        yield 1
        raise InputError("export.gz", "broken gzip data")

    got = []
    with pytest.raises(InputError, match="broken gzip data"):
        for item in ahead(broken()):
            got.append(item)
    assert got == [1]


def test_the_producer_stops_and_closes_its_source_when_the_caller_stops():
    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    reader = ahead(endless())
    assert next(reader) == 0
    reader.close()
    assert closed.wait(5)
    assert not any(t.name == "rca-read-ahead" for t in threading.enumerate())


def test_a_compressed_export_read_ahead_gives_the_findings_of_the_whole_read(tmp_path, monkeypatch):
    events = generate.simulate(chaos=[Chaos("fail", 100, 200, fix_code="aaaa1111")], minutes=12, seed=7)
    path = tmp_path / "export.ndjson.gz"
    path.write_bytes(gzip.compress(generate.ndjson(events)))
    monkeypatch.setattr(parts, "spare_cores", lambda *_: 2)
    used = []
    monkeypatch.setattr(parts, "ahead", lambda items: used.append(1) or ahead(items))
    streamed = analyze([str(path)], chunk_bytes=20_000)
    assert used and streamed.ingested.total is not None
    assert_same_findings(analyze([str(path)]), streamed)
