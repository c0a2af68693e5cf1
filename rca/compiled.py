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


def _dumps(kept: dict) -> bytes | None:
    try:
        return pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
    except pickle.PicklingError:
        return None


def _valid(key: Any, pattern: Any) -> bool:
    return isinstance(key, tuple) and len(key) == 3 and isinstance(pattern, regex.Pattern) and pattern.pattern == key[0]


# Beyond 4096 patterns, only those the latest run used are kept.
_PATTERNS = cache.Kept("regex", f"patterns-{regex.__version__}-{sys.implementation.cache_tag}.pickle", 4096,
                       _dumps, pickle.loads, _valid)


def compiled(pattern: str | bytes, flags: int = 0) -> regex.Pattern:
    """`regex.compile(pattern, flags)`, read from the patterns earlier runs compiled when
    they did. For patterns written in rca or its knowledge packs only."""
    key = (pattern, int(flags), regex.DEFAULT_VERSION)
    found = _PATTERNS.get(key)
    if found is None:
        found = regex.compile(pattern, flags)
        if _PATTERNS.add(key, found):
            atexit.register(keep)
    return found


def keep() -> None:
    """Write the patterns kept so far for later runs, when this run compiled new ones (the
    command line calls this as it leaves; a library's process does at exit)."""
    _PATTERNS.keep()
