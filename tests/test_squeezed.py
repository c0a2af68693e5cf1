"""Per-row numbers held compressed come back exactly, and a long export's findings do not
depend on whether its rows' numbers were held compressed while the signatures were found."""

from __future__ import annotations

import numpy as np
import pytest

from rca.findings import pipeline
from rca.findings.pipeline import analyze
from rca.findings.squeezed import Squeezed
from tests.same_findings import assert_same_findings
from tests.test_stream import SCENARIOS, _export


@pytest.mark.parametrize("values", [
    np.array([0, 1_764_600_000_000_000_000, 0, -5, np.iinfo(np.int64).max, np.iinfo(np.int64).min], dtype=np.int64),
    np.array([3, 2**31 - 1, 0, 17], dtype=np.int32),
    np.zeros(0, dtype=np.int64),
])
def test_times_held_as_steps_come_back_exactly_even_when_a_step_wraps(values):
    back = Squeezed.of(values, delta=True).array()
    assert back.dtype == values.dtype and np.array_equal(back, values)


def test_flags_and_codes_come_back_exactly_and_writable():
    for values in (np.random.default_rng(1).random(1000) < 0.3, np.arange(-1, 99, dtype=np.int8)):
        back = Squeezed.of(values).array()
        assert np.array_equal(back, values) and back.flags.writeable


@pytest.mark.parametrize("name", ["factory failing", "two windows, one resolved"])
def test_findings_are_the_same_when_every_rows_numbers_wait_compressed(tmp_path, monkeypatch, name):
    path = _export(tmp_path, name)
    plain = analyze([path], chunk_bytes=20_000)
    monkeypatch.setattr(pipeline, "SQUEEZE_ROWS", 1)
    assert_same_findings(plain, analyze([path], chunk_bytes=20_000))


def test_values_longer_than_a_block_come_back_exactly(monkeypatch):
    monkeypatch.setattr("rca.findings.squeezed._BLOCK", 7)
    ts = 1_764_600_000_000_000_000 + np.cumsum(np.random.default_rng(4).integers(0, 10**9, 100))
    ts[[20, 50, 51]] = 0, np.iinfo(np.int64).max, np.iinfo(np.int64).min  # steps that wrap, across blocks
    for delta in (True, False):
        assert np.array_equal(Squeezed.of(ts, delta=delta).array(), ts)
