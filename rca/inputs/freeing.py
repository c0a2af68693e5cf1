"""Give freed memory back to the system between the phases of a long analysis.

Arrow's pool (mimalloc) and the C library's malloc (numpy's arrays, Python's objects) keep
freed pages for reuse, and threads that have finished leave theirs behind. After a
streamed map every range is freed, but what the allocators keep would be counted again in
the reduce's peak: ~80 MB after a 1M-line map.

Over a long map, glibc's malloc also keeps memory it never gives back: each mapping thread
gets its own arenas, and after a large array is freed its mmap threshold rises to that
array's size (up to 32 MB), so later arrays land in the heap between longer-lived blocks.
At 10M lines that held ~100 MB more at the map's peak than at 1M; `lean_malloc` fixes both.

Arrow's own pool (mimalloc) likewise keeps what a range's parse and decoding freed for a
while, ~100 MB a range at its peak; with two ranges mapped at once, the map's peak is
where both threads' working sets and kept pages coincide, and the more ranges an export
has, the higher that coincidence climbs. `lean_arrow_pool` hands pages back as they are freed.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa


@cache
def _libc(name: str, argtypes: tuple, restype: type):
    """A function of the C library the process has loaded, or None where it has none by
    that name (not glibc). ctypes is imported only when a long analysis needs it."""
    import ctypes

    try:
        function = getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):
        return None
    function.argtypes, function.restype = list(argtypes), restype
    return function


def _malloc_trim():
    """glibc's `malloc_trim`, or None elsewhere."""
    import ctypes

    return _libc("malloc_trim", (ctypes.c_size_t,), ctypes.c_int)


# glibc's mallopt parameters (malloc.h): a fixed threshold (glibc's default start), and two
# arenas, one per mapping thread.
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8
_MMAP_THRESHOLD, _ARENA_MAX = 128 * 1024, 2


@cache
def lean_malloc() -> bool:
    """Keep glibc's malloc from holding memory a long streamed analysis freed: arrays of
    128 KiB or more are mapped on their own (so freeing one gives it back at once), and the
    threads share two arenas. Once per process; False where the C library has no `mallopt`."""
    import ctypes

    mallopt = _libc("mallopt", (ctypes.c_int, ctypes.c_int), ctypes.c_int)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_ARENA_MAX, _ARENA_MAX))


@cache
def lean_arrow_pool() -> bool:
    """Make Arrow's default pool jemalloc with its freed pages handed back at once (no
    decay), for the rest of the process: mimalloc's delay cannot be changed once it has
    started. Buffers already allocated return to the pool they came from. Once per
    process; False where pyarrow was built without jemalloc."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    pa.jemalloc_set_decay_ms(0)
    pa.set_memory_pool(pool)
    return True


def lean_allocators() -> None:
    """Keep both allocators lean (`lean_malloc`, `lean_arrow_pool`): it costs page faults
    (more CPU), so only a long export's analysis asks for it."""
    lean_malloc()
    lean_arrow_pool()


def give_back() -> None:
    """Return the pages Arrow's pool and malloc hold free to the system (a few ms)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
