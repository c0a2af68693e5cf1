"""Writing files so that no reader ever sees half of one, and nothing else is harmed.

A regular file is replaced by renaming a finished temporary file over it; anything else
(`/dev/null`, a FIFO, `/dev/stdout`, a terminal) is written in place, since renaming over
it would replace the device or pipe itself. A symlink is written through to its target.
New files get the permissions the umask allows, like any other program's; a replaced file
keeps its own. Read-only targets are refused rather than silently replaced.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from rca.errors import RcaError


class ReadOnlyTarget(RcaError):
    """The file to write has no write permission: the user meant to protect it."""


class ChangedMeanwhile(RcaError):
    """Someone saved the file while rca was preparing its new version."""

    exit_code = 3


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _in_place(path: Path, real: Path, st: os.stat_result | None) -> bool:
    if st is not None and not stat.S_ISREG(st.st_mode):
        return True
    return str(path).startswith(("/dev/", "/proc/")) or str(real).startswith(("/dev/", "/proc/"))


def _temporary(folder: Path, name: str, data: bytes | Iterable[bytes], mode: int) -> str:
    """A finished, fsynced file in `folder` under a temporary name.

    Written as an unnamed O_TMPFILE first where the system has it, so a process killed
    mid-write (kill -9) leaves nothing behind; it gets its name only once complete. Chunks
    (which can be read only once) go straight to a named temporary file.
    """
    tmp = _random_name(folder, name)  # a taken one fails the link below
    flag = getattr(os, "O_TMPFILE", 0) if isinstance(data, bytes | bytearray) else 0
    if flag:
        try:
            fd = os.open(str(folder), flag | os.O_WRONLY, 0o600)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                _fill(fd, data, mode)
                os.link(f"/proc/self/fd/{fd}", tmp, follow_symlinks=True)
                return tmp
            except OSError:
                pass
            finally:
                os.close(fd)
    fd, tmp = _new_file(folder, name)
    try:
        _fill(fd, data, mode)
    except BaseException:
        os.close(fd)
        _remove(tmp)
        raise
    os.close(fd)
    return tmp


def _random_name(folder: Path, name: str) -> str:
    return os.path.join(str(folder), f".{name}.{os.urandom(4).hex()}.rca-tmp")


def _new_file(folder: Path, name: str) -> tuple[int, str]:
    """A file this call created, open for writing, under a random name: as tempfile.mkstemp
    makes one, without importing tempfile (~1% of a small analysis)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = _random_name(folder, name)
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no temporary file name left", str(folder))


def _fill(fd: int, data: bytes | Iterable[bytes], mode: int) -> None:
    for chunk in [data] if isinstance(data, bytes | bytearray) else data:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
    os.fchmod(fd, mode)
    os.fsync(fd)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _replace_with(target: Path, data: bytes | Iterable[bytes], mode: int, before_rename=None) -> None:
    tmp = _temporary(target.parent, target.name, data, mode)
    try:
        if before_rename is not None:
            before_rename()
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def write_atomically(path: Path, data: bytes | Iterable[bytes], keep_backup: bool = False,
                     expect: bytes | None = None) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    With `keep_backup` the previous version is kept as `PATH.bak` (itself written by rename,
    so a symlink there is replaced, never followed). With `expect`, the bytes the caller
    read: if the file no longer holds them just before the rename, someone saved it
    meanwhile and ChangedMeanwhile is raised with their version left in place. On any
    failure the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    if _in_place(path, real, st):
        with open(path, "wb") as fh:
            for chunk in [data] if isinstance(data, bytes | bytearray) else data:
                fh.write(chunk)
        return
    if st is not None and (not st.st_mode & 0o222 or not os.access(real, os.W_OK)):
        raise ReadOnlyTarget(f"{path}: the file is read-only; rca will not replace it "
                             "(make it writable or write elsewhere)")
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    if keep_backup and st is not None:
        old = expect if expect is not None else real.read_bytes()
        bak = path.with_name(path.name + ".bak")
        _replace_with(bak, old, mode)

    def unchanged() -> None:
        if expect is None:
            return
        try:
            now = real.read_bytes()
        except FileNotFoundError:
            now = None
        if now != (expect if st is not None else None):
            raise ChangedMeanwhile(f"{path}: the file changed while rca was writing it; your version was kept "
                                   "and nothing was written (run the command again)")

    _replace_with(real, data, mode, unchanged)
