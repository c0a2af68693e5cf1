"""Freed memory goes back to the system between the phases of a streamed analysis."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rca.inputs import freeing


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux") or freeing._malloc_trim() is None,
                    reason="glibc's malloc_trim and /proc")
def test_pages_malloc_keeps_after_a_free_go_back_to_the_system():
    blocks = [bytes(1024) + bytes([i % 256]) for i in range(60_000)]  # ~60 MB of malloc'd objects
    pin = bytes(1024) + b"last"  # allocated above them: free() alone cannot shrink the heap
    del blocks
    before = _resident_mb()
    freeing.give_back()
    assert _resident_mb() < before - 30
    del pin


def test_without_malloc_trim_only_arrows_pool_is_released(monkeypatch):
    monkeypatch.setattr(freeing, "_malloc_trim", lambda: None)
    freeing.give_back()


_FREED_AT_ONCE = """
import numpy as np
from rca.inputs import freeing

def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

assert freeing.lean_malloc()
freed = np.ones(2 << 20)  # 16 MB freed: glibc alone would raise its mmap threshold to this
del freed
arrays, live = [], []
for _ in range(8):  # 8 MB arrays, each followed by a small one that stays
    arrays.append(np.ones(1 << 20))
    live.append(np.ones(1 << 10))
before = resident_mb()
del arrays
print(before - resident_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or freeing._malloc_trim() is None,
                    reason="glibc's mallopt and /proc")
def test_after_lean_malloc_large_arrays_freed_between_live_ones_go_back_at_once():
    # In a fresh process: a heap other code already left free chunks in could hold them.
    given_back = subprocess.run([sys.executable, "-c", _FREED_AT_ONCE], capture_output=True, text=True, check=True)
    assert float(given_back.stdout) > 48


@pytest.mark.parametrize(("piece_bytes", "lean"), [(1 << 20, False), (4 << 10, True)])
def test_allocators_are_made_lean_only_for_an_export_of_many_ranges(monkeypatch, piece_bytes, lean):
    """The lean settings' page faults cost more than the creep they stop on a few ranges."""
    from pathlib import Path

    from rca.findings import stream
    from rca.knowledge.pack import default_pack

    calls = []
    monkeypatch.setattr(stream, "lean_allocators", lambda: calls.append(1))
    export = Path(__file__).resolve().parent.parent / "fixtures" / "chaos-fail" / "logcli.jsonl"
    assert stream.analyze_streamed([str(export)], None, default_pack(), chunk_bytes=piece_bytes) is not None
    assert bool(calls) is lean


_POOL_GIVES_BACK = """
import pyarrow as pa
from rca.inputs import freeing

def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

assert freeing.lean_arrow_pool()
assert pa.default_memory_pool().backend_name == "jemalloc"
live = [pa.array(range(1 << 20))]
freed = [pa.array(range(1 << 20)) for _ in range(8)]  # 64 MB from the pool, then freed
before = resident_mb()
del freed
print(before - resident_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_after_lean_arrow_pool_buffers_freed_go_back_at_once():
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("pyarrow built without jemalloc")
    # In a fresh process: the pool is switched for the rest of the process.
    given_back = subprocess.run([sys.executable, "-c", _POOL_GIVES_BACK], capture_output=True, text=True, check=True)
    assert float(given_back.stdout) > 48
