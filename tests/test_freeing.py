"""Freed memory goes back to the system between the phases of a streamed analysis."""

from __future__ import annotations

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
