"""Standard input, a named pipe or a zip member, copied to a temporary file as it arrives,
so that it is read like a file: sniffed, streamed in pieces with bounded memory, and read
again whole if the streamed readers decline it. Its name stays "-" (or the pipe's path, or
`archive.zip:member`) everywhere.

The copy is made under the caps a whole read of the stream applies (size, read timeout,
binary data), and removed when the process ends.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
import zlib

from rca.errors import InputError
from rca.inputs.limits import current, is_stream, stream_blocks

STDIN = "-"
_READ = 1 << 20
# A spooled path -> (the stream object it was read from, the temporary file).
_SPOOLED: dict[str, tuple[object, str]] = {}


def _source(path: str) -> object:
    return sys.stdin if path == STDIN else None


def spooled(path: str) -> str | None:
    """The temporary file holding a stream's bytes, once copied (for the same stdin)."""
    entry = _SPOOLED.get(path)
    return entry[1] if entry is not None and entry[0] is _source(path) else None


def at(path: str) -> str:
    """Where a path's bytes are read from: its copy when it was spooled, else itself."""
    return spooled(path) or path


def spool(path: str) -> str:
    """Copy standard input or a pipe to a temporary file (once); the file's path."""
    from rca.inputs.sniff import looks_binary

    if (done := spooled(path)) is not None:
        return done
    if path == STDIN and (sys.stdin is None or sys.stdin.isatty()):
        raise InputError(path, "standard input is a terminal; pipe an export into rca")
    fd, name = tempfile.mkstemp(prefix="rca-stdin-" if path == STDIN else "rca-pipe-")
    atexit.register(_remove, name)
    _SPOOLED[path] = (_source(path), name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in _blocks(path, looks_binary):
                out.write(block)
    except OSError as exc:
        _SPOOLED.pop(path, None)
        raise InputError(path, f"cannot copy it to a temporary file ({exc.strerror or exc})") from None
    except InputError:
        _SPOOLED.pop(path, None)
        raise
    return name


def spool_member(archive: str, member: str) -> str:
    """Copy a zip member to a temporary file (once), under the caps a whole read applies;
    its name as an input, `archive:member`."""
    import zipfile

    from rca.inputs.limits import Budget

    name = f"{archive}:{member}"
    if spooled(name) is not None:
        return name
    fd, copy = tempfile.mkstemp(prefix="rca-member-")
    atexit.register(_remove, copy)
    try:
        with zipfile.ZipFile(archive) as zipped, zipped.open(member) as src, os.fdopen(fd, "wb") as out:
            budget = Budget(name, zipped.getinfo(member).compress_size, current())
            produced = 0
            while block := src.read(_READ):
                produced += len(block)
                budget.check(produced)
                out.write(block)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, zlib.error) as exc:
        raise InputError(archive, f"broken zip archive ({exc})") from None
    _SPOOLED[name] = (None, copy)
    return name


def _blocks(path: str, looks_binary):
    limits = current()
    if path != STDIN:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            yield from stream_blocks(fd, path, limits, looks_binary)
        finally:
            os.close(fd)
    elif is_stream("/dev/stdin"):
        yield from stream_blocks(sys.stdin.fileno(), path, limits, looks_binary)
    else:
        while block := sys.stdin.buffer.read(_READ):
            yield block


def archive_member(path: str) -> str | None:
    """`archive.zip:member`, a file inside an existing zip archive (as inputs name a member,
    and batch names a zipped outage), copied to a temporary file; its name, or None when the
    path names no such member."""
    import zipfile

    from rca.inputs.sniff import is_zip

    for i in (i for i, c in enumerate(path) if c == ":"):
        archive, member = path[:i], path[i + 1:]
        if not member or not os.path.isfile(archive) or not is_zip(archive):
            continue
        try:
            with zipfile.ZipFile(archive) as zipped:
                if member not in zipped.namelist():
                    continue
        except (OSError, zipfile.BadZipFile):
            continue
        return spool_member(archive, member)
    return None


def release(path: str) -> None:
    """Remove a spooled copy now rather than at exit: a batch worker analyses many zipped
    outages, and a pool's worker process may end without running exit handlers."""
    entry = _SPOOLED.pop(path, None)
    if entry is not None:
        _remove(entry[1])


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
