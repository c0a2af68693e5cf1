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
    """The value of the first key present (optionally skipping empty strings)."""
    for key in keys:
        value = lookup(obj, key)
        if value is not None and not (skip_empty and value == ""):
            return value
    return None
