"""The user's cache folder, for what one run works out and the next can reuse (the report's
compiled template, compiled regexes): $XDG_CACHE_HOME or ~/.cache, then rca/<name>. Not the
temporary folder, which rca leaves as it found it. What is read back from it can be code, so
a folder is used only when it is the user's own and no one else can write to it."""

from __future__ import annotations

import os
import stat


def own(st: os.stat_result) -> bool:
    """The file or folder is the user's and only the user can change it."""
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return mine and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def folder(name: str) -> str | None:
    """rca's cache folder `name`, made (0700) when missing; None when it cannot be made or is
    not the user's own: a cache that cannot be used only costs the work again."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    base = base if os.path.isabs(base) else os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "rca", name)
    if not os.path.isabs(path):
        return None
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    return path if stat.S_ISDIR(st.st_mode) and own(st) else None


def read(name: str, file: str) -> bytes | None:
    """The bytes of `file` in cache folder `name`; None when it is missing, cannot be read,
    or is not the user's own (never followed through a symlink)."""
    directory = folder(name)
    if directory is None:
        return None
    try:
        fd = os.open(os.path.join(directory, file), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as source:
        try:
            return source.read() if own(os.fstat(source.fileno())) else None
        except OSError:
            return None


def write(name: str, file: str, data: bytes) -> None:
    """Put `data` as `file` in cache folder `name`, whole or not at all (a temporary file
    renamed over it); a cache that cannot be written only costs the work again next run."""
    directory = folder(name)
    if directory is None:
        return
    import tempfile

    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{file}.")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, os.path.join(directory, file))
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
