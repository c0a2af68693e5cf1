"""The user's cache folder, for what one run works out and the next can reuse (the report's
compiled template, compiled regexes): $XDG_CACHE_HOME or ~/.cache, then rca/<name>. Not the
temporary folder, which rca leaves as it found it. What is read back from it can be code, so
a folder is used only when it is the user's own and no one else can write to it."""

from __future__ import annotations

import os
import stat
from typing import Any, Callable


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


class Kept:
    """What one run made that later runs read back instead of making again (compiled regexes,
    compiled code): one file of cache folder `name`, loaded at the first look-up and written by
    `keep` when the run made something new. Past `most` entries only those this run used are
    written, so the file does not grow without end. `dumps` gives the bytes (None: not
    writable), `loads` reads them back, and only entries `valid(key, value)` accepts are used.
    A plain class, not a dataclass: it is defined before rca.generated_code can serve
    dataclasses' compiles."""

    __slots__ = ("name", "file", "most", "_dumps", "_loads", "_valid", "_kept", "_used", "_added")

    def __init__(self, name: str, file: str, most: int, dumps: Callable[[dict], bytes | None],
                 loads: Callable[[bytes], Any], valid: Callable[[Any, Any], bool]) -> None:
        self.name, self.file, self.most = name, file, most
        self._dumps, self._loads, self._valid = dumps, loads, valid
        self._kept: dict | None = None
        self._used: set = set()
        self._added = False

    def get(self, key: Any) -> Any:
        """The entry earlier runs kept for `key`, or None; either way this run used `key`."""
        kept = self._kept if self._kept is not None else self._load()
        self._used.add(key)
        return kept.get(key)

    def add(self, key: Any, value: Any) -> bool:
        """Keep a new entry (after `get` found none); True when it is this run's first."""
        self._kept[key] = value
        first, self._added = not self._added, True
        return first

    def keep(self) -> None:
        """Write the entries for later runs, when this run made new ones."""
        if not self._added or self._kept is None:
            return
        self._added = False
        kept = self._kept
        kept = dict(kept) if len(kept) <= self.most else {k: v for k, v in kept.items() if k in self._used}
        data = self._dumps(kept)
        if data is not None:
            write(self.name, self.file, data)

    def _load(self) -> dict:
        """The entries earlier runs kept: none when there is no cache, it is not the user's own,
        or it cannot be read back (it is then written again)."""
        self._kept = {}
        data = read(self.name, self.file)
        if data is None:
            return self._kept
        try:
            loaded = self._loads(data)
        except Exception:  # noqa: BLE001 - a damaged cache only costs the work again
            return self._kept
        if isinstance(loaded, dict):
            self._kept.update((k, v) for k, v in loaded.items() if self._valid(k, v))
        return self._kept
