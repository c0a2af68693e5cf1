"""A generator run one item ahead on a thread of its own: while the caller works on one
piece of a compressed file, the next is decompressed and parsed (zlib, bz2, lzma, zstd and
Arrow release the GIL), so one file keeps two cores busy. The thread sees the caller's
context (the input caps), hands on its errors, and stops when the caller stops. It starts
an item only once the caller has taken the one before: one piece more in memory, not two."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()
_POLL = 0.1


def ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`items`, produced on another thread at most `depth` items ahead of the caller."""
    handoff: queue.Queue = queue.Queue()
    wanted = threading.Semaphore(depth)
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            while True:
                while not wanted.acquire(timeout=_POLL):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                item = next(source, _END)
                handoff.put((item, None))
                if item is _END:
                    return
        except BaseException as exc:  # handed to the caller, raised there
            handoff.put((_END, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=contextvars.copy_context().run, args=(produce,), daemon=True,
                              name="rca-read-ahead")
    worker.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _END:
                return
            wanted.release()
            yield item
    finally:
        stop.set()
        worker.join()


def on_a_thread(fn: Callable[..., Any], *args: Any) -> Future:
    """`fn(*args)` started on a thread of its own, for work whose kernels release the GIL
    (numpy's sorts, zstd, Arrow's readers) while the caller goes on; its Future answers it."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)
