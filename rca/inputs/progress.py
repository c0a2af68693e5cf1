"""How far long work is — a phase and the input bytes read so far — told to whoever listens.

The library only reports; the command line draws it (on a terminal, unless --quiet). With no
listener a report costs a context-variable lookup.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# (phase, bytes done, bytes in all): bytes are 0, 0 when a phase does not read input.
Listener = Callable[[str, int, int], None]
_LISTENER: ContextVar[Listener | None] = ContextVar("rca_progress", default=None)


def report(phase: str, done: int = 0, total: int = 0) -> None:
    listener = _LISTENER.get()
    if listener is not None:
        listener(phase, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send the reports made inside the block to `listener`."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def size_of(path: str) -> int:
    """A file's size in bytes, 0 for standard input or what cannot be looked at."""
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0
