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
