"""Buffers the map's pieces leave for the reduce, held in a temporary file until it reads them.

Each range's kept rows, packed (~4 bytes a line of the export), were the part of the map's
memory that grew with the export: ~40 MB at 10M lines, held while every later range was
mapped. Written to disk as each range's state arrives, they take no memory until the
reduce reads them back.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import pyarrow as pa

from rca.errors import UsageError


class Spool:
    """An anonymous temporary file (gone when closed, or when the process ends), written at
    its end and read back by place; used by one thread."""

    def __init__(self) -> None:
        try:
            self._file = tempfile.TemporaryFile(prefix="rca-spool-")
        except OSError as exc:
            raise _no_room(exc) from None
        self._end = 0

    def put(self, buffer: pa.Buffer) -> Spilled:
        self._file.seek(self._end)
        try:
            self._file.write(memoryview(buffer))
        except OSError as exc:
            raise _no_room(exc) from None
        spilled = Spilled(self, self._end, buffer.size)
        self._end += buffer.size
        return spilled

    def read(self, offset: int, size: int) -> pa.Buffer:
        self._file.seek(offset)
        return pa.py_buffer(self._file.read(size))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass(frozen=True)
class Spilled:
    """A buffer written to a spool: where, and how long."""

    spool: Spool
    offset: int
    size: int

    def buffer(self) -> pa.Buffer:
        return self.spool.read(self.offset, self.size)


def _no_room(exc: OSError) -> UsageError:
    """What the user can do when the temporary file cannot be written (a full or read-only
    temporary folder): point TMPDIR elsewhere."""
    return UsageError(f"cannot write rca's temporary file in {tempfile.gettempdir()} ({exc.strerror or exc});"
                      " set TMPDIR to a folder with room")
