"""Field access in decoded JSON objects: dotted paths that also match flattened keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def lookup(obj: Any, dotted: str) -> Any:
    """`obj["a.b"]` if that key exists, else `obj["a"]["b"]`; None when absent."""
    if not isinstance(obj, dict):
        return None
    if dotted in obj:
        return obj[dotted]
    if "." not in dotted:
        return None
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def first(obj: Any, keys: Iterable[str], skip_empty: bool = False) -> Any:
    """The value of the first key present (optionally skipping empty strings). As `lookup`
    key by key, without a call per key: decoding asks this ~10 times per shape."""
    if not isinstance(obj, dict):
        return None
    for key in keys:
        value = obj.get(key, _ABSENT)
        if value is _ABSENT:
            value = lookup(obj, key) if "." in key else None
        if value is not None and not (skip_empty and value == ""):
            return value
    return None


_ABSENT = object()
