"""rca's regular expressions, compiled once and kept for later runs. `regex` parses a pattern
in Python: the ~130 patterns a small analysis uses cost it ~70 ms of CPU on every run, a
tenth of it. A compiled pattern pickles as what the parser made of it (`regex`'s own
pickling), so reading it back skips the parsing (~2 ms for all of them).

Kept in rca's cache folder "regex" (rca.cache: the user's own, 0700), one file per `regex`
and Python version. Only patterns written in rca's code or its knowledge packs are kept,
never one built from log text: what a cache holds is written to disk."""

from __future__ import annotations

import atexit
import pickle
import sys
from typing import Any

import regex

from rca import cache

_FILE = f"patterns-{regex.__version__}-{sys.implementation.cache_tag}.pickle"
_MOST = 4096  # beyond this many, only the patterns the latest run used are kept

_kept: dict[tuple[Any, ...], regex.Pattern] | None = None
_used: set[tuple[Any, ...]] = set()
_added = False


def compiled(pattern: str | bytes, flags: int = 0) -> regex.Pattern:
    """`regex.compile(pattern, flags)`, read from the patterns earlier runs compiled when
    they did. For patterns written in rca or its knowledge packs only."""
    global _added
    kept = _kept if _kept is not None else _load()
    key = (pattern, int(flags), regex.DEFAULT_VERSION)
    _used.add(key)
    found = kept.get(key)
    if found is None:
        found = kept[key] = regex.compile(pattern, flags)
        if not _added:
            _added = True
            atexit.register(keep)
    return found


def keep() -> None:
    """Write the patterns kept so far for later runs, when this run compiled new ones (the
    command line calls this as it leaves; a library's process does at exit)."""
    global _added
    if not _added or _kept is None:
        return
    _added = False
    kept = dict(_kept) if len(_kept) <= _MOST else {k: v for k, v in _kept.items() if k in _used}
    try:
        data = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
    except pickle.PicklingError:
        return
    cache.write("regex", _FILE, data)


def _load() -> dict[tuple[Any, ...], regex.Pattern]:
    """The patterns earlier runs kept: none when there is no cache, it is not the user's
    own, or it cannot be read back (it is then written again)."""
    global _kept
    _kept = {}
    data = cache.read("regex", _FILE)
    if data is None:
        return _kept
    try:
        loaded = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a damaged cache only costs the compile
        return _kept
    if isinstance(loaded, dict):
        _kept.update((k, p) for k, p in loaded.items()
                     if isinstance(k, tuple) and len(k) == 3 and isinstance(p, regex.Pattern) and p.pattern == k[0])
    return _kept
