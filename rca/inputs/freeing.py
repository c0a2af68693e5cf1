"""Give freed memory back to the system between the phases of a long analysis.

Arrow's pool (mimalloc) and the C library's malloc (numpy's arrays, Python's objects) keep
freed pages for reuse, and threads that have finished leave theirs behind. After a
streamed map every range is freed, but what the allocators keep would be counted again in
the reduce's peak: ~80 MB after a 1M-line map.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa


@cache
def _malloc_trim():
    """glibc's `malloc_trim` (the process has the C library loaded), or None elsewhere."""
    import ctypes  # (only a long analysis needs it)

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back() -> None:
    """Return the pages Arrow's pool and malloc hold free to the system (a few ms)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
