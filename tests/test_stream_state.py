"""A streamed piece's per-row values are narrowed, and its kept rows packed, until the reduce,
and given back exactly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rca.findings.spill import Spilled, Spool
from rca.findings.stream import ChunkState, Squeezed, _compact, _pack, _restore, _spill, _unpack, _widened
from rca.findings.traffic import RowFacts
from rca.table.packed import unpack_column

MS = 1_000_000
T0 = 1_764_600_000_000 * MS  # 2025-12-01, in nanoseconds


def _state(ts: np.ndarray, latency: np.ndarray) -> ChunkState:
    n = ts.size
    rng = np.random.default_rng(3)
    flags = [rng.random(n) < p for p in (0.5, 0.9, 0.7, 0.1, 0.2)]
    facts = RowFacts(ts, ts != 0, flags[0], flags[1], latency, rng.integers(-1, 40, n).astype(np.int32),
                     [f"/api/{i}" for i in range(40)])
    return ChunkState(0, True, facts=facts, is_anchor=flags[3], want=flags[4])


def _values(state: ChunkState) -> dict[str, np.ndarray]:
    names = ("ts", "timed", "is_http", "ok_but_latency", "latency_ms", "endpoint_codes")
    out = {name: getattr(state.facts, name) for name in names}
    out.update(is_anchor=state.is_anchor, want=state.want)
    return out


def _round_trip(state: ChunkState) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    before = {name: value.copy() for name, value in _values(state).items()}
    size = state.rows
    _compact(state)
    return before, {name: _widened(state, name, value, size) for name, value in _values(state).items()}


def test_millisecond_times_and_whole_latencies_come_back_exactly_after_narrowing():
    ts = T0 + np.sort(np.random.default_rng(1).integers(0, 3_600_000, 1001)) * MS  # not a multiple of 8 rows
    latency = np.where(np.arange(1001) % 7 == 0, np.nan, np.arange(1001) % 900).astype(float)
    state = _state(ts, latency)
    before, after = _round_trip(state)
    assert state.ts_base is not None and state.facts.ts.dtype == np.int32
    assert state.facts.latency_ms.dtype == np.float32
    for name, value in before.items():
        assert np.array_equal(after[name], value, equal_nan=name == "latency_ms"), name
        assert after[name].dtype == value.dtype or name == "endpoint_codes", name


def test_times_finer_than_a_millisecond_and_untimed_rows_are_kept_as_they_are():
    for ts in (T0 + np.arange(50) * 1_234_567, np.where(np.arange(50) % 5 == 0, 0, T0 + np.arange(50) * MS)):
        state = _state(ts, np.zeros(50))
        before, after = _round_trip(state)
        assert state.ts_base is None and state.facts.ts.dtype == np.int64
        assert np.array_equal(after["ts"], before["ts"])


def test_latencies_a_float32_cannot_hold_stay_as_they_are():
    latency = np.array([0.1, 12.345678901, 3.0, np.nan])
    state = _state(T0 + np.arange(4) * MS, latency)
    before, after = _round_trip(state)
    assert state.facts.latency_ms.dtype == np.float64
    assert np.array_equal(after["latency_ms"], before["latency_ms"], equal_nan=True)


def test_a_piece_holds_latencies_only_for_the_lines_that_logged_one():
    latency = np.where(np.arange(400) % 10 == 0, np.arange(400) % 900, np.nan).astype(float)
    state = _state(T0 + np.arange(400) * MS, latency)
    before, after = _round_trip(state)
    assert state.facts.latency_ms.size == 40
    assert np.array_equal(after["latency_ms"], before["latency_ms"], equal_nan=True)


def _kept_rows() -> tuple[pa.Table, pa.Table]:
    lines = [f'{{"path":"/api/order","statusCode":500,"traceId":"{i:016x}","message":"Failed to fulfill order"}}'
             for i in range(2000)]
    kept = pa.table({"line": pa.array(lines, pa.large_string()),
                     "labels": pa.array([[("job", "pizza")]] * 2000, pa.map_(pa.string(), pa.string())),
                     "record": pa.array(range(2000), pa.int64())})
    decoded = pa.table({"status": pa.array([500] * 1999 + [None], pa.int32()), "message": pa.array(["Failed"] * 2000)})
    return kept, decoded


def test_kept_rows_wait_for_the_reduce_packed_and_come_back_equal():
    kept, decoded = _kept_rows()
    state = ChunkState(0, True, kept=kept, kept_decoded=decoded)
    _pack(state)
    assert state.kept is None and state.kept_decoded is None
    assert sum(buffer.size for buffer in state.packed) + state.packed_lines.size < (kept.nbytes + decoded.nbytes) / 4
    _unpack(state)
    assert state.kept.equals(kept.drop_columns(["line"])) and state.kept_decoded.equals(decoded)
    assert unpack_column(state.packed_lines).equals(kept.column("line"))  # the lines stay packed


def test_kept_rows_wait_on_disk_once_spilled_and_come_back_equal():
    kept, decoded = _kept_rows()
    state = ChunkState(0, True, kept=kept, kept_decoded=decoded)
    _pack(state)
    packed, packed_lines = state.packed, state.packed_lines
    with Spool() as spool:
        _spill(state, spool)
        assert all(isinstance(value, Spilled) for value in (*state.packed, state.packed_lines))  # none in memory
        _restore(state)
    assert [buffer.equals(before) for buffer, before in zip(state.packed, packed, strict=True)] == [True, True]
    assert state.packed_lines.equals(packed_lines)
    _unpack(state)
    assert state.kept.equals(kept.drop_columns(["line"])) and state.kept_decoded.equals(decoded)


def test_a_spool_gives_back_each_buffer_put_in_it_by_its_place():
    buffers = [pa.py_buffer(bytes([i]) * (i * 1000 + 1)) for i in range(5)]
    with Spool() as spool:
        spilled = [spool.put(buffer) for buffer in buffers]
        assert [s.buffer().to_pybytes() for s in reversed(spilled)] == [b.to_pybytes() for b in reversed(buffers)]


def test_a_full_temporary_folder_is_one_line_naming_tmpdir_not_an_internal_error(monkeypatch, tmp_path):
    import errno

    import pyarrow as pa
    import pytest

    from rca.errors import UsageError

    class Full:
        def seek(self, _offset):
            return 0

        def write(self, _data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            pass

    monkeypatch.setattr("tempfile.TemporaryFile", lambda **_: Full())
    with Spool() as spool, pytest.raises(UsageError, match="No space left on device.*TMPDIR"):
        spool.put(pa.py_buffer(b"kept rows"))


def test_a_piece_of_traffic_holds_its_per_row_values_squeezed_below_their_narrowed_size():
    n = 100_000
    ts = T0 + np.cumsum(np.random.default_rng(2).integers(0, 800, n)) * MS  # a request every few hundred ms
    state = _state(ts, np.full(n, np.nan))
    before, after = _round_trip(state)
    held = sum(value.nbytes for value in [*vars(state.facts).values(), *vars(state).values()]
               if isinstance(value, Squeezed))
    assert held < 3.5 * n  # narrowed: 4 (time) + 1 (endpoint) + 5/8 (flags) bytes a line
    for name, value in before.items():
        assert np.array_equal(after[name], value, equal_nan=name == "latency_ms"), name
